/* SPDX-License-Identifier: MIT */
/*
 * Transport messages and keypairs (transport.c): the wire format is RFC 8439 ChaCha20-Poly1305
 * with WireGuard's nonce (checked with libsodium), keepalives, and every refusal: short, wrong
 * type, unknown index, replayed, older than the window, any byte forged, a keypair past
 * REJECT_AFTER_TIME or a counter at REJECT_AFTER_MESSAGES; the window moves only after
 * authentication. And the rotation: a rekey never drops a frame in flight (previous keeps
 * receiving), a responder's keypair waits in next until confirmed.
 */
#include "noise_pair.h"

static uint8_t plain[1500], msg[1600], out[1600];

/* Two keypairs over known keys: A's sending is B's receiving and vice versa. */
struct kpair {
	struct tk__keypairs a, b;
	uint8_t k1[32], k2[32];
};

static void kpair_make(struct kpair *k, uint64_t now)
{
	assert_true(tk__seal_init());
	randombytes_buf(k->k1, 32);
	randombytes_buf(k->k2, 32);
	assert_true(tk__keypairs_init(&k->a));
	assert_true(tk__keypairs_init(&k->b));
	assert_true(tk__keypairs_add(&k->a, k->k1, k->k2, 0xa1, 0xb1, true, now));
	assert_true(tk__keypairs_add(&k->b, k->k2, k->k1, 0xb1, 0xa1, true, now));
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7);
}

static void kpair_free(struct kpair *k)
{
	tk__keypairs_free(&k->a);
	tk__keypairs_free(&k->b);
}

static size_t seal_a(struct kpair *k, size_t len, uint64_t now)
{
	size_t n = 0;
	assert_int_equal(tk__transport_seal(tk__keypairs_current(&k->a), plain, len, msg,
					    sizeof(msg), &n, now),
			 TK__NOISE_OK);
	assert_int_equal(n, len + TK__MSG_DATA_OVERHEAD);
	return n;
}

static enum tk__noise_result open_b(struct kpair *k, const uint8_t *m, size_t n, uint64_t now)
{
	size_t ol = 99;
	struct tk__keypair *kp = tk__keypairs_find(&k->b, tk__msg_receiver(m, n));
	enum tk__noise_result r = tk__transport_open(kp, m, n, out, sizeof(out), &ol, now);
	if (r == TK__NOISE_OK) {
		assert_int_equal(ol, n - TK__MSG_DATA_OVERHEAD);
		assert_memory_equal(out, plain, ol);
	}
	return r;
}

static void wire_format_is_rfc8439_with_wireguards_nonce(void **state)
{
	struct kpair k;
	uint8_t nonce[12] = { 0 }, mine[1500];
	(void)state;
	kpair_make(&k, NP_T0);
	for (uint64_t i = 0; i < 3; i++) {
		size_t n = seal_a(&k, 1458, NP_T0);
		assert_memory_equal(msg, "\x04\x00\x00\x00\xb1\x00\x00\x00", 8);
		assert_int_equal(tk__get_le64(msg + 8), i);
		tk__put_le64(nonce + 4, i);
		assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(
					 mine, NULL, NULL, msg + 16, n - 16, NULL, 0, nonce, k.k1),
				 0);
		assert_memory_equal(mine, plain, 1458);
	}
	/* and libsodium's message opens with ours */
	tk__put_le64(msg + 8, 77);
	tk__put_le64(nonce + 4, 77);
	crypto_aead_chacha20poly1305_ietf_encrypt(msg + 16, NULL, plain, 100, NULL, 0, NULL, nonce,
						  k.k1);
	assert_int_equal(open_b(&k, msg, 16 + 100 + 16, NP_T0), TK__NOISE_OK);
	kpair_free(&k);
}

static void keepalive_is_an_empty_message(void **state)
{
	struct kpair k;
	(void)state;
	kpair_make(&k, NP_T0);
	size_t n = seal_a(&k, 0, NP_T0);
	assert_int_equal(n, 32);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_REPLAY);
	kpair_free(&k);
}

