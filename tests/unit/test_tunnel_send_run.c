/* SPDX-License-Identifier: MIT */
/*
 * The runs of batched datagrams that one segmentation offload send carries (tk__send_run,
 * src/tunnel/send.c; Windows' USO sends them in socket_windows.c, which Wine cannot run): one
 * peer, the first datagram's length with only the last shorter, at most GSO_MAX datagrams and
 * GSO_BYTES bytes; on batch shapes, and on a mixed batch against those rules (each run within
 * them, and none ending where the next datagram could have joined it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "tunnel/engine.h"

static struct tk__peer *const A = (struct tk__peer *)(uintptr_t)0x1000;
static struct tk__peer *const B = (struct tk__peer *)(uintptr_t)0x2000;

/* The run ends of a whole batch, in order, into ends; returns how many runs. */
static unsigned runs(struct tk__peer *const *peer, const size_t *len, unsigned n, unsigned *ends)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i = ends[k++])
		ends[k] = tk__send_run(peer, len, i, n);
	return k;
}

static void test_one_peer_equal(void **state)
{
	(void)state;
	struct tk__peer *peer[4] = { A, A, A, A };
	size_t len[4] = { 1458, 1458, 1458, 1458 };
	unsigned ends[4];
	assert_int_equal(runs(peer, len, 4, ends), 1);
	assert_int_equal(ends[0], 4);
	/* one datagram is a run of one */
	assert_int_equal(tk__send_run(peer, len, 3, 4), 4);
}

static void test_peers_and_sizes(void **state)
{
	(void)state;
	/* A A B B A: three runs, one per change of peer */
	struct tk__peer *peer[5] = { A, A, B, B, A };
	size_t len[5] = { 100, 100, 100, 100, 100 };
	unsigned ends[5];
	assert_int_equal(runs(peer, len, 5, ends), 3);
	assert_int_equal(ends[0], 2);
	assert_int_equal(ends[1], 4);
	assert_int_equal(ends[2], 5);
	/* a shorter one ends its run (it is the last segment); a longer one starts a new run */
	size_t mixed[5] = { 100, 60, 100, 200, 200 };
	struct tk__peer *same[5] = { A, A, A, A, A };
	assert_int_equal(runs(same, mixed, 5, ends), 3);
	assert_int_equal(ends[0], 2); /* 100, 60 */
	assert_int_equal(ends[1], 3); /* 100 (200 is longer) */
	assert_int_equal(ends[2], 5); /* 200, 200 */
}

static void test_limits(void **state)
{
	(void)state;
	/* 1458-byte datagrams: GSO_BYTES (65000) holds 44 of them */
	struct tk__peer *peer[TXB_N];
	size_t len[TXB_N];
	for (unsigned i = 0; i < TXB_N; i++) {
		peer[i] = A;
		len[i] = 1458;
	}
	unsigned ends[TXB_N];
	assert_int_equal(runs(peer, len, TXB_N, ends), 2);
	assert_int_equal(ends[0], GSO_BYTES / 1458);
	assert_int_equal(ends[1], TXB_N);
	/* small ones: at most GSO_MAX in a run */
	for (unsigned i = 0; i < TXB_N; i++)
		len[i] = 60;
	assert_int_equal(tk__send_run(peer, len, 0, TXB_N), GSO_MAX < TXB_N ? GSO_MAX : TXB_N);
	/* every run within the limits, every datagram in exactly one run */
	for (unsigned i = 0; i < TXB_N; i++) {
		len[i] = i % 9 == 8 ? 300 : i % 23 == 22 ? 1500 : 1458;
		peer[i] = (i / 13) % 2 ? B : A;
	}
	unsigned k = runs(peer, len, TXB_N, ends), from = 0;
	for (unsigned r = 0; r < k; from = ends[r++]) {
		size_t total = 0;
		assert_true(ends[r] > from && ends[r] - from <= GSO_MAX);
		for (unsigned i = from; i < ends[r]; i++) {
			assert_ptr_equal(peer[i], peer[from]);
			assert_true(i + 1 == ends[r] ? len[i] <= len[from] : len[i] == len[from]);
			total += len[i];
		}
		assert_true(ends[r] - from == 1 || total <= GSO_BYTES);
		unsigned e = ends[r];
		bool could_join = e < TXB_N && len[e - 1] == len[from] && peer[e] == peer[from] &&
				  len[e] <= len[from] && e - from < GSO_MAX &&
				  total + len[e] <= GSO_BYTES;
		assert_false(could_join);
	}
	assert_int_equal(from, TXB_N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_peer_equal),
		cmocka_unit_test(test_peers_and_sizes),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
