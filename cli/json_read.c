/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON reader of json_read.h: recursive descent over the bytes, depth-bounded, every
 * refusal with its byte offset. Values go into one growing array (linked by index while it
 * grows, by pointer once done); decoded strings into one buffer as long as the input, which
 * always suffices (a decoded string and its NUL are never longer than it was quoted).
 */
#include "json_read.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

struct reader {
	const unsigned char *p;
	size_t len, pos;
	struct cli_jval *vals;
	size_t nvals, cap;
	char *text;
	size_t tlen;
	struct cli_jerr *err;
	bool failed;
};

static bool fail(struct reader *r, const char *msg)
{
	if (!r->failed) {
		r->failed = true;
		r->err->offset = r->pos;
		snprintf(r->err->msg, sizeof(r->err->msg), "%s", msg);
	}
	return false;
}

static void skip_ws(struct reader *r)
{
	while (r->pos < r->len && (r->p[r->pos] == ' ' || r->p[r->pos] == '\t' ||
				   r->p[r->pos] == '\n' || r->p[r->pos] == '\r'))
		r->pos++;
}

static size_t new_val(struct reader *r, enum cli_jtype type)
{
	if (r->nvals == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct cli_jval *v = realloc(r->vals, cap * sizeof(*v));
		if (!v) {
			fail(r, "out of memory");
			return NONE;
		}
		r->vals = v;
		r->cap = cap;
	}
	struct cli_jval *v = &r->vals[r->nvals];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->first_i = v->next_i = NONE;
	return r->nvals++;
}

static bool literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);
	if (r->len - r->pos < n || memcmp(r->p + r->pos, word, n) != 0)
		return fail(r, "unexpected character (expected a value)");
	r->pos += n;
	return true;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct reader *r, unsigned *out)
{
	unsigned v = 0;
	if (r->len - r->pos < 4)
		return fail(r, "truncated \\u escape");
	for (int k = 0; k < 4; k++) {
		int h = hexval(r->p[r->pos]);
		if (h < 0)
			return fail(r, "bad hex digit in a \\u escape");
		v = v << 4 | (unsigned)h;
		r->pos++;
	}
	*out = v;
	return true;
}

static void put_cp(struct reader *r, uint32_t cp)
{
	char *o = r->text + r->tlen;
	if (cp < 0x80) {
		o[0] = (char)cp;
		r->tlen += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		r->tlen += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		r->tlen += 3;
	} else {
		o[0] = (char)(0xf0 | cp >> 18);
		o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		r->tlen += 4;
	}
}

/* A \uXXXX escape (pos after the 'u'), surrogate pairs joined; never U+0000. */
static bool unicode_escape(struct reader *r)
{
	unsigned hi = 0, lo = 0;
	size_t at = r->pos - 2;
	if (!hex4(r, &hi))
		return false;
	uint32_t cp = hi;
	if (hi >= 0xdc00 && hi <= 0xdfff) {
		r->pos = at;
		return fail(r, "lone low surrogate in a \\u escape");
	}
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (r->len - r->pos < 2 || r->p[r->pos] != '\\' || r->p[r->pos + 1] != 'u') {
			r->pos = at;
			return fail(r, "high surrogate without its low half");
		}
		r->pos += 2;
		if (!hex4(r, &lo))
			return false;
		if (lo < 0xdc00 || lo > 0xdfff) {
			r->pos = at;
			return fail(r, "high surrogate without its low half");
		}
		cp = 0x10000 + ((hi - 0xd800) << 10 | (lo - 0xdc00));
	}
	if (cp == 0) {
		r->pos = at;
		return fail(r, "\\u0000 is not accepted (strings are C strings)");
	}
	put_cp(r, cp);
	return true;
}

/* A string at pos (the opening quote) into the text buffer; *out its start. */
static bool string(struct reader *r, const char **out, size_t *n)
{
	size_t start = r->tlen;
	r->pos++; /* the quote */
	for (;;) {
		if (r->pos >= r->len)
			return fail(r, "unterminated string");
		unsigned char c = r->p[r->pos];
		if (c == '"') {
			r->pos++;
			break;
		}
		if (c < 0x20)
			return fail(r, "raw control character in a string");
		if (c == '\\') {
			if (r->pos + 1 >= r->len) {
				r->pos++;
				return fail(r, "unterminated escape");
			}
			unsigned char e = r->p[r->pos + 1];
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *k = e ? strchr(from, e) : NULL;
			if (k) {
				r->text[r->tlen++] = to[k - from];
				r->pos += 2;
			} else if (e == 'u') {
				r->pos += 2;
				if (!unicode_escape(r))
					return false;
			} else {
				return fail(r, "unknown escape in a string");
			}
			continue;
		}
		size_t u = cli_utf8_len(r->p + r->pos, r->len - r->pos);
		if (!u)
			return fail(r, "invalid UTF-8 in a string");
		memcpy(r->text + r->tlen, r->p + r->pos, u);
		r->tlen += u;
		r->pos += u;
	}
	r->text[r->tlen++] = '\0';
	*out = r->text + start;
	*n = r->tlen - 1 - start;
	return true;
}

