/* SPDX-License-Identifier: MIT */
/*
 * The sealed-mode v2 handshake (noise.c): a handshake completes and both sides derive the same
 * keys; and every refusal of an initiation and of a response, each checked to leave the peer
 * exactly as it was (unauthenticated input never changes state): wrong length, type, reserved
 * bytes, any bit of the body flipped, a low-order ephemeral, an unknown static key, a replayed
 * or older timestamp, a flood, another tunnel's VNI, WireGuard's identifiers, a wrong
 * preshared key, a response to nothing or to another index.
 */
#include "noise_pair.h"

#include <stdlib.h>

/* A peer's bytes without its pointers (the AEAD contexts): what a refusal must not change. */
static void snapshot(const struct tk__noise_peer *p, struct tk__noise_peer *copy)
{
	memcpy(copy, p, sizeof(*copy));
	for (int i = 0; i < 3; i++)
		copy->kp.slot[i].enc = copy->kp.slot[i].dec = NULL;
}

static void assert_unchanged(const struct tk__noise_peer *p, const struct tk__noise_peer *before)
{
	struct tk__noise_peer now;
	snapshot(p, &now);
	assert_memory_equal(&now, before, sizeof(now));
}

/* Recomputes the mac1 of a message edited on purpose, so the consume function itself is tested. */
static void remac(struct np_pair *p, uint8_t *msg, size_t len, const uint8_t receiver_pk[32])
{
	struct tk__cookie_maker m;
	assert_true(tk__cookie_maker_init(&m, &p->a.params, receiver_pk));
	assert_true(tk__cookie_add_macs(&m, msg, len, NP_T0));
}

/* A pair whose A has initiated (p->ini), B's peer snapshot in before. */
static void initiated(struct np_pair *p, struct tk__noise_peer *before)
{
	np_pair_make(p, 42, NULL, NULL);
	np_initiate(p, NP_T0, NP_WALL0);
	snapshot(&p->b.peer, before);
}

static void a_handshake_gives_both_sides_one_keypair(void **state)
{
	struct np_pair p;
	uint8_t buf[100], out[100];
	size_t n = 0, m = 0;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_handshake(&p, NP_T0);
	struct tk__keypair *ka = tk__keypairs_current(&p.a.peer.kp);
	assert_non_null(ka);
	assert_true(ka->initiator);
	/* B's keypair waits in next: it cannot send before A's first message confirms it */
	assert_null(tk__keypairs_current(&p.b.peer.kp));
	assert_int_equal(p.b.peer.kp.next, 0);
	assert_int_equal(ka->remote_index, p.b.peer.kp.slot[0].local_index);
	assert_int_equal(ka->local_index, p.b.peer.kp.slot[0].remote_index);
	/* the handshake state is wiped once its keypair exists */
	assert_int_equal(p.a.peer.hs.state, TK__HS_ZEROED);
	assert_int_equal(p.b.peer.hs.state, TK__HS_ZEROED);
	memcpy(buf, "hello", 5);
	assert_int_equal(tk__transport_seal(ka, buf, 5, out, sizeof(out), &n, NP_T0), TK__NOISE_OK);
	struct tk__keypair *kb = tk__keypairs_find(&p.b.peer.kp, tk__msg_receiver(out, n));
	assert_non_null(kb);
	assert_int_equal(tk__transport_open(kb, out, n, buf, sizeof(buf), &m, NP_T0), TK__NOISE_OK);
	assert_int_equal(m, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_true(tk__keypairs_received_with(&p.b.peer.kp, kb));
	assert_ptr_equal(tk__keypairs_current(&p.b.peer.kp), kb);
	/* and back */
	assert_int_equal(
		tk__transport_seal(kb, (const uint8_t *)"world", 5, out, sizeof(out), &n, NP_T0),
		TK__NOISE_OK);
	assert_int_equal(tk__transport_open(ka, out, n, buf, sizeof(buf), &m, NP_T0), TK__NOISE_OK);
	assert_memory_equal(buf, "world", 5);
	np_pair_free(&p);
}

static void initiation_of_wrong_length_type_or_reserved_bytes_is_malformed(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	struct tk__noise_peer *who = (struct tk__noise_peer *)&before;
	(void)state;
	initiated(&p, &before);
	for (size_t len = 0; len < sizeof(p.ini); len++) {
		assert_int_equal(np_b_consume(&p, p.ini, len, NP_T0), TK__NOISE_MALFORMED);
		assert_int_equal(tk__noise_initiation_consume(&p.b.local, p.ini, len, NP_T0,
							      NP_WALL0, np_lookup, &p.b, &who),
				 TK__NOISE_MALFORMED);
		assert_null(who);
	}
	for (size_t i = 0; i < 4; i++) {
		p.ini[i] ^= 0x80;
		assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0),
				 TK__NOISE_MALFORMED);
		p.ini[i] ^= 0x80;
	}
	assert_unchanged(&p.b.peer, &before);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	np_pair_free(&p);
}

