/* SPDX-License-Identifier: MIT */
/*
 * The strict INI reader behind tapkit's configuration files (see config.h for the format).
 * Written here rather than taken from libinih because every rejected line must name its
 * file:line and say what was expected, and because unknown keys must be errors, not ignored.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tk_status tk__config_error(tk_error *err, const char *origin, unsigned line, const char *fmt, ...)
{
	char where[TK_ERROR_OBJECT_MAX];
	char msg[TK_ERROR_TEXT_MAX];
	va_list ap;

	if (line)
		tk__snprintf(where, sizeof(where), "%s:%u", origin, line);
	else
		tk__strlcpy(where, origin, sizeof(where));
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	/* The object carries FILE:LINE, so the message does not repeat it. */
	return tk__error_set_quiet(err, TK_E_CONFIG, "read config", where, TK_OS_NONE, 0, "%s",
				   msg);
}

static unsigned char ascii_lower(char c)
{
	unsigned char u = (unsigned char)c;
	return u >= 'A' && u <= 'Z' ? (unsigned char)(u | 0x20u) : u;
}

bool tk__config_key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++)
		if (ascii_lower(*key) != ascii_lower(*name))
			return false;
	return *key == *name;
}

bool tk__config_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < TK_ARRAY_SIZE(yes); i++) {
		if (tk__config_key_is(text, yes[i])) {
			*out = true;
			return true;
		}
		if (tk__config_key_is(text, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool tk__config_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!*text)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Trims spaces at both ends in place; returns the new start. */
static char *trim(char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

struct ini_state {
	const char *origin;
	tk__ini_fn *fn;
	void *user;
	char section[TK__INI_SECTION_MAX];
	char section_arg[TK__INI_LINE_MAX];
	unsigned section_line;
};

static tk_status parse_section(struct ini_state *s, char *p, unsigned line, tk_error *err)
{
	char *close = strchr(p, ']');
	if (!close)
		return tk__config_error(err, s->origin, line,
					"a section header needs a closing ']': \"%s\"", p);
	*close = '\0';
	if (*trim(close + 1))
		return tk__config_error(err, s->origin, line, "unexpected text after ']': \"%s\"",
					trim(close + 1));
	char *name = trim(p + 1);
	char *arg = name;
	while (*arg && !is_space(*arg))
		arg++;
	if (*arg)
		*arg++ = '\0';
	arg = trim(arg);
	if (!*name)
		return tk__config_error(err, s->origin, line, "empty section name \"[]\"");
	for (const char *q = name; *q; q++)
		if (!is_key_char(*q))
			return tk__config_error(err, s->origin, line,
						"invalid character in section name \"%s\"", name);
	if (strlen(name) >= sizeof(s->section))
		return tk__config_error(err, s->origin, line, "section name too long");
	tk__strlcpy(s->section, name, sizeof(s->section));
	tk__strlcpy(s->section_arg, arg, sizeof(s->section_arg));
	s->section_line = line;
	struct tk__ini_item it = { .origin = s->origin,
				   .line = line,
				   .section = s->section,
				   .section_arg = s->section_arg,
				   .section_line = line };
	return s->fn(s->user, &it, err);
}

static tk_status parse_key(struct ini_state *s, char *p, unsigned line, tk_error *err)
{
	char *eq = strchr(p, '=');
	if (!eq)
		return tk__config_error(
			err, s->origin, line,
			"expected \"Key = Value\", \"[Section]\" or a comment, got \"%s\"", p);
	*eq = '\0';
	char *key = trim(p);
	char *value = trim(eq + 1);
	if (!*key)
		return tk__config_error(err, s->origin, line, "a value without a key: \"= %s\"",
					value);
	for (const char *q = key; *q; q++)
		if (!is_key_char(*q))
			return tk__config_error(err, s->origin, line,
						"invalid character in key \"%s\"", key);
	if (!*value)
		return tk__config_error(err, s->origin, line, "%s has no value", key);
	if (!s->section[0])
		return tk__config_error(err, s->origin, line,
					"%s is outside any section (put a [Section] line first)",
					key);
	struct tk__ini_item it = { .origin = s->origin,
				   .line = line,
				   .section = s->section,
				   .section_arg = s->section_arg,
				   .section_line = s->section_line,
				   .key = key,
				   .value = value };
	return s->fn(s->user, &it, err);
}

static tk_status parse_line(struct ini_state *s, char *buf, unsigned line, tk_error *err)
{
	char *p = buf;
	while (is_space(*p))
		p++;
	if (*p == ';' || *p == '#' || !*p)
		return TK_OK;
	char *hash = strchr(p, '#');
	if (hash)
		*hash = '\0';
	p = trim(p);
	if (*p == '[')
		return parse_section(s, p, line, err);
	return parse_key(s, p, line, err);
}

tk_status tk__ini_parse(const char *text, size_t len, const char *origin, tk__ini_fn *fn,
			void *user, tk_error *err)
{
	struct ini_state *s = calloc(1, sizeof(*s));
	char *buf = malloc(TK__INI_LINE_MAX + 1);
	tk_status st = TK_OK;
	unsigned line = 0;
	size_t pos = 0;

	if (!origin || !*origin)
		origin = "<string>";
	if (!s || !buf) {
		st = tk__error_set_quiet(err, TK_E_NO_MEMORY, "read config", origin, TK_OS_NONE, 0,
					 "cannot allocate the parser");
		goto out;
	}
	s->origin = origin;
	s->fn = fn;
	s->user = user;
	/* A UTF-8 byte order mark from a Windows editor is not part of the first line. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len && st == TK_OK) {
		line++;
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		pos += n + (nl ? 1 : 0);
		/* n is 0 for an empty line (nl == start), whatever cppcheck infers. */
		// cppcheck-suppress knownConditionTrueFalse
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (memchr(start, '\0', n)) {
			st = tk__config_error(err, origin, line,
					      "contains a NUL byte (is this a text file?)");
			break;
		}
		if (n > TK__INI_LINE_MAX) {
			st = tk__config_error(err, origin, line, "line longer than %d bytes",
					      TK__INI_LINE_MAX);
			break;
		}
		memcpy(buf, start, n);
		buf[n] = '\0';
		st = parse_line(s, buf, line, err);
	}
out:
	free(buf);
	free(s);
	return st;
}

const char *tk__file_errno_text(int e)
{
	switch (e) {
	case ENOENT:
		return "no such file";
	case EACCES:
		return "permission denied";
	case EISDIR:
		return "is a directory";
	case ENOTDIR:
		return "a component of the path is not a directory";
	case ENOMEM:
		return "out of memory";
	case EFBIG:
		return "too large";
	case EINVAL:
		return "not a valid path";
	default:
		return "cannot be read";
	}
}

tk_status tk__ini_load(const char *path, tk__ini_fn *fn, void *user, tk_error *err)
{
	tk_status st;
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_ERRNO, e,
					 "cannot open %s: %s", path, tk__file_errno_text(e));
		goto out;
	}
	text = malloc(TK__INI_FILE_MAX + 1);
	if (!text) {
		st = tk__error_set_quiet(err, TK_E_NO_MEMORY, "read config", path, TK_OS_NONE, 0,
					 "cannot allocate a buffer for %s", path);
		goto out_close;
	}
	len = fread(text, 1, TK__INI_FILE_MAX + 1, f);
	if (ferror(f)) {
		int e = errno;
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_ERRNO, e,
					 "cannot read %s: %s", path, tk__file_errno_text(e));
		goto out_free;
	}
	if (len > TK__INI_FILE_MAX) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
					 "%s is larger than %zu bytes: not a configuration file",
					 path, TK__INI_FILE_MAX);
		goto out_free;
	}
	st = tk__ini_parse(text, len, path, fn, user, err);
out_free:
	free(text);
out_close:
	fclose(f);
out:
	return st;
}
