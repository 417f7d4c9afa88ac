/* SPDX-License-Identifier: MIT */
/* The learning switch's MAC table: learning, moves, ageing with an injected clock, the bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tunnel/tunnel_internal.h"

#define S 1000000000ull

static void mac_of(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void learns_and_finds(void **state)
{
	struct tk__mactable t;
	uint8_t a[6], b[6], c[6];
	(void)state;
	assert_true(tk__mac_init(&t, 16, 300 * S));
	mac_of(1, a);
	mac_of(2, b);
	mac_of(3, c);
	tk__mac_learn(&t, a, 0, 1 * S);
	tk__mac_learn(&t, b, 1, 1 * S);
	assert_int_equal(tk__mac_lookup(&t, a, 2 * S), 0);
	assert_int_equal(tk__mac_lookup(&t, b, 2 * S), 1);
	assert_int_equal(tk__mac_lookup(&t, c, 2 * S), TK__MAC_NONE);
	assert_int_equal(t.count, 2);
	tk__mac_free(&t);
}

static void a_station_that_moves_follows(void **state)
{
	struct tk__mactable t;
	uint8_t a[6];
	(void)state;
	assert_true(tk__mac_init(&t, 4, 300 * S));
	mac_of(7, a);
	tk__mac_learn(&t, a, 0, 1 * S);
	tk__mac_learn(&t, a, 2, 2 * S);
	assert_int_equal(tk__mac_lookup(&t, a, 3 * S), 2);
	assert_int_equal(t.count, 1);
	tk__mac_free(&t);
}

static void entries_age_out(void **state)
{
	struct tk__mactable t;
	uint8_t a[6], b[6];
	(void)state;
	assert_true(tk__mac_init(&t, 8, 300 * S));
	mac_of(1, a);
	mac_of(2, b);
	tk__mac_learn(&t, a, 0, 0);
	tk__mac_learn(&t, b, 1, 200 * S);
	assert_int_equal(tk__mac_lookup(&t, a, 299 * S), 0);
	assert_int_equal(tk__mac_lookup(&t, a, 300 * S), TK__MAC_NONE);
	tk__mac_expire(&t, 450 * S);
	assert_int_equal(t.count, 1);
	assert_int_equal(tk__mac_lookup(&t, b, 450 * S), 1);
	tk__mac_expire(&t, 500 * S);
	assert_int_equal(t.count, 0);
	tk__mac_free(&t);
}

static void refreshing_keeps_an_entry(void **state)
{
	struct tk__mactable t;
	uint8_t a[6];
	(void)state;
	assert_true(tk__mac_init(&t, 8, 10 * S));
	mac_of(1, a);
	for (uint64_t s = 0; s < 100; s += 5)
		tk__mac_learn(&t, a, 3, s * S);
	assert_int_equal(tk__mac_lookup(&t, a, 100 * S), 3);
	tk__mac_free(&t);
}

static void the_table_is_bounded_and_evicts_the_oldest(void **state)
{
	struct tk__mactable t;
	uint8_t m[6];
	(void)state;
	assert_true(tk__mac_init(&t, 100, 300 * S));
	for (uint32_t i = 0; i < 1000; i++) {
		mac_of(i, m);
		tk__mac_learn(&t, m, i % 3, (uint64_t)i * 1000);
		assert_true(t.count <= 100);
	}
	assert_int_equal(t.count, 100);
	assert_int_equal(t.evictions, 900);
	mac_of(899, m);
	assert_int_equal(tk__mac_lookup(&t, m, 1000000), TK__MAC_NONE);
	mac_of(900, m);
	assert_int_equal(tk__mac_lookup(&t, m, 1000000), 0);
	mac_of(999, m);
	assert_int_equal(tk__mac_lookup(&t, m, 1000000), 0);
	tk__mac_free(&t);
}

static void recently_used_survives_eviction(void **state)
{
	struct tk__mactable t;
	uint8_t m[6], first[6];
	(void)state;
	assert_true(tk__mac_init(&t, 3, 300 * S));
	mac_of(1, first);
	tk__mac_learn(&t, first, 0, 1);
	mac_of(2, m);
	tk__mac_learn(&t, m, 0, 2);
	mac_of(3, m);
	tk__mac_learn(&t, m, 0, 3);
	tk__mac_learn(&t, first, 0, 4); /* refreshed: now the newest */
	mac_of(4, m);
	tk__mac_learn(&t, m, 1, 5); /* evicts 2, the oldest */
	assert_int_equal(tk__mac_lookup(&t, first, 6), 0);
	mac_of(2, m);
	assert_int_equal(tk__mac_lookup(&t, m, 6), TK__MAC_NONE);
	tk__mac_free(&t);
}

static void forgetting_a_port(void **state)
{
	struct tk__mactable t;
	uint8_t m[6];
	(void)state;
	assert_true(tk__mac_init(&t, 64, 300 * S));
	for (uint32_t i = 0; i < 30; i++) {
		mac_of(i, m);
		tk__mac_learn(&t, m, i % 2, 1);
	}
	tk__mac_forget_port(&t, 1);
	assert_int_equal(t.count, 15);
	mac_of(3, m);
	assert_int_equal(tk__mac_lookup(&t, m, 2), TK__MAC_NONE);
	mac_of(4, m);
	assert_int_equal(tk__mac_lookup(&t, m, 2), 0);
	/* freed entries are reused */
	for (uint32_t i = 100; i < 149; i++) {
		mac_of(i, m);
		tk__mac_learn(&t, m, 0, 3);
	}
	assert_int_equal(t.count, 64);
	tk__mac_flush(&t);
	assert_int_equal(t.count, 0);
	tk__mac_free(&t);
}

/* AllowedMACs: static entries win over learning, never age, are not re-learned elsewhere. */
static void static_entries_are_pinned(void **state)
{
	struct tk__mactable t;
	uint8_t a[6], b[6], c[6];
	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	mac_of(3, c);
	assert_true(tk__mac_init(&t, 4, 1000));
	tk__mac_learn(&t, a, 9, 0); /* learned first, then pinned: the static one wins */
	assert_true(tk__mac_statics_reset(&t, 2));
	tk__mac_add_static(&t, a, 5);
	tk__mac_add_static(&t, b, 6);
	tk__mac_add_static(&t, b, 7); /* listed by a second peer: the first keeps it */
	assert_int_equal(tk__mac_lookup(&t, a, 10), 5);
	assert_int_equal(tk__mac_lookup(&t, b, 10), 6);
	assert_int_equal(t.count, 0); /* the learned entry of a went with the pin */
	tk__mac_learn(&t, a, 8, 20);  /* a frame from a behind another peer moves nothing */
	assert_int_equal(tk__mac_lookup(&t, a, 30), 5);
	assert_int_equal(tk__mac_lookup(&t, a, 1000000), 5); /* not aged */
	tk__mac_learn(&t, c, 1, 0);
	assert_int_equal(tk__mac_lookup(&t, c, 10), 1);
	tk__mac_flush(&t); /* learned ones only */
	assert_int_equal(tk__mac_lookup(&t, c, 10), TK__MAC_NONE);
	assert_int_equal(tk__mac_static_port(&t, b), 6);
	tk__mac_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(learns_and_finds),
		cmocka_unit_test(a_station_that_moves_follows),
		cmocka_unit_test(entries_age_out),
		cmocka_unit_test(refreshing_keeps_an_entry),
		cmocka_unit_test(the_table_is_bounded_and_evicts_the_oldest),
		cmocka_unit_test(recently_used_survives_eviction),
		cmocka_unit_test(forgetting_a_port),
		cmocka_unit_test(static_entries_are_pinned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
