/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend's decisions, kept free of Windows headers: what a Win32 code means for the
 * operation that returned it, what a device problem code means for a TAP adapter, what the code
 * integrity options allow, how GUIDs, names, registry values and UTF-16 text are checked. The
 * facts come from shared/reference/tap-windows6*.md (tap-windows6 9.27.0 source, OpenVPN's
 * tapctl, Microsoft's headers); the unit tests in tests/unit/test_win_*.c pin them down.
 */
#include "winlogic.h"

#include "core/core_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* Win32 codes                                                                              */
/* ---------------------------------------------------------------------------------------- */

static void cause(struct tk_win_cause *out, tk_status st, bool transient, const char *why,
		  const char *remedy)
{
	out->status = st;
	out->transient = transient;
	out->why = why;
	out->remedy = remedy;
}

/* CreateFile on \\.\Global\{GUID}.tap: the table of tap-windows6-detail.md section 2.2. */
static bool map_open(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_FILE_NOT_FOUND:
		cause(out, TK_E_ADAPTER_NOT_FOUND, false,
		      "no device object for this GUID: the adapter is disabled, its driver is not started, it was removed, or the GUID is not a TAP-Windows adapter's",
		      "run `tapkit doctor` to see which; enable a disabled adapter with `tapkit enable NAME`, or create one with `tapkit create`");
		return true;
	case TK_WIN_ERROR_PATH_NOT_FOUND:
		cause(out, TK_E_INVALID_GUID, false, "the device path is malformed",
		      "pass the adapter's GUID with braces, as `tapkit list` shows it");
		return true;
	case TK_WIN_ERROR_ACCESS_DENIED:
		cause(out, TK_E_NO_PRIVILEGE, false,
		      "the device refuses this user: the adapter's AllowNonAdmin value is missing, or a security product blocks it",
		      "run elevated (Run as administrator), or reinstall the TAP driver so that AllowNonAdmin is set again");
		return true;
	case TK_WIN_ERROR_INVALID_HANDLE:
		cause(out, TK_E_INVALID_HANDLE, false, "a handle was used after it was closed",
		      "this is a bug in the calling program: report it with the trace id");
		return true;
	case TK_WIN_ERROR_GEN_FAILURE:
		/* tap-windows6 device.c: the owner slot is taken (by any handle, any process) and is
		 * freed only when the previous handle is fully closed: briefly transient. */
		cause(out, TK_E_ADAPTER_BUSY, true,
		      "the adapter is open in another process (tap-windows6 allows one handle at a time)",
		      "close the other VPN or tool using this adapter (OpenVPN, a second tapkit), use another adapter, or create one with `tapkit create`");
		return true;
	case TK_WIN_ERROR_SHARING_VIOLATION:
		cause(out, TK_E_ADAPTER_BUSY, true, "the device is open elsewhere",
		      "close the other program using this adapter, or use another adapter");
		return true;
	case TK_WIN_ERROR_DEV_NOT_EXIST:
		cause(out, TK_E_DEVICE_VANISHED, true, "the adapter went away during the open",
		      "retry; if it keeps happening, check that nothing deletes or disables the adapter");
		return true;
	case TK_WIN_ERROR_DEVICE_NOT_CONNECTED:
		cause(out, TK_E_DEVICE_VANISHED, true,
		      "the adapter is being removed or reinstalled",
		      "wait for the driver installation to finish, then retry (`tapkit list` shows the adapter again)");
		return true;
	case TK_WIN_ERROR_NOT_FOUND:
		cause(out, TK_E_ADAPTER_NOT_FOUND, false, "no such adapter",
		      "check the name with `tapkit list`");
		return true;
	default:
		return false;
	}
}

/* ReadFile/WriteFile/GetOverlappedResult: tap-windows6-detail.md sections 1.3 and 1.4. */
static bool map_io(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_OPERATION_ABORTED:
		cause(out, TK_E_LINK_DOWN, false,
		      "the driver cancelled the transfer: media status is disconnected, the handle is closing, or the machine went to sleep",
		      "set the media status connected after opening (tapkit does it at open; tk_dev_set_carrier), or reopen the adapter after a resume");
		return true;
	case TK_WIN_ERROR_MORE_DATA:
		cause(out, TK_E_FRAME_TOO_BIG, false,
		      "the frame was larger than the read buffer and the driver dropped it",
		      "read with a buffer of TK_FRAME_BUF_MAX bytes (at least the adapter's MTU + 18)");
		return true;
	case TK_WIN_ERROR_INSUFFICIENT_BUFFER:
	case TK_WIN_ERROR_INVALID_PARAMETER:
		cause(out, TK_E_BAD_ARGUMENT, false,
		      "the driver refused the frame's length (TAP frames need at least 14 bytes, TUN packets 20)",
		      "pass a complete frame");
		return true;
	case TK_WIN_ERROR_DEVICE_NOT_CONNECTED:
	case TK_WIN_ERROR_DEV_NOT_EXIST:
	case TK_WIN_ERROR_FILE_NOT_FOUND:
		cause(out, TK_E_DEVICE_VANISHED, true,
		      "the adapter was disabled, removed or reinstalled while open",
		      "close the handle and open the adapter again (TK_OPEN_RETRY retries while it comes back)");
		return true;
	case TK_WIN_ERROR_GEN_FAILURE:
		cause(out, TK_E_IO, true, "the device reported a failure",
		      "reopen the adapter; run `tapkit doctor` if it persists");
		return true;
	case TK_WIN_ERROR_INVALID_HANDLE:
		cause(out, TK_E_INVALID_HANDLE, false, "the handle is no longer valid",
		      "this is a bug in the calling program: report it with the trace id");
		return true;
	default:
		return false;
	}
}

static bool map_ioctl(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_INVALID_FUNCTION:
		cause(out, TK_E_UNSUPPORTED, false,
		      "the driver does not implement this request (GET_INFO never works; old drivers lack CONFIG_TUN)",
		      "install the current TAP-Windows6 driver (9.27 or later)");
		return true;
	case TK_WIN_ERROR_INVALID_PARAMETER:
		cause(out, TK_E_BAD_ARGUMENT, false,
		      "the driver refused the request's values (CONFIG_TUN needs a network aligned to its netmask)",
		      "check the addresses passed to the adapter");
		return true;
	case TK_WIN_ERROR_INSUFFICIENT_BUFFER:
		cause(out, TK_E_INTERNAL, false, "the reply buffer was too small",
		      "report this bug with the trace id");
		return true;
	default:
		return map_io(code, out);
	}
}