/* Any bit of the body flipped (and mac1 made right again): refused, nothing changed. */
static void initiation_with_any_byte_changed_is_refused(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	(void)state;
	initiated(&p, &before);
	/* without fixing mac1: every byte before mac2 is covered by it */
	for (size_t i = 4; i < sizeof(p.ini) - 16; i++) {
		p.ini[i] ^= 0x01;
		assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_BAD_MAC1);
		p.ini[i] ^= 0x01;
	}
	/* with mac1 fixed: the AEADs refuse (the sender index is not authenticated, as in WG) */
	static uint8_t msg[TK__MSG_INITIATION_LEN];
	for (size_t i = 8; i < sizeof(p.ini) - 32; i++) {
		memcpy(msg, p.ini, sizeof(msg));
		msg[i] ^= 0x01;
		remac(&p, msg, sizeof(msg), p.b.local.pk);
		enum tk__noise_result r = np_b_consume(&p, msg, sizeof(msg), NP_T0);
		assert_true(r == TK__NOISE_BAD_AUTH || r == TK__NOISE_BAD_KEY);
		assert_unchanged(&p.b.peer, &before);
	}
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	np_pair_free(&p);
}

static void initiation_with_a_low_order_ephemeral_is_refused(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	(void)state;
	initiated(&p, &before);
	memset(p.ini + 8, 0, 32); /* the point 0: every X25519 with it is zero */
	remac(&p, p.ini, sizeof(p.ini), p.b.local.pk);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_BAD_KEY);
	p.ini[8] = 1; /* the point 1, also of low order */
	remac(&p, p.ini, sizeof(p.ini), p.b.local.pk);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_BAD_KEY);
	assert_unchanged(&p.b.peer, &before);
	np_pair_free(&p);
}

/* C knows B's key, but B does not know C: refused after the static key is read. */
static void initiation_from_an_unknown_key_is_refused(void **state)
{
	struct np_pair p;
	struct np_host c;
	struct tk__noise_peer before;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_host_make(&c, 42, 0x300);
	assert_int_equal(tk__noise_peer_init(&c.peer, &c.local, p.b.local.pk, NULL), TK__NOISE_OK);
	assert_int_equal(tk__noise_initiation_create(&c.peer, &c.local, 1, NP_WALL0, NP_T0, p.ini),
			 TK__NOISE_OK);
	snapshot(&p.b.peer, &before);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_UNKNOWN_PEER);
	assert_unchanged(&p.b.peer, &before);
	tk__noise_peer_free(&c.peer);
	np_pair_free(&p);
}

