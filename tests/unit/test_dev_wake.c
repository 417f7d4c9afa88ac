/* SPDX-License-Identifier: MIT */
/*
 * tk_dev_wake on a real TAP: a tk_dev_wait blocked in another thread returns TK_E_INTERRUPTED
 * at once, a wake with nobody waiting ends the next wait, and without a wake a wait times out.
 * The test makes a network namespace of its own (unshare(CLONE_NEWNET): it goes away with the
 * process, and no interface of the machine is touched); without the privilege it skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <tapkit.h>
#include <time.h>

static tk_ctx *ctx;
static tk_dev *dev;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) != 0)
		return 0; /* each test skips: no privilege for a namespace of our own */
	if (tk_ctx_new(&ctx, NULL) != TK_OK)
		return -1;
	tk_open_opts o = { .name = "tkwake0", .mode = TK_MODE_TAP };
	tk_error err;
	if (tk_dev_open(ctx, &o, &dev, &err) != TK_OK) {
		print_error("tk_dev_open: %s\n", err.message);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tk_dev_close(dev);
	tk_ctx_free(ctx);
	return 0;
}

static void *waker(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 100 * 1000000 };
	nanosleep(&ts, NULL);
	tk_error err;
	if (tk_dev_wake(dev, &err) != TK_OK)
		return (void *)1;
	return NULL;
}

static void test_wake_ends_a_blocked_wait(void **state)
{
	(void)state;
	if (!dev)
		skip();
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, waker, NULL), 0);
	uint64_t start = now_ms();
	tk_error err;
	assert_int_equal(tk_dev_wait(dev, 10000, &err), TK_E_INTERRUPTED);
	uint64_t took = now_ms() - start;
	void *ret;
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_true(took >= 50 && took < 5000);
	assert_string_equal(err.op, "poll");
	assert_string_equal(err.object, "tkwake0");
}

static void test_wake_before_wait_is_kept(void **state)
{
	(void)state;
	if (!dev)
		skip();
	tk_error err;
	assert_int_equal(tk_dev_wake(dev, &err), TK_OK);
	assert_int_equal(tk_dev_wake(dev, &err), TK_OK); /* two wakes end one wait */
	uint64_t start = now_ms();
	assert_int_equal(tk_dev_wait(dev, 5000, &err), TK_E_INTERRUPTED);
	assert_true(now_ms() - start < 1000);
	/* consumed: the next wait times out */
	assert_int_equal(tk_dev_wait(dev, 100, &err), TK_E_TIMEOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_ends_a_blocked_wait),
		cmocka_unit_test(test_wake_before_wait_is_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
