/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by core and the backends: the context, error filling and logging helpers.
 * Platform-free: no OS header may be included here.
 */
#ifndef TK_CORE_INTERNAL_H
#define TK_CORE_INTERNAL_H

#include "tapkit.h"

#include <stdarg.h>

#if defined(__GNUC__)
#if defined(__MINGW32__)
#include <stdio.h> /* mingw: defines __MINGW_PRINTF_FORMAT (gnu_printf with ANSI stdio) */
#define TK_PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#else
#define TK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif
#else
#define TK_PRINTF(f, a)
#endif

#define TK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TK__CTX_MAGIC 0x746b6378u /* "tkcx" */

struct tk_ctx {
	uint32_t magic;
	tk_log_fn *log_fn;
	void *log_user;
	tk_log_level log_level;
	tk_retry_policy retry;
	tk_clock clock;
	uint64_t trace_seed;  /* random per context, mixed into fresh trace ids */
	bool reboot_required; /* a management call needs a restart of Windows to complete */
};

/* True if ctx is a live context (non-NULL, right magic). */
bool tk__ctx_valid(const tk_ctx *ctx);
/*
 * True if ctx is live; otherwise fills err (cleared first, not logged: there is no valid logger)
 * with TK_E_INVALID_HANDLE for op and returns false. err must not be NULL.
 */
bool tk__ctx_check(const tk_ctx *ctx, tk_error *err, const char *op);

/* A management call (create, delete, enable, install) needs a restart to complete: remembered
 * for tk_ctx_reboot_required. */
void tk__ctx_note_reboot(tk_ctx *ctx);

/* The system clock (monotonic now, nanosleep, getrandom/arc4random); used when none is set. */
void tk__clock_system(tk_clock *out);

/*
 * Top-level call scope. tk__call_begin starts a fresh trace id for this thread unless a trace is
 * already active (a nested call, or tk_trace_begin); tk__call_end closes what begin opened.
 * `err` is cleared. Pass the returned token to tk__call_end.
 */
int tk__call_begin(tk_ctx *ctx, tk_error *err);
void tk__call_end(tk_ctx *ctx, int token);
/*
 * The same for the frame path: no error clearing and no id made up front; the id is made the
 * first time something asks for it (a failure being filled or logged), so a read that succeeds
 * costs two thread-local stores.
 */
int tk__call_begin_lazy(const tk_ctx *ctx);
/* The trace id in force on this thread, "" if none. */
const char *tk__trace_current(void);

/*
 * Fills err with a failure the first time one is seen (a record already holding a failure is
 * left alone, so outer layers cannot overwrite the cause) and logs it once at error level with
 * fields cause/op/object/os_kind/os_code. message is printf-style; the remedy is the catalogue's
 * unless set afterwards with tk__error_remedy. Returns the cause the record holds: st, or the
 * earlier cause when err already held one (so a caller's return value and record always agree).
 */
tk_status tk__error_set(tk_ctx *ctx, tk_error *err, tk_status st, const char *op,
			const char *object, tk_os_kind kind, int64_t code, const char *fmt, ...)
	TK_PRINTF(8, 9);
/* Same, without logging: for failures the caller expects and handles (probes, retries). */
tk_status tk__error_set_quiet(tk_error *err, tk_status st, const char *op, const char *object,
			      tk_os_kind kind, int64_t code, const char *fmt, ...) TK_PRINTF(7, 8);
tk_status tk__error_vset(tk_error *err, tk_status st, const char *op, const char *object,
			 tk_os_kind kind, int64_t code, const char *fmt, va_list ap)
	TK_PRINTF(7, 0);
/* Clears every field of err to "no failure" (field by field: cheaper than memset). */
void tk__error_clear(tk_error *err);
/*
 * A NULL, released or foreign handle handed in: clears err and fills it, without logging, with
 * TK_E_INVALID_HANDLE and "API misuse: the <what>". Returns TK_E_INVALID_HANDLE.
 */
