/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the libFuzzer targets (tests/fuzz/README.md): the entry point's prototype and
 * a check that aborts with a message, so a broken property shows up as a crash libFuzzer saves.
 */
#ifndef TK_FUZZ_H
#define TK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_check(int ok, const char *file, int line, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond) fuzz_check(!!(cond), __FILE__, __LINE__, #cond)

/* Reads the input front to back; past its end every read gives zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | fuzz_u8(in);
	return v;
}

/* Up to n bytes into out (the rest zeros); returns how many came from the input. */
static inline size_t fuzz_bytes(struct fuzz_in *in, uint8_t *out, size_t n)
{
	size_t k = n < in->left ? n : in->left;
	for (size_t i = 0; i < n; i++)
		out[i] = i < k ? in->p[i] : 0;
	in->p += k;
	in->left -= k;
	return k;
}

#endif /* TK_FUZZ_H */
