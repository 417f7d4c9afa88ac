/* SPDX-License-Identifier: MIT */
/*
 * mac1, mac2 and the cookie reply (cookie.c): mac1 is checked on every handshake message and
 * covers every byte before it; under load a message needs the mac2 of its source address, and
 * gets a cookie reply otherwise; the reply works once, only for the message it answers, only at
 * that address and only while the secret lives; every refusal leaves the state unchanged.
 */
#include "noise_pair.h"

static const uint8_t src_a[6] = { 10, 0, 0, 1, 0x12, 0xb5 };
static const uint8_t src_x[6] = { 10, 0, 0, 66, 0x12, 0xb5 };

static enum tk__noise_result check(struct np_pair *p, const uint8_t *src, bool load, uint64_t now)
{
	return tk__cookie_check(&p->b.local, p->ini, sizeof(p->ini), src, 6, load, now);
}

/* B's cookie reply to A's initiation p->ini (at src_a), into reply. */
static void reply_to_a(struct np_pair *p, uint8_t reply[TK__MSG_COOKIE_LEN])
{
	assert_int_equal(tk__cookie_reply_create(&p->b.local, p->ini, sizeof(p->ini), src_a, 6,
						 NP_T0, reply),
			 TK__NOISE_OK);
}

/* A pair where A initiated and took B's cookie reply (reply) at NP_T0. */
static void with_cookie(struct np_pair *p, uint8_t reply[TK__MSG_COOKIE_LEN])
{
	np_pair_make(p, 42, NULL, NULL);
	np_initiate(p, NP_T0, NP_WALL0);
	reply_to_a(p, reply);
	assert_int_equal(tk__cookie_reply_consume(&p->a.peer, reply, TK__MSG_COOKIE_LEN, NP_T0),
			 TK__NOISE_OK);
}

static void mac1_is_checked_on_every_message(void **state)
{
	struct np_pair p;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0);
	assert_int_equal(check(&p, src_a, false, NP_T0), TK__NOISE_OK);
	for (size_t i = 0; i < sizeof(p.ini) - 16; i++) {
		p.ini[i] ^= 0x20;
		enum tk__noise_result r = check(&p, src_a, false, NP_T0);
		/* the first 4 bytes also name the type: another length for that type is malformed */
		assert_true(i < 4 ? r == TK__NOISE_MALFORMED : r == TK__NOISE_BAD_MAC1);
		p.ini[i] ^= 0x20;
	}
	/* mac2 is not covered by mac1, and not looked at when not under load */
	p.ini[sizeof(p.ini) - 1] ^= 1;
	assert_int_equal(check(&p, src_a, false, NP_T0), TK__NOISE_OK);
	np_pair_free(&p);
}

static void only_handshake_messages_of_their_length_are_checked(void **state)
{
	struct np_pair p;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0);
	assert_int_equal(
		tk__cookie_check(&p.b.local, p.ini, sizeof(p.ini) - 1, src_a, 6, false, NP_T0),
		TK__NOISE_MALFORMED);
	assert_int_equal(tk__cookie_check(&p.b.local, p.ini, 0, src_a, 6, false, NP_T0),
			 TK__NOISE_MALFORMED);
	p.ini[0] = TK__MSG_RESPONSE; /* a response's type with an initiation's length */
	assert_int_equal(check(&p, src_a, false, NP_T0), TK__NOISE_MALFORMED);
	p.ini[0] = TK__MSG_DATA;
	assert_int_equal(check(&p, src_a, false, NP_T0), TK__NOISE_MALFORMED);
	/* and no cookie reply answers what is not a handshake message */
	uint8_t reply[TK__MSG_COOKIE_LEN];
	assert_int_equal(
		tk__cookie_reply_create(&p.b.local, p.ini, sizeof(p.ini), src_a, 6, NP_T0, reply),
		TK__NOISE_MALFORMED);
	assert_int_equal(tk__cookie_reply_create(&p.b.local, p.ini, 10, src_a, 6, NP_T0, reply),
			 TK__NOISE_MALFORMED);
	np_pair_free(&p);
}