static bool map_registry(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_FILE_NOT_FOUND:
	case TK_WIN_ERROR_PATH_NOT_FOUND:
		cause(out, TK_E_ADAPTER_NOT_FOUND, false,
		      "the registry key or value does not exist",
		      "run `tapkit doctor`: the driver or the adapter may not be installed");
		return true;
	case TK_WIN_ERROR_MORE_DATA:
	case TK_WIN_ERROR_TK_TOO_LARGE:
		cause(out, TK_E_CONFIG, false, "the registry value is longer than any valid one",
		      "repair the value in regedit, or reinstall the TAP driver");
		return true;
	case TK_WIN_ERROR_INVALID_DATA:
		cause(out, TK_E_CONFIG, false, "the registry value has the wrong type or size",
		      "repair the value in regedit, or reinstall the TAP driver");
		return true;
	default:
		return false;
	}
}

static bool map_service(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_SERVICE_DOES_NOT_EXIST:
		cause(out, TK_E_DRIVER_NOT_INSTALLED, false,
		      "the tap0901 driver service is not registered",
		      "install TAP-Windows6 (the OpenVPN installer's TAP component, or `tapkit driver install OemVista.inf`)");
		return true;
	case TK_WIN_ERROR_SERVICE_DISABLED:
		cause(out, TK_E_DRIVER_SERVICE_STOPPED, false, "the driver service is disabled",
		      "set it to start on demand: `sc config tap0901 start= demand` (elevated), then re-enable the adapter");
		return true;
	case TK_WIN_ERROR_SERVICE_REQUEST_TIMEOUT:
		cause(out, TK_E_DRIVER_START_FAILED, true,
		      "the driver did not answer the start request in time",
		      "retry; if it persists, reinstall the TAP driver and look at the System event log");
		return true;
	case TK_WIN_ERROR_FILE_NOT_FOUND:
	case TK_WIN_ERROR_PATH_NOT_FOUND:
	case TK_WIN_ERROR_DLL_INIT_FAILED: /* Wine 8's answer for a missing .sys */
	case TK_WIN_ERROR_BAD_EXE_FORMAT:
		cause(out, TK_E_DRIVER_FILES_MISSING, false,
		      "the driver's .sys file named by the service's ImagePath is missing or damaged",
		      "reinstall the TAP driver (`tapkit driver install OemVista.inf`, or the OpenVPN installer's TAP component)");
		return true;
	case TK_WIN_ERROR_INVALID_IMAGE_HASH:
		cause(out, TK_E_DRIVER_UNSIGNED, false,
		      "Windows does not accept the driver's signature",
		      "install an official, Microsoft-signed TAP-Windows6 build for this Windows version (9.24.2 or later): with Secure Boot on, test-signed and cross-signed builds do not load");
		return true;
	case TK_WIN_ERROR_DRIVER_BLOCKED:
		cause(out, TK_E_DRIVER_BLOCKED, false, "Windows blocked the driver from loading",
		      "update to the current TAP-Windows6 driver; if memory integrity is on, an old build cannot load");
		return true;
	case TK_WIN_ERROR_SERVICE_MARKED_FOR_DELETE:
		cause(out, TK_E_REBOOT_REQUIRED, false, "the driver service is marked for deletion",
		      "restart Windows, then reinstall the TAP driver");
		return true;
	case TK_WIN_ERROR_ACCESS_DENIED:
		cause(out, TK_E_SECURITY_SOFTWARE, false,
		      "the driver file could not be loaded (access denied): security software or the file's permissions refused it",
		      "look for tap0901.sys in the security product's log and allow it; reinstalling TAP-Windows6 resets the file's permissions");
		return true;
	case TK_WIN_ERROR_GEN_FAILURE:
		cause(out, TK_E_DRIVER_START_FAILED, false,
		      "the driver's initialisation (DriverEntry) failed",
		      "reinstall the TAP driver; the System event log holds the driver's own error");
		return true;
	case TK_WIN_ERROR_VIRUS_INFECTED:
		cause(out, TK_E_SECURITY_SOFTWARE, false,
		      "antivirus software reported a threat in the driver file and refused to load it",
		      "check the antivirus log for tap0901.sys: restore the official driver from quarantine and add an exclusion, or reinstall TAP-Windows6 from openvpn.net");
		return true;
	case TK_WIN_ERROR_VIRUS_DELETED:
		cause(out, TK_E_SECURITY_SOFTWARE, false,
		      "antivirus software deleted (quarantined) the driver file",
		      "restore tap0901.sys from the antivirus quarantine and add an exclusion, or reinstall TAP-Windows6 from openvpn.net");
		return true;
	default:
		return false;
	}
}

static bool map_manage(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_NO_DRIVER_SELECTED:
		/* DiInstallDevice with no driver: none in the driver store (OpenVPN/openvpn#676). */
		cause(out, TK_E_DRIVER_NOT_INSTALLED, false,
		      "no TAP-Windows6 driver package is in the driver store",
		      "install the driver first: `tapkit driver install C:\\path\\to\\OemVista.inf` (or `pnputil /add-driver OemVista.inf /install`), then retry");
		return true;
	case TK_WIN_ERROR_NO_SUCH_DEVINST:
		cause(out, TK_E_ADAPTER_NOT_FOUND, false, "the device no longer exists",
		      "list the adapters again with `tapkit list`");
		return true;
	case TK_WIN_ERROR_IN_WOW64:
	case TK_WIN_ERROR_DRIVER_NONNATIVE:
		cause(out, TK_E_WOW64, false,
		      "device installation must run in a native 64-bit process",
		      "use the 64-bit tapkit.exe");
		return true;
	case TK_WIN_ERROR_NO_CATALOG_FOR_OEM_INF:
	case TK_WIN_ERROR_AUTHENTICODE_DISALLOWED:
	case TK_WIN_TRUST_E_NOSIGNATURE:
	case TK_WIN_CERT_E_UNTRUSTEDROOT:
	case TK_WIN_ERROR_INVALID_IMAGE_HASH:
		cause(out, TK_E_DRIVER_UNSIGNED, false,
		      "the driver package's signature is not accepted",
		      "use the official signed TAP-Windows6 package (its .cat file must sit beside the .inf)");
		return true;
	case TK_WIN_ERROR_SUCCESS_REBOOT_REQUIRED:
		cause(out, TK_E_REBOOT_REQUIRED, false, "the change completes after a restart",
		      "restart Windows");
		return true;
	case TK_WIN_ERROR_FILE_NOT_FOUND:
	case TK_WIN_ERROR_PATH_NOT_FOUND:
		cause(out, TK_E_DRIVER_FILES_MISSING, false,
		      "the driver package's files were not found",
		      "pass the path of OemVista.inf with tap0901.sys and tap0901.cat beside it");
		return true;
	case TK_WIN_ERROR_DRIVER_BLOCKED:
		cause(out, TK_E_DRIVER_BLOCKED, false, "Windows blocked the driver",
		      "use the current TAP-Windows6 release");
		return true;
	default:
		return false;
	}
}

