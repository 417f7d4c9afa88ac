/* SPDX-License-Identifier: MIT */
/*
 * The retry policy, run against an injected clock: the exact delays for given random values,
 * the cap, the deadline cut, the stop on a non-transient failure, and the log of each retry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "core/core_internal.h"

#define MS 1000000ull

struct fake {
	uint64_t now;
	uint64_t sleeps[16];
	size_t nsleeps;
	const uint32_t *randoms;
	size_t nrandoms, next_random;
	/* the function under retry */
	const tk_status *results;
	size_t nresults, calls;
	uint64_t work_ns; /* time each attempt takes */
	bool not_transient;
};

static uint64_t fake_now(void *user)
{
	return ((struct fake *)user)->now;
}

static void fake_sleep(void *user, uint64_t ns)
{
	struct fake *f = user;
	assert_true(f->nsleeps < 16);
	f->sleeps[f->nsleeps++] = ns;
	f->now += ns;
}

static uint32_t fake_random(void *user)
{
	struct fake *f = user;
	assert_true(f->next_random < f->nrandoms);
	return f->randoms[f->next_random++];
}

static tk_status attempt(void *user, tk_error *err)
{
	struct fake *f = user;
	assert_true(f->calls < f->nresults);
	tk_status st = f->results[f->calls++];
	f->now += f->work_ns;
	if (st == TK_OK)
		return TK_OK;
	tk__error_set_quiet(err, st, "open", "tap0", TK_OS_NONE, 0, "attempt %zu", f->calls);
	if (f->not_transient)
		err->transient = false;
	return st;
}

static tk_ctx *fake_ctx(struct fake *f)
{
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	tk_clock c = { fake_now, fake_sleep, fake_random, f };
	tk_ctx_set_clock(ctx, &c);
	f->now = 1000 * MS;
	return ctx;
}

static void test_ceiling_doubles_from_base_up_to_cap(void **state)
{
	(void)state;
	uint32_t want[] = { 0, 50, 100, 200, 400, 800, 1600, 2000, 2000 };
	for (uint32_t n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		assert_int_equal(tk_retry_ceiling_ms(NULL, n), want[n]);
	tk_retry_policy p = { .base_ms = 10, .cap_ms = 35 };
	assert_int_equal(tk_retry_ceiling_ms(&p, 1), 10);
	assert_int_equal(tk_retry_ceiling_ms(&p, 2), 20);
	assert_int_equal(tk_retry_ceiling_ms(&p, 3), 35);
}

static void test_ceiling_does_not_overflow(void **state)
{
	(void)state;
	tk_retry_policy p = { .base_ms = 0x80000001u, .cap_ms = UINT32_MAX };
	assert_int_equal(tk_retry_ceiling_ms(&p, 1), 0x80000001u);
	assert_int_equal(tk_retry_ceiling_ms(&p, 2), UINT32_MAX);
	p.base_ms = 3;
	assert_int_equal(tk_retry_ceiling_ms(&p, 31), 3u << 30);
	assert_int_equal(tk_retry_ceiling_ms(&p, 32), UINT32_MAX);
	assert_int_equal(tk_retry_ceiling_ms(&p, 33), UINT32_MAX);
	assert_int_equal(tk_retry_ceiling_ms(&p, UINT32_MAX), UINT32_MAX);
	/* a base above the cap is capped from the first retry */
	p.base_ms = 500;
	p.cap_ms = 100;
	assert_int_equal(tk_retry_ceiling_ms(&p, 1), 100);
}

static void test_success_first_time_does_not_sleep(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_OK };
	struct fake f = { .results = results, .nresults = 1 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, &err), TK_OK);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.nsleeps, 0);
	assert_int_equal(err.status, TK_OK);
	tk_ctx_free(ctx);
}

static void test_sleeps_are_random_modulo_ceiling_plus_one(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_E_AGAIN, TK_E_AGAIN, TK_E_AGAIN };
	static const uint32_t randoms[] = { 1000, 7, 12345 };
	struct fake f = { .results = results, .nresults = 4, .randoms = randoms, .nrandoms = 3 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.calls, 4); /* default attempts */
	assert_int_equal(f.nsleeps, 3);
	assert_int_equal(f.sleeps[0], 1000 % 51 * MS);	 /* ceiling 50 */
	assert_int_equal(f.sleeps[1], 7 * MS);		 /* ceiling 100 */
	assert_int_equal(f.sleeps[2], 12345 % 201 * MS); /* ceiling 200 */
	/* err holds the last attempt's failure */
	assert_int_equal(err.status, TK_E_AGAIN);
	assert_string_equal(err.message, "attempt 4");
	tk_ctx_free(ctx);
}

