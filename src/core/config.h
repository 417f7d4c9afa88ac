/* SPDX-License-Identifier: MIT */
/*
 * A small, strict INI reader for tapkit's configuration files (watch, tunnel). It only splits
 * lines and hands (section, key, value, line) to a callback; what the keys mean is the caller's
 * business. Every problem is reported as TK_E_CONFIG with err->object "FILE:LINE".
 *
 * The format, in the spirit of WireGuard's:
 *   # comment          ; comment (at the start of a line)
 *   [Section]          [Section argument]
 *   Key = Value        # a comment may follow a value
 * Keys are [A-Za-z0-9_-]+ and compared case-insensitively by callers; values are trimmed and may
 * not be empty. A NUL byte, a line over TK__INI_LINE_MAX bytes, a key outside any section or a
 * line that is none of the above is an error.
 */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include "core_internal.h"

#define TK__INI_LINE_MAX    4096
#define TK__INI_FILE_MAX    ((size_t)1024 * 1024)
#define TK__INI_SECTION_MAX 64

struct tk__ini_item {
	const char *origin;	 /* file name, or what the text is ("<string>") */
	unsigned line;		 /* 1-based */
	const char *section;	 /* "Adapter"; "" before the first section */
	const char *section_arg; /* "tap*" in "[Adapter tap*]"; "" if none */
	unsigned section_line;
	const char *key; /* NULL: this item is the section header itself */
	const char *value;
};

/* Called for each section header and each key; a non-TK_OK return stops the parse. */
typedef tk_status tk__ini_fn(void *user, const struct tk__ini_item *item, tk_error *err);

tk_status tk__ini_parse(const char *text, size_t len, const char *origin, tk__ini_fn *fn,
			void *user, tk_error *err);
/* What a file's errno means, in a few words ("no such file", "permission denied"). */
const char *tk__file_errno_text(int e);

/* Reads path (at most TK__INI_FILE_MAX bytes) and parses it. */
tk_status tk__ini_load(const char *path, tk__ini_fn *fn, void *user, tk_error *err);

/* Fills err with TK_E_CONFIG at origin:line (quietly: the caller logs). Returns TK_E_CONFIG. */
tk_status tk__config_error(tk_error *err, const char *origin, unsigned line, const char *fmt, ...)
	TK_PRINTF(4, 5);

/* "true/yes/on/1" and "false/no/off/0", case-insensitive. */
bool tk__config_parse_bool(const char *text, bool *out);
/* Unsigned decimal in [min, max], the whole string. */
bool tk__config_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out);
/* ASCII case-insensitive equality (locale-free, unlike strcasecmp). */
bool tk__config_key_is(const char *key, const char *name);

#endif /* TK_CONFIG_H */