static void replayed_or_older_initiation_is_refused(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	static uint8_t old[TK__MSG_INITIATION_LEN];
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0 + 10 * TK__NS);
	memcpy(old, p.ini, sizeof(old));
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	snapshot(&p.b.peer, &before);
	/* the same message again, a second later (no flood): its timestamp is not newer */
	assert_int_equal(np_b_consume(&p, old, sizeof(old), NP_T0 + TK__NS), TK__NOISE_REPLAY);
	assert_unchanged(&p.b.peer, &before);
	/* a fresh initiation with an earlier wall clock (A's clock stepped back) */
	np_initiate(&p, NP_T0, NP_WALL0 + 9 * TK__NS);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + TK__NS), TK__NOISE_REPLAY);
	/* within the same 2^24 ns the timestamps are equal: also not newer */
	np_initiate(&p, NP_T0, NP_WALL0 + 10 * TK__NS + 1000);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + TK__NS), TK__NOISE_REPLAY);
	assert_unchanged(&p.b.peer, &before);
	/* a later one passes */
	np_initiate(&p, NP_T0, NP_WALL0 + 11 * TK__NS);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + TK__NS), TK__NOISE_OK);
	np_pair_free(&p);
}

/*
 * The forward-dated replay: an initiation recorded while A's clock ran an hour fast is
 * refused (it would otherwise make every later, correctly dated initiation of A a "replay").
 * WireGuard's identifiers keep WireGuard's behaviour (no bound).
 */
static void initiation_dated_too_far_ahead_is_refused(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	struct tk__noise_peer *who = NULL;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	uint64_t b_wall = NP_WALL0 + NP_T0; /* B's clock in np_b_consume */
	np_initiate(&p, NP_T0, b_wall + 3600 * TK__NS);
	snapshot(&p.b.peer, &before);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_FUTURE);
	assert_unchanged(&p.b.peer, &before);
	/* within the bound (a slightly fast clock) it passes, and A's correct clock later too */
	np_initiate(&p, NP_T0, b_wall + TK__NOISE_MAX_FUTURE - TK__NS);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	np_initiate(&p, NP_T0, b_wall + TK__NOISE_MAX_FUTURE);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + TK__NS), TK__NOISE_OK);
	np_pair_free(&p);
	/* with WireGuard's parameters the hour-fast initiation is taken */
	struct np_host a, b;
	np_host_make(&a, 1, 1);
	np_host_make(&b, 1, 2);
	assert_true(tk__noise_params_wireguard(&a.params));
	assert_true(tk__noise_params_wireguard(&b.params));
	assert_true(tk__noise_local_init(&a.local, &a.params, a.sk));
	assert_true(tk__noise_local_init(&b.local, &b.params, b.sk));
	assert_int_equal(tk__noise_peer_init(&a.peer, &a.local, b.local.pk, NULL), TK__NOISE_OK);
	assert_int_equal(tk__noise_peer_init(&b.peer, &b.local, a.local.pk, NULL), TK__NOISE_OK);
	assert_int_equal(tk__noise_initiation_create(&a.peer, &a.local, 1, b_wall + 3600 * TK__NS,
						     NP_T0, p.ini),
			 TK__NOISE_OK);
	assert_int_equal(tk__noise_initiation_consume(&b.local, p.ini, sizeof(p.ini), NP_T0, b_wall,
						      np_lookup, &b, &who),
			 TK__NOISE_OK);
	tk__noise_peer_free(&a.peer);
	tk__noise_peer_free(&b.peer);
}

static void initiations_faster_than_50_per_second_are_a_flood(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	np_initiate(&p, NP_T0, NP_WALL0 + TK__NS);
	snapshot(&p.b.peer, &before);
	uint64_t gap = TK__NS / TK__INITIATIONS_PER_SECOND;
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + gap - 1), TK__NOISE_FLOOD);
	assert_unchanged(&p.b.peer, &before);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + gap), TK__NOISE_OK);
	np_pair_free(&p);
}

/*
 * The cross-tunnel replay: one host key, two tunnels (VNI 1 and 2). A's initiation for
 * tunnel 1 passes mac1 at tunnel 2 (same key) but not the handshake: the VNI is in the hash.
 */
