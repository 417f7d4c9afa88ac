/* SPDX-License-Identifier: MIT */
/* The replay window: new counters pass once, old ones and repeats never, forged ones move nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tunnel/tunnel_internal.h"

static void each_counter_passes_once(void **state)
{
	struct tk__replay r;
	(void)state;
	tk__replay_reset(&r);
	for (uint64_t c = 0; c < 5000; c++) {
		assert_true(tk__replay_check(&r, c));
		assert_true(tk__replay_mark(&r, c));
		assert_false(tk__replay_check(&r, c));
		assert_false(tk__replay_mark(&r, c));
	}
}

static void out_of_order_within_the_window_passes(void **state)
{
	struct tk__replay r;
	(void)state;
	tk__replay_reset(&r);
	assert_true(tk__replay_mark(&r, 5000));
	assert_true(tk__replay_mark(&r, 4999));
	assert_true(tk__replay_mark(&r, 5000 - (uint64_t)TK__REPLAY_WINDOW + 1));
	assert_false(tk__replay_check(&r, 4999));
	assert_true(tk__replay_check(&r, 4998));
}

static void older_than_the_window_is_refused(void **state)
{
	struct tk__replay r;
	(void)state;
	tk__replay_reset(&r);
	assert_true(tk__replay_mark(&r, 10000));
	assert_false(tk__replay_check(&r, 10000 - (uint64_t)TK__REPLAY_WINDOW));
	assert_false(tk__replay_check(&r, 0));
	assert_true(tk__replay_check(&r, 10000 - (uint64_t)TK__REPLAY_WINDOW + 1));
}

static void a_jump_clears_what_it_passes(void **state)
{
	struct tk__replay r;
	(void)state;
	tk__replay_reset(&r);
	for (uint64_t c = 0; c < 64; c++)
		assert_true(tk__replay_mark(&r, c));
	/* exactly one ring later the same bits would alias: they must read as new */
	uint64_t far = (uint64_t)TK__REPLAY_BITS + 5;
	assert_true(tk__replay_mark(&r, far));
	assert_true(tk__replay_check(&r, far - 3));
	assert_false(tk__replay_check(&r, 5)); /* too old now */
	assert_true(tk__replay_mark(&r, far + 100000));
	assert_true(tk__replay_check(&r, far + 100000 - 1));
}

static void counters_near_the_top_of_the_range(void **state)
{
	struct tk__replay r;
	(void)state;
	tk__replay_reset(&r);
	assert_true(tk__replay_mark(&r, UINT64_MAX - 10));
	assert_true(tk__replay_mark(&r, UINT64_MAX));
	assert_false(tk__replay_check(&r, UINT64_MAX));
	assert_true(tk__replay_check(&r, UINT64_MAX - 5));
	assert_false(tk__replay_check(&r, UINT64_MAX - 10));
	assert_false(tk__replay_check(&r, 0));
}

static void check_alone_changes_nothing(void **state)
{
	struct tk__replay r;
	(void)state;
	tk__replay_reset(&r);
	assert_true(tk__replay_mark(&r, 50));
	/* a forged datagram is only checked, never marked: 1e12 must not slide the window */
	assert_true(tk__replay_check(&r, 1000000000000ull));
	assert_true(tk__replay_check(&r, 49));
	assert_true(tk__replay_mark(&r, 49));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_counter_passes_once),
		cmocka_unit_test(out_of_order_within_the_window_passes),
		cmocka_unit_test(older_than_the_window_is_refused),
		cmocka_unit_test(a_jump_clears_what_it_passes),
		cmocka_unit_test(counters_near_the_top_of_the_range),
		cmocka_unit_test(check_alone_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
