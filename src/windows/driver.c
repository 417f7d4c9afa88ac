/* SPDX-License-Identifier: MIT */
/*
 * The backend's driver calls on Windows: the state of the tap0901 driver (service, .sys file,
 * the package staged in the driver store and its version), installing a package from an INF,
 * and enabling/disabling an adapter's device. The facts are read here; what they mean is
 * drvlogic.c's, shared in wording with the doctor's driver checks.
 */
#include "win_internal.h"
#include "drvlogic.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Installers keep a copy of the INF here; it is what `tapkit driver install` needs. */
void tk__driver_installer_copy(char *out, size_t size)
{
	static const wchar_t *const folders[] = { L"ProgramFiles", L"ProgramW6432" };
	static const wchar_t *const subs[] = { L"TAP-Windows\\driver\\OemVista.inf",
					       L"OpenVPN\\driver\\OemVista.inf" };
	wchar_t pf[MAX_PATH], path[MAX_PATH + 64];

	out[0] = '\0';
	for (size_t i = 0; i < TK_ARRAY_SIZE(folders); i++) {
		DWORD k = GetEnvironmentVariableW(folders[i], pf, MAX_PATH);
		if (k == 0 || k >= MAX_PATH)
			continue;
		for (size_t j = 0; j < TK_ARRAY_SIZE(subs); j++) {
			swprintf(path, TK_ARRAY_SIZE(path), L"%ls\\%ls", pf, subs[j]);
			if (GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES) {
				tk__errmap_narrow(path, out, size);
				return;
			}
		}
	}
}

/* The version in an INF's [Version] DriverVer; "" if unreadable. */
static void inf_version(const wchar_t *inf, char *out, size_t size)
{
	wchar_t w[128];
	char value[128];

	out[0] = '\0';
	if (GetPrivateProfileStringW(L"Version", L"DriverVer", L"", w, TK_ARRAY_SIZE(w), inf) == 0)
		return;
	if (tk__errmap_narrow(w, value, sizeof(value)))
		tk__drvlogic_driverver(value, out, size);
}

/*
 * A TAP package staged in the driver store (FileRepository\oemvista.inf_* or tap0901.inf_*):
 * its folder name into package and its DriverVer into version.
 */
void tk__driver_staged_package(char *package, size_t psize, char *version, size_t vsize)
{
	static const wchar_t *const infs[] = { L"oemvista.inf", L"tap0901.inf" };
	wchar_t win[MAX_PATH], path[MAX_PATH * 2];
	UINT n = GetSystemWindowsDirectoryW(win, MAX_PATH);

	package[0] = version[0] = '\0';
	if (n == 0 || n >= MAX_PATH)
		wcscpy(win, L"C:\\Windows");
	for (size_t i = 0; i < TK_ARRAY_SIZE(infs); i++) {
		WIN32_FIND_DATAW fd;
		swprintf(path, TK_ARRAY_SIZE(path),
			 L"%ls\\System32\\DriverStore\\FileRepository\\%ls_*", win, infs[i]);
		HANDLE h = FindFirstFileW(path, &fd);
		if (h == INVALID_HANDLE_VALUE)
			continue;
		FindClose(h);
		tk__errmap_narrow(fd.cFileName, package, psize);
		swprintf(path, TK_ARRAY_SIZE(path),
			 L"%ls\\System32\\DriverStore\\FileRepository\\%ls\\%ls", win, fd.cFileName,
			 infs[i]);
		inf_version(path, version, vsize);
		return;
	}
}

tk_status tk__backend_driver_status(tk_ctx *ctx, tk_driver_info *out, tk_error *err)
{
	struct tk_win_service svc;
	char package[TK_DRIVER_PATH_MAX], version[32], copy[TK_DRIVER_PATH_MAX];

	tk_status st = tk__service_query(ctx, &svc, err);
	if (st != TK_OK)
		return st;
	tk__driver_staged_package(package, sizeof(package), version, sizeof(version));
	tk__driver_installer_copy(copy, sizeof(copy));
	if (!version[0] && copy[0]) {
		wchar_t *w = tk__errmap_wide(copy);
		if (w) {
			inf_version(w, version, sizeof(version));
			free(w);
		}
	}
	struct tk_win_driver_facts f = {
		.service_exists = svc.exists,
		.state = svc.state,
		.start = svc.start,
		.image = svc.image,
		.file = svc.file,
		.file_exists = svc.file_exists,
		.package = package,
		.installer_copy = copy,
		.version = version,
	};
	tk__drvlogic_verdict(&f, out);
	tk__log(ctx, TK_LOG_DEBUG, "windows.driver", NULL, 0, "%s", out->message);
	return TK_OK;
}

tk_status tk__backend_driver_install(tk_ctx *ctx, const char *inf, bool *reboot, tk_error *err)
{
	tk_status st = tk__elevation_require(ctx, "install driver", inf, err);
	if (st != TK_OK)
		return st;
	st = tk__setupapi_install_inf(ctx, inf, reboot, err);
	if (st == TK_OK)
		tk__log(ctx, TK_LOG_INFO, "windows.setupapi", NULL, 0,
			"installed driver package %s%s", inf,
			*reboot ? " (a restart completes it)" : "");
	return st;
}

/* The same as "up"/"down" on Windows, where those enable and disable the device. */
tk_status tk__backend_adapter_set_enabled(tk_ctx *ctx, const char *name, bool on, tk_error *err)
{
	return tk__backend_adapter_set_up(ctx, name, on, err);
}
