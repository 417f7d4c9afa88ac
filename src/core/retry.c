/* SPDX-License-Identifier: MIT */
/*
 * Retrying transient failures with capped exponential backoff and full jitter (the delay before
 * retry n is uniform in [0, min(cap, base * 2^(n-1))] ms), within an overall deadline. Full
 * jitter spreads processes that failed together (the TAP-Windows slot freed by a closing
 * handle, a device being re-created) instead of having them collide again in lock step.
 * Delays and randomness come from the context's clock so tests can check them exactly.
 */
#include "core_internal.h"

#include <inttypes.h>
#include <stdio.h>

#define DEFAULT_ATTEMPTS    4u
#define DEFAULT_BASE_MS	    50u
#define DEFAULT_CAP_MS	    2000u
#define DEFAULT_DEADLINE_MS 10000u

static tk_retry_policy policy_or_defaults(const tk_retry_policy *in)
{
	tk_retry_policy p = { 0 };
	if (in)
		p = *in;
	if (!p.attempts)
		p.attempts = DEFAULT_ATTEMPTS;
	if (!p.base_ms)
		p.base_ms = DEFAULT_BASE_MS;
	if (!p.cap_ms)
		p.cap_ms = DEFAULT_CAP_MS;
	if (!p.deadline_ms)
		p.deadline_ms = DEFAULT_DEADLINE_MS;
	return p;
}

uint32_t tk_retry_ceiling_ms(const tk_retry_policy *policy, uint32_t n)
{
	tk_retry_policy p = policy_or_defaults(policy);
	if (n == 0)
		return 0;
	uint32_t shift = n - 1;
	/* base * 2^shift overflows, or passes the cap, exactly when base > cap >> shift. */
	if (shift >= 32 || p.base_ms > (p.cap_ms >> shift))
		return p.cap_ms;
	return p.base_ms << shift;
}

tk_status tk_retry_run(tk_ctx *ctx, const tk_retry_policy *policy, const char *what,
		       tk_retry_fn *fn, void *user, tk_error *err)
{
	tk_error local;
	if (!err)
		err = &local;
	if (!what)
		what = "operation";
	if (!tk__ctx_check(ctx, err, what))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = TK_E_INTERNAL;
	if (!fn) {
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, what, "", TK_OS_NONE, 0,
				   "API misuse: fn is NULL");
		goto out;
	}
	tk_retry_policy p = policy_or_defaults(policy ? policy : &ctx->retry);
	const tk_clock *clk = &ctx->clock;
	uint64_t start = clk->now_ns(clk->user);
	uint64_t deadline = start + (uint64_t)p.deadline_ms * 1000000u;

	for (uint32_t attempt = 0;; attempt++) {
		if (attempt > 0) {
			uint64_t ceiling = tk_retry_ceiling_ms(&p, attempt);
			uint64_t delay_ms = clk->random_u32(clk->user) % (ceiling + 1);
			uint64_t delay_ns = delay_ms * 1000000u;
			if (clk->now_ns(clk->user) + delay_ns > deadline) {
				tk__log(ctx, TK_LOG_INFO, "core.retry", NULL, 0,
					"%s: giving up, a retry in %" PRIu64
					" ms would pass the %" PRIu32 " ms deadline",
					what, delay_ms, p.deadline_ms);
				goto out;
			}
			if (tk__log_enabled(ctx, TK_LOG_INFO)) {
				char a[16], d[24];
				tk__snprintf(a, sizeof(a), "%" PRIu32, attempt);
				tk__snprintf(d, sizeof(d), "%" PRIu64, delay_ms);
				tk_log_field f[] = { { "attempt", a },
						     { "delay_ms", d },
						     { "cause", tk_status_name(err->status) } };
				tk__log(ctx, TK_LOG_INFO, "core.retry", f, TK_ARRAY_SIZE(f),
					"%s failed (%s), retry %" PRIu32 " of %" PRIu32
					" in %" PRIu64 " ms",
					what, tk_status_message(err->status), attempt,
					p.attempts - 1, delay_ms);
			}
			clk->sleep_ns(clk->user, delay_ns);
			/* The last failure is in err; clear it so the next attempt can fill it. */
			tk__error_clear(err);
		}
		st = fn(user, err);
		if (st == TK_OK) {
			tk__error_clear(err);
			goto out;
		}
		/* fn forgot to fill err: keep the status it returned, with the catalogue's text. */
		if (err->status == TK_OK)
			tk__error_set_quiet(err, st, what, "", TK_OS_NONE, 0, "%s",
					    tk_status_message(st));
		if (!err->transient || attempt + 1 >= p.attempts)
			goto out;
	}
out:
	tk__call_end(ctx, tok);
	return st;
}
