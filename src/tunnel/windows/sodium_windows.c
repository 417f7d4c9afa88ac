/* SPDX-License-Identifier: MIT */
/*
 * The libsodium helpers that the engine's shared files call in plain mode, on Windows, in the
 * build without libsodium only (no scripts/mingw-deps.sh prefix; os_windows.h): randomness and
 * the keyed hash from CNG (bcrypt.dll), memory wiping and locking from the kernel. No own
 * primitive: HMAC-SHA-256 stands in for SipHash. The build with sealed mode links libsodium
 * itself (crypto_shorthash for the peer table, as on Linux) and leaves this file out.
 */
#include "../engine.h"

#include <bcrypt.h>

int sodium_init(void)
{
	return 0;
}

void sodium_memzero(void *p, size_t n)
{
	SecureZeroMemory(p, n);
}

int sodium_memcmp(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d ? -1 : 0;
}

int sodium_mlock(void *p, size_t n)
{
	if (VirtualLock(p, n))
		return 0;
	errno = ENOMEM;
	return -1;
}

int sodium_munlock(void *p, size_t n)
{
	SecureZeroMemory(p, n);
	return VirtualUnlock(p, n) ? 0 : -1;
}

void randombytes_buf(void *buf, size_t n)
{
	/* the system's generator cannot fail with a valid buffer; abort rather than go on weak */
	if (n > ULONG_MAX ||
	    !BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
		abort();
}

uint32_t randombytes_random(void)
{
	uint32_t v;
	randombytes_buf(&v, sizeof(v));
	return v;
}

static BCRYPT_ALG_HANDLE hmac_alg;

static BOOL CALLBACK hmac_open(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	return BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&hmac_alg, BCRYPT_SHA256_ALGORITHM, NULL,
							  BCRYPT_ALG_HANDLE_HMAC_FLAG));
}

int crypto_shorthash(unsigned char *out, const unsigned char *in, unsigned long long inlen,
		     const unsigned char *k)
{
	static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
	uint8_t mac[32];

	/* the provider is there on every Windows; without it no hash table could work */
	if (!InitOnceExecuteOnce(&once, hmac_open, NULL, NULL) ||
	    !BCRYPT_SUCCESS(BCryptHash(hmac_alg, (PUCHAR)(uintptr_t)k, crypto_shorthash_KEYBYTES,
				       (PUCHAR)(uintptr_t)in, (ULONG)inlen, mac, sizeof(mac))))
		abort();
	memcpy(out, mac, crypto_shorthash_BYTES);
	return 0;
}
