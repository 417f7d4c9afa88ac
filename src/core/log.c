/* SPDX-License-Identifier: MIT */
/*
 * Logging: the level gate, record building, and the two ready-made stderr sinks. The level is
 * checked before anything is formatted, so a disabled debug line costs one comparison. Messages
 * are formatted into a fixed buffer and marked "..." when cut. errno is saved and restored
 * around everything, because callers log between a failing system call and reading its errno.
 *
 * Each sink builds the whole line first and hands it to one write(2), so lines from threads
 * sharing stderr never interleave (stdio's stderr is unbuffered and may split one fprintf).
 * JSON escaping: '"', '\\' and control characters are escaped (\n, \r, \t, \b, \f, else \u00XX,
 * DEL as \u007f); a byte that is not part of valid UTF-8 is replaced by U+FFFD (\ufffd), so the
 * output is always valid UTF-8 JSON and the replacement is visible.
 */
#include "core_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(_WIN32)
#include <io.h>
#define TK_STDERR_FD	     2
#define tk_write(fd, buf, n) _write(fd, buf, (unsigned)(n))
#else
#include <unistd.h>
#define TK_STDERR_FD	     2
#define tk_write(fd, buf, n) write(fd, buf, n)
#endif

#define LOG_MSG_MAX  1024
#define LOG_LINE_MAX 8192

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

const char *tk_log_level_name(tk_log_level level)
{
	if ((unsigned)level < TK_ARRAY_SIZE(level_names))
		return level_names[level];
	return "unknown";
}

bool tk_log_level_parse(const char *word, tk_log_level *out)
{
	if (!word)
		return false;
	for (size_t i = 0; i < TK_ARRAY_SIZE(level_names); i++) {
		if (strcmp(word, level_names[i]) == 0) {
			if (out)
				*out = (tk_log_level)i;
			return true;
		}
	}
	if (strcmp(word, "warning") == 0) {
		if (out)
			*out = TK_LOG_WARN;
		return true;
	}
	return false;
}

bool tk__log_enabled(const tk_ctx *ctx, tk_log_level level)
{
	return tk__ctx_valid(ctx) && ctx->log_fn && level <= ctx->log_level;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
#if defined(_WIN32) && !defined(_UCRT)
	/* Debian's mingw-w64 targets msvcrt, whose time.h has no timespec_get (UCRT only);
	 * winpthreads' clock_gettime gives the same wall clock. */
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
#else
	if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
		return 0;
#endif
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void emit(tk_ctx *ctx, tk_log_level level, const char *trace_id, const char *subsystem,
		 const tk_log_field *fields, size_t nfields, const char *message)
{
	tk_log_record rec = {
		.level = level,
		.time_ns = realtime_ns(),
		.trace_id = trace_id ? trace_id : "",
		.subsystem = subsystem ? subsystem : "",
		.message = message ? message : "",
		.fields = nfields ? fields : NULL,
		.nfields = fields ? nfields : 0,
	};
	ctx->log_fn(ctx->log_user, &rec);
}

void tk__log(tk_ctx *ctx, tk_log_level level, const char *subsystem, const tk_log_field *fields,
	     size_t nfields, const char *fmt, ...)
{
	if (!tk__log_enabled(ctx, level))
		return;
	int saved = errno;
	char msg[LOG_MSG_MAX];
	char tmp[LOG_MSG_MAX + 8]; /* formatted long, cut short at a character boundary */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	tk__strlcpy(msg, n < 0 ? fmt : tmp, sizeof(msg));
	emit(ctx, level, tk__trace_current(), subsystem, fields, nfields, msg);
	errno = saved;
}

void tk_log(tk_ctx *ctx, tk_log_level level, const char *subsystem, const tk_log_field *fields,
	    size_t nfields, const char *message)
{
	if (!tk__log_enabled(ctx, level))
		return;
	int saved = errno;
	emit(ctx, level, tk__trace_current(), subsystem, fields, nfields, message);
	errno = saved;
}

void tk__error_log(tk_ctx *ctx, const tk_error *err)
{
	if (!err || err->status == TK_OK || !tk__log_enabled(ctx, TK_LOG_ERROR))
		return;
	int saved = errno;
	char code[32];
	if (err->os_kind == TK_OS_HRESULT || err->os_kind == TK_OS_NTSTATUS)
		tk__snprintf(code, sizeof(code), "0x%08lx", (unsigned long)(uint32_t)err->os_code);
	else
		tk__snprintf(code, sizeof(code), "%lld", (long long)err->os_code);
	char pid[16];
	tk__snprintf(pid, sizeof(pid), "%lu", (unsigned long)err->holder_pid);

	tk_log_field f[8];
	size_t n = 0;
	f[n++] = (tk_log_field){ "cause", tk_status_name(err->status) };
	if (err->op[0])
		f[n++] = (tk_log_field){ "op", err->op };
	if (err->object[0])
		f[n++] = (tk_log_field){ "object", err->object };
	if (err->os_kind != TK_OS_NONE) {
		f[n++] = (tk_log_field){ "os_kind", tk_os_kind_name(err->os_kind) };
		f[n++] = (tk_log_field){ "os_code", code };
	}
	if (err->os_text[0])
		f[n++] = (tk_log_field){ "os_text", err->os_text };
	if (err->holder_pid) {
		f[n++] = (tk_log_field){ "holder_pid", pid };
		if (err->holder_name[0])
			f[n++] = (tk_log_field){ "holder_name", err->holder_name };
	}
	const char *msg = err->message[0] ? err->message : tk_status_message(err->status);
	const char *trace_id = err->trace_id[0] ? err->trace_id : tk__trace_current();
	emit(ctx, TK_LOG_ERROR, trace_id, "error", f, n, msg);
	errno = saved;
}

/* ---- line building for the sinks ---- */

struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
	size_t limit; /* len may not pass this: room is kept for the closing bytes */
	bool cut;
};