static bool map_iphlp(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_NOT_FOUND:
	case TK_WIN_ERROR_FILE_NOT_FOUND:
		/* Right after an adapter is created TCP/IP has not bound it yet. */
		cause(out, TK_E_ADAPTER_NOT_FOUND, true,
		      "TCP/IP does not know this interface (not bound yet, or disabled)",
		      "wait a few seconds after creating or enabling the adapter and retry; check that the adapter is enabled");
		return true;
	case TK_WIN_ERROR_INVALID_PARAMETER:
		cause(out, TK_E_ADDRESS_INVALID, false, "TCP/IP refused the value",
		      "check the address, prefix or MTU (IPv4 needs an MTU of at least 576, IPv6 1280)");
		return true;
	case TK_WIN_ERROR_OBJECT_ALREADY_EXISTS:
	case TK_WIN_ERROR_ALREADY_EXISTS:
		cause(out, TK_E_EXISTS, false, "the address is already set", "nothing to do");
		return true;
	case TK_WIN_ERROR_NOT_SUPPORTED:
		cause(out, TK_E_UNSUPPORTED, false,
		      "the IP version is not enabled on this interface",
		      "enable the protocol on the adapter (Network Connections > Properties)");
		return true;
	default:
		return false;
	}
}

static bool map_load(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_MOD_NOT_FOUND:
	case TK_WIN_ERROR_PROC_NOT_FOUND:
		cause(out, TK_E_MISSING_DEPENDENCY, false,
		      "a Windows system library or function is missing (older Windows, or Wine)",
		      "use Windows 10 or later; the function tapkit needs is named in the message");
		return true;
	default:
		return false;
	}
}

static void map_generic(uint32_t code, struct tk_win_cause *out)
{
	switch (code) {
	case TK_WIN_ERROR_ACCESS_DENIED:
	case TK_WIN_ERROR_ELEVATION_REQUIRED:
		cause(out, TK_E_NO_PRIVILEGE, false, "this needs an elevated administrator",
		      "run the command from an elevated prompt (Run as administrator)");
		break;
	case TK_WIN_ERROR_NOT_ENOUGH_MEMORY:
	case TK_WIN_ERROR_OUTOFMEMORY:
	case TK_WIN_ERROR_NO_SYSTEM_RESOURCES:
		cause(out, TK_E_NO_MEMORY, true, "the system is out of memory or resources",
		      "close other programs and retry");
		break;
	case TK_WIN_ERROR_TIMEOUT:
		cause(out, TK_E_TIMEOUT, true, "the operation timed out", "retry");
		break;
	case TK_WIN_ERROR_CANCELLED:
		cause(out, TK_E_INTERRUPTED, false, "the operation was cancelled", "retry");
		break;
	case TK_WIN_ERROR_INVALID_HANDLE:
		cause(out, TK_E_INVALID_HANDLE, false, "a handle was used after it was closed",
		      "this is a bug in the calling program: report it with the trace id");
		break;
	case TK_WIN_ERROR_CALL_NOT_IMPLEMENTED:
	case TK_WIN_ERROR_NOT_SUPPORTED:
		cause(out, TK_E_UNSUPPORTED, false, "this Windows does not support the operation",
		      "use Windows 10 or later");
		break;
	case TK_WIN_ERROR_TK_TOO_LARGE:
		cause(out, TK_E_CONFIG, false,
		      "the system returned more data than any valid answer",
		      "report this with the trace id");
		break;
	default:
		cause(out, TK_E_IO, false, "the operation failed",
		      "run `tapkit doctor`; the Windows error text above says more");
		break;
	}
}

void tk__winlogic_map_win32(enum tk_win_op op, uint32_t code, struct tk_win_cause *out)
{
	bool done = false;

	switch (op) {
	case TK_WIN_OP_OPEN:
		done = map_open(code, out);
		break;
	case TK_WIN_OP_IO:
		done = map_io(code, out);
		break;
	case TK_WIN_OP_IOCTL:
		done = map_ioctl(code, out);
		break;
	case TK_WIN_OP_REGISTRY:
		done = map_registry(code, out);
		break;
	case TK_WIN_OP_SERVICE:
		done = map_service(code, out);
		break;
	case TK_WIN_OP_MANAGE:
		done = map_manage(code, out);
		break;
	case TK_WIN_OP_IPHLP:
		done = map_iphlp(code, out);
		break;
	case TK_WIN_OP_LOAD:
		done = map_load(code, out);
		break;
	case TK_WIN_OP_GENERIC:
		break;
	}
	if (!done)
		map_generic(code, out);
}

uint32_t tk__winlogic_hresult_from_setupapi(uint32_t code)
{
	/* setupapi.h: APPLICATION_ERROR_MASK set and ERROR_SEVERITY_ERROR: FACILITY_SETUPAPI (15). */
	if ((code & 0x20000000u) && (code & 0xC0000000u) == 0xC0000000u)
		return 0x80000000u | (15u << 16) | (code & 0xFFFFu);
	if (code == 0 || (code & 0x80000000u))
		return code;
	return 0x80000000u | (7u << 16) | (code & 0xFFFFu); /* HRESULT_FROM_WIN32 */
}

/* ---------------------------------------------------------------------------------------- */
/* Device problem codes                                                                     */
/* ---------------------------------------------------------------------------------------- */

