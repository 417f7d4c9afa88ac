/* SPDX-License-Identifier: MIT */
/*
 * SetupAPI: the devices behind the registry entries, and managing them as OpenVPN's tapctl does
 * (src/tapctl/tap.c): create a root-enumerated device with hardware id root\tap0901, register
 * it, install the best driver from the driver store, wait for its GUID; delete with DIF_REMOVE;
 * enable/disable with DIF_PROPERTYCHANGE; install a driver package from an INF. newdev.dll's
 * DiInstallDevice/DiInstallDriverW are looked up at run time: mingw's import library lacks the
 * first, and the executable then imports nothing beyond the always-present system DLLs.
 */
#include "win_internal.h"

#include <initguid.h>
#include <devguid.h>
#include <setupapi.h>
#include <cfgmgr32.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef BOOL(WINAPI *tk_di_install_device_fn)(HWND, HDEVINFO, PSP_DEVINFO_DATA, PSP_DRVINFO_DATA_W,
					      DWORD, PBOOL);
typedef BOOL(WINAPI *tk_di_install_driver_fn)(HWND, LPCWSTR, DWORD, PBOOL);

/* Wine 8 exports DiInstallDevice and DiInstallDriverW as stubs that raise an exception when
 * called (measured: "unimplemented function newdev.dll.DiInstallDevice"), so under Wine they
 * count as missing. Wine is recognised by ntdll's wine_get_version export. */
static bool running_on_wine(void)
{
	char version[32];
	return tk__eventlog_wine(version, sizeof(version));
}

/* A function of newdev.dll; NULL with *code set if Windows (or Wine) lacks it. */
static FARPROC newdev_proc(const char *name, DWORD *code)
{
	if (running_on_wine()) {
		*code = ERROR_PROC_NOT_FOUND;
		return NULL;
	}
	HMODULE mod = LoadLibraryExW(L"newdev.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (!mod) {
		*code = GetLastError();
		return NULL;
	}
	FARPROC p = GetProcAddress(mod, name);
	if (!p) {
		*code = GetLastError();
		FreeLibrary(mod);
		return NULL;
	}
	/*
	 * Kept loaded for the process lifetime on purpose: the caller holds only p, which must
	 * stay valid, and a repeated LoadLibrary merely bumps the reference count.
	 */
	// cppcheck-suppress resourceLeak
	return p;
}

static bool driver_guid(HDEVINFO set, SP_DEVINFO_DATA *dev, struct tk_guid *out)
{
	HKEY key = SetupDiOpenDevRegKey(set, dev, DICS_FLAG_GLOBAL, 0, DIREG_DRV, KEY_QUERY_VALUE);
	if (key == INVALID_HANDLE_VALUE)
		return false;
	char guid[64];
	tk_error e = { 0 };
	tk_status st = tk__registry_get_sz(key, L"NetCfgInstanceId", "the device's driver key", 60,
					   false, guid, sizeof(guid), &e);
	RegCloseKey(key);
	return st == TK_OK && tk__winlogic_guid_parse(guid, out);
}