static bool number(struct reader *r, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, limit = (uint64_t)INT64_MAX;
	if (r->p[r->pos] == '-') {
		neg = true;
		limit++;
		r->pos++;
	}
	if (r->pos >= r->len || r->p[r->pos] < '0' || r->p[r->pos] > '9')
		return fail(r, "a minus sign without digits");
	if (r->p[r->pos] == '0' && r->pos + 1 < r->len && r->p[r->pos + 1] >= '0' &&
	    r->p[r->pos + 1] <= '9')
		return fail(r, "a number with a leading zero");
	while (r->pos < r->len && r->p[r->pos] >= '0' && r->p[r->pos] <= '9') {
		unsigned d = (unsigned)(r->p[r->pos] - '0');
		if (v > (limit - d) / 10)
			return fail(r, "integer out of the 64-bit range");
		v = v * 10 + d;
		r->pos++;
	}
	if (r->pos < r->len && (r->p[r->pos] == '.' || r->p[r->pos] == 'e' || r->p[r->pos] == 'E'))
		return fail(r, "a fraction or exponent (only integers are read)");
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return true;
}

static size_t value(struct reader *r, int depth);

/* The members of an array or object at pos (the bracket), linked under vals[parent]. */
static bool members(struct reader *r, size_t parent, int depth, bool object)
{
	unsigned char close = object ? '}' : ']';
	size_t last = NONE;
	r->pos++;
	skip_ws(r);
	if (r->pos < r->len && r->p[r->pos] == close) {
		r->pos++;
		return true;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen;
		skip_ws(r);
		if (object) {
			if (r->pos >= r->len || r->p[r->pos] != '"')
				return fail(r, r->pos >= r->len ? "truncated object"
								: "expected a key string");
			if (!string(r, &key, &klen))
				return false;
			skip_ws(r);
			if (r->pos >= r->len || r->p[r->pos] != ':')
				return fail(r, "expected ':' after a key");
			r->pos++;
		}
		size_t v = value(r, depth + 1);
		if (v == NONE)
			return false;
		r->vals[v].key = key;
		if (last == NONE)
			r->vals[parent].first_i = v;
		else
			r->vals[last].next_i = v;
		last = v;
		r->vals[parent].n++;
		skip_ws(r);
		if (r->pos >= r->len)
			return fail(r, object ? "truncated object" : "truncated array");
		if (r->p[r->pos] == close) {
			r->pos++;
			return true;
		}
		if (r->p[r->pos] != ',')
			return fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
		r->pos++;
	}
}

static size_t value(struct reader *r, int depth)
{
	size_t v;
	skip_ws(r);
	if (r->pos >= r->len) {
		fail(r, "truncated document (expected a value)");
		return NONE;
	}
	if (depth > CLI_JREAD_DEPTH) {
		fail(r, "nested too deep");
		return NONE;
	}
	unsigned char c = r->p[r->pos];
	switch (c) {
	case '{':
	case '[':
		v = new_val(r, c == '{' ? CLI_J_OBJECT : CLI_J_ARRAY);
		if (v == NONE || !members(r, v, depth, c == '{'))
			return NONE;
		return v;
	case '"': {
		const char *s = NULL;
		size_t n = 0;
		if ((v = new_val(r, CLI_J_STRING)) == NONE || !string(r, &s, &n))
			return NONE;
		r->vals[v].s = s;
		r->vals[v].n = n;
		return v;
	}
	case 't':
	case 'f':
		if ((v = new_val(r, CLI_J_BOOL)) == NONE ||
		    !literal(r, c == 't' ? "true" : "false"))
			return NONE;
		r->vals[v].b = c == 't';
		return v;
	case 'n':
		if ((v = new_val(r, CLI_J_NULL)) == NONE || !literal(r, "null"))
			return NONE;
		return v;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			int64_t i = 0;
			if ((v = new_val(r, CLI_J_INT)) == NONE || !number(r, &i))
				return NONE;
			r->vals[v].i = i;
			return v;
		}
		fail(r, "unexpected character (expected a value)");
		return NONE;
	}
}

bool cli_jread(const char *text, size_t len, struct cli_jdoc *doc, struct cli_jerr *err)
{
	struct reader r = { .p = (const unsigned char *)text, .len = len, .err = err };

	memset(doc, 0, sizeof(*doc));
	memset(err, 0, sizeof(*err));
	if (len > CLI_JREAD_MAX) {
		r.pos = CLI_JREAD_MAX;
		return fail(&r, "document too long");
	}
	r.text = malloc(len + 1);
	if (!r.text) {
		r.failed = true;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return false;
	}
	size_t root = value(&r, 1);
	if (root != NONE) {
		skip_ws(&r);
		if (r.pos < r.len)
			fail(&r, "content after the document");
	}
	if (r.failed) {
		free(r.vals);
		free(r.text);
		return false;
	}
	struct cli_jval *vals = r.vals; /* the heap array, now complete */
	for (size_t i = 0; i < r.nvals; i++) {
		struct cli_jval *v = vals + i;
		v->first = v->first_i == NONE ? NULL : vals + v->first_i;
		v->next = v->next_i == NONE ? NULL : vals + v->next_i;
	}
	doc->vals = vals;
	doc->text = r.text;
	doc->root = vals + root;
	return true;
}

void cli_jdoc_free(struct cli_jdoc *doc)
{
	free(doc->vals);
	free(doc->text);
	memset(doc, 0, sizeof(*doc));
}

const struct cli_jval *cli_jget(const struct cli_jval *o, const char *key)
{
	if (!o || o->type != CLI_J_OBJECT)
		return NULL;
	for (const struct cli_jval *m = o->first; m; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}