static void test_success_after_retries_clears_the_error(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_TIMEOUT, TK_E_INTERRUPTED, TK_OK };
	static const uint32_t randoms[] = { 50, 100 };
	struct fake f = { .results = results, .nresults = 3, .randoms = randoms, .nrandoms = 2 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, &err), TK_OK);
	assert_int_equal(f.calls, 3);
	assert_int_equal(f.nsleeps, 2);
	assert_int_equal(f.sleeps[0], 50 * MS);
	assert_int_equal(f.sleeps[1], 100 * MS);
	assert_int_equal(err.status, TK_OK);
	assert_string_equal(err.message, "");
	tk_ctx_free(ctx);
}

static void test_cap_limits_late_delays(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_E_AGAIN, TK_E_AGAIN, TK_E_AGAIN };
	static const uint32_t randoms[] = { UINT32_MAX, UINT32_MAX, UINT32_MAX };
	struct fake f = { .results = results, .nresults = 4, .randoms = randoms, .nrandoms = 3 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_retry_policy p = { .attempts = 4, .base_ms = 30, .cap_ms = 45, .deadline_ms = 60000 };
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, &p, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.sleeps[0], UINT32_MAX % 31 * MS);
	assert_int_equal(f.sleeps[1], UINT32_MAX % 46 * MS);
	assert_int_equal(f.sleeps[2], UINT32_MAX % 46 * MS);
	tk_ctx_free(ctx);
}

static void test_non_transient_failure_stops_at_once(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_ADAPTER_BUSY, TK_OK };
	struct fake f = { .results = results, .nresults = 2 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, &err), TK_E_ADAPTER_BUSY);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.nsleeps, 0);
	assert_int_equal(err.status, TK_E_ADAPTER_BUSY);
	tk_ctx_free(ctx);
}

static void test_record_transient_flag_overrides_the_catalogue(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_OK };
	struct fake f = { .results = results, .nresults = 2, .not_transient = true };
	tk_ctx *ctx = fake_ctx(&f);
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.calls, 1);
	tk_ctx_free(ctx);
}

static void test_one_attempt_means_no_retry(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_OK };
	struct fake f = { .results = results, .nresults = 2 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_retry_policy p = { .attempts = 1 };
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, &p, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.nsleeps, 0);
	tk_ctx_free(ctx);
}

static void test_delay_that_would_pass_the_deadline_is_not_taken(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_E_AGAIN, TK_OK };
	/* 50 ms fits a 100 ms deadline; then now = +50 ms and 60 ms more would end at 110 ms */
	static const uint32_t randoms[] = { 50, 60 };
	struct fake f = { .results = results, .nresults = 3, .randoms = randoms, .nrandoms = 2 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_retry_policy p = { .attempts = 10, .deadline_ms = 100 };
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, &p, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.calls, 2);
	assert_int_equal(f.nsleeps, 1);
	assert_int_equal(f.sleeps[0], 50 * MS);
	assert_string_equal(err.message, "attempt 2");
	tk_ctx_free(ctx);
}

static void test_time_spent_in_attempts_counts_against_the_deadline(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_E_AGAIN, TK_OK };
	static const uint32_t randoms[] = { 0, 0 };
	struct fake f = { .results = results,
			  .nresults = 3,
			  .randoms = randoms,
			  .nrandoms = 2,
			  .work_ns = 60 * MS };
	tk_ctx *ctx = fake_ctx(&f);
	tk_retry_policy p = { .attempts = 10, .deadline_ms = 100 };
	tk_error err;
	/* attempt 1 ends at 60 ms (retry, 0 ms delay); attempt 2 ends at 120 ms: past it */
	assert_int_equal(tk_retry_run(ctx, &p, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.calls, 2);
	tk_ctx_free(ctx);
}

static void test_policy_null_uses_the_context_policy(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_E_AGAIN, TK_E_AGAIN };
	static const uint32_t randoms[] = { 0, 0 };
	struct fake f = { .results = results, .nresults = 3, .randoms = randoms, .nrandoms = 2 };
	tk_ctx *ctx = fake_ctx(&f);
	tk_retry_policy p = { .attempts = 2 };
	tk_ctx_set_retry(ctx, &p);
	tk_retry_policy got;
	tk_ctx_get_retry(ctx, &got);
	assert_int_equal(got.attempts, 2);
	assert_int_equal(got.base_ms, 50); /* zero fields read back as the defaults */
	assert_int_equal(got.cap_ms, 2000);
	assert_int_equal(got.deadline_ms, 10000);
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, &err), TK_E_AGAIN);
	assert_int_equal(f.calls, 2);
	tk_ctx_free(ctx);
}

struct lines {
	int n;
	char fields[4][256];
	char trace[4][TK_TRACE_ID_MAX];
};

static void capture(void *user, const tk_log_record *rec)
{
	struct lines *l = user;
	if (rec->level != TK_LOG_INFO || strcmp(rec->subsystem, "core.retry") != 0 || l->n >= 4)
		return;
	char *out = l->fields[l->n];
	out[0] = '\0';
	for (size_t i = 0; i < rec->nfields; i++) {
		size_t len = strlen(out);
		tk__snprintf(out + len, 256 - len, "%s=%s;", rec->fields[i].key,
			     rec->fields[i].value);
	}
	tk__strlcpy(l->trace[l->n], rec->trace_id, TK_TRACE_ID_MAX);
	l->n++;
}

