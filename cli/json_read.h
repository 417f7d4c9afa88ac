/* SPDX-License-Identifier: MIT */
/*
 * A small, strict JSON reader for the documents tapkit writes (docs/json.md): RFC 8259 with the
 * limits of those documents. Numbers are integers (int64; a fraction or exponent is refused),
 * strings are UTF-8 without U+0000, nesting is at most CLI_JREAD_DEPTH and the text at most
 * CLI_JREAD_MAX bytes. Every malformed input is an error naming the byte offset. Portable C: no
 * transport, no OS call (the tunnel status client reads a UNIX socket on Linux, a named pipe on
 * Windows, and hands the bytes here).
 */
#ifndef TK_CLI_JSON_READ_H
#define TK_CLI_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_JREAD_DEPTH 16
#define CLI_JREAD_MAX	(4u << 20) /* 4 MiB: a status of 4096 peers and a full MAC table fits */

enum cli_jtype { CLI_J_NULL, CLI_J_BOOL, CLI_J_INT, CLI_J_STRING, CLI_J_ARRAY, CLI_J_OBJECT };

/* One value; the members of an object or array are linked through next. */
struct cli_jval {
	enum cli_jtype type;
	const char *key; /* member of an object: its key; else NULL */
	bool b;
	int64_t i;
	const char *s; /* CLI_J_STRING: decoded, NUL-terminated */
	size_t n;      /* array/object: members; string: bytes */
	struct cli_jval *first, *next;
	size_t first_i, next_i; /* the reader's own (indexes while the array grows) */
};

struct cli_jdoc {
	struct cli_jval *root;
	struct cli_jval *vals; /* one allocation for the values */
	char *text;	       /* one allocation for the decoded strings */
};

struct cli_jerr {
	size_t offset; /* the byte the reader stopped at */
	char msg[96];
};

/* Parses text[0..len) into doc; false with err filled (doc left empty) on any malformed input. */
bool cli_jread(const char *text, size_t len, struct cli_jdoc *doc, struct cli_jerr *err);
void cli_jdoc_free(struct cli_jdoc *doc);
/* The member key of object o (the first one), NULL when o is no object or has none. */
const struct cli_jval *cli_jget(const struct cli_jval *o, const char *key);

#endif /* TK_CLI_JSON_READ_H */