static bool line_put(struct line *l, const char *s, size_t n)
{
	if (l->cut || n > l->limit - l->len) {
		l->cut = true;
		return false;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	return true;
}

static bool line_puts(struct line *l, const char *s)
{
	return line_put(l, s, strlen(s));
}

/* Closing bytes may use the reserved room. */
static void line_close(struct line *l, const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof(l->buf) - l->len)
		n = sizeof(l->buf) - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/*
 * Length of the valid UTF-8 sequence starting at s (1..4), or 0 if the byte at s does not
 * start one (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut short).
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Appends s escaped for JSON (no quotes). Stops at a character boundary when the line is full
 * and appends "..." instead; returns false then.
 */
static bool json_escape(struct line *l, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		char hex[8];
		const char *out;
		size_t n = 2, adv = 1;
		unsigned char c = *s;
		if (c == '"')
			out = "\\\"";
		else if (c == '\\')
			out = "\\\\";
		else if (c == '\n')
			out = "\\n";
		else if (c == '\r')
			out = "\\r";
		else if (c == '\t')
			out = "\\t";
		else if (c == '\b')
			out = "\\b";
		else if (c == '\f')
			out = "\\f";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(hex, sizeof(hex), "\\u%04x", (unsigned)c);
			out = hex;
			n = 6;
		} else if ((adv = utf8_len(s)) == 0) {
			out = "\\ufffd";
			n = 6;
			adv = 1;
		} else {
			out = (const char *)s;
			n = adv;
		}
		if (!line_put(l, out, n)) {
			line_close(l, "...");
			return false;
		}
		s += adv;
	}
	return true;
}

static void time_iso(uint64_t ns, char *out, size_t size)
{
	/* Days to civil date (Howard Hinnant's algorithm): no gmtime_r, no locale, no OS. */
	int64_t secs = (int64_t)(ns / 1000000000u);
	unsigned ms = (unsigned)(ns / 1000000u % 1000u);
	int64_t days = secs / 86400, rem = secs % 86400;
	int64_t z = days + 719468;
	int64_t era = z / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	tk__snprintf(out, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03uZ", (long long)y,
		     (long long)m, (long long)d, (long long)(rem / 3600),
		     (long long)(rem / 60 % 60), (long long)(rem % 60), ms);
}

