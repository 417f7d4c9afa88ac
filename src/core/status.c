/* SPDX-License-Identifier: MIT */
/*
 * The cause catalogue: name, message, general remedy and default "transient" flag of each
 * tk_status. The switch in cause_entry() has no default on purpose: with -Wswitch -Werror a cause
 * added to TK_STATUS_MAP without an entry here fails the build (the trick curl's lib/strerror.c
 * uses). docs/errors.md repeats this table with the OS codes behind each cause; a unit test keeps
 * the two in step.
 */
#include "core_internal.h"

struct cause_entry {
	const char *message;
	const char *remedy;
	bool transient;
};

static const struct cause_entry unknown_entry = {
	"unknown cause (a status value this version of tapkit does not know)",
	"upgrade tapkit to the version the program was built for", false
};

/*
 * Returns NULL for a value outside the enum. Each case keeps its entry in a static of its own so
 * the switch, which has no default, is the only list of causes in this file.
 */
#define TK__CAUSE(msg, rem, tr)                                            \
	do {                                                               \
		static const struct cause_entry entry_ = { msg, rem, tr }; \
		return &entry_;                                            \
	} while (0)

/* NOLINTNEXTLINE(readability-function-size): one case per cause, on purpose */
static const struct cause_entry *cause_entry(tk_status st)
{
	switch (st) {
	case TK_E_OK:
		TK__CAUSE("success", "nothing to do", false);
	case TK_E_NO_PRIVILEGE:
		TK__CAUSE(
			"not enough privilege (CAP_NET_ADMIN on Linux, an elevated process on Windows)",
			"run as root, or give the program CAP_NET_ADMIN (`setcap cap_net_admin+ep PROGRAM`), or have root create a persistent adapter owned by you (`tapkit create NAME --owner $USER`); on Windows run from an elevated prompt (Run as administrator)",
			false);
	case TK_E_DRIVER_NOT_INSTALLED:
		TK__CAUSE(
			"the TAP driver is not installed",
			"install the TAP-Windows6 driver (tap0901, shipped by the OpenVPN and tap-windows6 installers) from an elevated prompt, then create an adapter with `tapkit create NAME`; on Linux load the tun driver with `modprobe tun`",
			false);
	case TK_E_DRIVER_FILES_MISSING:
		TK__CAUSE(
			"the TAP driver's files are missing",
			"reinstall the TAP-Windows6 driver from an elevated prompt: tap0901.sys or its package in the driver store is gone (Device Manager shows problem code 39 or 18 until then)",
			false);
	case TK_E_DRIVER_UNSIGNED:
		TK__CAUSE(
			"the TAP driver's signature is not accepted",
			"install a Microsoft-signed TAP-Windows6 release (9.24 or later); to load a self-signed test build turn Secure Boot off, turn on test-signing with `bcdedit /set testsigning on` from an elevated prompt, and reboot",
			false);
	case TK_E_DRIVER_BLOCKED:
		TK__CAUSE(
			"the TAP driver is blocked from loading",
			"install the latest TAP-Windows6 release; if memory integrity (Windows Security > Device security > Core isolation) or the driver blocklist still blocks it, turn memory integrity off and reboot",
			false);
	case TK_E_DRIVER_SERVICE_STOPPED:
		TK__CAUSE(
			"the TAP driver service is stopped",
			"disable and re-enable the adapter (Device Manager or Network Connections) to start the driver, or run `sc start tap0901` from an elevated prompt; if the service is disabled, `sc config tap0901 start= demand` first",
			false);
	case TK_E_DRIVER_START_FAILED:
		TK__CAUSE(
			"the TAP driver failed to start",
			"read the adapter's problem code in Device Manager and the driver's entry in the System event log, then reinstall the TAP-Windows6 driver from an elevated prompt and reboot",
			false);
	case TK_E_ADAPTER_NOT_FOUND:
		TK__CAUSE(
			"no such adapter",
			"check the name with `tapkit list`, or create the adapter with `tapkit create NAME` (on Windows the name is the connection name or the adapter's {GUID})",
			false);
	case TK_E_ADAPTER_DISABLED:
		TK__CAUSE(
			"the adapter is disabled",
			"enable the adapter in Network Connections or Device Manager, or with `netsh interface set interface NAME enable` from an elevated prompt",
			false);
	case TK_E_ADAPTER_BUSY:
		TK__CAUSE(
			"the adapter is in use by another process",
			"stop the process that holds it (`tapkit show NAME` lists the holders) or use another adapter; on Linux several processes can share a multi-queue adapter (`tapkit create NAME --multi-queue`)",
			false);
	case TK_E_INVALID_GUID:
		TK__CAUSE(
			"invalid or wrong adapter GUID",
			"pass the adapter's NetCfgInstanceId as {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}; `tapkit list` shows the GUID of every TAP adapter (a wintun or ovpn-dco adapter's GUID is not a TAP one)",
			false);
	case TK_E_INVALID_HANDLE:
		TK__CAUSE(
			"invalid handle (closed, never opened or not a tapkit handle)",
			"fix the calling program: pass only a handle returned by tk_ctx_new or tk_dev_open that has not been freed or closed",
			false);
	case TK_E_MISSING_DEPENDENCY:
		TK__CAUSE(
			"a runtime library is missing",
			"install the library the message names (on Debian libmnl is `apt install libmnl0`); on Windows reinstall the program together with its DLLs",
			false);
	case TK_E_SECURITY_SOFTWARE:
		TK__CAUSE(
			"blocked by security software",
			"allow the program and the TAP driver in the security product the message names, or turn its network or driver protection off to confirm the cause",
			false);
	case TK_E_TUN_MISSING:
		TK__CAUSE(
			"/dev/net/tun or the tun driver is missing",
			"load the tun driver with `modprobe tun`; in a container start it with `--device /dev/net/tun --cap-add NET_ADMIN`",
			false);
	case TK_E_OWNER_MISMATCH:
		TK__CAUSE(
			"the adapter belongs to another user",
			"run as the adapter's owner, a member of its group, or root; or have root recreate it for you: `tapkit delete NAME` then `tapkit create NAME --owner $USER`",
			false);
	case TK_E_FLAGS_MISMATCH:
		TK__CAUSE(
			"requested flags do not match the existing adapter",
			"open the adapter with its own mode and flags (`tapkit show NAME` shows kind, multi_queue, vnet_hdr and pi), or delete it and create it again with the flags you need",
			false);
	case TK_E_LINK_DOWN:
		TK__CAUSE("the adapter's link is down",
			  "bring the adapter up with `tapkit up NAME` (or `ip link set NAME up`)",
			  false);
	case TK_E_NO_CARRIER:
		TK__CAUSE(
			"the adapter has no carrier",
			"keep a process attached to the adapter (`tapkit open NAME`) or turn the carrier on with tk_dev_set_carrier; on Windows set the media status to connected",
			false);
	case TK_E_BAD_ARGUMENT:
		TK__CAUSE(
			"invalid argument",
			"check the call's arguments against the documentation (`tapkit VERB --help` for the CLI)",
			false);
	case TK_E_NAME_INVALID:
		TK__CAUSE(
			"invalid adapter name",
			"on Linux use 1 to 15 bytes without '/', ':' or whitespace, and not '.' or '..' (e.g. tap0); on Windows give the connection name or the adapter's {GUID}",
			false);
	case TK_E_IO:
		TK__CAUSE(
			"input/output error",
			"check that the adapter still exists and is up (`tapkit show NAME`); the OS error in the message tells more",
			false);
	case TK_E_TIMEOUT:
		TK__CAUSE("timed out",
			  "retry, or allow more time (a longer timeout or retry deadline)", true);
	case TK_E_DEVICE_VANISHED:
		TK__CAUSE(
			"the adapter disappeared while in use",
			"something deleted or disabled the adapter (`ip link del`, a driver reinstall, Device Manager): close the handle and open the adapter again",
			true);
	case TK_E_EXISTS:
		TK__CAUSE(
			"already exists",
			"use the existing adapter, pick another name, or delete the old one first with `tapkit delete NAME`",
			false);
	case TK_E_NO_MEMORY:
		TK__CAUSE(
			"out of memory or buffer space",
			"retry after a short wait; if it keeps happening free memory or lower the load on the system",
			true);
	case TK_E_UNSUPPORTED:
		TK__CAUSE(
			"not supported by this system",
			"do without the feature the message names, or upgrade the kernel or driver to a version that has it",
			false);
	case TK_E_AGAIN:
		TK__CAUSE(
			"no frame ready (non-blocking)",
			"wait until the handle is readable (poll the handle from tk_dev_handle, or call tk_dev_wait), then read again",
			true);
	case TK_E_NOT_TAP:
		TK__CAUSE(
			"not a TUN/TAP adapter",
			"name a TUN/TAP adapter (`tapkit list` shows them); tapkit does not manage other interfaces",
			false);
	case TK_E_ADAPTER_PROBLEM:
		TK__CAUSE(
			"the adapter reports a device problem",
			"look up the problem code in the message (Device Manager shows it too), disable and re-enable the adapter, or remove it and create a new one with `tapkit create NAME` from an elevated prompt",
			false);
	case TK_E_ADDRESS_INVALID:
		TK__CAUSE(
			"address not accepted",
			"write an IPv4 address as A.B.C.D/0-32, an IPv6 address as X:X::X/0-128, and a MAC address as six pairs of hex digits, unicast and not all zero (e.g. 02:00:00:00:00:01)",
			false);
	case TK_E_FRAME_TOO_BIG:
		TK__CAUSE(
			"frame larger than the buffer or the MTU",
			"read with a buffer of TK_FRAME_BUF_MAX bytes, and raise the MTU (`tapkit set NAME mtu N`) to fit the frames you write",
			false);
	case TK_E_REBOOT_REQUIRED:
		TK__CAUSE("a reboot is required to complete the operation",
			  "restart Windows, then run the command again", false);
	case TK_E_WOW64:
		TK__CAUSE("a 32-bit process cannot manage adapters on 64-bit Windows",
			  "use the 64-bit build of the program (x64, or ARM64 on ARM Windows)",
			  false);
	case TK_E_CONFIG:
		TK__CAUSE(
			"invalid configuration",
			"fix the configuration at the place the message names, then load it again",
			false);
	case TK_E_INTERNAL:
		TK__CAUSE(
			"internal error (a bug in tapkit)",
			"report it to the tapkit developers with the trace id and a log taken with `--log-level debug`",
			false);
	case TK_E_INTERRUPTED:
		TK__CAUSE("interrupted", "a signal interrupted the call: call it again", true);
	case TK_STATUS__COUNT:
		break;
	}
	return NULL;
}
#undef TK__CAUSE

