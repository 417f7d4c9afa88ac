/* SPDX-License-Identifier: MIT */
/*
 * TAP-Windows6 control requests (tap-windows.h: CTL_CODE(FILE_DEVICE_UNKNOWN, n, METHOD_BUFFERED,
 * FILE_ANY_ACCESS)) and the device path. The handle is overlapped, so even these requests, which
 * the driver completes at once, go through an OVERLAPPED with a bounded wait.
 */
#include "win_internal.h"

#include <string.h>
#include <wchar.h>

void tk__tapioctl_path(const char *guid, wchar_t *buf, size_t units)
{
	wchar_t wguid[TK_ID_MAX];
	tk__winlogic_utf8_to_utf16(guid, (uint16_t *)wguid, TK_ARRAY_SIZE(wguid));
	swprintf(buf, units, L"\\\\.\\Global\\%ls.tap", wguid);
}

DWORD tk__tapioctl_call(HANDLE h, DWORD code, const void *in, DWORD inlen, void *out, DWORD outlen,
			DWORD *got)
{
	OVERLAPPED ov;
	DWORD n = 0, rc = ERROR_SUCCESS;
	unsigned char echo[16];

	memset(&ov, 0, sizeof(ov));
	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!ov.hEvent)
		return GetLastError();
	/* Configuration requests write nothing back, but OpenVPN passes the input again as the
	 * output buffer (tap-windows6-detail.md 1.2); do the same. */
	if (!out && in && inlen <= sizeof(echo)) {
		memcpy(echo, in, inlen);
		out = echo;
		outlen = inlen;
	}
	if (!DeviceIoControl(h, code, (void *)(uintptr_t)in, inlen, out, outlen, &n, &ov)) {
		rc = GetLastError();
		if (rc == ERROR_IO_PENDING) {
			rc = ERROR_SUCCESS;
			if (WaitForSingleObject(ov.hEvent, 5000) != WAIT_OBJECT_0) {
				CancelIoEx(h, &ov);
				rc = ERROR_TIMEOUT;
			}
			if (!GetOverlappedResult(h, &ov, &n, TRUE) && rc == ERROR_SUCCESS)
				rc = GetLastError();
		}
	}
	CloseHandle(ov.hEvent);
	if (got)
		*got = n;
	return rc;
}
