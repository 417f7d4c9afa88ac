/* SPDX-License-Identifier: MIT */
/*
 * The context (logger, retry policy, clock) and trace ids. A trace id is 16 lowercase hex
 * characters, fresh for each top-level call: a per-process counter, offset by a random seed of
 * the context, passed through the splitmix64 finaliser (a bijection, so two calls of one context
 * never share an id). The id in force lives in a thread-local slot with a nesting depth, so a
 * top-level call made inside another (the CLI inside its own trace, a recovery wrapped in
 * tk_trace_begin) keeps the outer id and every log line of one operation carries one id.
 *
 * The system clock is the one OS-facing piece of core: POSIX clock_gettime and nanosleep,
 * getrandom on Linux, rand_s on Windows (mingw-w64 provides the POSIX time calls).
 */
#if defined(_WIN32)
#define _CRT_RAND_S /* rand_s in <stdlib.h> */
#endif
#include "core_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#define TK__CTX_DEAD 0xdeadc7c7u

#define RETRY_DEFAULT_ATTEMPTS	  4u
#define RETRY_DEFAULT_BASE_MS	  50u
#define RETRY_DEFAULT_CAP_MS	  2000u
#define RETRY_DEFAULT_DEADLINE_MS 10000u

/* The trace in force on this thread and how many calls and traces opened it. */
static _Thread_local char trace_id[TK_TRACE_ID_MAX];
static _Thread_local unsigned trace_depth;
/* The context of a lazy trace (frame I/O), whose id is made only when something needs it. */
static _Thread_local const tk_ctx *trace_lazy_ctx;
static atomic_uint_fast64_t trace_counter;

bool tk__ctx_valid(const tk_ctx *ctx)
{
	return ctx && ctx->magic == TK__CTX_MAGIC;
}

bool tk__ctx_check(const tk_ctx *ctx, tk_error *err, const char *op)
{
	if (tk__ctx_valid(ctx))
		return true;
	tk__error_bad_handle(err, op, "tk_ctx is NULL, freed or not a tapkit context");
	return false;
}

/* ---- the system clock ---- */

static uint64_t system_now_ns(void *user)
{
	(void)user;
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void system_sleep_ns(void *user, uint64_t ns)
{
	(void)user;
	int saved = errno;
	struct timespec req = { .tv_sec = (time_t)(ns / 1000000000u),
				.tv_nsec = (long)(ns % 1000000000u) };
	struct timespec rem;
	/* A signal cuts nanosleep short; sleep the rest so delays are what the policy says. */
	for (int i = 0; i < 1000 && nanosleep(&req, &rem) != 0 && errno == EINTR; i++)
		req = rem;
	errno = saved;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static uint32_t system_random_u32(void *user)
{
	(void)user;
	uint32_t v = 0;
	int saved = errno;
#if defined(__linux__)
	/* GRND_NONBLOCK: jitter is no reason to block early in boot; fall back below instead. */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v)) {
		errno = saved;
		return v;
	}
#elif defined(_WIN32)
	unsigned int r;
	if (rand_s(&r) == 0)
		return (uint32_t)r;
#endif
	/* Not for secrets: only delays and trace ids depend on it. */
	static atomic_uint_fast64_t fallback;
	uint64_t x = system_now_ns(NULL) ^ (uint64_t)(uintptr_t)&v;
	x += atomic_fetch_add(&fallback, 1);
	errno = saved;
	return (uint32_t)(splitmix64(x) >> 32);
}

void tk__clock_system(tk_clock *out)
{
	out->now_ns = system_now_ns;
	out->sleep_ns = system_sleep_ns;
	out->random_u32 = system_random_u32;
	out->user = NULL;
}

/* ---- contexts ---- */

static void retry_normalise(const tk_retry_policy *in, tk_retry_policy *out)
{
	tk_retry_policy p = { 0 };
	if (in)
		p = *in;
	out->attempts = p.attempts ? p.attempts : RETRY_DEFAULT_ATTEMPTS;
	out->base_ms = p.base_ms ? p.base_ms : RETRY_DEFAULT_BASE_MS;
	out->cap_ms = p.cap_ms ? p.cap_ms : RETRY_DEFAULT_CAP_MS;
	out->deadline_ms = p.deadline_ms ? p.deadline_ms : RETRY_DEFAULT_DEADLINE_MS;
}

tk_status tk_ctx_new(tk_ctx **out, tk_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!out)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "create context", "", TK_OS_NONE,
					   0, "API misuse: out is NULL");
	tk_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "create context", "", TK_OS_ERRNO,
					   ENOMEM, "cannot allocate the context");
	ctx->magic = TK__CTX_MAGIC;
	ctx->log_fn = NULL;
	ctx->log_user = NULL;
	ctx->log_level = TK_LOG_WARN;
	retry_normalise(NULL, &ctx->retry);
	tk__clock_system(&ctx->clock);
	ctx->trace_seed = (uint64_t)ctx->clock.random_u32(NULL) << 32 | ctx->clock.random_u32(NULL);
	*out = ctx;
	return TK_OK;
}