tk_status tk__error_bad_handle(tk_error *err, const char *op, const char *what);
/* Replaces the remedy with a specific one ("stop openvpn (pid 4242), or ..."). */
void tk__error_remedy(tk_error *err, const char *fmt, ...) TK_PRINTF(2, 3);
/* Sets the OS's own text (strerror_r, FormatMessage, netlink extack). */
void tk__error_os_text(tk_error *err, const char *text);
/* Logs err (already filled, e.g. by tk__error_set_quiet) once at error level. */
void tk__error_log(tk_ctx *ctx, const tk_error *err);

/* Logging: level checked before formatting; never changes errno. */
void tk__log(tk_ctx *ctx, tk_log_level level, const char *subsystem, const tk_log_field *fields,
	     size_t nfields, const char *fmt, ...) TK_PRINTF(6, 7);
bool tk__log_enabled(const tk_ctx *ctx, tk_log_level level);

/* snprintf into a fixed buffer, truncating with "..." instead of failing. */
void tk__strlcpy(char *dst, const char *src, size_t size);
void tk__snprintf(char *dst, size_t size, const char *fmt, ...) TK_PRINTF(3, 4);
/* The value of one hex digit (either case), -1 if c is not one. */
int tk__hex_value(char c);

/*
 * Doctor: the check builder (src/core/doctor.c). A backend adds checks in order and fills each
 * one; the core owns the storage, the counting and the "skipped because" chain. tk__doctor_add
 * never returns NULL (when memory runs out it hands back a scratch check and the report says so),
 * so a backend needs no error path for it. Formatters truncate with "...".
 */
struct tk__doctor;
/* tk_doctor_run's frame, exposed for unit tests: new (NULL when out of memory), then finish,
 * which turns the checks into a report (counts, default remedies, skip summaries) and frees d. */
struct tk__doctor *tk__doctor_new(tk_ctx *ctx);
tk_status tk__doctor_finish(struct tk__doctor *d, tk_report **out, tk_error *err);
tk_check *tk__doctor_add(struct tk__doctor *d, const char *id, const char *title,
			 const char *object);
/* The most recent check with this id (and this object, when object is not NULL); NULL if none. */
const tk_check *tk__doctor_find(const struct tk__doctor *d, const char *id, const char *object);
/*
 * Marks c skipped and returns true unless the check dep_id on the same object (or, failing that,
 * the global one) passed (ok or warn). The reason names the first check that failed, so a chain
 * of skips points at its root. Use: if (tk__doctor_skip_unless_ok(d, c, "linux.devnode")) return;
 */
bool tk__doctor_skip_unless_ok(struct tk__doctor *d, tk_check *c, const char *dep_id);
/* Status with the summary; warn/fail take the cause and the raw OS code (TK_OS_NONE, 0: none). */
void tk__check_ok(tk_check *c, const char *fmt, ...) TK_PRINTF(2, 3);
void tk__check_warn(tk_check *c, tk_status cause, tk_os_kind kind, int64_t code, const char *fmt,
		    ...) TK_PRINTF(5, 6);
void tk__check_fail(tk_check *c, tk_status cause, tk_os_kind kind, int64_t code, const char *fmt,
		    ...) TK_PRINTF(5, 6);
/* A specific remedy; without one, a warn/fail gets the catalogue remedy of its cause. */
void tk__check_remedy(tk_check *c, const char *fmt, ...) TK_PRINTF(2, 3);
/* One key/value the check read; a repeated key replaces the value; keys past
 * TK_CHECK_MAX_EVIDENCE are dropped. */
void tk__check_evidence(tk_check *c, const char *key, const char *fmt, ...) TK_PRINTF(3, 4);
/* Fails c with a failed call's record: cause, OS code (also as evidence), message and remedy. */
void tk__check_from_error(tk_check *c, const tk_error *err);
/*
 * Marks c skipped because this host cannot answer it (not because another check failed):
 * skipped_because is `host` ("wine", "not-windows") and the summary says why.
 */
void tk__check_skip_host(tk_check *c, const char *host, const char *fmt, ...) TK_PRINTF(3, 4);
/* The last component of a path, after its last '/' or '\\' (src/core/program.c). */
const char *tk__path_base(const char *path);
/* doctor --program PATH (src/core/program.c): the checks of one Windows program. */
void tk__doctor_program(tk_ctx *ctx, const char *path, struct tk__doctor *d);

#endif /* TK_CORE_INTERNAL_H */