static void initiation_of_another_vni_is_refused(void **state)
{
	struct np_pair p;
	struct np_host b2;
	(void)state;
	np_pair_make(&p, 1, NULL, NULL);
	memset(&b2, 0, sizeof(b2));
	assert_true(tk__noise_params_tapkit(&b2.params, 2));
	assert_true(tk__noise_local_init(&b2.local, &b2.params, p.b.sk)); /* the same host key */
	assert_int_equal(tk__noise_peer_init(&b2.peer, &b2.local, p.a.local.pk, NULL),
			 TK__NOISE_OK);
	np_initiate(&p, NP_T0, NP_WALL0);
	struct tk__noise_peer *who = NULL;
	assert_int_equal(tk__cookie_check(&b2.local, p.ini, sizeof(p.ini), NULL, 0, false, NP_T0),
			 TK__NOISE_OK);
	assert_int_equal(tk__noise_initiation_consume(&b2.local, p.ini, sizeof(p.ini), NP_T0,
						      NP_WALL0, np_lookup, &b2, &who),
			 TK__NOISE_BAD_AUTH);
	assert_int_equal(b2.peer.hs.state, TK__HS_ZEROED);
	/* and tunnel 1 still takes it */
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	tk__noise_peer_free(&b2.peer);
	np_pair_free(&p);
}

/* WireGuard's identifiers and tapkit's never meet: mac1's label differs, so does the hash. */
static void wireguard_and_tapkit_identifiers_do_not_mix(void **state)
{
	struct np_pair p;
	struct np_host w;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	memset(&w, 0, sizeof(w));
	assert_true(tk__noise_params_wireguard(&w.params));
	assert_true(tk__noise_local_init(&w.local, &w.params, p.a.sk));
	assert_int_equal(tk__noise_peer_init(&w.peer, &w.local, p.b.local.pk, NULL), TK__NOISE_OK);
	assert_int_equal(tk__noise_initiation_create(&w.peer, &w.local, 7, NP_WALL0, NP_T0, p.ini),
			 TK__NOISE_OK);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_BAD_MAC1);
	/* with the mac1 made right, the handshake itself refuses */
	remac(&p, p.ini, sizeof(p.ini), p.b.local.pk);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_BAD_AUTH);
	tk__noise_peer_free(&w.peer);
	np_pair_free(&p);
}

static void identifier_binds_version_and_vni(void **state)
{
	uint8_t id[TK__NOISE_ID_LEN];
	struct tk__noise_params p1, p2, p1b;
	(void)state;
	tk__noise_identifier(id, 0x123456);
	assert_int_equal(sizeof(id), 18);
	assert_memory_equal(id, "tapkit sealed\x02\x00\x12\x34\x56", 18);
	assert_true(tk__noise_params_tapkit(&p1, 1));
	assert_true(tk__noise_params_tapkit(&p2, 2));
	assert_true(tk__noise_params_tapkit(&p1b, 1));
	assert_memory_equal(p1.ck0, p2.ck0, 32); /* the construction is Noise's */
	assert_memory_not_equal(p1.h0, p2.h0, 32);
	assert_memory_equal(p1.h0, p1b.h0, 32);
}

static void response_with_a_wrong_preshared_key_is_refused(void **state)
{
	struct np_pair p, q;
	uint8_t psk[32], other[32];
	(void)state;
	randombytes_buf(psk, sizeof(psk));
	memcpy(other, psk, sizeof(other));
	other[31] ^= 1;
	/* the same key on both sides: a handshake */
	np_pair_make(&p, 42, psk, psk);
	np_handshake(&p, NP_T0);
	np_pair_free(&p);
	/* different keys: the initiation passes (psk enters at the response), the response not */
	np_pair_make(&q, 42, psk, other);
	np_initiate(&q, NP_T0, NP_WALL0);
	assert_int_equal(np_b_consume(&q, q.ini, sizeof(q.ini), NP_T0), TK__NOISE_OK);
	assert_int_equal(tk__noise_response_create(&q.b.peer, 9, NP_T0, q.rsp), TK__NOISE_OK);
	struct tk__noise_peer before;
	snapshot(&q.a.peer, &before);
	assert_int_equal(
		tk__noise_response_consume(&q.a.peer, &q.a.local, q.rsp, sizeof(q.rsp), NP_T0),
		TK__NOISE_BAD_AUTH);
	assert_unchanged(&q.a.peer, &before);
	assert_null(tk__keypairs_current(&q.a.peer.kp));
	np_pair_free(&q);
}