static void write_all(const char *buf, size_t len)
{
	int saved = errno;
	/* Bounded: a stuck or broken stderr must not hang the library. */
	for (int tries = 0; len > 0 && tries < 16; tries++) {
		long n = (long)tk_write(TK_STDERR_FD, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	errno = saved;
}

void tk_log_stderr_json(void *user, const tk_log_record *rec)
{
	(void)user;
	if (!rec)
		return;
	struct line l = { .len = 0, .limit = LOG_LINE_MAX - 8, .cut = false };
	char when[40];
	time_iso(rec->time_ns, when, sizeof(when));
	line_puts(&l, "{\"time\":\"");
	line_puts(&l, when);
	line_puts(&l, "\",\"level\":\"");
	line_puts(&l, tk_log_level_name(rec->level));
	line_puts(&l, "\",\"trace_id\":\"");
	json_escape(&l, rec->trace_id ? rec->trace_id : "");
	line_puts(&l, "\",\"subsystem\":\"");
	json_escape(&l, rec->subsystem ? rec->subsystem : "");
	line_puts(&l, "\",\"msg\":\"");
	bool ok = json_escape(&l, rec->message ? rec->message : "");
	line_close(&l, "\"");
	for (size_t i = 0; ok && rec->fields && i < rec->nfields; i++) {
		const tk_log_field *f = &rec->fields[i];
		size_t mark = l.len;
		if (!line_puts(&l, ",\"") || !json_escape(&l, f->key ? f->key : "") ||
		    !line_puts(&l, "\":\"")) {
			l.len = mark; /* a cut key would leave a member without a value */
			break;
		}
		ok = json_escape(&l, f->value ? f->value : "");
		line_close(&l, "\"");
	}
	line_close(&l, "}\n");
	write_all(l.buf, l.len);
}

/* Text values are quoted when a reader could not tell where they end otherwise. */
static bool text_needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			return true;
	return false;
}

/* Appends s with control characters escaped so that a record is always one line. */
static bool text_escape(struct line *l, const char *str, bool quoted)
{
	for (const unsigned char *s = (const unsigned char *)str; *s; s++) {
		char esc[8];
		size_t n = 1;
		esc[0] = (char)*s;
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			esc[0] = '\\';
			esc[1] = (char)(*s == '\n' ? 'n' : *s == '\r' ? 'r' : 't');
			n = 2;
		} else if (*s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)*s);
			n = 4;
		} else if (quoted && (*s == '"' || *s == '\\')) {
			esc[0] = '\\';
			esc[1] = (char)*s;
			n = 2;
		}
		if (!line_put(l, esc, n)) {
			line_close(l, "...");
			return false;
		}
	}
	return true;
}

void tk_log_stderr_text(void *user, const tk_log_record *rec)
{
	(void)user;
	if (!rec)
		return;
	struct line l = { .len = 0, .limit = LOG_LINE_MAX - 8, .cut = false };
	char head[128];
	char when[40];
	time_iso(rec->time_ns, when, sizeof(when));
	tk__snprintf(head, sizeof(head), "%s %-5s ", when, tk_log_level_name(rec->level));
	line_puts(&l, head);
	bool ok = true;
	if (rec->subsystem && *rec->subsystem) {
		ok = text_escape(&l, rec->subsystem, false) && line_puts(&l, " ");
	}
	if (ok && rec->trace_id && *rec->trace_id) {
		ok = line_puts(&l, "[trace ") && text_escape(&l, rec->trace_id, false) &&
		     line_puts(&l, "] ");
	}
	if (ok)
		ok = text_escape(&l, rec->message ? rec->message : "", false);
	for (size_t i = 0; ok && rec->fields && i < rec->nfields; i++) {
		const tk_log_field *f = &rec->fields[i];
		const char *v = f->value ? f->value : "";
		bool q = text_needs_quotes(v);
		ok = line_puts(&l, " ") && text_escape(&l, f->key ? f->key : "", false) &&
		     line_puts(&l, q ? "=\"" : "=") && text_escape(&l, v, q);
		if (q)
			line_close(&l, "\"");
	}
	line_close(&l, "\n");
	write_all(l.buf, l.len);
}