static void under_load_a_cookie_round_trip_lets_the_next_message_in(void **state)
{
	struct np_pair p;
	uint8_t reply[TK__MSG_COOKIE_LEN];
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0);
	/* no cookie yet: mac2 is zero, refused under load with the advice to answer */
	assert_memory_equal(p.ini + sizeof(p.ini) - 16, (uint8_t[16]){ 0 }, 16);
	assert_int_equal(check(&p, src_a, true, NP_T0), TK__NOISE_NEED_COOKIE);
	reply_to_a(&p, reply);
	assert_int_equal(tk__msg_type(reply, sizeof(reply)), TK__MSG_COOKIE);
	assert_int_equal(tk__msg_receiver(reply, sizeof(reply)), p.a.peer.hs.local_index);
	assert_int_equal(tk__cookie_reply_consume(&p.a.peer, reply, sizeof(reply), NP_T0 + 1),
			 TK__NOISE_OK);
	assert_true(p.a.peer.cookie.has_cookie);
	/* A's next initiation carries mac2: accepted under load from the same address */
	np_initiate(&p, NP_T0 + 2, NP_WALL0 + TK__NS);
	assert_memory_not_equal(p.ini + sizeof(p.ini) - 16, (uint8_t[16]){ 0 }, 16);
	assert_int_equal(check(&p, src_a, true, NP_T0 + 3), TK__NOISE_OK);
	/* ... but not from another address: the cookie proves the address */
	assert_int_equal(check(&p, src_x, true, NP_T0 + 3), TK__NOISE_NEED_COOKIE);
	/* and the handshake completes */
	assert_int_equal(np_b_consume(&p, p.ini, sizeof(p.ini), NP_T0 + 3), TK__NOISE_OK);
	np_pair_free(&p);
}

static void cookie_reply_refusals_change_nothing(void **state)
{
	struct np_pair p;
	uint8_t reply[TK__MSG_COOKIE_LEN], bad[TK__MSG_COOKIE_LEN];
	struct tk__cookie_maker before;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0);
	reply_to_a(&p, reply);
	before = p.a.peer.cookie;
	for (size_t len = 0; len < sizeof(reply); len++)
		assert_int_equal(tk__cookie_reply_consume(&p.a.peer, reply, len, NP_T0),
				 TK__NOISE_MALFORMED);
	for (size_t i = 0; i < 4; i++) {
		memcpy(bad, reply, sizeof(bad));
		bad[i] ^= 0x40;
		assert_int_equal(tk__cookie_reply_consume(&p.a.peer, bad, sizeof(bad), NP_T0),
				 TK__NOISE_MALFORMED);
	}
	/* the nonce and the sealed cookie are authenticated (the receiver index is routing only) */
	for (size_t i = 8; i < sizeof(reply); i++) {
		memcpy(bad, reply, sizeof(bad));
		bad[i] ^= 0x01;
		assert_int_equal(tk__cookie_reply_consume(&p.a.peer, bad, sizeof(bad), NP_T0),
				 TK__NOISE_BAD_AUTH);
	}
	assert_memory_equal(&p.a.peer.cookie, &before, sizeof(before));
	/* the genuine reply works once: a replay of it answers nothing we sent since */
	assert_int_equal(tk__cookie_reply_consume(&p.a.peer, reply, sizeof(reply), NP_T0),
			 TK__NOISE_OK);
	before = p.a.peer.cookie;
	assert_int_equal(tk__cookie_reply_consume(&p.a.peer, reply, sizeof(reply), NP_T0 + 1),
			 TK__NOISE_WRONG_STATE);
	assert_memory_equal(&p.a.peer.cookie, &before, sizeof(before));
	np_pair_free(&p);
}

/* A reply to an earlier message of A (another mac1) no longer opens: the AD is the last mac1. */
static void cookie_reply_for_an_older_message_is_refused(void **state)
{
	struct np_pair p;
	uint8_t reply[TK__MSG_COOKIE_LEN];
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_initiate(&p, NP_T0, NP_WALL0);
	reply_to_a(&p, reply);
	np_initiate(&p, NP_T0 + 5 * TK__NS, NP_WALL0 + 5 * TK__NS);
	assert_int_equal(tk__cookie_reply_consume(&p.a.peer, reply, sizeof(reply), NP_T0),
			 TK__NOISE_BAD_AUTH);
	assert_false(p.a.peer.cookie.has_cookie);
	np_pair_free(&p);
}

