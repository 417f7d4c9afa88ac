/* SPDX-License-Identifier: MIT */
/*
 * Per-frame cost of sealed mode v2's transport (tk__transport_seal + tk__transport_open) next
 * to v1's (tk__seal_encrypt + tk__seal_open), in one process, alternating, on the same frames.
 * Not a test: run by hand, or under callgrind for instruction counts that do not depend on the
 * machine's load:
 *
 *   build/tests/bench_transport [FRAMES] [LEN]
 *   valgrind --tool=callgrind --toggle-collect=tk__seal_encrypt --toggle-collect=tk__seal_open \
 *            build/tests/bench_transport 2000 1458 v1        (and v2 with tk__transport_*)
 */
#include "tunnel/noise_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * TK__NS + (uint64_t)t.tv_nsec;
}

static uint8_t plain[TK__FRAME_MAX], dgram[TK__FRAME_MAX + 64], out[TK__FRAME_MAX + 64];

static void report(const char *what, uint64_t t0, size_t frames, size_t len)
{
	double dt = (double)(ns() - t0);
	printf("%-36s %zu B: %6.0f ns/frame  %5.2f Gbit/s\n", what, len, dt / (double)frames,
	       (double)frames * (double)len * 8 / dt);
}

int main(int argc, char **argv)
{
	size_t frames = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	size_t len = argc > 2 ? strtoul(argv[2], NULL, 10) : 1458;
	const char *only = argc > 3 ? argv[3] : "";
	uint8_t ska[32], skb[32], pka[32], pkb[32], a_rx[32], b_tx[32], k1[32], k2[32];
	static struct tk__seal_tx tx;
	static struct tk__seal_rx rx;
	static struct tk__keypairs a, b;

	if (len > sizeof(plain) || !tk__seal_init())
		return 2;
	randombytes_buf(plain, len);
	tk__vxlan_encode(plain, 1);
	tk__key_generate(ska);
	tk__key_generate(skb);
	tk__key_public(ska, pka);
	tk__key_public(skb, pkb);
	randombytes_buf(k1, 32);
	randombytes_buf(k2, 32);
	if (!tk__seal_derive(ska, pka, pkb, tx.key, a_rx) ||
	    !tk__seal_derive(skb, pkb, pka, b_tx, rx.key) || !tk__keypairs_init(&a) ||
	    !tk__keypairs_init(&b) || !tk__keypairs_add(&a, k1, k2, 1, 2, true, 1) ||
	    !tk__keypairs_add(&b, k2, k1, 2, 1, true, 1))
		return 1;
	tk__seal_session_new(&tx, 1);
	for (int round = 0; round < 3; round++) {
		if (strcmp(only, "v2") != 0) {
			uint64_t t0 = ns();
			for (size_t i = 0; i < frames; i++) {
				size_t n = tk__seal_encrypt(&tx, plain, len, dgram, sizeof(dgram)),
				       ol;
				if (tk__seal_open(&rx, dgram, n, out, sizeof(out), &ol) != TK__PASS)
					return 1;
			}
			report("v1 tk__seal_encrypt + tk__seal_open", t0, frames, len);
		}
		if (strcmp(only, "v1") != 0) {
			uint64_t t0 = ns();
			for (size_t i = 0; i < frames; i++) {
				size_t n = 0, ol = 0;
				if (tk__transport_seal(tk__keypairs_current(&a), plain, len, dgram,
						       sizeof(dgram), &n, 1) != TK__NOISE_OK ||
				    tk__transport_open(tk__keypairs_current(&b), dgram, n, out,
						       sizeof(out), &ol, 1) != TK__NOISE_OK)
					return 1;
			}
			report("v2 tk__transport_seal + _open", t0, frames, len);
		}
	}
	tk__keypairs_free(&a);
	tk__keypairs_free(&b);
	tk__noise_cleanup();
	tk__seal_cleanup();
	return 0;
}
