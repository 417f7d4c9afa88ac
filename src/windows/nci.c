/* SPDX-License-Identifier: MIT */
/*
 * nci.dll: renaming a network connection without netsh. NciSetConnectionName is undocumented
 * but stable since Windows 7; wintun (api/nci.c) uses it the same way, looked up at run time so
 * its absence (Wine, stripped-down Windows) is an error we report, not a load failure.
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>

typedef DWORD(WINAPI *tk_nci_set_name_fn)(const GUID *, const wchar_t *);

tk_status tk__nci_set_name(tk_ctx *ctx, const char *guid, const char *name, tk_error *err)
{
	struct tk_guid g;
	if (!tk__winlogic_guid_parse(guid, &g))
		return tk__error_set(ctx, err, TK_E_INVALID_GUID, "rename adapter", guid,
				     TK_OS_NONE, 0, "\"%s\" is not a GUID", guid);
	tk_status st = TK_OK;
	HMODULE mod = LoadLibraryExW(L"nci.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	FARPROC p = mod ? GetProcAddress(mod, "NciSetConnectionName") : NULL;
	if (!p) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_LOAD, "rename adapter", guid,
				      GetLastError(),
				      "nci.dll NciSetConnectionName is not available");
		tk__error_remedy(
			err,
			"rename it with: netsh interface set interface name=\"<current name>\" newname=\"%s\"",
			name);
		goto out;
	}
	tk_nci_set_name_fn fn;
	memcpy(&fn, &p, sizeof(fn));
	wchar_t *w = tk__errmap_wide(name);
	if (!w) {
		st = tk__error_set(ctx, err, TK_E_NAME_INVALID, "rename adapter", name, TK_OS_NONE,
				   0, "the name is not valid UTF-8");
		goto out;
	}
	GUID wg;
	wg.Data1 = g.data1;
	wg.Data2 = g.data2;
	wg.Data3 = g.data3;
	memcpy(wg.Data4, g.data4, sizeof(wg.Data4));
	DWORD rc = fn(&wg, w);
	free(w);
	if (rc != ERROR_SUCCESS) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, "rename adapter", name, rc,
				      "cannot rename the connection");
		if (rc == ERROR_DUP_NAME)
			tk__error_remedy(
				err,
				"another connection (maybe a removed adapter's leftover) has this name: pick another name");
	}
out:
	/* one LoadLibrary per rename, so one FreeLibrary: the reference is not kept */
	if (mod)
		FreeLibrary(mod);
	return st;
}
