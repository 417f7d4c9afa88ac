/* SPDX-License-Identifier: MIT */
/*
 * The per-address handshake limit under load (ratelimit.c): 5 at once then 20 per second per
 * address, addresses independent of each other, a bounded table that refuses newcomers only
 * while every entry they could take is active, and bad input refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tunnel/noise_internal.h"

#define T0 (1000 * TK__NS)

static void a_burst_of_5_then_20_per_second(void **state)
{
	struct tk__ratelimit r;
	const uint8_t a[6] = { 10, 0, 0, 1, 0x12, 0xb5 };
	(void)state;
	assert_true(tk__ratelimit_init(&r, 64));
	for (int i = 0; i < TK__RL_BURST; i++)
		assert_true(tk__ratelimit_allow(&r, a, sizeof(a), T0));
	assert_false(tk__ratelimit_allow(&r, a, sizeof(a), T0));
	/* one more every 50 ms: over one second, 20 */
	unsigned passed = 0;
	for (uint64_t t = T0 + TK__NS / 1000; t <= T0 + TK__NS; t += TK__NS / 1000)
		passed += tk__ratelimit_allow(&r, a, sizeof(a), t);
	assert_int_equal(passed, TK__RL_PER_SECOND);
	/* after a pause the burst is back, not more */
	unsigned burst = 0;
	for (int i = 0; i < 10; i++)
		burst += tk__ratelimit_allow(&r, a, sizeof(a), T0 + 10 * TK__NS);
	assert_int_equal(burst, TK__RL_BURST);
	tk__ratelimit_free(&r);
}

static void addresses_are_limited_independently(void **state)
{
	struct tk__ratelimit r;
	uint8_t a[18] = { 0xfd }, b[18] = { 0xfd };
	(void)state;
	b[17] = 1; /* differs in the port only */
	assert_true(tk__ratelimit_init(&r, 64));
	for (int i = 0; i < TK__RL_BURST; i++)
		assert_true(tk__ratelimit_allow(&r, a, sizeof(a), T0));
	assert_false(tk__ratelimit_allow(&r, a, sizeof(a), T0));
	assert_true(tk__ratelimit_allow(&r, b, sizeof(b), T0));
	/* a prefix of a is another address */
	assert_true(tk__ratelimit_allow(&r, a, 16, T0));
	tk__ratelimit_free(&r);
}

/* A flood from many addresses fills the table; newcomers wait until entries refill. */
static void a_full_table_refuses_newcomers_until_entries_refill(void **state)
{
	struct tk__ratelimit r;
	uint8_t addr[4];
	(void)state;
	assert_true(tk__ratelimit_init(&r, 4)); /* one set of 4 ways */
	assert_int_equal(r.nsets, 1);
	for (uint32_t i = 0; i < 4; i++) {
		memcpy(addr, &i, 4);
		assert_true(tk__ratelimit_allow(&r, addr, 4, T0));
	}
	uint32_t n = 99;
	memcpy(addr, &n, 4);
	assert_false(tk__ratelimit_allow(&r, addr, 4, T0 + 1));
	assert_false(tk__ratelimit_allow(&r, addr, 4, T0 + TK__RL_TOKEN_MAX - 1));
	/* the others' buckets are full again: their entries are free */
	assert_true(tk__ratelimit_allow(&r, addr, 4, T0 + TK__RL_TOKEN_MAX));
	tk__ratelimit_free(&r);
}

static void memory_is_fixed_and_bad_input_refused(void **state)
{
	struct tk__ratelimit r;
	uint8_t big[TK__RL_ADDR_MAX + 1] = { 0 };
	(void)state;
	assert_true(tk__ratelimit_init(&r, 1000));
	assert_int_equal(r.nsets, 256); /* 1024 entries: the capacity rounded up */
	assert_false(tk__ratelimit_allow(&r, big, sizeof(big), T0));
	assert_false(tk__ratelimit_allow(&r, big, 0, T0));
	assert_true(tk__ratelimit_allow(&r, big, TK__RL_ADDR_MAX, T0));
	tk__ratelimit_free(&r);
	assert_false(tk__ratelimit_allow(&r, big, 4, T0)); /* freed: refuses, does not crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_burst_of_5_then_20_per_second),
		cmocka_unit_test(addresses_are_limited_independently),
		cmocka_unit_test(a_full_table_refuses_newcomers_until_entries_refill),
		cmocka_unit_test(memory_is_fixed_and_bad_input_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
