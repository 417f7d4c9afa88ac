/* SPDX-License-Identifier: MIT */
/*
 * Two tapkit hosts for the sealed-mode v2 unit tests (test_noise.c, test_cookie.c,
 * test_transport.c): A and B with their identities and each other as a peer, and a complete
 * handshake between them through the real message functions. Included by each test (one copy).
 */
#ifndef TK_TEST_NOISE_PAIR_H
#define TK_TEST_NOISE_PAIR_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "tunnel/noise_internal.h"

#define NP_T0	 (1000 * TK__NS)		  /* monotonic start */
#define NP_WALL0 (1767225600ull * TK__NS + 12345) /* 2026-01-01 */

struct np_host {
	struct tk__noise_params params;
	struct tk__noise_local local;
	uint8_t sk[32];
	struct tk__noise_peer peer; /* the other host */
	uint32_t next_index;
};

struct np_pair {
	struct np_host a, b;
	uint8_t ini[TK__MSG_INITIATION_LEN], rsp[TK__MSG_RESPONSE_LEN];
};

static inline struct tk__noise_peer *np_lookup(void *user, const uint8_t pk[32])
{
	struct np_host *h = user;
	return sodium_memcmp(pk, h->peer.remote_static, 32) == 0 ? &h->peer : NULL;
}

static inline void np_host_make(struct np_host *h, uint32_t vni, uint32_t first_index)
{
	memset(h, 0, sizeof(*h));
	assert_true(tk__noise_params_tapkit(&h->params, vni));
	tk__key_generate(h->sk);
	assert_true(tk__noise_local_init(&h->local, &h->params, h->sk));
	h->next_index = first_index;
}

/* A and B know each other (optionally with preshared keys, NULL: none). */
static inline void np_pair_make(struct np_pair *p, uint32_t vni, const uint8_t *psk_a,
				const uint8_t *psk_b)
{
	assert_true(tk__seal_init());
	np_host_make(&p->a, vni, 0x100);
	np_host_make(&p->b, vni, 0x200);
	assert_int_equal(tk__noise_peer_init(&p->a.peer, &p->a.local, p->b.local.pk, psk_a),
			 TK__NOISE_OK);
	assert_int_equal(tk__noise_peer_init(&p->b.peer, &p->b.local, p->a.local.pk, psk_b),
			 TK__NOISE_OK);
}

static inline void np_pair_free(struct np_pair *p)
{
	tk__noise_peer_free(&p->a.peer);
	tk__noise_peer_free(&p->b.peer);
}

/* A's initiation at monotonic now / wall clock wall into p->ini. */
static inline void np_initiate(struct np_pair *p, uint64_t now, uint64_t wall)
{
	assert_int_equal(tk__noise_initiation_create(&p->a.peer, &p->a.local, p->a.next_index++,
						     wall, now, p->ini),
			 TK__NOISE_OK);
}

/* B consumes msg as an initiation (macs first, not under load). */
static inline enum tk__noise_result np_b_consume(struct np_pair *p, const uint8_t *msg, size_t len,
						 uint64_t now)
{
	static const uint8_t src[6] = { 10, 0, 0, 1, 0x12, 0xb5 };
	struct tk__noise_peer *who = NULL;
	enum tk__noise_result r = tk__cookie_check(&p->b.local, msg, len, src, 6, false, now);
	if (r != TK__NOISE_OK)
		return r;
	r = tk__noise_initiation_consume(&p->b.local, msg, len, now, NP_WALL0 + now, np_lookup,
					 &p->b, &who);
	assert_true(r == TK__NOISE_OK ? who == &p->b.peer : who == NULL);
	return r;
}

/* A initiates at now, B consumes and answers into p->rsp (not consumed yet). */
static inline void np_respond(struct np_pair *p, uint64_t now)
{
	np_initiate(p, now, NP_WALL0 + now);
	assert_int_equal(np_b_consume(p, p->ini, sizeof(p->ini), now), TK__NOISE_OK);
	assert_int_equal(tk__noise_response_create(&p->b.peer, p->b.next_index++, now, p->rsp),
			 TK__NOISE_OK);
}

/* The whole handshake at now: A current, B next (confirmed by A's first message). */
static inline void np_handshake(struct np_pair *p, uint64_t now)
{
	static const uint8_t src[6] = { 10, 0, 0, 2, 0x12, 0xb5 };
	np_respond(p, now);
	assert_int_equal(tk__cookie_check(&p->a.local, p->rsp, sizeof(p->rsp), src, 6, false, now),
			 TK__NOISE_OK);
	assert_int_equal(
		tk__noise_response_consume(&p->a.peer, &p->a.local, p->rsp, sizeof(p->rsp), now),
		TK__NOISE_OK);
}

#endif /* TK_TEST_NOISE_PAIR_H */
