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

/*
 * The frame calls with the device as void *: Go 1.19's cgo marks an incomplete type (tk_dev) not
 * in heap, and the pointer check on such an argument boxes it: 8 bytes per call. A void * is
 * checked without allocating.
 */
static inline tk_status tk_go_read(void *dev, void *buf, size_t cap, tk_go_scratch *s)
{
	return tk_dev_read((tk_dev *)dev, buf, cap, &s->rlen, &s->rerr);
}
static inline tk_status tk_go_write(void *dev, const void *frame, size_t len, tk_go_scratch *s)
{
	return tk_dev_write((tk_dev *)dev, frame, len, &s->werr);
}
static inline tk_status tk_go_wait(void *dev, int timeout_ms, tk_go_scratch *s)
{
	return tk_dev_wait((tk_dev *)dev, timeout_ms, &s->rerr);
}

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
