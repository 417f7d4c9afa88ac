/* SPDX-License-Identifier: MIT */
/*
 * Win32 codes to tapkit causes: the decision is winlogic.c's (pure, unit-tested); this file adds
 * the OS's own text from FormatMessageW and fills the tk_error once, where the failure is seen.
 * Also the UTF-8 <-> UTF-16 conversions every Windows call needs.
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(wchar_t) == sizeof(uint16_t), "Windows wchar_t is UTF-16");

void tk__errmap_os_text(DWORD code, char *buf, size_t size)
{
	wchar_t wbuf[TK_ERROR_OS_TEXT_MAX];
	/* SetupAPI's 0xE000xxxx codes have text only in their HRESULT form (wintun logger.c). */
	DWORD lookup = (code & 0x20000000u) ? tk__winlogic_hresult_from_setupapi(code) : code;
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS |
					 FORMAT_MESSAGE_MAX_WIDTH_MASK,
				 NULL, lookup, 0, wbuf, (DWORD)TK_ARRAY_SIZE(wbuf), NULL);
	if (n == 0) {
		tk__snprintf(buf, size, "error %lu (0x%08lX)", (unsigned long)code,
			     (unsigned long)code);
		return;
	}
	/* Trim the trailing spaces and period FormatMessage adds: our messages end bare. */
	while (n > 0 && (wbuf[n - 1] == L' ' || wbuf[n - 1] == L'\r' || wbuf[n - 1] == L'\n' ||
			 wbuf[n - 1] == L'.'))
		wbuf[--n] = L'\0';
	tk__errmap_narrow(wbuf, buf, size);
}

static tk_status fill(tk_ctx *ctx, tk_error *err, enum tk_win_op op, const char *opname,
		      const char *object, DWORD code, const char *what)
{
	if (err->status != TK_OK)
		return err->status; /* the first failure stays */
	struct tk_win_cause c;
	tk__winlogic_map_win32(op, (uint32_t)code, &c);
	tk_os_kind kind = (code & 0x20000000u) ? TK_OS_HRESULT : TK_OS_WIN32;
	int64_t raw = kind == TK_OS_HRESULT ? (int64_t)tk__winlogic_hresult_from_setupapi(code)
					    : (int64_t)code;
	tk__error_set_quiet(err, c.status, opname, object ? object : "", kind, raw, "%s: %s", what,
			    c.why);
	err->transient = c.transient;
	tk__error_remedy(err, "%s", c.remedy);
	char text[TK_ERROR_OS_TEXT_MAX];
	tk__errmap_os_text(code, text, sizeof(text));
	tk__error_os_text(err, text);
	if (ctx)
		tk__error_log(ctx, err);
	return c.status;
}

tk_status tk__errmap_win32(tk_ctx *ctx, tk_error *err, enum tk_win_op op, const char *opname,
			   const char *object, DWORD code, const char *what)
{
	return fill(ctx, err, op, opname, object, code, what);
}

tk_status tk__errmap_win32_quiet(tk_error *err, enum tk_win_op op, const char *opname,
				 const char *object, DWORD code, const char *what)
{
	return fill(NULL, err, op, opname, object, code, what);
}

wchar_t *tk__errmap_wide(const char *s)
{
	/* winlogic's converter rather than MultiByteToWideChar: one behaviour on every Windows
	 * (and Wine), tested on Linux, and invalid UTF-8 is refused instead of replaced. */
	size_t n = tk__winlogic_utf8_to_utf16(s, NULL, 0);
	if (n == SIZE_MAX)
		return NULL;
	wchar_t *w = calloc(n + 1, sizeof(*w));
	if (!w)
		return NULL;
	tk__winlogic_utf8_to_utf16(s, (uint16_t *)w, n + 1);
	return w;
}

bool tk__errmap_narrow(const wchar_t *w, char *buf, size_t size)
{
	size_t need = tk__winlogic_utf16_to_utf8((const uint16_t *)w, wcslen(w), buf, size);
	return need < size;
}