static const struct tk_cm_problem cm_problems[] = {
	{ TK_CM_PROB_NONE, TK_OK, "CM_PROB_NONE", "no problem", "" },
	{ TK_CM_PROB_NOT_CONFIGURED, TK_E_ADAPTER_PROBLEM, "CM_PROB_NOT_CONFIGURED",
	  "the device has no driver configured (a half-finished adapter creation)",
	  "delete the adapter (`tapkit delete NAME`) and create it again" },
	{ TK_CM_PROB_FAILED_START, TK_E_DRIVER_START_FAILED, "CM_PROB_FAILED_START",
	  "the driver failed to start the adapter (code 10)",
	  "disable and enable the adapter (`tapkit disable NAME`, `tapkit enable NAME`); if it persists, reinstall the TAP driver" },
	{ TK_CM_PROB_NEED_RESTART, TK_E_REBOOT_REQUIRED, "CM_PROB_NEED_RESTART",
	  "the device needs a restart of Windows (code 14)", "restart Windows" },
	{ TK_CM_PROB_REINSTALL, TK_E_ADAPTER_PROBLEM, "CM_PROB_REINSTALL",
	  "the drivers for this device must be reinstalled (code 18)",
	  "reinstall the TAP driver (`tapkit driver install OemVista.inf`)" },
	{ TK_CM_PROB_REGISTRY, TK_E_CONFIG, "CM_PROB_REGISTRY",
	  "the device's registry configuration is damaged (code 19)",
	  "delete the adapter and create it again" },
	{ TK_CM_PROB_WILL_BE_REMOVED, TK_E_DEVICE_VANISHED, "CM_PROB_WILL_BE_REMOVED",
	  "the device is being removed (code 21)", "wait, then list the adapters again" },
	{ TK_CM_PROB_DISABLED, TK_E_ADAPTER_DISABLED, "CM_PROB_DISABLED",
	  "the adapter is disabled (code 22)",
	  "enable it: `tapkit enable NAME` (elevated), or in Network Connections" },
	{ TK_CM_PROB_DEVICE_NOT_THERE, TK_E_ADAPTER_PROBLEM, "CM_PROB_DEVICE_NOT_THERE",
	  "the device is not present or not working (code 24)",
	  "delete the adapter and create it again" },
	{ TK_CM_PROB_FAILED_INSTALL, TK_E_DRIVER_NOT_INSTALLED, "CM_PROB_FAILED_INSTALL",
	  "the drivers for this device are not installed (code 28)",
	  "install the TAP driver: `tapkit driver install OemVista.inf`" },
	{ TK_CM_PROB_HARDWARE_DISABLED, TK_E_ADAPTER_DISABLED, "CM_PROB_HARDWARE_DISABLED",
	  "the device is disabled (code 29)", "enable it in Device Manager" },
	{ TK_CM_PROB_FAILED_ADD, TK_E_DRIVER_START_FAILED, "CM_PROB_FAILED_ADD",
	  "Windows cannot load the driver for this device (code 31): seen with conflicting network filter drivers",
	  "remove other virtual network drivers' filters (VirtualBox bridge, some antivirus), reinstall the TAP driver, restart" },
	{ TK_CM_PROB_DISABLED_SERVICE, TK_E_DRIVER_SERVICE_STOPPED, "CM_PROB_DISABLED_SERVICE",
	  "the tap0901 service is disabled (code 32)",
	  "`sc config tap0901 start= demand` (elevated), then disable and enable the adapter" },
	{ TK_CM_PROB_FAILED_DRIVER_ENTRY, TK_E_DRIVER_START_FAILED, "CM_PROB_FAILED_DRIVER_ENTRY",
	  "the driver failed to initialise (code 37)",
	  "install the TAP-Windows6 build made for this Windows version" },
	{ TK_CM_PROB_DRIVER_FAILED_LOAD, TK_E_DRIVER_FILES_MISSING, "CM_PROB_DRIVER_FAILED_LOAD",
	  "the driver is missing, damaged or refused by memory integrity (code 39)",
	  "reinstall the current TAP-Windows6 driver; an old build cannot load with memory integrity on" },
	{ TK_CM_PROB_DRIVER_SERVICE_KEY_INVALID, TK_E_DRIVER_NOT_INSTALLED,
	  "CM_PROB_DRIVER_SERVICE_KEY_INVALID",
	  "the driver's service entry is missing or wrong (code 40)", "reinstall the TAP driver" },
	{ TK_CM_PROB_FAILED_POST_START, TK_E_ADAPTER_PROBLEM, "CM_PROB_FAILED_POST_START",
	  "the driver reported a failure (code 43)", "disable and enable the adapter, or restart" },
	{ TK_CM_PROB_PHANTOM, TK_E_ADAPTER_NOT_FOUND, "CM_PROB_PHANTOM",
	  "the device is not connected: a leftover of a removed adapter (code 45)",
	  "ignore it, or remove it in Device Manager (View > Show hidden devices)" },
	{ TK_CM_PROB_DRIVER_BLOCKED, TK_E_DRIVER_BLOCKED, "CM_PROB_DRIVER_BLOCKED",
	  "Windows blocked the driver from starting (code 48): a known-incompatible or blocklisted build, or memory integrity",
	  "install the current TAP-Windows6 release (9.27 or later)" },
	{ TK_CM_PROB_UNSIGNED_DRIVER, TK_E_DRIVER_UNSIGNED, "CM_PROB_UNSIGNED_DRIVER",
	  "Windows cannot verify the driver's digital signature (code 52)",
	  "install the official Microsoft-signed TAP-Windows6 build for Windows 10/11; a self-signed build needs test-signing and Secure Boot off" },
	{ TK_CM_PROB_NEED_CLASS_CONFIG, TK_E_ADAPTER_PROBLEM, "CM_PROB_NEED_CLASS_CONFIG",
	  "network class configuration is pending (code 56): right after creation, or another VPN's network stack interferes",
	  "wait a minute after creating the adapter; if it stays, uninstall other VPN clients' network components, reinstall TAP, restart" },
};

const struct tk_cm_problem *tk__winlogic_cm_problem(uint32_t code)
{
	static const struct tk_cm_problem unknown = {
		0, TK_E_ADAPTER_PROBLEM, "CM_PROB_UNKNOWN", "the device reports a problem",
		"look at the adapter in Device Manager; disable and enable it, or recreate it"
	};
	for (size_t i = 0; i < TK_ARRAY_SIZE(cm_problems); i++)
		if (cm_problems[i].code == code)
			return &cm_problems[i];
	return &unknown;
}

/* ---------------------------------------------------------------------------------------- */
/* Code integrity                                                                           */
/* ---------------------------------------------------------------------------------------- */

