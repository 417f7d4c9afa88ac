/* SPDX-License-Identifier: MIT */
/*
 * The CLI's strict JSON reader (cli/json_read.c): what it accepts and how it links it, and
 * every kind of malformed input refused at the byte where it goes wrong; the bounds on depth,
 * size and integers; and a round trip through the CLI's own writer (cli/output.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_read.h"

static void accepts_and_links(void **state)
{
	(void)state;
	static const char doc[] =
		" {\"a\": [1, -2, 9223372036854775807, -9223372036854775808], \"b\": {\"c\": true,"
		" \"d\": false, \"e\": null}, \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\u00e9\","
		" \"empty\": {}, \"none\": []}\r\n";
	struct cli_jdoc d;
	struct cli_jerr e;
	assert_true(cli_jread(doc, strlen(doc), &d, &e));
	assert_int_equal(d.root->type, CLI_J_OBJECT);
	assert_int_equal(d.root->n, 5);
	const struct cli_jval *a = cli_jget(d.root, "a");
	assert_non_null(a);
	assert_int_equal(a->type, CLI_J_ARRAY);
	assert_int_equal(a->n, 4);
	assert_int_equal(a->first->i, 1);
	assert_int_equal(a->first->next->i, -2);
	assert_true(a->first->next->next->i == INT64_MAX);
	assert_true(a->first->next->next->next->i == INT64_MIN);
	assert_null(a->first->next->next->next->next);
	const struct cli_jval *b = cli_jget(d.root, "b");
	assert_true(cli_jget(b, "c")->b);
	assert_false(cli_jget(b, "d")->b);
	assert_int_equal(cli_jget(b, "e")->type, CLI_J_NULL);
	assert_null(cli_jget(b, "zz"));
	assert_null(cli_jget(a, "c")); /* not an object */
	const struct cli_jval *s = cli_jget(d.root, "s");
	assert_string_equal(s->s, "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9");
	assert_int_equal(s->n, strlen(s->s));
	assert_int_equal(cli_jget(d.root, "empty")->n, 0);
	assert_null(cli_jget(d.root, "empty")->first);
	assert_int_equal(cli_jget(d.root, "none")->type, CLI_J_ARRAY);
	cli_jdoc_free(&d);

	/* a bare value is a document too */
	assert_true(cli_jread("0", 1, &d, &e));
	assert_int_equal(d.root->i, 0);
	cli_jdoc_free(&d);
}

/* doc is refused at byte offset `at` with a message containing `word`. */
static void refused(const char *doc, size_t len, size_t at, const char *word)
{
	struct cli_jdoc d;
	struct cli_jerr e;
	if (cli_jread(doc, len, &d, &e))
		fail_msg("accepted: %.*s", (int)len, doc);
	if (e.offset != at || !strstr(e.msg, word))
		fail_msg("%.*s: refused at %zu with \"%s\"; expected %zu and \"%s\"", (int)len, doc,
			 e.offset, e.msg, at, word);
	assert_null(d.root);
}

#define REFUSED(doc, at, word) refused(doc, sizeof(doc) - 1, at, word)

static void refuses_with_the_offset(void **state)
{
	(void)state;
	REFUSED("", 0, "truncated");
	REFUSED("   ", 3, "truncated");
	REFUSED("{\"a\":1", 6, "truncated object");
	REFUSED("[1,2", 4, "truncated array");
	REFUSED("{\"a\":1,}", 7, "expected a key");
	REFUSED("[1,]", 3, "expected a value");
	REFUSED("[1 2]", 3, "expected ','");
	REFUSED("{\"a\" 1}", 5, "expected ':'");
	REFUSED("{1:2}", 1, "expected a key");
	REFUSED("{\"a\":1}x", 7, "after the document");
	REFUSED("{\"a\":1}{}", 7, "after the document");
	REFUSED("tru", 0, "expected a value");
	REFUSED("nul", 0, "expected a value");
	REFUSED("True", 0, "expected a value");
	REFUSED("01", 0, "leading zero");
	REFUSED("-", 1, "without digits");
	REFUSED("-x", 1, "without digits");
	REFUSED("1.5", 1, "fraction");
	REFUSED("1e3", 1, "fraction or exponent");
	REFUSED("9223372036854775808", 18, "64-bit range");
	REFUSED("-9223372036854775809", 19, "64-bit range");
	REFUSED("\"abc", 4, "unterminated string");
	REFUSED("\"a\tb\"", 2, "control character");
	REFUSED("\"a\\", 3, "unterminated escape");
	REFUSED("\"\\x\"", 1, "unknown escape");
	REFUSED("\"\\u12x4\"", 5, "bad hex");
	REFUSED("\"\\u12", 3, "truncated \\u");
	REFUSED("\"\\u0000\"", 1, "\\u0000");
	REFUSED("\"\\udc00\"", 1, "lone low surrogate");
	REFUSED("\"\\ud800\"", 1, "without its low half");
	REFUSED("\"\\ud800\\u0041\"", 1, "without its low half");
	REFUSED("\"\xff\"", 1, "invalid UTF-8");
	REFUSED("\"\xc0\xaf\"", 1, "invalid UTF-8");	 /* overlong '/' */
	REFUSED("\"\xed\xa0\x80\"", 1, "invalid UTF-8"); /* a surrogate in UTF-8 */
	REFUSED("\"\xe2\x82\"", 1, "invalid UTF-8");	 /* cut short */
	REFUSED("{\"a\":\x01}", 5, "expected a value");
	/* a NUL inside the bytes is no end of text */
	refused("{\"a\":1}\0", 8, 7, "after the document");
}