static void response_refusals_change_nothing(void **state)
{
	struct np_pair p;
	struct tk__noise_peer before;
	static uint8_t msg[TK__MSG_RESPONSE_LEN];
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	/* a response when none is pending */
	assert_int_equal(tk__noise_response_create(&p.b.peer, 9, NP_T0, p.rsp),
			 TK__NOISE_WRONG_STATE);
	np_respond(&p, NP_T0);
	snapshot(&p.a.peer, &before);
	/* lengths, type, reserved bytes */
	for (size_t len = 0; len < sizeof(p.rsp); len++)
		assert_int_equal(
			tk__noise_response_consume(&p.a.peer, &p.a.local, p.rsp, len, NP_T0),
			TK__NOISE_MALFORMED);
	for (size_t i = 0; i < 4; i++) {
		memcpy(msg, p.rsp, sizeof(msg));
		msg[i] ^= 0x40;
		assert_int_equal(
			tk__noise_response_consume(&p.a.peer, &p.a.local, msg, sizeof(msg), NP_T0),
			TK__NOISE_MALFORMED);
	}
	/* another receiver index: not the answer to our initiation */
	memcpy(msg, p.rsp, sizeof(msg));
	msg[8] ^= 1;
	assert_int_equal(tk__noise_response_consume(&p.a.peer, &p.a.local, msg, sizeof(msg), NP_T0),
			 TK__NOISE_WRONG_STATE);
	/* every byte of ephemeral and sealed empty payload */
	for (size_t i = 12; i < sizeof(p.rsp) - 32; i++) {
		memcpy(msg, p.rsp, sizeof(msg));
		msg[i] ^= 0x01;
		enum tk__noise_result r =
			tk__noise_response_consume(&p.a.peer, &p.a.local, msg, sizeof(msg), NP_T0);
		assert_true(r == TK__NOISE_BAD_AUTH || r == TK__NOISE_BAD_KEY);
	}
	memcpy(msg, p.rsp, sizeof(msg));
	memset(msg + 12, 0, 32);
	assert_int_equal(tk__noise_response_consume(&p.a.peer, &p.a.local, msg, sizeof(msg), NP_T0),
			 TK__NOISE_BAD_KEY);
	assert_unchanged(&p.a.peer, &before);
	/* the genuine one passes, once */
	assert_int_equal(
		tk__noise_response_consume(&p.a.peer, &p.a.local, p.rsp, sizeof(p.rsp), NP_T0),
		TK__NOISE_OK);
	snapshot(&p.a.peer, &before);
	assert_int_equal(
		tk__noise_response_consume(&p.a.peer, &p.a.local, p.rsp, sizeof(p.rsp), NP_T0),
		TK__NOISE_WRONG_STATE);
	assert_unchanged(&p.a.peer, &before);
	np_pair_free(&p);
}

/* B answers an initiation that was replaced by a newer one of A: the old answer is refused. */
static void response_to_a_superseded_initiation_is_refused(void **state)
{
	struct np_pair p;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_respond(&p, NP_T0);
	np_initiate(&p, NP_T0 + 5 * TK__NS, NP_WALL0 + 5 * TK__NS); /* A retried meanwhile */
	assert_int_equal(
		tk__noise_response_consume(&p.a.peer, &p.a.local, p.rsp, sizeof(p.rsp), NP_T0),
		TK__NOISE_WRONG_STATE);
	np_pair_free(&p);
}

/*
 * The replay after a receiver restart: B restarts (fresh state, same keys) and an
 * attacker replays A's recorded initiation and transport messages. The initiation is answered
 * (B cannot tell without stored state), but the old messages open with nothing: their index is
 * gone, and the keypair the replay made differs from the old one.
 */