/* Nothing sent yet: a cookie reply answers nothing. */
static void cookie_reply_before_any_message_is_refused(void **state)
{
	struct np_pair p;
	uint8_t reply[TK__MSG_COOKIE_LEN];
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	memset(reply, 0, sizeof(reply));
	reply[0] = TK__MSG_COOKIE;
	assert_int_equal(tk__cookie_reply_consume(&p.a.peer, reply, sizeof(reply), NP_T0),
			 TK__NOISE_WRONG_STATE);
	np_pair_free(&p);
}

/* The responder's secret changes every 2 minutes: a cookie older than that no longer passes. */
static void cookie_secret_rotates_after_two_minutes(void **state)
{
	struct np_pair p;
	uint8_t reply[TK__MSG_COOKIE_LEN];
	(void)state;
	with_cookie(&p, reply);
	/* A still uses its cookie up to 115 s; B's secret was renewed at 120 s */
	np_initiate(&p, NP_T0 + 110 * TK__NS, NP_WALL0 + 110 * TK__NS);
	assert_int_equal(check(&p, src_a, true, NP_T0 + 110 * TK__NS), TK__NOISE_OK);
	assert_int_equal(check(&p, src_a, true, NP_T0 + 120 * TK__NS), TK__NOISE_NEED_COOKIE);
	np_pair_free(&p);
}

/* A's side: a cookie is used for 115 s (COOKIE_SECRET_MAX_AGE - LATENCY), then mac2 is zero. */
static void a_cookie_is_used_less_long_than_the_secret_lives(void **state)
{
	struct np_pair p;
	uint8_t reply[TK__MSG_COOKIE_LEN];
	(void)state;
	with_cookie(&p, reply);
	np_initiate(&p, NP_T0 + 115 * TK__NS - 1, NP_WALL0 + TK__NS);
	assert_memory_not_equal(p.ini + sizeof(p.ini) - 16, (uint8_t[16]){ 0 }, 16);
	np_initiate(&p, NP_T0 + 115 * TK__NS, NP_WALL0 + 2 * TK__NS);
	assert_memory_equal(p.ini + sizeof(p.ini) - 16, (uint8_t[16]){ 0 }, 16);
	np_pair_free(&p);
}

/* The response is checked the same way (its mac1 is for the initiator's key). */
static void response_macs_are_checked_too(void **state)
{
	struct np_pair p;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_respond(&p, NP_T0);
	assert_int_equal(tk__cookie_check(&p.a.local, p.rsp, sizeof(p.rsp), src_a, 6, false, NP_T0),
			 TK__NOISE_OK);
	/* B's own key does not check it: mac1 names the receiver */
	assert_int_equal(tk__cookie_check(&p.b.local, p.rsp, sizeof(p.rsp), src_a, 6, false, NP_T0),
			 TK__NOISE_BAD_MAC1);
	p.rsp[20] ^= 1;
	assert_int_equal(tk__cookie_check(&p.a.local, p.rsp, sizeof(p.rsp), src_a, 6, false, NP_T0),
			 TK__NOISE_BAD_MAC1);
	p.rsp[20] ^= 1;
	assert_int_equal(tk__cookie_check(&p.a.local, p.rsp, sizeof(p.rsp), src_a, 6, true, NP_T0),
			 TK__NOISE_NEED_COOKIE);
	np_pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mac1_is_checked_on_every_message),
		cmocka_unit_test(only_handshake_messages_of_their_length_are_checked),
		cmocka_unit_test(under_load_a_cookie_round_trip_lets_the_next_message_in),
		cmocka_unit_test(cookie_reply_refusals_change_nothing),
		cmocka_unit_test(cookie_reply_for_an_older_message_is_refused),
		cmocka_unit_test(cookie_reply_before_any_message_is_refused),
		cmocka_unit_test(cookie_secret_rotates_after_two_minutes),
		cmocka_unit_test(a_cookie_is_used_less_long_than_the_secret_lives),
		cmocka_unit_test(response_macs_are_checked_too),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
