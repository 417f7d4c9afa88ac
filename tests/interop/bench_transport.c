/* SPDX-License-Identifier: MIT */
/*
 * Per-frame cost of sealed mode v2's transport (tk__transport_seal + tk__transport_open) next
 * to v1's (tk__seal_encrypt + tk__seal_open), in one process, alternating, on the same frames;
 * and what a responder spends per handshake message (the DoS budget): a forged initiation
 * refused by mac1, a cookie reply, a genuine initiation consumed and answered.
 * Not a test: run by hand, or under callgrind for instruction counts that do not depend on the
 * machine's load:
 *
 *   build/tests/bench_transport [FRAMES] [LEN] [v1|v2|hs]
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

static struct tk__noise_peer *hs_peer;

static struct tk__noise_peer *lookup(void *user, const uint8_t pk[32])
{
	(void)user;
	return memcmp(pk, hs_peer->remote_static, 32) == 0 ? hs_peer : NULL;
}

/* Per handshake message, at the responder. */
static int handshakes(size_t count)
{
	static struct tk__noise_params params;
	static struct tk__noise_local li, lr;
	static struct tk__noise_peer pi, pr;
	uint8_t ski[32], skr[32], ini[TK__MSG_INITIATION_LEN], rsp[TK__MSG_RESPONSE_LEN];
	uint8_t reply[TK__MSG_COOKIE_LEN], src[6] = { 10, 0, 0, 1, 0, 1 };
	struct tk__noise_peer *who;

	tk__key_generate(ski);
	tk__key_generate(skr);
	if (!tk__noise_params_tapkit(&params, 1) || !tk__noise_local_init(&li, &params, ski) ||
	    !tk__noise_local_init(&lr, &params, skr) ||
	    tk__noise_peer_init(&pi, &li, lr.pk, NULL) != TK__NOISE_OK ||
	    tk__noise_peer_init(&pr, &lr, li.pk, NULL) != TK__NOISE_OK)
		return 1;
	hs_peer = &pr;
	if (tk__noise_initiation_create(&pi, &li, 1, 1, 1, ini) != TK__NOISE_OK)
		return 1;
	ini[50] ^= 1; /* forged: mac1 no longer matches */
	uint64_t t0 = ns();
	for (size_t i = 0; i < count; i++)
		if (tk__cookie_check(&lr, ini, sizeof(ini), src, 6, false, 1) != TK__NOISE_BAD_MAC1)
			return 1;
	printf("%-36s %8.0f ns\n", "forged initiation, refused by mac1",
	       (double)(ns() - t0) / (double)count);
	t0 = ns();
	for (size_t i = 0; i < count; i++)
		if (tk__cookie_reply_create(&lr, ini, sizeof(ini), src, 6, 1, reply) !=
		    TK__NOISE_OK)
			return 1;
	printf("%-36s %8.0f ns\n", "cookie reply made (under load)",
	       (double)(ns() - t0) / (double)count);
	uint64_t spent = 0;
	for (size_t i = 0; i < count / 10; i++) {
		uint64_t now = (1 + i) * TK__NS;
		if (tk__noise_initiation_create(&pi, &li, 1, now, now, ini) != TK__NOISE_OK)
			return 1;
		t0 = ns();
		if (tk__cookie_check(&lr, ini, sizeof(ini), src, 6, false, now) != TK__NOISE_OK ||
		    tk__noise_initiation_consume(&lr, ini, sizeof(ini), now, now, lookup, NULL,
						 &who) != TK__NOISE_OK ||
		    tk__noise_response_create(&pr, 2, now, rsp) != TK__NOISE_OK)
			return 1;
		spent += ns() - t0;
	}
	printf("%-36s %8.0f ns\n", "initiation consumed and answered",
	       (double)spent / (double)(count / 10));
	tk__noise_peer_free(&pi);
	tk__noise_peer_free(&pr);
	return 0;
}

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
	if (strcmp(only, "hs") == 0)
		return handshakes(frames);
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