void tk__winlogic_ci_interpret(const struct tk_ci_facts *f, struct tk_ci_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->status = TK_OK;
	uint32_t o = f->options_known ? f->options : 0;
	out->testsign = (o & TK_CI_TESTSIGN) != 0;
	out->debug = (o & TK_CI_DEBUGMODE) != 0;
	out->hvci_running = (o & TK_CI_HVCI_KMCI) != 0 && (o & TK_CI_HVCI_KMCI_AUDIT) == 0;
	out->whql_only = (o & TK_CI_WHQL_ENFORCEMENT) != 0;
	out->secure_boot_on = f->secure_boot == 1;

	const char *accepts;
	if (!f->options_known)
		accepts = "code integrity state unknown";
	else if (!(o & TK_CI_ENABLED))
		accepts = "code integrity off: any driver loads";
	else if (out->whql_only)
		accepts =
			"only WHQL-signed drivers load (attestation-signed TAP builds are refused)";
	else if (out->testsign)
		accepts = "test-signing on: self-signed drivers load";
	else if (out->secure_boot_on)
		accepts = "Secure Boot on: only Microsoft-signed drivers load";
	else
		accepts = "signed drivers load (Secure Boot off or unknown)";
	tk__snprintf(out->summary, sizeof(out->summary),
		     "%s; Secure Boot %s; memory integrity %s%s", accepts,
		     f->secure_boot == 1   ? "on"
		     : f->secure_boot == 0 ? "off"
					   : "unknown",
		     out->hvci_running	       ? "running"
		     : f->hvci_configured == 1 ? "configured, not running"
					       : "off",
		     out->debug ? "; kernel debugging on" : "");

	switch (f->problem) {
	case TK_CM_PROB_UNSIGNED_DRIVER:
		out->status = TK_E_DRIVER_UNSIGNED;
		if (out->testsign)
			tk__strlcpy(
				out->remedy,
				"the signature is refused even with test-signing on: the build's certificate is not installed in the Trusted Root and Trusted Publisher stores; install it, or use the official build",
				sizeof(out->remedy));
		else if (out->secure_boot_on)
			tk__strlcpy(
				out->remedy,
				"with Secure Boot on only Microsoft-signed drivers load: install the official TAP-Windows6 Windows 10/11 build (not the Win7 or a self-built one)",
				sizeof(out->remedy));
		else
			tk__strlcpy(
				out->remedy,
				"install the official TAP-Windows6 build for this Windows version; on Windows 7 install the SHA-2 update KB2921916 first",
				sizeof(out->remedy));
		break;
	case TK_CM_PROB_DRIVER_BLOCKED:
	case TK_CM_PROB_DRIVER_FAILED_LOAD:
		out->status = TK_E_DRIVER_BLOCKED;
		if (out->hvci_running || f->hvci_configured == 1)
			tk__strlcpy(
				out->remedy,
				"memory integrity (HVCI) refuses this driver build: install TAP-Windows6 9.27 or later, or turn memory integrity off in Windows Security > Device security > Core isolation",
				sizeof(out->remedy));
		else
			tk__strlcpy(
				out->remedy,
				"Windows blocked this driver build: install the current TAP-Windows6 release (9.27 or later)",
				sizeof(out->remedy));
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* GUIDs                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static bool hexbytes(const char *s, size_t ndigits, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < ndigits; i++) {
		int h = tk__hex_value(s[i]);
		if (h < 0)
			return false;
		v = (v << 4) | (uint64_t)h;
	}
	*out = v;
	return true;
}

bool tk__winlogic_guid_parse(const char *text, struct tk_guid *out)
{
	/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}: positions of the dashes are fixed. */
	if (!text || strlen(text) != TK_GUID_TEXT_LEN || text[0] != '{' || text[37] != '}' ||
	    text[9] != '-' || text[14] != '-' || text[19] != '-' || text[24] != '-')
		return false;
	uint64_t d1, d2, d3, d4a, d4b;
	if (!hexbytes(text + 1, 8, &d1) || !hexbytes(text + 10, 4, &d2) ||
	    !hexbytes(text + 15, 4, &d3) || !hexbytes(text + 20, 4, &d4a) ||
	    !hexbytes(text + 25, 12, &d4b))
		return false;
	struct tk_guid g;
	g.data1 = (uint32_t)d1;
	g.data2 = (uint16_t)d2;
	g.data3 = (uint16_t)d3;
	g.data4[0] = (uint8_t)(d4a >> 8);
	g.data4[1] = (uint8_t)d4a;
	for (int i = 0; i < 6; i++)
		g.data4[2 + i] = (uint8_t)(d4b >> (8 * (5 - i)));
	if (out)
		*out = g;
	return true;
}

void tk__winlogic_guid_format(const struct tk_guid *g, char *buf, size_t size)
{
	tk__snprintf(buf, size, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
		     (unsigned)g->data1, (unsigned)g->data2, (unsigned)g->data3,
		     (unsigned)g->data4[0], (unsigned)g->data4[1], (unsigned)g->data4[2],
		     (unsigned)g->data4[3], (unsigned)g->data4[4], (unsigned)g->data4[5],
		     (unsigned)g->data4[6], (unsigned)g->data4[7]);
}

/* ---------------------------------------------------------------------------------------- */
/* Component ids                                                                            */
/* ---------------------------------------------------------------------------------------- */

static int ascii_lower(char c)
{
	/* Only ASCII letters change; bytes of UTF-8 sequences pass through. */
	int u = (unsigned char)c;
	return (u >= 'A' && u <= 'Z') ? u + ('a' - 'A') : u;
}

/* Case-insensitive (ASCII) comparison of id with the n bytes at s. */
static bool id_equal(const char *id, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n; i++)
		if (!id[i] || ascii_lower(id[i]) != ascii_lower(s[i]))
			return false;
	return id[i] == '\0';
}

bool tk__winlogic_component_is_tap(const char *id, const char *extra)
{
	/* tap-windows6-detail.md 1.7: matching only "tap0901", or with case, broke water, nebula
	 * and gost; root-enumerated adapters carry the root\ form. */
	static const char *const known[] = {
		"tap0901", "root\\tap0901", "tap0801",	       "root\\tap0801",
		"tapoas",  "root\\tapoas",  "tap_ovpnconnect", "root\\tap_ovpnconnect",
	};
	if (!id || !*id)
		return false;
	for (size_t i = 0; i < TK_ARRAY_SIZE(known); i++)
		if (id_equal(id, known[i], strlen(known[i])))
			return true;
	while (extra && *extra) {
		while (*extra == ',' || *extra == ' ')
			extra++;
		size_t n = strcspn(extra, ", ");
		if (n && id_equal(id, extra, n))
			return true;
		extra += n;
	}
	return false;
}

