/* SPDX-License-Identifier: MIT */
/* The Go binding's C side: included by every cgo file of the package. */
#ifndef TAPKIT_GO_H
#define TAPKIT_GO_H
#include <stdlib.h>
#include <tapkit.h>

/*
 * Per-device scratch in C memory: a Read or Write hands the library pointers into it, so the
 * steady state allocates nothing on the Go heap (a Go local whose address goes to C escapes).
 */
typedef struct tk_go_scratch {
	tk_error rerr; /* Read and ReadBatch, under the read lock */
	tk_error werr; /* Write and WriteBatch, under the write lock */
	tk_error cerr; /* control calls, under the control lock */
	size_t rlen;
} tk_go_scratch;

/* The log trampoline (log.go exports tkGoLog). */
extern void tkGoLog(void *user, tk_log_record *rec);
static inline void tk_go_log(void *user, const tk_log_record *rec)
{
	tkGoLog(user, (tk_log_record *)rec);
}
static inline void tk_go_set_logger(tk_ctx *ctx, int level)
{
	tk_ctx_set_logger(ctx, tk_go_log, NULL, (tk_log_level)level);
}
#endif