void tk__setupapi_annotate(tk_ctx *ctx, struct tk_win_adapter *list, size_t count)
{
	/* No DIGCF_PRESENT: phantoms (removed adapters whose registry entries stay) are listed
	 * too, and CM_Get_DevNode_Status tells them apart. */
	HDEVINFO set = SetupDiGetClassDevsW(&GUID_DEVCLASS_NET, NULL, NULL, 0);
	if (set == INVALID_HANDLE_VALUE) {
		tk__log(ctx, TK_LOG_WARN, "windows.setupapi", NULL, 0,
			"cannot enumerate network devices (error %lu): device state unknown",
			(unsigned long)GetLastError());
		return;
	}
	for (DWORD i = 0; i < 10000; i++) {
		SP_DEVINFO_DATA dev = { .cbSize = sizeof(dev) };
		if (!SetupDiEnumDeviceInfo(set, i, &dev))
			break; /* ERROR_NO_MORE_ITEMS */
		struct tk_guid g;
		if (!driver_guid(set, &dev, &g))
			continue;
		for (size_t k = 0; k < count; k++) {
			struct tk_guid ag;
			if (!tk__winlogic_guid_parse(list[k].guid, &ag) ||
			    memcmp(&ag, &g, sizeof(g)) != 0)
				continue;
			list[k].devnode = true;
			wchar_t id[200];
			if (CM_Get_Device_IDW(dev.DevInst, id, TK_ARRAY_SIZE(id), 0) == CR_SUCCESS)
				tk__errmap_narrow(id, list[k].instance_id,
						  sizeof(list[k].instance_id));
			uint32_t cr = tk__cfgmgr_status(dev.DevInst, &list[k].dn_status,
							&list[k].problem);
			list[k].present = cr == CR_SUCCESS;
		}
	}
	SetupDiDestroyDeviceInfoList(set);
}

/* Finds the device whose driver key holds this GUID. */
static tk_status find_device(tk_ctx *ctx, const char *guid, const char *op, HDEVINFO *set_out,
			     SP_DEVINFO_DATA *dev_out, tk_error *err)
{
	struct tk_guid want;
	if (!tk__winlogic_guid_parse(guid, &want))
		return tk__error_set(ctx, err, TK_E_INVALID_GUID, op, guid, TK_OS_NONE, 0,
				     "\"%s\" is not a GUID", guid);
	HDEVINFO set = SetupDiGetClassDevsW(&GUID_DEVCLASS_NET, NULL, NULL, 0);
	if (set == INVALID_HANDLE_VALUE)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, guid, GetLastError(),
					"cannot enumerate network devices");
	for (DWORD i = 0; i < 10000; i++) {
		SP_DEVINFO_DATA dev = { .cbSize = sizeof(dev) };
		if (!SetupDiEnumDeviceInfo(set, i, &dev))
			break;
		struct tk_guid g;
		if (driver_guid(set, &dev, &g) && memcmp(&g, &want, sizeof(g)) == 0) {
			*set_out = set;
			*dev_out = dev;
			return TK_OK;
		}
	}
	SetupDiDestroyDeviceInfoList(set);
	tk__error_set(
		ctx, err, TK_E_ADAPTER_NOT_FOUND, op, guid, TK_OS_NONE, 0,
		"no device has this GUID: the registry entry is stale, or the adapter was removed");
	tk__error_remedy(
		err, "list the adapters again with `tapkit list`; a stale entry can be ignored");
	return TK_E_ADAPTER_NOT_FOUND;
}

/* TAPKIT_TEST_FORCE_REBOOT=1 (tests only) makes Windows' answer "restart needed", which Wine
 * never gives, so the path from SetupAPI to the caller can be tested. */
static bool forced_reboot(void)
{
	const char *v = getenv("TAPKIT_TEST_FORCE_REBOOT");
	return v && strcmp(v, "1") == 0;
}

static bool needs_reboot(HDEVINFO set, SP_DEVINFO_DATA *dev)
{
	if (forced_reboot())
		return true;
	SP_DEVINSTALL_PARAMS_W p = { .cbSize = sizeof(p) };
	if (!SetupDiGetDeviceInstallParamsW(set, dev, &p))
		return false;
	return (p.Flags & (DI_NEEDREBOOT | DI_NEEDRESTART)) != 0;
}

static bool remove_device(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD *code)
{
	SP_REMOVEDEVICE_PARAMS p = { 0 };
	p.ClassInstallHeader.cbSize = sizeof(p.ClassInstallHeader);
	p.ClassInstallHeader.InstallFunction = DIF_REMOVE;
	p.Scope = DI_REMOVEDEVICE_GLOBAL;
	if (SetupDiSetClassInstallParamsW(set, dev, &p.ClassInstallHeader, sizeof(p)) &&
	    SetupDiCallClassInstaller(DIF_REMOVE, set, dev))
		return true;
	*code = GetLastError();
	/* SetupDiRemoveDevice is DIF_REMOVE's default handler; Wine 8's class installer path
	 * fails (error 203) where calling it directly works. */
	if (SetupDiRemoveDevice(set, dev))
		return true;
	return false;
}