/* ---------------------------------------------------------------------------------------- */
/* Names and UTF-8                                                                          */
/* ---------------------------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s; returns its length, 0 if invalid (overlong, surrogate, >10FFFF). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2, v = s[0] & 0x1Fu, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, v = s[0] & 0x0Fu, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, v = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

tk_status tk__winlogic_name_check(const char *name, const char **reason)
{
	const char *r = NULL;
	tk_status st = TK_E_NAME_INVALID;
	size_t len = name ? strlen(name) : 0;

	if (len == 0) {
		r = "the name is empty";
	} else if (name[0] == '{') {
		if (!tk__winlogic_guid_parse(name, NULL)) {
			st = TK_E_INVALID_GUID;
			r = "a GUID must look like {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}";
		}
	} else if (len > 255) {
		r = "the name is longer than 255 bytes";
	} else {
		const unsigned char *p = (const unsigned char *)name;
		while (*p && !r) {
			uint32_t cp;
			size_t n = utf8_decode(p, &cp);
			if (n == 0)
				r = "the name is not valid UTF-8";
			else if (cp < 0x20 || cp == 0x7F)
				r = "the name contains a control character";
			else if (cp < 0x80 && strchr("\\/:*?\"<>|", (int)cp))
				r = "the name contains one of \\ / : * ? \" < > |";
			p += n ? n : 1;
		}
		if (!r && (name[0] == ' ' || name[len - 1] == ' '))
			r = "the name starts or ends with a space";
	}
	if (reason)
		*reason = r ? r : "";
	return r ? st : TK_OK;
}

size_t tk__winlogic_utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size)
{
	size_t need = 0;
	for (size_t i = 0; i < n && in[i]; i++) {
		uint32_t cp = in[i];
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && in[i + 1] >= 0xDC00 &&
		    in[i + 1] <= 0xDFFF) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + (in[i + 1] - 0xDC00u);
			i++;
		} else if (cp >= 0xD800 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		unsigned char b[4];
		size_t k;
		if (cp < 0x80) {
			b[0] = (unsigned char)cp;
			k = 1;
		} else if (cp < 0x800) {
			b[0] = (unsigned char)(0xC0 | (cp >> 6));
			b[1] = (unsigned char)(0x80 | (cp & 0x3F));
			k = 2;
		} else if (cp < 0x10000) {
			b[0] = (unsigned char)(0xE0 | (cp >> 12));
			b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
			b[2] = (unsigned char)(0x80 | (cp & 0x3F));
			k = 3;
		} else {
			b[0] = (unsigned char)(0xF0 | (cp >> 18));
			b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
			b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
			b[3] = (unsigned char)(0x80 | (cp & 0x3F));
			k = 4;
		}
		/* Only whole characters go out, so a short buffer never ends in half of one. */
		if (out && need + k < size)
			memcpy(out + need, b, k);
		else if (out && size > 0 && need < size)
			size = need + 1; /* freeze the output here */
		need += k;
	}
	if (out && size > 0)
		out[need < size ? need : size - 1] = '\0';
	return need;
}

size_t tk__winlogic_utf8_to_utf16(const char *in, uint16_t *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t need = 0;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);
		if (n == 0) {
			if (out && cap > 0)
				out[0] = 0;
			return SIZE_MAX;
		}
		p += n;
		if (cp >= 0x10000) {
			if (out && need + 2 < cap) {
				out[need] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
				out[need + 1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
			}
			need += 2;
		} else {
			if (out && need + 1 < cap)
				out[need] = (uint16_t)cp;
			need += 1;
		}
	}
	if (out && cap > 0)
		out[need < cap ? need : cap - 1] = 0;
	return need;
}

/* ---------------------------------------------------------------------------------------- */
/* Registry values                                                                          */
/* ---------------------------------------------------------------------------------------- */

enum tk_regval_verdict tk__winlogic_regval_check_sz(uint32_t type, const uint16_t *data,
						    size_t bytes, size_t max_units,
						    bool allow_expand, size_t *units)
{
	if (units)
		*units = 0;
	if (type != TK_WIN_REG_SZ && !(allow_expand && type == TK_WIN_REG_EXPAND_SZ))
		return TK_REGVAL_WRONG_TYPE;
	if (bytes % 2)
		return TK_REGVAL_ODD_SIZE;
	size_t n = bytes / 2;
	/* The registry stores what the writer gave: maybe no NUL, maybe several. Stop at the
	 * first one, as every Windows reader of a REG_SZ does. */
	for (size_t i = 0; i < n; i++) {
		if (data[i] == 0) {
			n = i;
			break;
		}
	}
	if (units)
		*units = n;
	if (n == 0)
		return TK_REGVAL_EMPTY;
	if (n > max_units)
		return TK_REGVAL_TOO_LONG;
	return TK_REGVAL_OK;
}

enum tk_regval_verdict tk__winlogic_regval_check_dword(uint32_t type, size_t bytes)
{
	if (type != TK_WIN_REG_DWORD)
		return TK_REGVAL_WRONG_TYPE;
	return bytes == 4 ? TK_REGVAL_OK : TK_REGVAL_ODD_SIZE;
}

const char *tk__winlogic_regval_verdict_text(enum tk_regval_verdict v)
{
	switch (v) {
	case TK_REGVAL_OK:
		return "ok";
	case TK_REGVAL_WRONG_TYPE:
		return "has the wrong type";
	case TK_REGVAL_TOO_LONG:
		return "is too long";
	case TK_REGVAL_ODD_SIZE:
		return "has a size that does not fit its type";
	case TK_REGVAL_EMPTY:
		return "is empty";
	}
	return "is invalid";
}