static void short_wrong_type_or_unknown_index_is_refused(void **state)
{
	struct kpair k;
	(void)state;
	kpair_make(&k, NP_T0);
	size_t n = seal_a(&k, 64, NP_T0);
	struct tk__keypair *kb = tk__keypairs_current(&k.b);
	size_t ol = 0;
	for (size_t len = 0; len < 32; len++)
		assert_int_equal(tk__transport_open(kb, msg, len, out, sizeof(out), &ol, NP_T0),
				 TK__NOISE_MALFORMED);
	for (size_t i = 0; i < 4; i++) {
		msg[i] ^= 0x10;
		assert_int_equal(tk__transport_open(kb, msg, n, out, sizeof(out), &ol, NP_T0),
				 TK__NOISE_MALFORMED);
		msg[i] ^= 0x10;
	}
	/* another index: no keypair found, or (given one) not this one */
	msg[4] ^= 1;
	assert_null(tk__keypairs_find(&k.b, tk__msg_receiver(msg, n)));
	assert_int_equal(tk__transport_open(NULL, msg, n, out, sizeof(out), &ol, NP_T0),
			 TK__NOISE_UNKNOWN_INDEX);
	assert_int_equal(tk__transport_open(kb, msg, n, out, sizeof(out), &ol, NP_T0),
			 TK__NOISE_UNKNOWN_INDEX);
	msg[4] ^= 1;
	assert_int_equal(tk__transport_open(kb, msg, n, out, 63, &ol, NP_T0), TK__NOISE_TOO_BIG);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	kpair_free(&k);
}

static void forged_bytes_are_refused_and_move_nothing(void **state)
{
	struct kpair k;
	(void)state;
	kpair_make(&k, NP_T0);
	size_t n = seal_a(&k, 100, NP_T0);
	struct tk__replay before = tk__keypairs_current(&k.b)->win;
	for (size_t i = 8; i < n; i++) {
		msg[i] ^= 0x04;
		assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_BAD_AUTH);
		msg[i] ^= 0x04;
	}
	/* a forged counter far ahead: refused, and the window did not jump */
	tk__put_le64(msg + 8, 1ull << 40);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_BAD_AUTH);
	assert_memory_equal(&tk__keypairs_current(&k.b)->win, &before, sizeof(before));
	tk__put_le64(msg + 8, 0);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	/* truncated: the tag is elsewhere */
	assert_int_equal(open_b(&k, msg, n - 1, NP_T0), TK__NOISE_REPLAY);
	n = seal_a(&k, 100, NP_T0);
	assert_int_equal(open_b(&k, msg, n - 1, NP_T0), TK__NOISE_BAD_AUTH);
	kpair_free(&k);
}

static void replayed_and_too_old_are_refused_out_of_order_passes(void **state)
{
	struct kpair k;
	static uint8_t first[200], later[200];
	(void)state;
	kpair_make(&k, NP_T0);
	size_t n0 = seal_a(&k, 100, NP_T0);
	memcpy(first, msg, n0);
	size_t n1 = seal_a(&k, 100, NP_T0);
	memcpy(later, msg, n1);
	/* out of order within the window: both pass, once each */
	assert_int_equal(open_b(&k, later, n1, NP_T0), TK__NOISE_OK);
	assert_int_equal(open_b(&k, first, n0, NP_T0), TK__NOISE_OK);
	assert_int_equal(open_b(&k, first, n0, NP_T0), TK__NOISE_REPLAY);
	assert_int_equal(open_b(&k, later, n1, NP_T0), TK__NOISE_REPLAY);
	/* a message sealed now but delivered after TK__REPLAY_WINDOW newer ones is too old */
	size_t nl = seal_a(&k, 100, NP_T0);
	memcpy(first, msg, nl);
	for (int i = 0; i < TK__REPLAY_WINDOW; i++) {
		size_t n = seal_a(&k, 10, NP_T0);
		assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	}
	assert_int_equal(open_b(&k, first, nl, NP_T0), TK__NOISE_REPLAY);
	kpair_free(&k);
}

static void keypair_past_reject_after_time_neither_sends_nor_receives(void **state)
{
	struct kpair k;
	size_t n = 0;
	(void)state;
	kpair_make(&k, NP_T0);
	uint64_t end = NP_T0 + TK__REJECT_AFTER_TIME;
	n = seal_a(&k, 10, end - 1);
	assert_int_equal(open_b(&k, msg, n, end), TK__NOISE_EXPIRED);
	assert_int_equal(open_b(&k, msg, n, end - 1), TK__NOISE_OK);
	assert_int_equal(tk__transport_seal(tk__keypairs_current(&k.a), plain, 10, msg, sizeof(msg),
					    &n, end),
			 TK__NOISE_EXPIRED);
	kpair_free(&k);
}