/* Polls the new device's driver key for NetCfgInstanceId: tapctl waits 30 x 1 s. */
static bool wait_guid(HDEVINFO set, SP_DEVINFO_DATA *dev, char *out, size_t size)
{
	for (int i = 0; i < 30; i++) {
		struct tk_guid g;
		if (driver_guid(set, dev, &g)) {
			tk__winlogic_guid_format(&g, out, size);
			return true;
		}
		Sleep(1000);
	}
	return false;
}

tk_status tk__setupapi_create(tk_ctx *ctx, const char *hwid, char *guid_out, size_t size,
			      tk_error *err)
{
	const char *op = "create adapter";
	wchar_t cls[MAX_CLASS_NAME_LEN];
	tk_status st = TK_OK;
	DWORD code = 0;
	bool registered = false;

	HDEVINFO set = SetupDiCreateDeviceInfoList(&GUID_DEVCLASS_NET, NULL);
	if (set == INVALID_HANDLE_VALUE)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, hwid, GetLastError(),
					"cannot create a device information set");
	SP_DEVINFO_DATA dev = { .cbSize = sizeof(dev) };
	/* The class name comes from the class key's Class value; a damaged key (or a Wine prefix
	 * whose class key was made by hand) lacks it, and "Net" is what it always holds. */
	if (!SetupDiClassNameFromGuidW(&GUID_DEVCLASS_NET, cls, TK_ARRAY_SIZE(cls), NULL))
		wcscpy(cls, L"Net");
	if (!SetupDiCreateDeviceInfoW(set, cls, &GUID_DEVCLASS_NET, L"TAP-Windows Adapter V9", NULL,
				      DICD_GENERATE_ID, &dev)) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, hwid, GetLastError(),
				      "cannot create the device information element");
		goto out_destroy;
	}
	if (!SetupDiSetSelectedDevice(set, &dev)) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, hwid, GetLastError(),
				      "cannot select the new device");
		goto out_destroy;
	}
	/* A proper double-NUL multi-string, as wintun passes (tapctl passes one NUL). */
	wchar_t ids[80] = { 0 };
	size_t n = tk__winlogic_utf8_to_utf16(hwid, (uint16_t *)ids, TK_ARRAY_SIZE(ids) - 1);
	if (n == SIZE_MAX || n + 2 > TK_ARRAY_SIZE(ids)) {
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, op, hwid, TK_OS_NONE, 0,
				   "hardware id too long");
		goto out_destroy;
	}
	if (!SetupDiSetDeviceRegistryPropertyW(set, &dev, SPDRP_HARDWAREID, (const BYTE *)ids,
					       (DWORD)((n + 2) * sizeof(wchar_t)))) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, hwid, GetLastError(),
				      "cannot set the hardware id");
		goto out_destroy;
	}
	if (!SetupDiCallClassInstaller(DIF_REGISTERDEVICE, set, &dev)) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, hwid, GetLastError(),
				      "cannot register the device");
		goto out_destroy;
	}
	registered = true;
	/* FARPROC to the real type by memcpy: a cast trips -Wcast-function-type. */
	tk_di_install_device_fn install = NULL;
	FARPROC proc = newdev_proc("DiInstallDevice", &code);
	if (proc)
		memcpy(&install, &proc, sizeof(install));
	if (!install) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_LOAD, op, "newdev.dll DiInstallDevice",
				      code,
				      running_on_wine() ? "DiInstallDevice is a stub under Wine"
							: "cannot find DiInstallDevice");
		goto out_remove;
	}
	BOOL reboot = FALSE;
	/* No driver given: the best match already in the driver store. Without one this fails
	 * with ERROR_NO_DRIVER_SELECTED (0xE0000203; OpenVPN/openvpn#676). */
	if (!install(NULL, set, &dev, NULL, 0, &reboot)) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, hwid, GetLastError(),
				      "cannot install the driver on the new device");
		goto out_remove;
	}
	if (reboot || needs_reboot(set, &dev))
		tk__ctx_note_reboot(ctx);
	if (!wait_guid(set, &dev, guid_out, size)) {
		st = tk__error_set(ctx, err, TK_E_TIMEOUT, op, hwid, TK_OS_NONE, 0,
				   "the new adapter got no GUID (NetCfgInstanceId) within 30 s");
		tk__error_remedy(err, "run `tapkit doctor`; the driver may have failed to start");
		goto out_remove;
	}
	registered = false; /* keep it */
