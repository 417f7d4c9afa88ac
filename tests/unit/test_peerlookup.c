/* SPDX-License-Identifier: MIT */
/*
 * Receiver index -> peer (peerlookup.c): lookups, fresh indices, the table's bound, and a sync
 * from real peers that holds exactly their live indices (a pending initiation, the keypairs)
 * and forgets those a rekey dropped.
 */
#include "noise_pair.h"

static void added_indices_are_found_others_not(void **state)
{
	struct tk__index t;
	(void)state;
	assert_true(tk__index_init(&t, 4));
	assert_int_equal(tk__index_find(&t, 7), TK__INDEX_NONE);
	assert_true(tk__index_add(&t, 7, 1));
	assert_true(tk__index_add(&t, 7 + t.size, 2)); /* same bucket, another index */
	assert_false(tk__index_add(&t, 7, 3));	       /* present */
	assert_false(tk__index_add(&t, 8, TK__INDEX_NONE));
	assert_int_equal(tk__index_find(&t, 7), 1);
	assert_int_equal(tk__index_find(&t, 7 + t.size), 2);
	assert_int_equal(tk__index_find(&t, 8), TK__INDEX_NONE);
	for (int i = 0; i < 1000; i++) {
		uint32_t f = tk__index_fresh(&t);
		assert_true(f != 7 && f != 7 + t.size);
	}
	tk__index_free(&t);
	assert_int_equal(tk__index_find(&t, 7), TK__INDEX_NONE);
}

static void the_table_holds_four_indices_per_peer_and_stays_half_empty(void **state)
{
	struct tk__index t;
	(void)state;
	assert_true(tk__index_init(&t, 10));
	uint32_t n = 0;
	while (tk__index_add(&t, n * 97, n))
		n++;
	assert_true(n >= 40);
	assert_int_equal(n, t.size / 2);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(tk__index_find(&t, i * 97), i);
	tk__index_free(&t);
}

static void sync_holds_exactly_the_live_indices(void **state)
{
	struct np_pair p;
	struct tk__index t;
	struct tk__noise_peer *peers[2];
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	peers[0] = &p.b.peer; /* unrelated: nothing live yet */
	peers[1] = &p.a.peer;
	assert_true(tk__index_init(&t, 2));
	np_initiate(&p, NP_T0, NP_WALL0);
	uint32_t pending = p.a.peer.hs.local_index;
	assert_true(tk__index_sync(&t, peers, 2));
	assert_int_equal(t.count, 1);
	assert_int_equal(tk__index_find(&t, pending), 1);
	/* the handshake completes: the index now names A's keypair (and B's next) */
	np_handshake(&p, NP_T0);
	uint32_t first = tk__keypairs_current(&p.a.peer.kp)->local_index;
	assert_true(tk__index_sync(&t, peers, 2));
	assert_int_equal(t.count, 2);
	assert_int_equal(tk__index_find(&t, first), 1);
	assert_int_equal(tk__index_find(&t, pending), TK__INDEX_NONE); /* superseded */
	assert_int_equal(tk__index_find(&t, p.b.peer.kp.slot[p.b.peer.kp.next].local_index), 0);
	/* two rekeys later A's first keypair is gone, and so is its index */
	np_handshake(&p, NP_T0 + TK__REKEY_AFTER_TIME);
	np_handshake(&p, NP_T0 + 2 * TK__REKEY_AFTER_TIME);
	assert_true(tk__index_sync(&t, peers, 2));
	assert_int_equal(tk__index_find(&t, first), TK__INDEX_NONE);
	assert_int_equal(tk__index_find(&t, tk__keypairs_current(&p.a.peer.kp)->local_index), 1);
	tk__index_free(&t);
	np_pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(added_indices_are_found_others_not),
		cmocka_unit_test(the_table_holds_four_indices_per_peer_and_stays_half_empty),
		cmocka_unit_test(sync_holds_exactly_the_live_indices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
