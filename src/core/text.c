/* SPDX-License-Identifier: MIT */
/*
 * Bounded string helpers for the fixed-size fields of tk_error, tk_check and log lines. They
 * never fail: text that does not fit is cut at a UTF-8 character boundary and marked with "...",
 * so a reader can tell a truncated path or message from a complete one.
 */
#include "core_internal.h"

#include <stdio.h>
#include <string.h>

/* Replaces the tail of a full buffer with "...", never splitting a UTF-8 sequence. */
static void mark_truncated(char *dst, size_t size)
{
	if (size < 4) {
		dst[size - 1] = '\0';
		return;
	}
	size_t cut = size - 4;
	/* Back up over continuation bytes so the marker does not follow half a character. */
	while (cut > 0 && ((unsigned char)dst[cut] & 0xc0u) == 0x80u)
		cut--;
	memcpy(dst + cut, "...", 4);
}

void tk__strlcpy(char *dst, const char *src, size_t size)
{
	if (!dst || size == 0)
		return;
	if (!src)
		src = "";
	const char *end = memchr(src, '\0', size);
	if (end) {
		memcpy(dst, src, (size_t)(end - src) + 1);
		return;
	}
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	mark_truncated(dst, size);
}

void tk__snprintf(char *dst, size_t size, const char *fmt, ...)
{
	if (!dst || size == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		dst[0] = '\0'; /* an encoding error: an empty field beats a half-formatted one */
	else if ((size_t)n >= size)
		mark_truncated(dst, size);
}

int tk__hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