static void a_restarted_receiver_accepts_no_old_frame(void **state)
{
	struct np_pair p;
	static uint8_t old_ini[TK__MSG_INITIATION_LEN], old_data[100];
	uint8_t out[100];
	size_t n = 0, ol = 0;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_handshake(&p, NP_T0);
	memcpy(old_ini, p.ini, sizeof(old_ini));
	assert_int_equal(tk__transport_seal(tk__keypairs_current(&p.a.peer.kp),
					    (const uint8_t *)"old frame", 9, old_data,
					    sizeof(old_data), &n, NP_T0),
			 TK__NOISE_OK);
	uint32_t old_index = tk__msg_receiver(old_data, n);
	/* B restarts */
	tk__noise_peer_free(&p.b.peer);
	assert_int_equal(tk__noise_peer_init(&p.b.peer, &p.b.local, p.a.local.pk, NULL),
			 TK__NOISE_OK);
	assert_int_equal(np_b_consume(&p, old_ini, sizeof(old_ini), NP_T0 + 60 * TK__NS),
			 TK__NOISE_OK);
	assert_int_equal(tk__noise_response_create(&p.b.peer, 0x777, NP_T0, p.rsp), TK__NOISE_OK);
	/* the old frame's index names nothing now; forced onto the new keypair it fails */
	assert_null(tk__keypairs_find(&p.b.peer.kp, old_index));
	struct tk__keypair *fresh = tk__keypairs_find(&p.b.peer.kp, 0x777);
	assert_non_null(fresh);
	tk__put_le32(old_data + 4, 0x777);
	assert_int_equal(tk__transport_open(fresh, old_data, n, out, sizeof(out), &ol, NP_T0),
			 TK__NOISE_BAD_AUTH);
	assert_null(
		tk__keypairs_current(&p.b.peer.kp)); /* nothing confirmed the replay's keypair */
	np_pair_free(&p);
}

/*
 * Key-compromise impersonation: M holds B's private key and poses as A to B. It can make an
 * initiation B accepts (ss is computable from B's key), but not finish: the response's se DH
 * needs A's private key, so M's keys are wrong and B's keypair is never confirmed.
 */
static void bs_key_alone_does_not_make_a_session_as_a(void **state)
{
	struct np_pair p;
	struct np_host m;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_host_make(&m, 42, 0x900); /* some key of M's own */
	assert_int_equal(tk__noise_peer_init(&m.peer, &m.local, p.b.local.pk, NULL), TK__NOISE_OK);
	/* M claims A's public key and computes ss from B's private key */
	memcpy(m.local.pk, p.a.local.pk, 32);
	assert_int_equal(crypto_scalarmult(m.peer.ss, p.b.sk, p.a.local.pk), 0);
	assert_int_equal(tk__noise_initiation_create(&m.peer, &m.local, 0x901, NP_WALL0 + NP_T0,
						     NP_T0, p.ini),
			 TK__NOISE_OK);
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0), TK__NOISE_OK);
	assert_int_equal(tk__noise_response_create(&p.b.peer, 0x902, NP_T0, p.rsp), TK__NOISE_OK);
	/* M cannot read the response: no transport keys */
	assert_int_equal(tk__noise_response_consume(&m.peer, &m.local, p.rsp, sizeof(p.rsp), NP_T0),
			 TK__NOISE_BAD_AUTH);
	assert_null(tk__keypairs_current(&m.peer.kp));
	assert_null(tk__keypairs_current(&p.b.peer.kp));
	tk__noise_peer_free(&m.peer);
	np_pair_free(&p);
}

static void bad_peer_keys_are_refused(void **state)
{
	struct np_host h;
	struct tk__noise_peer peer;
	uint8_t zero[32] = { 0 }, one[32] = { 1 };
	(void)state;
	np_host_make(&h, 1, 1);
	assert_int_equal(tk__noise_peer_init(&peer, &h.local, h.local.pk, NULL), TK__NOISE_BAD_KEY);
	assert_int_equal(tk__noise_peer_init(&peer, &h.local, zero, NULL), TK__NOISE_BAD_KEY);
	assert_int_equal(tk__noise_peer_init(&peer, &h.local, one, NULL), TK__NOISE_BAD_KEY);
}