const char *tk__winlogic_regtype_name(uint32_t type)
{
	switch (type) {
	case 0:
		return "REG_NONE";
	case TK_WIN_REG_SZ:
		return "REG_SZ";
	case TK_WIN_REG_EXPAND_SZ:
		return "REG_EXPAND_SZ";
	case TK_WIN_REG_BINARY:
		return "REG_BINARY";
	case TK_WIN_REG_DWORD:
		return "REG_DWORD";
	case TK_WIN_REG_MULTI_SZ:
		return "REG_MULTI_SZ";
	case TK_WIN_REG_QWORD:
		return "REG_QWORD";
	default:
		return "REG_(other)";
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Call twice to learn the size                                                             */
/* ---------------------------------------------------------------------------------------- */

uint32_t tk__winlogic_sized_call(tk_win_sized_fn *fn, void *user, uint32_t max, unsigned tries,
				 void **out, uint32_t *size)
{
	void *buf = NULL;
	uint32_t have = 0; /* bytes allocated for the OS (the 4 pad bytes not counted) */
	uint32_t rc = TK_WIN_ERROR_MORE_DATA;

	*out = NULL;
	*size = 0;
	for (unsigned i = 0; i < tries; i++) {
		uint32_t want = have;
		rc = fn(user, buf, &want);
		if (rc == TK_WIN_ERROR_SUCCESS && (buf || want == 0)) {
			if (!buf) {
				buf = calloc(1, 4);
				if (!buf)
					return TK_WIN_ERROR_NOT_ENOUGH_MEMORY;
			}
			if (want > have) {
				/* An API that claims success but more bytes than we gave: never
				 * trust it with our buffer's end. */
				free(buf);
				return TK_WIN_ERROR_MORE_DATA;
			}
			memset((char *)buf + want, 0, have - want + 4);
			*out = buf;
			*size = want;
			return TK_WIN_ERROR_SUCCESS;
		}
		if (rc != TK_WIN_ERROR_SUCCESS && rc != TK_WIN_ERROR_MORE_DATA &&
		    rc != TK_WIN_ERROR_INSUFFICIENT_BUFFER)
			break;
		/* Too small (or the size probe with no buffer succeeded): grow to what the OS
		 * asked for, checked against the limit every time. */
		if (want > max) {
			rc = TK_WIN_ERROR_TK_TOO_LARGE;
			break;
		}
		if (want <= have)
			want = have ? (have > max / 2 ? max : have * 2) : 64;
		void *nb = realloc(buf, (size_t)want + 4);
		if (!nb) {
			rc = TK_WIN_ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		buf = nb;
		have = want;
		memset(buf, 0, (size_t)have + 4);
		rc = TK_WIN_ERROR_MORE_DATA;
	}
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Services and security products                                                           */
/* ---------------------------------------------------------------------------------------- */

const char *tk__winlogic_service_state_name(uint32_t state)
{
	switch (state) {
	case TK_SVC_STOPPED:
		return "stopped";
	case TK_SVC_START_PENDING:
		return "starting";
	case TK_SVC_STOP_PENDING:
		return "stopping";
	case TK_SVC_RUNNING:
		return "running";
	case 5:
		return "continuing";
	case 6:
		return "pausing";
	case 7:
		return "paused";
	default:
		return "unknown";
	}
}

const char *tk__winlogic_service_start_name(uint32_t start)
{
	switch (start) {
	case 0:
		return "boot";
	case 1:
		return "system";
	case 2:
		return "automatic";
	case 3:
		return "demand";
	case 4:
		return "disabled";
	default:
		return "unknown";
	}
}

const char *tk__winlogic_av_state_name(uint32_t product_state)
{
	/* The layout is not documented by Microsoft; this reading (scanner state in bits 12-15)
	 * is the one every Security Center tool uses. */
	switch ((product_state >> 12) & 0xFu) {
	case 0:
		return "off";
	case 1:
		return "on";
	case 2:
		return "snoozed";
	case 3:
		return "expired";
	default:
		return "unknown";
	}
}

bool tk__winlogic_av_up_to_date(uint32_t product_state)
{
	return ((product_state >> 4) & 0xFu) == 0;
}

const char *tk__winlogic_win32_name(uint32_t code)
{
	switch (code) {
	case TK_WIN_ERROR_SUCCESS:
		return "ERROR_SUCCESS";
	case TK_WIN_ERROR_INVALID_FUNCTION:
		return "ERROR_INVALID_FUNCTION";
	case TK_WIN_ERROR_FILE_NOT_FOUND:
		return "ERROR_FILE_NOT_FOUND";
	case TK_WIN_ERROR_PATH_NOT_FOUND:
		return "ERROR_PATH_NOT_FOUND";
	case TK_WIN_ERROR_ACCESS_DENIED:
		return "ERROR_ACCESS_DENIED";
	case TK_WIN_ERROR_INVALID_HANDLE:
		return "ERROR_INVALID_HANDLE";
	case TK_WIN_ERROR_NOT_ENOUGH_MEMORY:
		return "ERROR_NOT_ENOUGH_MEMORY";
	case TK_WIN_ERROR_INVALID_DATA:
		return "ERROR_INVALID_DATA";
	case TK_WIN_ERROR_OUTOFMEMORY:
		return "ERROR_OUTOFMEMORY";
	case TK_WIN_ERROR_GEN_FAILURE:
		return "ERROR_GEN_FAILURE";
	case TK_WIN_ERROR_SHARING_VIOLATION:
		return "ERROR_SHARING_VIOLATION";
	case TK_WIN_ERROR_NOT_SUPPORTED:
		return "ERROR_NOT_SUPPORTED";
	case TK_WIN_ERROR_DUP_NAME:
		return "ERROR_DUP_NAME";
	case TK_WIN_ERROR_DEV_NOT_EXIST:
		return "ERROR_DEV_NOT_EXIST";
	case TK_WIN_ERROR_FILE_EXISTS:
		return "ERROR_FILE_EXISTS";
	case TK_WIN_ERROR_INVALID_PARAMETER:
		return "ERROR_INVALID_PARAMETER";
	case TK_WIN_ERROR_CALL_NOT_IMPLEMENTED:
		return "ERROR_CALL_NOT_IMPLEMENTED";
	case TK_WIN_ERROR_INSUFFICIENT_BUFFER:
		return "ERROR_INSUFFICIENT_BUFFER";
	case TK_WIN_ERROR_MOD_NOT_FOUND:
		return "ERROR_MOD_NOT_FOUND";
	case TK_WIN_ERROR_PROC_NOT_FOUND:
		return "ERROR_PROC_NOT_FOUND";
	case TK_WIN_ERROR_ALREADY_EXISTS:
		return "ERROR_ALREADY_EXISTS";
	case TK_WIN_ERROR_BAD_EXE_FORMAT:
		return "ERROR_BAD_EXE_FORMAT";
	case TK_WIN_ERROR_VIRUS_INFECTED:
		return "ERROR_VIRUS_INFECTED";
	case TK_WIN_ERROR_VIRUS_DELETED:
		return "ERROR_VIRUS_DELETED";
	case TK_WIN_ERROR_SERVICE_NEVER_STARTED:
		return "ERROR_SERVICE_NEVER_STARTED";
	case TK_WIN_ERROR_MORE_DATA:
		return "ERROR_MORE_DATA";
	case TK_WIN_ERROR_NO_MORE_ITEMS:
		return "ERROR_NO_MORE_ITEMS";
	case TK_WIN_ERROR_INVALID_IMAGE_HASH:
		return "ERROR_INVALID_IMAGE_HASH";
	case TK_WIN_ERROR_ELEVATION_REQUIRED:
		return "ERROR_ELEVATION_REQUIRED";
	case TK_WIN_ERROR_OPERATION_ABORTED:
		return "ERROR_OPERATION_ABORTED";
	case TK_WIN_ERROR_IO_INCOMPLETE:
		return "ERROR_IO_INCOMPLETE";
	case TK_WIN_ERROR_IO_PENDING:
		return "ERROR_IO_PENDING";
	case TK_WIN_ERROR_SERVICE_REQUEST_TIMEOUT:
		return "ERROR_SERVICE_REQUEST_TIMEOUT";
	case TK_WIN_ERROR_SERVICE_ALREADY_RUNNING:
		return "ERROR_SERVICE_ALREADY_RUNNING";
	case TK_WIN_ERROR_SERVICE_DISABLED:
		return "ERROR_SERVICE_DISABLED";
	case TK_WIN_ERROR_SERVICE_DOES_NOT_EXIST:
		return "ERROR_SERVICE_DOES_NOT_EXIST";
	case TK_WIN_ERROR_SERVICE_NOT_ACTIVE:
		return "ERROR_SERVICE_NOT_ACTIVE";
	case TK_WIN_ERROR_SERVICE_MARKED_FOR_DELETE:
		return "ERROR_SERVICE_MARKED_FOR_DELETE";
	case TK_WIN_ERROR_DLL_INIT_FAILED:
		return "ERROR_DLL_INIT_FAILED";
	case TK_WIN_ERROR_DEVICE_NOT_CONNECTED:
		return "ERROR_DEVICE_NOT_CONNECTED";
	case TK_WIN_ERROR_NOT_FOUND:
		return "ERROR_NOT_FOUND";
	case TK_WIN_ERROR_CANCELLED:
		return "ERROR_CANCELLED";
	case TK_WIN_ERROR_DRIVER_BLOCKED:
		return "ERROR_DRIVER_BLOCKED";
	case TK_WIN_ERROR_NO_SYSTEM_RESOURCES:
		return "ERROR_NO_SYSTEM_RESOURCES";
	case TK_WIN_ERROR_TIMEOUT:
		return "ERROR_TIMEOUT";
	case TK_WIN_ERROR_SUCCESS_REBOOT_REQUIRED:
		return "ERROR_SUCCESS_REBOOT_REQUIRED";
	case TK_WIN_ERROR_OBJECT_ALREADY_EXISTS:
		return "ERROR_OBJECT_ALREADY_EXISTS";
	default:
		return "";
	}
}

bool tk__winlogic_tap_version_ok(uint32_t major, uint32_t minor)
{
	return major > 9 || (major == 9 && minor >= 9);
}

const char *tk__winlogic_configret_name(uint32_t cr)
{
	switch (cr) {
	case TK_CR_SUCCESS:
		return "CR_SUCCESS";
	case TK_CR_OUT_OF_MEMORY:
		return "CR_OUT_OF_MEMORY";
	case TK_CR_INVALID_DEVNODE:
		return "CR_INVALID_DEVNODE";
	case TK_CR_NO_SUCH_DEVNODE:
		return "CR_NO_SUCH_DEVNODE";
	case TK_CR_FAILURE:
		return "CR_FAILURE";
	case TK_CR_REMOVE_VETOED:
		return "CR_REMOVE_VETOED";
	case TK_CR_NEED_RESTART:
		return "CR_NEED_RESTART";
	case TK_CR_DEVICE_NOT_THERE:
		return "CR_DEVICE_NOT_THERE";
	case TK_CR_NOT_DISABLEABLE:
		return "CR_NOT_DISABLEABLE";
	case TK_CR_ACCESS_DENIED:
		return "CR_ACCESS_DENIED";
	case TK_CR_CALL_NOT_IMPLEMENTED:
		return "CR_CALL_NOT_IMPLEMENTED";
	default:
		return "CR_UNKNOWN";
	}
}

void tk__winlogic_map_configret(uint32_t cr, struct tk_win_cause *out)
{
	switch (cr) {
	case TK_CR_SUCCESS:
		cause(out, TK_OK, false, "done", "");
		return;
	case TK_CR_ACCESS_DENIED:
		cause(out, TK_E_NO_PRIVILEGE, false, "changing a device needs elevation",
		      "run tapkit from an elevated prompt (Run as administrator)");
		return;
	case TK_CR_NO_SUCH_DEVNODE:
	case TK_CR_INVALID_DEVNODE:
	case TK_CR_DEVICE_NOT_THERE:
		cause(out, TK_E_ADAPTER_NOT_FOUND, false, "the device is not present",
		      "list the adapters again with `tapkit list`; create one with `tapkit create`");
		return;
	case TK_CR_REMOVE_VETOED:
		cause(out, TK_E_ADAPTER_BUSY, true,
		      "a program holding the adapter open refused to let it go",
		      "close the programs using the adapter (OpenVPN, a VPN client), then retry");
		return;
	case TK_CR_NOT_DISABLEABLE:
		cause(out, TK_E_ADAPTER_PROBLEM, false,
		      "Windows says this device cannot be disabled",
		      "delete the adapter instead (`tapkit delete NAME`), or disable it in Device Manager");
		return;
	case TK_CR_NEED_RESTART:
		cause(out, TK_E_REBOOT_REQUIRED, false, "the change completes after a restart",
		      "restart Windows");
		return;
	case TK_CR_CALL_NOT_IMPLEMENTED:
		cause(out, TK_E_UNSUPPORTED, false,
		      "this system does not implement enabling or disabling devices (Wine)",
		      "on Wine, remove and re-create the adapter instead; on Windows use Device Manager");
		return;
	default:
		cause(out, TK_E_ADAPTER_PROBLEM, false, "Windows refused to change the device",
		      "look at the device in Device Manager; delete and re-create the adapter if it stays broken");
		return;
	}
}

const char *tk__winlogic_driver_kind(const char *component)
{
	static const struct {
		const char *id;
		const char *kind;
	} known[] = {
		{ "wintun", "a Wintun (WireGuard's driver)" },
		{ "ovpn-dco", "an OpenVPN Data Channel Offload (ovpn-dco)" },
		{ "tap0901", "a TAP-Windows6" },
		{ "tapoas", "a TAP-Windows (OpenVPN Access Server)" },
		{ "tap_ovpnconnect", "a TAP-Windows (OpenVPN Connect)" },
		{ "tap0801", "a TAP-Win32 (8.x)" },
		{ "zttap300", "a ZeroTier" },
		{ "tapwindows", "a TAP-Windows" },
	};
	if (!component)
		return "another driver's";
	/* "root\wintun" and "wintun" alike */
	const char *id = component;
	for (const char *p = component; *p; p++)
		if (*p == '\\')
			id = p + 1;
	for (size_t i = 0; i < TK_ARRAY_SIZE(known); i++)
		if (id_equal(id, known[i].id, strlen(known[i].id)))
			return known[i].kind;
	return "another driver's";
}
