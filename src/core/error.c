/* SPDX-License-Identifier: MIT */
/*
 * Filling tk_error records. The first place that sees a failure fills the record; outer layers
 * find it already set and leave it alone (wintun's "stop double error status reporting"), so
 * the cause and the raw OS code a user sees are those of the system call that failed, not of
 * the wrapper that noticed.
 */
#include "core_internal.h"

#include <stdio.h>
#include <string.h>

tk_status tk__error_vset(tk_error *err, tk_status st, const char *op, const char *object,
			 tk_os_kind kind, int64_t code, const char *fmt, va_list ap)
{
	if (!err)
		return st;
	if (err->status != TK_OK)
		return err->status; /* set once: keep the first cause */
	err->status = st;
	err->os_kind = kind;
	err->os_code = code;
	err->transient = tk_status_transient(st);
	tk__strlcpy(err->op, op, sizeof(err->op));
	tk__strlcpy(err->object, object, sizeof(err->object));
	err->message[0] = '\0';
	if (fmt && *fmt) {
		/* Through a larger buffer so that a cut lands on a character boundary, marked. */
		char tmp[2 * TK_ERROR_TEXT_MAX];
		if (vsnprintf(tmp, sizeof(tmp), fmt, ap) >= 0)
			tk__strlcpy(err->message, tmp, sizeof(err->message));
	}
	if (!err->message[0])
		tk__strlcpy(err->message, tk_status_message(st), sizeof(err->message));
	tk__strlcpy(err->remedy, tk_status_remedy(st), sizeof(err->remedy));
	err->os_text[0] = '\0';
	tk__strlcpy(err->trace_id, tk__trace_current(), sizeof(err->trace_id));
	err->holder_pid = 0;
	err->holder_name[0] = '\0';
	return st;
}

void tk__error_clear(tk_error *err)
{
	/*
	 * Field by field instead of memset: this runs on every call and the record is ~1.3 KB;
	 * readers look at status first and at strings only on failure.
	 */
	err->status = TK_OK;
	err->os_kind = TK_OS_NONE;
	err->os_code = 0;
	err->transient = false;
	err->op[0] = '\0';
	err->object[0] = '\0';
	err->message[0] = '\0';
	err->remedy[0] = '\0';
	err->os_text[0] = '\0';
	err->trace_id[0] = '\0';
	err->holder_pid = 0;
	err->holder_name[0] = '\0';
}

tk_status tk__error_bad_handle(tk_error *err, const char *op, const char *what)
{
	memset(err, 0, sizeof(*err));
	return tk__error_set_quiet(err, TK_E_INVALID_HANDLE, op, "", TK_OS_NONE, 0,
				   "API misuse: the %s", what);
}

tk_status tk__error_set_quiet(tk_error *err, tk_status st, const char *op, const char *object,
			      tk_os_kind kind, int64_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tk_status ret = tk__error_vset(err, st, op, object, kind, code, fmt, ap);
	va_end(ap);
	return ret;
}

tk_status tk__error_set(tk_ctx *ctx, tk_error *err, tk_status st, const char *op,
			const char *object, tk_os_kind kind, int64_t code, const char *fmt, ...)
{
	/* A caller without a record still gets its failure logged. */
	tk_error local;
	if (!err) {
		local.status = TK_OK;
		err = &local;
	}
	if (err->status != TK_OK)
		return err->status; /* already reported where it was first seen */
	va_list ap;
	va_start(ap, fmt);
	tk_status ret = tk__error_vset(err, st, op, object, kind, code, fmt, ap);
	va_end(ap);
	tk__error_log(ctx, err);
	return ret;
}

void tk__error_remedy(tk_error *err, const char *fmt, ...)
{
	if (!err || err->status == TK_OK)
		return;
	char tmp[2 * TK_ERROR_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		tk__strlcpy(err->remedy, tmp, sizeof(err->remedy));
}

void tk__error_os_text(tk_error *err, const char *text)
{
	if (!err)
		return;
	tk__strlcpy(err->os_text, text, sizeof(err->os_text));
}

/* HRESULT and NTSTATUS values are read in hex in every Microsoft document. */
static bool os_code_hex(tk_os_kind kind)
{
	return kind == TK_OS_HRESULT || kind == TK_OS_NTSTATUS;
}

static void os_code_text(const tk_error *err, char *buf, size_t size)
{
	if (os_code_hex(err->os_kind))
		tk__snprintf(buf, size, "0x%08llx", (unsigned long long)(uint32_t)err->os_code);
	else
		tk__snprintf(buf, size, "%lld", (long long)err->os_code);
}

char *tk_error_format(const tk_error *err, char *buf, size_t size)
{
	if (!buf || size == 0)
		return buf;
	if (!err) {
		buf[0] = '\0';
		return buf;
	}
	const char *message = err->message[0] ? err->message : tk_status_message(err->status);
	char head[TK_ERROR_OP_MAX + TK_ERROR_OBJECT_MAX + 8] = "";
	if (err->op[0] && err->object[0])
		tk__snprintf(head, sizeof(head), "%s \"%s\": ", err->op, err->object);
	else if (err->op[0] || err->object[0])
		tk__snprintf(head, sizeof(head), "%s: ", err->op[0] ? err->op : err->object);

	char os[TK_ERROR_OS_TEXT_MAX + 64] = "";
	if (err->os_kind != TK_OS_NONE) {
		char code[32];
		os_code_text(err, code, sizeof(code));
		if (err->os_text[0])
			tk__snprintf(os, sizeof(os), " (%s %s: %s)", tk_os_kind_name(err->os_kind),
				     code, err->os_text);
		else
			tk__snprintf(os, sizeof(os), " (%s %s)", tk_os_kind_name(err->os_kind),
				     code);
	}
	tk__snprintf(buf, size, "%s%s%s", head, message, os);
	return buf;
}