/* A v1 datagram is no v2 message: refused as malformed everywhere, and recognised for the log. */
static void a_v1_datagram_is_recognised_and_refused(void **state)
{
	struct np_pair p;
	struct tk__seal_tx tx;
	uint8_t plain[64] = { 0 }, v1[200], out[200];
	size_t ol = 0;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	memset(&tx, 0, sizeof(tx));
	tk__seal_session_new(&tx, 1);
	size_t n = tk__seal_encrypt(&tx, plain, sizeof(plain), v1, sizeof(v1));
	assert_true(n > 0);
	assert_true(tk__msg_is_v1(v1, n));
	uint32_t type = tk__msg_type(v1, n);
	assert_true(type != TK__MSG_INITIATION && type != TK__MSG_RESPONSE &&
		    type != TK__MSG_COOKIE && type != TK__MSG_DATA);
	assert_int_equal(np_b_consume(&p, v1, n, NP_T0), TK__NOISE_MALFORMED);
	assert_int_equal(tk__noise_response_consume(&p.a.peer, &p.a.local, v1, n, NP_T0),
			 TK__NOISE_MALFORMED);
	assert_int_equal(tk__cookie_reply_consume(&p.a.peer, v1, n, NP_T0), TK__NOISE_MALFORMED);
	assert_int_equal(tk__transport_open(NULL, v1, n, out, sizeof(out), &ol, NP_T0),
			 TK__NOISE_MALFORMED);
	/* and no v2 message is taken for v1 */
	np_initiate(&p, NP_T0, NP_WALL0);
	assert_false(tk__msg_is_v1(p.ini, sizeof(p.ini)));
	assert_false(tk__msg_is_v1(v1, 3));
	np_pair_free(&p);
}

static void tai64n_is_big_endian_with_whitened_nanoseconds(void **state)
{
	uint8_t t[12];
	(void)state;
	tk__tai64n(t, 1ull * TK__NS + 0x3ffffff);
	/* 2^62 + 10 + 1 seconds; nanoseconds 0x3ffffff with the low 24 bits cleared */
	assert_memory_equal(t, "\x40\x00\x00\x00\x00\x00\x00\x0b\x03\x00\x00\x00", 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_handshake_gives_both_sides_one_keypair),
		cmocka_unit_test(initiation_of_wrong_length_type_or_reserved_bytes_is_malformed),
		cmocka_unit_test(initiation_with_any_byte_changed_is_refused),
		cmocka_unit_test(initiation_with_a_low_order_ephemeral_is_refused),
		cmocka_unit_test(initiation_from_an_unknown_key_is_refused),
		cmocka_unit_test(replayed_or_older_initiation_is_refused),
		cmocka_unit_test(initiation_dated_too_far_ahead_is_refused),
		cmocka_unit_test(initiations_faster_than_50_per_second_are_a_flood),
		cmocka_unit_test(initiation_of_another_vni_is_refused),
		cmocka_unit_test(wireguard_and_tapkit_identifiers_do_not_mix),
		cmocka_unit_test(identifier_binds_version_and_vni),
		cmocka_unit_test(response_with_a_wrong_preshared_key_is_refused),
		cmocka_unit_test(response_refusals_change_nothing),
		cmocka_unit_test(response_to_a_superseded_initiation_is_refused),
		cmocka_unit_test(a_restarted_receiver_accepts_no_old_frame),
		cmocka_unit_test(bs_key_alone_does_not_make_a_session_as_a),
		cmocka_unit_test(bad_peer_keys_are_refused),
		cmocka_unit_test(a_v1_datagram_is_recognised_and_refused),
		cmocka_unit_test(tai64n_is_big_endian_with_whitened_nanoseconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