out_remove:
	if (registered && !remove_device(set, &dev, &code))
		tk__log(ctx, TK_LOG_WARN, "windows.setupapi", NULL, 0,
			"could not remove the half-made device (error %lu): remove it in Device Manager",
			(unsigned long)code);
out_destroy:
	SetupDiDestroyDeviceInfoList(set);
	return st;
}

tk_status tk__setupapi_delete(tk_ctx *ctx, const char *guid, tk_error *err)
{
	HDEVINFO set;
	SP_DEVINFO_DATA dev;
	DWORD code = 0;
	tk_status st = find_device(ctx, guid, "delete adapter", &set, &dev, err);
	if (st != TK_OK)
		return st;
	if (!remove_device(set, &dev, &code))
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, "delete adapter", guid, code,
				      "cannot remove the device");
	else if (needs_reboot(set, &dev))
		tk__ctx_note_reboot(ctx);
	SetupDiDestroyDeviceInfoList(set);
	return st;
}

/* Enables or disables through CfgMgr directly and checks the device's state afterwards:
 * a CONFIGRET, or a state that did not change, is reported with its real code. */
static tk_status set_enabled_cfgmgr(tk_ctx *ctx, DWORD devinst, bool enable, const char *op,
				    const char *guid, tk_error *err)
{
	if (running_on_wine()) {
		/* Wine's CM_Enable/Disable_DevNode are stubs that abort the process. */
		tk__error_set(
			ctx, err, TK_E_UNSUPPORTED, op, guid, TK_OS_NONE, 0,
			"cannot %s the device: SetupAPI's DIF_PROPERTYCHANGE failed without an error code, and Wine does not implement CM_%s_DevNode",
			enable ? "enable" : "disable", enable ? "Enable" : "Disable");
		tk__error_remedy(
			err,
			"under Wine, delete and re-create the adapter instead; on Windows this works elevated");
		return TK_E_UNSUPPORTED;
	}
	uint32_t cr = tk__cfgmgr_set_enabled(devinst, enable);
	if (cr != TK_CR_SUCCESS) {
		struct tk_win_cause why;
		tk__winlogic_map_configret(cr, &why);
		tk__error_set(ctx, err, why.status, op, guid, TK_OS_CONFIGRET, cr,
			      "cannot %s the device: CfgMgr answered %s (0x%02lx): %s",
			      enable ? "enable" : "disable", tk__winlogic_configret_name(cr),
			      (unsigned long)cr, why.why);
		tk__error_remedy(err, "%s", why.remedy);
		return why.status;
	}
	uint32_t status = 0, problem = 0;
	uint32_t qcr = tk__cfgmgr_status(devinst, &status, &problem);
	bool disabled = problem == TK_CM_PROB_DISABLED;
	if (qcr == TK_CR_SUCCESS && disabled != enable)
		return TK_OK;
	if (qcr != TK_CR_SUCCESS)
		return tk__error_set(
			ctx, err, TK_E_ADAPTER_PROBLEM, op, guid, TK_OS_CONFIGRET, qcr,
			"the device's state cannot be read after the change: CfgMgr answered %s (0x%02lx)",
			tk__winlogic_configret_name(qcr), (unsigned long)qcr);
	tk__error_set(
		ctx, err, TK_E_ADAPTER_PROBLEM, op, guid, TK_OS_CM_PROBLEM, problem,
		"Windows reported the change done, but the device is still %s (status 0x%lx, problem %lu)",
		enable ? "disabled" : "enabled", (unsigned long)status, (unsigned long)problem);
	tk__error_remedy(err, "change it in Device Manager, or delete and re-create the adapter");
	return TK_E_ADAPTER_PROBLEM;
}

