/* SPDX-License-Identifier: MIT */
/*
 * The tap0901 driver service: whether the SCM knows it, its state and last exit code, its Start
 * value and ImagePath, and whether the .sys file that ImagePath names exists. A service key that
 * outlived its driver file is a classic broken uninstall (reference: "service registered but
 * driver file missing").
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define SERVICE_KEY_W L"SYSTEM\\CurrentControlSet\\Services\\tap0901"

/* ImagePath forms seen: \SystemRoot\..., System32\... (relative to the Windows folder),
 * \??\C:\..., C:\..., %SystemRoot%\... */
static void resolve_image(const wchar_t *image, wchar_t *out, size_t units)
{
	wchar_t win[MAX_PATH];
	UINT n = GetSystemWindowsDirectoryW(win, MAX_PATH);
	if (n == 0 || n >= MAX_PATH)
		wcscpy(win, L"C:\\Windows");
	if (_wcsnicmp(image, L"\\SystemRoot\\", 12) == 0)
		swprintf(out, units, L"%ls\\%ls", win, image + 12);
	else if (_wcsnicmp(image, L"\\??\\", 4) == 0)
		swprintf(out, units, L"%ls", image + 4);
	else if (image[0] == L'%')
		ExpandEnvironmentStringsW(image, out, (DWORD)units);
	else if (image[0] && image[1] == L':')
		swprintf(out, units, L"%ls", image);
	else
		swprintf(out, units, L"%ls\\%ls", win, image);
}

tk_status tk__service_query(tk_ctx *ctx, struct tk_win_service *out, tk_error *err)
{
	memset(out, 0, sizeof(*out));
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
	if (!scm)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_SERVICE, "query driver service",
					"tap0901", GetLastError(),
					"cannot connect to the service manager");
	SC_HANDLE svc = OpenServiceW(scm, TK_WIN_SERVICE_NAME_W, SERVICE_QUERY_STATUS);
	if (!svc) {
		DWORD code = GetLastError();
		CloseServiceHandle(scm);
		if (code == ERROR_SERVICE_DOES_NOT_EXIST)
			return TK_OK; /* exists = false: the caller decides what that means */
		return tk__errmap_win32(ctx, err, TK_WIN_OP_SERVICE, "query driver service",
					"tap0901", code, "cannot open the tap0901 service");
	}
	out->exists = true;
	SERVICE_STATUS_PROCESS ss = { 0 };
	DWORD got = 0;
	if (QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)&ss, sizeof(ss), &got)) {
		out->state = ss.dwCurrentState;
		out->exit_code = ss.dwWin32ExitCode;
	}
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);

	HKEY key;
	out->start = 3;
	wchar_t image[300] = L"System32\\drivers\\tap0901.sys"; /* the SCM's default for drivers */
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, SERVICE_KEY_W, 0, KEY_READ, &key) == ERROR_SUCCESS) {
		tk_error e = { 0 };
		DWORD start;
		if (tk__registry_get_dword(key, L"Start",
					   "HKLM\\"
					   "SYSTEM\\CurrentControlSet\\Services\\tap0901",
					   &start, &e) == TK_OK)
			out->start = start;
		memset(&e, 0, sizeof(e));
		if (tk__registry_get_sz(key, L"ImagePath",
					"SYSTEM\\CurrentControlSet\\Services\\tap0901", 260, true,
					out->image, sizeof(out->image), &e) == TK_OK) {
			wchar_t *w = tk__errmap_wide(out->image);
			if (w) {
				swprintf(image, TK_ARRAY_SIZE(image), L"%ls", w);
				free(w);
			}
		}
		RegCloseKey(key);
	}
	wchar_t file[MAX_PATH + 40];
	resolve_image(image, file, TK_ARRAY_SIZE(file));
	tk__errmap_narrow(file, out->file, sizeof(out->file));
	DWORD attr = GetFileAttributesW(file);
	out->file_exists = attr != INVALID_FILE_ATTRIBUTES && !(attr & FILE_ATTRIBUTE_DIRECTORY);
	return TK_OK;
}

tk_status tk__service_start(tk_ctx *ctx, tk_error *err)
{
	tk_status st = TK_OK;
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
	if (!scm)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_SERVICE, "start driver service",
					"tap0901", GetLastError(),
					"cannot connect to the service manager");
	SC_HANDLE svc = OpenServiceW(scm, TK_WIN_SERVICE_NAME_W, SERVICE_START);
	if (!svc) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_SERVICE, "start driver service",
				      "tap0901", GetLastError(), "cannot open the tap0901 service");
		goto out;
	}
	if (!StartServiceW(svc, 0, NULL)) {
		DWORD code = GetLastError();
		if (code != ERROR_SERVICE_ALREADY_RUNNING)
			st = tk__errmap_win32(ctx, err, TK_WIN_OP_SERVICE, "start driver service",
					      "tap0901", code, "the tap0901 driver did not start");
	}
	CloseServiceHandle(svc);
out:
	CloseServiceHandle(scm);
	return st;
}
