/* SPDX-License-Identifier: MIT */
/* Error records and log lines for the tunnel daemon, through the public API only. */
#include "tunnel.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

tk_status tunnel_error(tk_error *err, tk_status st, const char *op, const char *object,
		       tk_os_kind kind, int64_t code, const char *fmt, ...)
{
	if (!err)
		return st;
	memset(err, 0, sizeof(*err));
	err->status = st;
	err->os_kind = kind;
	err->os_code = code;
	snprintf(err->op, sizeof(err->op), "%s", op ? op : "");
	snprintf(err->object, sizeof(err->object), "%s", object ? object : "");
	va_list ap;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	if (kind == TK_OS_ERRNO && code)
		tunnel_errno_text((int)code, err->os_text, sizeof(err->os_text));
	snprintf(err->remedy, sizeof(err->remedy), "%s", tk_status_remedy(st));
	return st;
}

void tunnel_remedy(tk_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	(void)vsnprintf(err->remedy, sizeof(err->remedy), fmt, ap);
	va_end(ap);
}

void tunnel_log(tk_ctx *ctx, tk_log_level level, const char *sub, const char *fmt, ...)
{
	char msg[TK_ERROR_TEXT_MAX * 2];
	va_list ap;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0)
		tk_log(ctx, level, sub, NULL, 0, msg);
}

const char *tunnel_errno_text(int e, char *buf, size_t size)
{
#ifdef _WIN32
	if (strerror_s(buf, size, e) != 0)
		snprintf(buf, size, "error %d", e);
#else
	/* the GNU strerror_r returns the text, which may or may not be buf */
	const char *t = strerror_r(e, buf, size);
	if (t != buf)
		snprintf(buf, size, "%s", t);
#endif
	return buf;
}

tk_status tunnel_os_error(tk_error *err, const char *op, const char *object, int e,
			  const char *what)
{
	if (e != EMFILE && e != ENFILE && e != ENOMEM && e != ENOBUFS)
		return tunnel_error(err, TK_E_IO, op, object, TK_OS_ERRNO, e, "%s", what);
	bool fds = e == EMFILE || e == ENFILE;
	tunnel_error(err, TK_E_NO_MEMORY, op, object, TK_OS_ERRNO, e, "%s: out of %s", what,
		     fds ? "file descriptors" : "memory");
	tunnel_remedy(err, "%s",
		      e == EMFILE   ? "raise the limit (ulimit -n, LimitNOFILE=)"
		      : e == ENFILE ? "the system's file table is full (fs.file-max)"
				    : "free memory or raise the limit (ulimit -v, MemoryMax=)");
	return TK_E_NO_MEMORY;
}