void tk_ctx_free(tk_ctx *ctx)
{
	if (!tk__ctx_valid(ctx))
		return;
	/* volatile: the store must survive free(), so a later use of ctx fails the magic check */
	*(volatile uint32_t *)&ctx->magic = TK__CTX_DEAD;
	free(ctx);
}

void tk_ctx_set_logger(tk_ctx *ctx, tk_log_fn *fn, void *user, tk_log_level level)
{
	if (!tk__ctx_valid(ctx))
		return;
	if (level > TK_LOG_TRACE)
		level = TK_LOG_TRACE;
	ctx->log_fn = fn;
	ctx->log_user = fn ? user : NULL;
	ctx->log_level = level;
}

void tk_ctx_set_retry(tk_ctx *ctx, const tk_retry_policy *policy)
{
	if (!tk__ctx_valid(ctx))
		return;
	retry_normalise(policy, &ctx->retry);
}

void tk__ctx_note_reboot(tk_ctx *ctx)
{
	if (tk__ctx_valid(ctx)) {
		ctx->reboot_required = true;
		tk__log(ctx, TK_LOG_INFO, "core.ctx", NULL, 0,
			"Windows needs a restart to complete the change");
	}
}

bool tk_ctx_reboot_required(tk_ctx *ctx, bool clear)
{
	if (!tk__ctx_valid(ctx))
		return false;
	bool was = ctx->reboot_required;
	if (clear)
		ctx->reboot_required = false;
	return was;
}

void tk_ctx_get_retry(const tk_ctx *ctx, tk_retry_policy *out)
{
	if (!out)
		return;
	retry_normalise(tk__ctx_valid(ctx) ? &ctx->retry : NULL, out);
}

void tk_ctx_set_clock(tk_ctx *ctx, const tk_clock *clock)
{
	if (!tk__ctx_valid(ctx))
		return;
	tk_clock sys;
	tk__clock_system(&sys);
	if (!clock) {
		ctx->clock = sys;
		return;
	}
	/* A clock that supplies only some functions gets the system's for the rest. */
	ctx->clock.now_ns = clock->now_ns ? clock->now_ns : sys.now_ns;
	ctx->clock.sleep_ns = clock->sleep_ns ? clock->sleep_ns : sys.sleep_ns;
	ctx->clock.random_u32 = clock->random_u32 ? clock->random_u32 : sys.random_u32;
	ctx->clock.user = clock->user;
}

/* ---- traces ---- */

static void trace_fresh(const tk_ctx *ctx, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t seed = tk__ctx_valid(ctx) ? ctx->trace_seed : 0x5eedu;
	uint64_t n = atomic_fetch_add(&trace_counter, 1);
	uint64_t x = splitmix64(seed + n * 0x9e3779b97f4a7c15u);
	char id[17];
	for (int i = 15; i >= 0; i--) {
		id[i] = hex[x & 0xfu];
		x >>= 4;
	}
	id[16] = '\0';
	tk__strlcpy(out, id, size);
}

const char *tk__trace_current(void)
{
	if (!trace_depth)
		return "";
	if (!trace_id[0])
		trace_fresh(trace_lazy_ctx, trace_id, sizeof(trace_id));
	return trace_id;
}

int tk__call_begin(tk_ctx *ctx, tk_error *err)
{
	if (err)
		tk__error_clear(err);
	if (trace_depth == 0)
		trace_fresh(ctx, trace_id, sizeof(trace_id));
	trace_depth++;
	return (int)trace_depth;
}

int tk__call_begin_lazy(const tk_ctx *ctx)
{
	if (trace_depth == 0) {
		trace_id[0] = '\0';
		trace_lazy_ctx = ctx;
	}
	trace_depth++;
	return (int)trace_depth;
}

static void trace_pop_to(unsigned depth)
{
	trace_depth = depth;
	if (depth == 0)
		trace_id[0] = '\0';
}

void tk__call_end(tk_ctx *ctx, int token)
{
	(void)ctx;
	/*
	 * Back to the depth before the matching begin, so a tk_trace_begin left open inside the
	 * call (a callback that forgot tk_trace_end) cannot keep its id alive past the call.
	 */
	if (token > 0 && (unsigned)token <= trace_depth)
		trace_pop_to((unsigned)token - 1);
}

void tk_trace_begin(tk_ctx *ctx, const char *id, char *out, size_t size)
{
	if (trace_depth == 0) {
		if (id && *id)
			tk__strlcpy(trace_id, id, sizeof(trace_id));
		else
			trace_fresh(ctx, trace_id, sizeof(trace_id));
	}
	/* Inside an active trace the outer id stays: one operation, one id. */
	trace_depth++;
	if (out && size)
		tk__strlcpy(out, trace_id, size);
}

void tk_trace_end(tk_ctx *ctx)
{
	(void)ctx;
	if (trace_depth > 0)
		trace_pop_to(trace_depth - 1);
}