static void counter_stops_at_reject_after_messages(void **state)
{
	struct kpair k;
	size_t n = 0;
	uint8_t nonce[12] = { 0 };
	(void)state;
	kpair_make(&k, NP_T0);
	tk__keypairs_current(&k.a)->send_counter = TK__REJECT_AFTER_MESSAGES - 1;
	n = seal_a(&k, 10, NP_T0);
	assert_int_equal(tk__get_le64(msg + 8), TK__REJECT_AFTER_MESSAGES - 1);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	assert_int_equal(tk__transport_seal(tk__keypairs_current(&k.a), plain, 10, msg, sizeof(msg),
					    &n, NP_T0),
			 TK__NOISE_EXPIRED);
	/* an authentic message with the counter REJECT_AFTER_MESSAGES (made with libsodium) */
	tk__put_le64(msg + 8, TK__REJECT_AFTER_MESSAGES);
	tk__put_le64(nonce + 4, TK__REJECT_AFTER_MESSAGES);
	crypto_aead_chacha20poly1305_ietf_encrypt(msg + 16, NULL, plain, 10, NULL, 0, NULL, nonce,
						  k.k1);
	assert_int_equal(open_b(&k, msg, 42, NP_T0), TK__NOISE_EXPIRED);
	kpair_free(&k);
}

static void nothing_to_send_with_before_a_handshake(void **state)
{
	struct tk__keypairs kp;
	size_t n = 0;
	(void)state;
	assert_true(tk__keypairs_init(&kp));
	assert_null(tk__keypairs_current(&kp));
	assert_int_equal(tk__transport_seal(NULL, plain, 10, msg, sizeof(msg), &n, NP_T0),
			 TK__NOISE_NO_KEYPAIR);
	assert_int_equal(tk__transport_seal(&kp.slot[0], plain, 10, msg, sizeof(msg), &n, NP_T0),
			 TK__NOISE_NO_KEYPAIR);
	tk__keypairs_free(&kp);
}

static void seal_refuses_a_short_buffer(void **state)
{
	struct kpair k;
	size_t n = 0;
	(void)state;
	kpair_make(&k, NP_T0);
	assert_int_equal(
		tk__transport_seal(tk__keypairs_current(&k.a), plain, 100, msg, 131, &n, NP_T0),
		TK__NOISE_TOO_BIG);
	assert_int_equal(tk__keypairs_current(&k.a)->send_counter, 0);
	kpair_free(&k);
}

/*
 * A rekey during a stream: messages sealed under the old keypair and delivered after the new
 * handshake still open (previous), on both sides; the responder's new keypair is used for
 * sending only after the initiator's first message with it confirmed it.
 */
