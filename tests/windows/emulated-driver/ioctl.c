/* SPDX-License-Identifier: MIT */
/*
 * TEST CODE ONLY. Checks the emulated driver's own protocol with raw Win32 calls (not tapkit):
 * the answers the backend relies on must match tap-windows6's (tap-windows6-detail.md 1.2-1.4),
 * or the frame tests would prove nothing.
 * usage: ioctl.exe {GUID} [remove-peer|restore-peer|set-version MAJOR.MINOR]
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#define IOC(n) (0x220000u | ((unsigned)(n) << 2))

static int failures;
static HANDLE ev;

static void check(int ok, const char *what, DWORD code)
{
	printf("%s %s (last error %lu)\n", ok ? "ok  " : "FAIL", what, (unsigned long)code);
	failures += !ok;
}

/* DeviceIoControl on the overlapped handle; returns the Win32 code, bytes in *n. */
static DWORD ioc(HANDLE h, DWORD code, void *in, DWORD inl, void *out, DWORD outl, DWORD *n)
{
	OVERLAPPED ov;
	memset(&ov, 0, sizeof(ov));
	ov.hEvent = ev;
	*n = 0;
	if (DeviceIoControl(h, code, in, inl, out, outl, n, &ov))
		return 0;
	DWORD rc = GetLastError();
	if (rc != ERROR_IO_PENDING)
		return rc;
	return GetOverlappedResult(h, &ov, n, TRUE) ? 0 : GetLastError();
}

static DWORD io(HANDLE h, BOOL rd, void *buf, DWORD len, DWORD *n, DWORD wait_ms)
{
	OVERLAPPED ov;
	memset(&ov, 0, sizeof(ov));
	ov.hEvent = ev;
	*n = 0;
	BOOL ok = rd ? ReadFile(h, buf, len, NULL, &ov) : WriteFile(h, buf, len, NULL, &ov);
	if (ok)
		return GetOverlappedResult(h, &ov, n, FALSE) ? 0 : GetLastError();
	DWORD rc = GetLastError();
	if (rc != ERROR_IO_PENDING)
		return rc;
	if (WaitForSingleObject(ev, wait_ms) != WAIT_OBJECT_0) {
		CancelIoEx(h, &ov);
		GetOverlappedResult(h, &ov, n, TRUE);
		return WAIT_TIMEOUT;
	}
	return GetOverlappedResult(h, &ov, n, FALSE) ? 0 : GetLastError();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	wchar_t path[128];
	swprintf(path, 128, L"\\\\.\\Global\\%hs.tap", argv[1]);
	HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_SYSTEM | FILE_FLAG_OVERLAPPED, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		check(0, "open", GetLastError());
		return 1;
	}
	ev = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (argc >= 4 && strcmp(argv[2], "set-version") == 0) {
		/* set-version MAJOR.MINOR (0.0: back to 9.27): what GET_VERSION answers from now. */
		unsigned major = 0, minor = 0;
		if (sscanf(argv[3], "%u.%u", &major, &minor) != 2)
			return 2;
		ULONG v = (ULONG)(major << 16 | minor);
		DWORD got;
		DWORD rc = ioc(h, IOC(0x901), &v, sizeof(v), NULL, 0, &got);
		check(rc == 0, "version set", rc);
		CloseHandle(h);
		return failures != 0;
	}
	if (argc >= 3) {
		/* remove-peer / restore-peer: the driver's test-only request on the OTHER adapter. */
		ULONG present = strcmp(argv[2], "restore-peer") == 0;
		DWORD got;
		DWORD rc = ioc(h, IOC(0x900), &present, sizeof(present), NULL, 0, &got);
		check(rc == 0, present ? "peer restored" : "peer removed", rc);
		CloseHandle(h);
		return failures != 0;
	}
	unsigned char b[1600];
	ULONG v[3] = { 0 };
	DWORD n, rc;

	rc = ioc(h, IOC(1), NULL, 0, b, 6, &n);
	unsigned want[4];
	sscanf(argv[1], "{%2x%2x%2x%2x", &want[0], &want[1], &want[2], &want[3]);
	check(rc == 0 && n == 6 && b[0] == 0 && b[1] == 0xFF && b[2] == want[0] &&
		      b[3] == want[1] && b[4] == want[2] && b[5] == want[3],
	      "GET_MAC is 00:FF and the GUID's first 4 bytes", rc);
	rc = ioc(h, IOC(1), NULL, 0, b, 5, &n);
	check(rc == ERROR_INSUFFICIENT_BUFFER, "GET_MAC with 5 bytes: 122", rc);
	rc = ioc(h, IOC(2), NULL, 0, v, sizeof(v), &n);
	check(rc == 0 && n == 12 && v[0] == 9 && v[1] == 27 && v[2] == 0, "GET_VERSION 9.27.0", rc);
	rc = ioc(h, IOC(3), NULL, 0, v, 4, &n);
	check(rc == 0 && n == 4 && v[0] == 1500, "GET_MTU 1500", rc);
	rc = ioc(h, IOC(4), NULL, 0, b, sizeof(b), &n);
	check(rc == ERROR_INVALID_FUNCTION, "GET_INFO fails with 1", rc);
	rc = ioc(h, IOC(40), NULL, 0, b, sizeof(b), &n);
	check(rc == ERROR_INVALID_FUNCTION, "an unknown request fails with 1", rc);
	ULONG tun[3] = { 0x0100000a, 0x0300000a, 0x00ffffff }; /* 10.0.0.1, 10.0.0.3/24 */
	rc = ioc(h, IOC(10), tun, sizeof(tun), tun, sizeof(tun), &n);
	check(rc == ERROR_INVALID_PARAMETER, "CONFIG_TUN with an unaligned network: 87", rc);
	rc = ioc(h, IOC(10), tun, 8, tun, 8, &n);
	check(rc == ERROR_INVALID_PARAMETER, "CONFIG_TUN with 8 bytes: 87", rc);
	rc = io(h, TRUE, b, sizeof(b), &n, 1000);
	check(rc == ERROR_OPERATION_ABORTED, "a read while disconnected fails with 995", rc);
	memset(b, 0, 60);
	rc = io(h, FALSE, b, 60, &n, 1000);
	check(rc == ERROR_OPERATION_ABORTED, "a write while disconnected fails with 995", rc);
	ULONG on = 1;
	rc = ioc(h, IOC(6), &on, 4, &on, 4, &n);
	check(rc == 0 && n == 1, "SET_MEDIA_STATUS 1 reports 1 byte", rc);
	rc = io(h, FALSE, b, 13, &n, 1000);
	check(rc == ERROR_INSUFFICIENT_BUFFER, "a 13-byte write fails with 122", rc);
	rc = io(h, TRUE, b, sizeof(b), &n, 200);
	check(rc == WAIT_TIMEOUT, "a read with no frame pends (cancelled after 200 ms)", rc);
	ULONG tun_ok[3] = { 0x0100000a, 0x0000000a, 0x00ffffff }; /* 10.0.0.1, 10.0.0.0/24 */
	rc = ioc(h, IOC(10), tun_ok, sizeof(tun_ok), tun_ok, sizeof(tun_ok), &n);
	check(rc == 0, "CONFIG_TUN with an aligned network", rc);
	rc = io(h, FALSE, b, 19, &n, 1000);
	check(rc == ERROR_INSUFFICIENT_BUFFER, "in TUN mode a 19-byte write fails with 122", rc);
	CloseHandle(h);
	return failures != 0;
}
