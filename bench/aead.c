/* SPDX-License-Identifier: MIT */
/*
 * The cipher's cost, for the benchmark's sealed LIMIT ceiling: ChaCha20-Poly1305 from OpenSSL
 * over messages of one size, each sealed or opened on its own, the way any tunnel that uses
 * OpenSSL must do it per datagram: the nonce set on an already keyed context
 * (EVP_CipherInit_ex), the data (EVP_CipherUpdate), the end (EVP_CipherFinal_ex) and the tag
 * (EVP_CTRL_AEAD_GET_TAG after sealing, EVP_CTRL_AEAD_SET_TAG before opening). These are the
 * calls src/tunnel/transport.c makes, and no others: what tapkit spends besides them is its own.
 *
 * `openssl speed -aead` is no such measure: OpenSSL 3.0's speed calls EVP_EncryptUpdate alone
 * in its loop for ChaCha20-Poly1305 (one endless message: no nonce, no tag per buffer), which
 * leaves out the per-message work every datagram costs (about a third of the time at 1472 bytes
 * on an AMD EPYC). That stream figure is printed too, for comparison.
 *
 *   bench_aead BYTES SECONDS
 *
 * Prints three lines, "seal B/s", "open B/s" and "stream B/s" (plaintext bytes per second, one
 * thread), or a message and exit status 1 when an operation fails (an open that does not
 * authenticate is a failure: it would mean the measured calls are not the working ones).
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noise_internal.h" /* tk__put_le64: the wire format's little-endian fields */

#define MAX_BYTES 65536
#define TAG	  16

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The transport's nonce (transport.c): 32 zero bits, then the counter little endian. */
static void nonce(uint8_t iv[12], uint64_t ctr)
{
	memset(iv, 0, 4);
	tk__put_le64(iv + 4, ctr);
}

/* One message: sealed (enc 1: tag out) or opened (enc 0: tag in); false if it failed. */
static bool one(EVP_CIPHER_CTX *c, int enc, uint64_t ctr, const uint8_t *in, size_t len,
		uint8_t *out, uint8_t tag[TAG])
{
	uint8_t iv[12];
	int ol = 0, fl = 0;
	nonce(iv, ctr);
	return EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) == 1 &&
	       (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG, tag) == 1) &&
	       EVP_CipherUpdate(c, out, &ol, in, (int)len) == 1 &&
	       EVP_CipherFinal_ex(c, out + ol, &fl) == 1 &&
	       (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG, tag) == 1);
}

static int fail(const char *what)
{
	const char *why = ERR_reason_error_string(ERR_get_error());
	fprintf(stderr, "bench_aead: %s failed (OpenSSL: %s)\n", what,
		why ? why : "no reason given");
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t plain[MAX_BYTES], sealed[MAX_BYTES], scratch[MAX_BYTES], opened[MAX_BYTES];
	uint8_t key[32], tag[TAG], tag0[TAG];
	char *end = NULL;
	long bytes = argc == 3 ? strtol(argv[1], &end, 10) : 0;
	double secs = argc == 3 ? strtod(argv[2], NULL) : 0;

	if (argc != 3 || !end || *end || bytes < 1 || bytes > MAX_BYTES ||
	    !(secs > 0 && secs <= 60)) {
		fprintf(stderr, "usage: bench_aead BYTES(1-%d) SECONDS(0-60]\n", MAX_BYTES);
		return 2;
	}
	size_t len = (size_t)bytes;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < len; i++)
		plain[i] = (uint8_t)(i * 31 + 3);

	EVP_CIPHER *chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	EVP_CIPHER_CTX *enc = EVP_CIPHER_CTX_new(), *dec = EVP_CIPHER_CTX_new();
	if (!chacha || !enc || !dec || EVP_CipherInit_ex(enc, chacha, NULL, key, NULL, 1) != 1 ||
	    EVP_CipherInit_ex(dec, chacha, NULL, key, NULL, 0) != 1)
		return fail("keying ChaCha20-Poly1305");

	/* the message every open below authenticates: sealed once with counter 0 */
	if (!one(enc, 1, 0, plain, len, sealed, tag0))
		return fail("sealing");

	double rate[2];
	for (int dir = 0; dir < 2; dir++) {
		uint64_t n = 0;
		double t0 = now(), t = t0;
		while (t - t0 < secs) {
			for (int i = 0; i < 256; i++, n++) {
				memcpy(tag, tag0, TAG);
				bool ok = dir == 0 ? one(enc, 1, n + 1, plain, len, scratch, tag)
						   : one(dec, 0, 0, sealed, len, opened, tag);
				if (!ok)
					return fail(dir == 0 ? "sealing" : "opening");
			}
			t = now();
		}
		rate[dir] = (double)n * (double)len / (t - t0);
	}
	if (memcmp(opened, plain, len) != 0) {
		fprintf(stderr, "bench_aead: opening gave other bytes than were sealed\n");
		return 1;
	}

	/* the stream: one message without end, as `openssl speed` measures it */
	uint8_t iv[12];
	int ol = 0;
	nonce(iv, 1);
	if (EVP_CipherInit_ex(enc, NULL, NULL, NULL, iv, 1) != 1)
		return fail("sealing");
	uint64_t n = 0;
	double t0 = now(), t = t0;
	while (t - t0 < secs) {
		for (int i = 0; i < 256; i++, n++)
			if (EVP_CipherUpdate(enc, scratch, &ol, plain, (int)len) != 1)
				return fail("sealing a stream");
		t = now();
	}
	printf("seal %.0f\nopen %.0f\nstream %.0f\n", rate[0], rate[1],
	       (double)n * (double)len / (t - t0));
	EVP_CIPHER_CTX_free(enc);
	EVP_CIPHER_CTX_free(dec);
	EVP_CIPHER_free(chacha);
	return 0;
}
