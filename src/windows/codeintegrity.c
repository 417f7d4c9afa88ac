/* SPDX-License-Identifier: MIT */
/*
 * Code integrity as the system reports it: NtQuerySystemInformation(SystemCodeIntegrity-
 * Information = 103) for test-signing, debug mode and running HVCI, the SecureBoot\State and
 * DeviceGuard registry values for Secure Boot and the memory-integrity setting. The meaning of
 * the bits is winlogic.c's (tk__winlogic_ci_interpret), unit-tested on values because Wine's
 * answer is a stub (always 0x1).
 */
#include "win_internal.h"

#include <string.h>

typedef LONG(NTAPI *tk_ntqsi_fn)(ULONG, PVOID, ULONG, PULONG);

static int read_dword_flag(const wchar_t *path, const wchar_t *value)
{
	HKEY key;
	DWORD v = 0;
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &key) != ERROR_SUCCESS)
		return -1;
	tk_error e = { 0 };
	tk_status st = tk__registry_get_dword(key, value, "code integrity key", &v, &e);
	RegCloseKey(key);
	return st == TK_OK ? (v != 0) : -1;
}

void tk__codeintegrity_read(struct tk_ci_facts *out)
{
	memset(out, 0, sizeof(*out));
	struct {
		/* Read by NtQuerySystemInformation, never by us: it mirrors the OS layout. */
		// cppcheck-suppress unusedStructMember
		ULONG length;
		ULONG options;
	} ci = { 8, 0 }; /* Length must be 8 (SYSTEM_CODEINTEGRITY_INFORMATION) */

	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	FARPROC p = ntdll ? GetProcAddress(ntdll, "NtQuerySystemInformation") : NULL;
	if (p) {
		tk_ntqsi_fn fn;
		memcpy(&fn, &p, sizeof(fn));
		if (fn(103, &ci, sizeof(ci), NULL) >= 0) {
			out->options_known = true;
			out->options = ci.options;
		}
	}
	out->secure_boot = read_dword_flag(L"SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State",
					   L"UEFISecureBootEnabled");
	out->hvci_configured = read_dword_flag(
		L"SYSTEM\\CurrentControlSet\\Control\\DeviceGuard\\Scenarios\\HypervisorEnforcedCodeIntegrity",
		L"Enabled");
}