static void a_rekey_drops_no_message_in_flight(void **state)
{
	struct np_pair p;
	static uint8_t inflight_a[200], inflight_b[200];
	size_t na = 0, nb = 0, n = 0, ol = 0;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_handshake(&p, NP_T0);
	struct tk__keypair *a1 = tk__keypairs_current(&p.a.peer.kp);
	assert_int_equal(tk__transport_seal(a1, plain, 10, msg, sizeof(msg), &n, NP_T0),
			 TK__NOISE_OK);
	struct tk__keypair *b1 = tk__keypairs_find(&p.b.peer.kp, tk__msg_receiver(msg, n));
	assert_int_equal(tk__transport_open(b1, msg, n, out, sizeof(out), &ol, NP_T0),
			 TK__NOISE_OK);
	assert_true(tk__keypairs_received_with(&p.b.peer.kp, b1));
	/* one message each way sealed with the first keypair, not delivered yet */
	assert_int_equal(
		tk__transport_seal(a1, plain, 20, inflight_a, sizeof(inflight_a), &na, NP_T0),
		TK__NOISE_OK);
	assert_int_equal(
		tk__transport_seal(b1, plain, 30, inflight_b, sizeof(inflight_b), &nb, NP_T0),
		TK__NOISE_OK);
	uint32_t a1_index = a1->local_index, b1_index = b1->local_index;
	/* the rekey, two minutes later */
	uint64_t t2 = NP_T0 + TK__REKEY_AFTER_TIME;
	np_handshake(&p, t2);
	struct tk__keypair *a2 = tk__keypairs_current(&p.a.peer.kp);
	assert_int_not_equal(a2->local_index, a1_index);
	/* B still sends with the first keypair (the second is not confirmed) */
	assert_int_equal(tk__keypairs_current(&p.b.peer.kp)->local_index, b1_index);
	/* the messages in flight open with the previous keypairs */
	struct tk__keypair *k = tk__keypairs_find(&p.b.peer.kp, tk__msg_receiver(inflight_a, na));
	assert_non_null(k);
	assert_int_equal(tk__transport_open(k, inflight_a, na, out, sizeof(out), &ol, t2),
			 TK__NOISE_OK);
	assert_false(tk__keypairs_received_with(&p.b.peer.kp, k)); /* not the new one */
	k = tk__keypairs_find(&p.a.peer.kp, tk__msg_receiver(inflight_b, nb));
	assert_non_null(k);
	assert_int_equal(tk__transport_open(k, inflight_b, nb, out, sizeof(out), &ol, t2),
			 TK__NOISE_OK);
	/* A's first message with the new keypair confirms it at B: current moves, first is kept */
	assert_int_equal(tk__transport_seal(a2, plain, 10, msg, sizeof(msg), &n, t2), TK__NOISE_OK);
	k = tk__keypairs_find(&p.b.peer.kp, tk__msg_receiver(msg, n));
	assert_int_equal(tk__transport_open(k, msg, n, out, sizeof(out), &ol, t2), TK__NOISE_OK);
	assert_true(tk__keypairs_received_with(&p.b.peer.kp, k));
	assert_ptr_equal(tk__keypairs_current(&p.b.peer.kp), k);
	assert_non_null(tk__keypairs_find(&p.b.peer.kp, b1_index));
	/* a third handshake: the first keypair is gone on both sides */
	np_handshake(&p, t2 + TK__REKEY_AFTER_TIME);
	assert_null(tk__keypairs_find(&p.a.peer.kp, a1_index));
	k = tk__keypairs_find(&p.b.peer.kp, tk__msg_receiver(msg, n));
	assert_non_null(k); /* the second: B's current until the third is confirmed */
	np_pair_free(&p);
}

/* Clearing wipes every keypair: nothing opens or seals afterwards. */
static void cleared_keypairs_refuse_everything(void **state)
{
	struct kpair k;
	(void)state;
	kpair_make(&k, NP_T0);
	size_t n = seal_a(&k, 10, NP_T0);
	tk__keypairs_clear(&k.b);
	assert_null(tk__keypairs_current(&k.b));
	assert_null(tk__keypairs_find(&k.b, 0xb1));
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_UNKNOWN_INDEX);
	for (int i = 0; i < 3; i++)
		assert_false(k.b.slot[i].valid);
	/* the slots can be keyed again */
	assert_true(tk__keypairs_add(&k.b, k.k2, k.k1, 0xb1, 0xa1, true, NP_T0));
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	kpair_free(&k);
}

/* A thread's cleanup frees its objects; keypairs keyed before keep working, new ones too. */
static void cleanup_keeps_keyed_keypairs_working(void **state)
{
	struct kpair k;
	(void)state;
	kpair_make(&k, NP_T0);
	tk__noise_cleanup();
	size_t n = seal_a(&k, 100, NP_T0);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	tk__noise_cleanup();
	assert_true(tk__keypairs_add(&k.a, k.k1, k.k2, 0xa2, 0xb2, true, NP_T0));
	assert_true(tk__keypairs_add(&k.b, k.k2, k.k1, 0xb2, 0xa2, true, NP_T0));
	n = seal_a(&k, 100, NP_T0);
	assert_int_equal(open_b(&k, msg, n, NP_T0), TK__NOISE_OK);
	kpair_free(&k);
	tk__noise_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wire_format_is_rfc8439_with_wireguards_nonce),
		cmocka_unit_test(keepalive_is_an_empty_message),
		cmocka_unit_test(short_wrong_type_or_unknown_index_is_refused),
		cmocka_unit_test(forged_bytes_are_refused_and_move_nothing),
		cmocka_unit_test(replayed_and_too_old_are_refused_out_of_order_passes),
		cmocka_unit_test(keypair_past_reject_after_time_neither_sends_nor_receives),
		cmocka_unit_test(counter_stops_at_reject_after_messages),
		cmocka_unit_test(nothing_to_send_with_before_a_handshake),
		cmocka_unit_test(seal_refuses_a_short_buffer),
		cmocka_unit_test(a_rekey_drops_no_message_in_flight),
		cmocka_unit_test(cleared_keypairs_refuse_everything),
		cmocka_unit_test(cleanup_keeps_keyed_keypairs_working),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