const char *tk_status_name(tk_status st)
{
	/* TK_OK is what programs write (the header's alias of TK_E_OK), so it is what we print. */
	if (st == TK_OK)
		return "TK_OK";
	switch (st) {
#define TK__STATUS_NAME(v, name, desc) \
	case TK_E_##name:              \
		return "TK_E_" #name;
		TK_STATUS_MAP(TK__STATUS_NAME)
#undef TK__STATUS_NAME
	case TK_STATUS__COUNT:
		break;
	}
	return "TK_E_UNKNOWN";
}

const char *tk_status_message(tk_status st)
{
	const struct cause_entry *e = cause_entry(st);
	if (!e)
		e = &unknown_entry;
	return e->message;
}

const char *tk_status_remedy(tk_status st)
{
	const struct cause_entry *e = cause_entry(st);
	if (!e)
		e = &unknown_entry;
	return e->remedy;
}

bool tk_status_transient(tk_status st)
{
	const struct cause_entry *e = cause_entry(st);
	return e ? e->transient : false;
}

const char *tk_os_kind_name(tk_os_kind kind)
{
	switch (kind) {
	case TK_OS_NONE:
		return "none";
	case TK_OS_ERRNO:
		return "errno";
	case TK_OS_WIN32:
		return "win32";
	case TK_OS_NTSTATUS:
		return "ntstatus";
	case TK_OS_HRESULT:
		return "hresult";
	case TK_OS_CONFIGRET:
		return "configret";
	case TK_OS_CM_PROBLEM:
		return "cm_problem";
	case TK_OS_NETLINK:
		return "netlink";
	}
	return "unknown";
}
