/* SPDX-License-Identifier: MIT */
/*
 * What the engine's shared files need from Windows (engine.h includes it instead of the Linux
 * headers): the loop's state (loop_windows.c), the socket's receives in flight
 * (socket_windows.c), the clocks, and libsodium. The build with libsodium and OpenSSL
 * (TK_WIN_SEALED: scripts/mingw-deps.sh cross-builds them) has sealed mode and includes
 * <sodium.h>; the build without them refuses sealed mode (seal_unavailable.c) and gets the few
 * helpers plain mode uses from Windows' own calls (sodium_windows.c: CNG for randomness and the
 * keyed hash, SecureZeroMemory, VirtualLock). Nothing below is an own cipher.
 */
#ifndef TK_TUNNEL_OS_WINDOWS_H
#define TK_TUNNEL_OS_WINDOWS_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* ---- the loop: the handles it waits on, with their tags ---- */

#define TK__WIN_WAIT_MAX 8
struct tk__loop {
	HANDLE wake;  /* auto-reset: tk_tunnel_stop (any thread, the console's Ctrl-C handler) */
	HANDLE timer; /* waitable timer: the reopen */
	HANDLE h[TK__WIN_WAIT_MAX];
	uint32_t tag[TK__WIN_WAIT_MAX];
	unsigned n;
};

/* ---- the socket: overlapped receives in flight, completed in order ---- */

typedef SOCKET tk__sock;
#define TK__SOCK_NONE INVALID_SOCKET
#define TK__WIN_RX    8 /* == RX_BATCH */

struct tk__udp_rx {
	HANDLE ev; /* manual-reset, shared by the receives: the handle the loop waits on */
	OVERLAPPED ov[TK__WIN_RX];
	WSABUF wb[TK__WIN_RX];
	INT src_len[TK__WIN_RX];
	DWORD flags[TK__WIN_RX];
	bool pending[TK__WIN_RX];
	DWORD failed[TK__WIN_RX]; /* the issue itself failed with this code (pending false) */
	unsigned head;
	bool conn_reset_off; /* SIO_UDP_CONNRESET accepted: ICMP errors do not fail receives */
};

/* ---- clocks ---- */

#ifndef CLOCK_REALTIME
#define CLOCK_REALTIME 0
#endif
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

static inline uint64_t clock_ns(int id)
{
	if (id == CLOCK_REALTIME) {
		FILETIME ft;
		GetSystemTimePreciseAsFileTime(&ft);
		uint64_t v = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
		return (v - 116444736000000000ull) * 100u; /* 100 ns since 1601 -> ns since 1970 */
	}
	LARGE_INTEGER c, f;
	QueryPerformanceCounter(&c);
	QueryPerformanceFrequency(&f);
	uint64_t q = (uint64_t)c.QuadPart, fr = (uint64_t)f.QuadPart;
	return q / fr * 1000000000ull + q % fr * 1000000000ull / fr;
}

#ifdef TK_WIN_SEALED
#include <sodium.h>
#else
/* ---- libsodium's helpers that plain mode uses (src/tunnel/windows/sodium_windows.c) ---- */

#define crypto_shorthash_BYTES	  8u
#define crypto_shorthash_KEYBYTES 16u

int sodium_init(void);
void sodium_memzero(void *p, size_t n);
int sodium_memcmp(const void *a, const void *b, size_t n);
int sodium_mlock(void *p, size_t n);
int sodium_munlock(void *p, size_t n);
void randombytes_buf(void *buf, size_t n);
uint32_t randombytes_random(void);
/* A keyed hash for the peers' hash table: HMAC-SHA-256 (CNG) cut to 8 bytes. */
int crypto_shorthash(unsigned char *out, const unsigned char *in, unsigned long long inlen,
		     const unsigned char *k);

/* Sealed mode's calls where it is not built: TK_E_UNSUPPORTED saying so (seal_unavailable.c). */
tk_status tk__no_seal(tk_error *err, const char *op, const char *object);
#endif

/* ---- a file's DACL and owner (keyfile_windows.c; the verdict: src/windows/acllogic.c) ---- */

/* Whether Everyone, Users or Authenticated Users may read or write a file, and which of them. */
struct tk__win_acl {
	bool readable, writable;
	const char *reader, *writer; /* "Everyone", "Users", "Authenticated Users"; "" when not */
	bool foreign_owner;	     /* owned by none of Administrators, SYSTEM, TrustedInstaller,
					this process's user (acllogic.c) */
	char owner[256];	     /* "S-1-5-7 (NT AUTHORITY\\ANONYMOUS LOGON)"; "" when none */
};
/*
 * Reads the DACL of path into *v; TK_E_CONFIG (op, obj: the error's; what: "private key file",
 * "configuration file") with the Windows code when it cannot be read.
 */
tk_status tk__win_file_acl(const char *path, const char *op, const char *obj, const char *what,
			   struct tk__win_acl *v, tk_error *err);
/* The icacls command that leaves path to SYSTEM and the Administrators, as err's remedy. */
void tk__win_acl_remedy(tk_error *err, const char *path);
/*
 * TK_OK, or TK_E_CONFIG when v says path's owner is foreign (it could have been planted), with
 * the fix (icacls /setowner, takeown) as err's remedy. op, obj, what: as tk__win_file_acl's.
 */
tk_status tk__win_owner_check(const struct tk__win_acl *v, const char *path, const char *op,
			      const char *obj, const char *what, tk_error *err);

#endif /* TK_TUNNEL_OS_WINDOWS_H */