tk_status tk__setupapi_enable(tk_ctx *ctx, const char *guid, bool enable, tk_error *err)
{
	const char *op = enable ? "enable adapter" : "disable adapter";
	HDEVINFO set;
	SP_DEVINFO_DATA dev;
	tk_status st = find_device(ctx, guid, op, &set, &dev, err);
	if (st != TK_OK)
		return st;
	SP_PROPCHANGE_PARAMS p = { 0 };
	p.ClassInstallHeader.cbSize = sizeof(p.ClassInstallHeader);
	p.ClassInstallHeader.InstallFunction = DIF_PROPERTYCHANGE;
	p.StateChange = enable ? DICS_ENABLE : DICS_DISABLE;
	p.Scope = DICS_FLAG_GLOBAL;
	p.HwProfile = 0;
	const char *what = enable ? "cannot enable the device" : "cannot disable the device";
	if (!SetupDiSetClassInstallParamsW(set, &dev, &p.ClassInstallHeader, sizeof(p)) ||
	    !SetupDiCallClassInstaller(DIF_PROPERTYCHANGE, set, &dev)) {
		DWORD code = GetLastError();
		/* SetupAPI failed without a code (Wine's does): CfgMgr's answer is the real one. */
		st = code ? tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, guid, code, what)
			  : set_enabled_cfgmgr(ctx, dev.DevInst, enable, op, guid, err);
	} else if (needs_reboot(set, &dev)) {
		tk__ctx_note_reboot(ctx);
	}
	SetupDiDestroyDeviceInfoList(set);
	return st;
}

tk_status tk__setupapi_install_inf(tk_ctx *ctx, const char *inf, bool *reboot, tk_error *err)
{
	const char *op = "install driver";
	wchar_t full[MAX_PATH];
	DWORD code = 0;
	tk_status st = TK_OK;

	*reboot = false;
	wchar_t *w = tk__errmap_wide(inf);
	if (!w)
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, op, inf, TK_OS_NONE, 0,
				     "the path is not valid UTF-8");
	/* DiInstallDriverW wants a full path. */
	DWORD n = GetFullPathNameW(w, TK_ARRAY_SIZE(full), full, NULL);
	free(w);
	if (n == 0 || n >= TK_ARRAY_SIZE(full))
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, op, inf, TK_OS_NONE, 0,
				     "the path is too long");
	if (GetFileAttributesW(full) == INVALID_FILE_ATTRIBUTES)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, inf, GetLastError(),
					"cannot find the INF file");
	tk_di_install_driver_fn install = NULL;
	FARPROC proc = newdev_proc("DiInstallDriverW", &code);
	if (proc)
		memcpy(&install, &proc, sizeof(install));
	if (!install)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_LOAD, op, "newdev.dll DiInstallDriverW",
					code,
					running_on_wine() ? "DiInstallDriverW is a stub under Wine"
							  : "cannot find DiInstallDriverW");
	BOOL rb = FALSE;
	if (!install(NULL, full, 0, &rb))
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, op, inf, GetLastError(),
				      "cannot install the driver package");
	*reboot = st == TK_OK && (rb != FALSE || forced_reboot());
	if (*reboot)
		tk__ctx_note_reboot(ctx);
	return st;
}