static void bounds(void **state)
{
	(void)state;
	char deep[64];
	struct cli_jdoc d;
	struct cli_jerr e;

	/* CLI_JREAD_DEPTH levels are read, one more is refused at its bracket */
	memset(deep, '[', CLI_JREAD_DEPTH);
	memset(deep + CLI_JREAD_DEPTH, ']', CLI_JREAD_DEPTH);
	assert_true(cli_jread(deep, 2 * CLI_JREAD_DEPTH, &d, &e));
	cli_jdoc_free(&d);
	memset(deep, '[', CLI_JREAD_DEPTH + 1);
	memset(deep + CLI_JREAD_DEPTH + 1, ']', CLI_JREAD_DEPTH + 1);
	refused(deep, 2 * CLI_JREAD_DEPTH + 2, CLI_JREAD_DEPTH, "too deep");

	/* the size bound is checked before anything is read or allocated */
	char *big = malloc(CLI_JREAD_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', CLI_JREAD_MAX + 1);
	big[0] = '1';
	refused(big, CLI_JREAD_MAX + 1, CLI_JREAD_MAX, "too long");
	assert_true(cli_jread(big, CLI_JREAD_MAX, &d, &e)); /* at the bound: read */
	cli_jdoc_free(&d);
	free(big);

	/* many values: the array grows and the links survive it */
	size_t n = 100000;
	char *many = malloc(n * 2 + 2);
	assert_non_null(many);
	many[0] = '[';
	for (size_t i = 0; i < n; i++) {
		many[1 + 2 * i] = '7';
		many[2 + 2 * i] = i + 1 < n ? ',' : ']';
	}
	assert_true(cli_jread(many, n * 2 + 1, &d, &e));
	assert_int_equal(d.root->n, n);
	size_t seen = 0;
	for (const struct cli_jval *v = d.root->first; v; v = v->next)
		seen += v->i == 7;
	assert_int_equal(seen, n);
	cli_jdoc_free(&d);
	free(many);
}

/* What the CLI's writer writes, the reader reads back, strings byte for byte. */
static void writer_round_trip(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct cli_json j;
	cli_json_doc_begin(&j, f);
	cli_json_string(&j, "name", "tap\x01\"\\\x7f\xc3\xa9");
	cli_json_int(&j, "min", INT64_MIN);
	cli_json_bool(&j, "yes", true);
	cli_json_null(&j, "nothing");
	cli_json_array_begin(&j, "list");
	cli_json_string(&j, NULL, "\xff"); /* invalid UTF-8: written as U+FFFD */
	cli_json_array_end(&j);
	cli_json_object_end(&j);
	fclose(f);

	struct cli_jdoc d;
	struct cli_jerr e;
	assert_true(cli_jread(buf, len, &d, &e));
	assert_int_equal(cli_jget(d.root, "version")->i, CLI_JSON_VERSION);
	assert_string_equal(cli_jget(d.root, "name")->s, "tap\x01\"\\\x7f\xc3\xa9");
	assert_true(cli_jget(d.root, "min")->i == INT64_MIN);
	assert_true(cli_jget(d.root, "yes")->b);
	assert_int_equal(cli_jget(d.root, "nothing")->type, CLI_J_NULL);
	assert_string_equal(cli_jget(d.root, "list")->first->s, "\xef\xbf\xbd");
	cli_jdoc_free(&d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_and_links),
		cmocka_unit_test(refuses_with_the_offset),
		cmocka_unit_test(bounds),
		cmocka_unit_test(writer_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
