/* SPDX-License-Identifier: MIT */
/*
 * Elevation: whether this process's token is elevated (TokenElevation), and the elevation type
 * that tells "an administrator who did not elevate" (limited) apart from a standard user. This
 * is the check the reference asks for, not a trick such as opening a disk device.
 *
 * Test seam: Wine runs every process elevated, so the non-elevated path cannot be produced under
 * it. TAPKIT_TEST_FORCE_NOT_ELEVATED=1 makes this file answer "not elevated, limited token".
 * It is for tests only: it can only take rights away, never grant them.
 */
#include "win_internal.h"

#include <wchar.h>

static bool forced_not_elevated(void)
{
	wchar_t v[8];
	DWORD n = GetEnvironmentVariableW(L"TAPKIT_TEST_FORCE_NOT_ELEVATED", v, 8);
	return n == 1 && v[0] == L'1';
}

bool tk__elevation_is_elevated(int *elevation_type)
{
	HANDLE tok = NULL;
	TOKEN_ELEVATION el = { 0 };
	TOKEN_ELEVATION_TYPE type = TokenElevationTypeDefault;
	DWORD got = 0;

	if (forced_not_elevated()) {
		if (elevation_type)
			*elevation_type = (int)TokenElevationTypeLimited;
		return false;
	}
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	bool ok = GetTokenInformation(tok, TokenElevation, &el, sizeof(el), &got) != FALSE;
	if (!GetTokenInformation(tok, TokenElevationType, &type, sizeof(type), &got))
		type = TokenElevationTypeDefault;
	CloseHandle(tok);
	if (elevation_type)
		*elevation_type = (int)type;
	return ok && el.TokenIsElevated;
}

tk_status tk__elevation_require(tk_ctx *ctx, const char *op, const char *object, tk_error *err)
{
	int type = 0;
	if (tk__elevation_is_elevated(&type))
		return TK_OK;
	tk__error_set(ctx, err, TK_E_NO_PRIVILEGE, op, object, TK_OS_WIN32,
		      TK_WIN_ERROR_ELEVATION_REQUIRED,
		      "%s needs an elevated administrator; this process is %s", op,
		      type == (int)TokenElevationTypeLimited
			      ? "an administrator's non-elevated (limited) token"
			      : "not elevated");
	tk__error_remedy(
		err,
		"run it from an elevated prompt (right-click the terminal, Run as administrator)");
	return TK_E_NO_PRIVILEGE;
}