static void test_each_retry_is_logged_at_info_with_fields(void **state)
{
	(void)state;
	static const tk_status results[] = { TK_E_AGAIN, TK_E_TIMEOUT, TK_OK };
	static const uint32_t randoms[] = { 20, 70 };
	struct fake f = { .results = results, .nresults = 3, .randoms = randoms, .nrandoms = 2 };
	tk_ctx *ctx = fake_ctx(&f);
	struct lines l = { 0 };
	tk_ctx_set_logger(ctx, capture, &l, TK_LOG_INFO);
	assert_int_equal(tk_retry_run(ctx, NULL, "open", attempt, &f, NULL), TK_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.fields[0], "attempt=1;delay_ms=20;cause=TK_E_AGAIN;");
	assert_string_equal(l.fields[1], "attempt=2;delay_ms=70;cause=TK_E_TIMEOUT;");
	/* one operation, one trace id */
	assert_int_equal(strlen(l.trace[0]), 16);
	assert_string_equal(l.trace[0], l.trace[1]);
	tk_ctx_free(ctx);
}

static void test_misuse_is_reported_not_run(void **state)
{
	(void)state;
	tk_error err;
	assert_int_equal(tk_retry_run(NULL, NULL, "open", attempt, NULL, &err),
			 TK_E_INVALID_HANDLE);
	assert_int_equal(err.status, TK_E_INVALID_HANDLE);
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	assert_int_equal(tk_retry_run(ctx, NULL, "open", NULL, NULL, &err), TK_E_BAD_ARGUMENT);
	tk_ctx_free(ctx);
}

static tk_status fails_without_record(void *user, tk_error *err)
{
	(void)err;
	(*(int *)user)++;
	return TK_E_TIMEOUT;
}

static void test_failure_without_record_gets_catalogue_defaults(void **state)
{
	(void)state;
	static const uint32_t randoms[] = { 0, 0, 0 };
	struct fake f = { .randoms = randoms, .nrandoms = 3 };
	tk_ctx *ctx = fake_ctx(&f);
	int calls = 0;
	tk_error err;
	assert_int_equal(tk_retry_run(ctx, NULL, "probe", fails_without_record, &calls, &err),
			 TK_E_TIMEOUT);
	assert_int_equal(calls, 4); /* still transient by the catalogue, so retried */
	assert_int_equal(err.status, TK_E_TIMEOUT);
	assert_string_equal(err.op, "probe");
	tk_ctx_free(ctx);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* The system clock sleeps the whole delay even when signals interrupt nanosleep. */
static void test_system_clock_sleep_survives_signals(void **state)
{
	(void)state;
	tk_clock c;
	tk__clock_system(&c);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: nanosleep returns EINTR */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	struct itimerval every_5ms = { { 0, 5000 }, { 0, 5000 } }, off = { { 0, 0 }, { 0, 0 } };
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &every_5ms, NULL), 0);
	uint64_t t0 = c.now_ns(c.user);
	c.sleep_ns(c.user, 60 * MS);
	uint64_t t1 = c.now_ns(c.user);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_true(alarms > 0); /* the sleep really was interrupted */
	assert_true(t1 - t0 >= 60 * MS);
}

static void test_system_clock_random_varies(void **state)
{
	(void)state;
	tk_clock c;
	tk__clock_system(&c);
	uint32_t first = c.random_u32(c.user);
	bool differs = false;
	for (int i = 0; i < 16 && !differs; i++)
		differs = c.random_u32(c.user) != first;
	assert_true(differs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ceiling_doubles_from_base_up_to_cap),
		cmocka_unit_test(test_ceiling_does_not_overflow),
		cmocka_unit_test(test_success_first_time_does_not_sleep),
		cmocka_unit_test(test_sleeps_are_random_modulo_ceiling_plus_one),
		cmocka_unit_test(test_success_after_retries_clears_the_error),
		cmocka_unit_test(test_cap_limits_late_delays),
		cmocka_unit_test(test_non_transient_failure_stops_at_once),
		cmocka_unit_test(test_record_transient_flag_overrides_the_catalogue),
		cmocka_unit_test(test_one_attempt_means_no_retry),
		cmocka_unit_test(test_delay_that_would_pass_the_deadline_is_not_taken),
		cmocka_unit_test(test_time_spent_in_attempts_counts_against_the_deadline),
		cmocka_unit_test(test_policy_null_uses_the_context_policy),
		cmocka_unit_test(test_each_retry_is_logged_at_info_with_fields),
		cmocka_unit_test(test_misuse_is_reported_not_run),
		cmocka_unit_test(test_failure_without_record_gets_catalogue_defaults),
		cmocka_unit_test(test_system_clock_sleep_survives_signals),
		cmocka_unit_test(test_system_clock_random_varies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
