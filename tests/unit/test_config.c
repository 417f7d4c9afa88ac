/* SPDX-License-Identifier: MIT */
/*
 * The INI reader and the watch configuration: every rejected input names its line and says
 * what is wrong; name patterns match as documented.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static tk_ctx *new_ctx(void)
{
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	return ctx;
}

/* Parses text as a watch config; returns the status, err filled. */
static tk_status parse(const char *text, tk_error *err)
{
	tk_ctx *ctx = new_ctx();
	tk_watch_config *cfg = NULL;
	memset(err, 0, sizeof(*err));
	tk_status st = tk_watch_config_parse(ctx, text, strlen(text), "w.conf", &cfg, err);
	if (st == TK_OK)
		assert_non_null(cfg);
	else
		assert_null(cfg);
	tk_watch_config_free(cfg);
	tk_ctx_free(ctx);
	return st;
}

/* Expects a TK_E_CONFIG at "w.conf:LINE" whose message contains `needle`. */
static void expect_error(const char *text, unsigned line, const char *needle)
{
	tk_error err;
	char where[64];
	assert_int_equal(parse(text, &err), TK_E_CONFIG);
	if (line)
		snprintf(where, sizeof(where), "w.conf:%u", line);
	else
		snprintf(where, sizeof(where), "w.conf");
	if (strcmp(err.object, where) != 0 || !strstr(err.message, needle))
		fail_msg("for:\n%s\nwant %s \"...%s...\"\ngot  %s \"%s\"", text, where, needle,
			 err.object, err.message);
	assert_int_equal(err.os_kind, TK_OS_NONE);
}

/* ---- the INI layer ---- */

struct collected {
	char text[2048];
};

static tk_status collect(void *user, const struct tk__ini_item *it, tk_error *err)
{
	(void)err;
	struct collected *c = user;
	size_t len = strlen(c->text);
	if (it->key)
		snprintf(c->text + len, sizeof(c->text) - len, "%u:%s/%s:%s=%s;", it->line,
			 it->section, it->section_arg, it->key, it->value);
	else
		snprintf(c->text + len, sizeof(c->text) - len, "%u:[%s|%s];", it->line, it->section,
			 it->section_arg);
	return TK_OK;
}

static void test_ini_items_carry_section_and_line(void **state)
{
	(void)state;
	const char *text = "\xef\xbb\xbf# comment\r\n"
			   "; another\n"
			   "\n"
			   "[Adapter  tap* ]\n"
			   "  Up=yes   # trailing comment\n"
			   "MTU = 1400\r\n"
			   "[Other]\n"
			   "Key = a value with spaces";
	struct collected c = { { 0 } };
	tk_error err = { 0 };
	assert_int_equal(tk__ini_parse(text, strlen(text), "x.ini", collect, &c, &err), TK_OK);
	assert_string_equal(c.text, "4:[Adapter|tap*];5:Adapter/tap*:Up=yes;"
				    "6:Adapter/tap*:MTU=1400;7:[Other|];"
				    "8:Other/:Key=a value with spaces;");
}

static void test_ini_rejects_nul_byte(void **state)
{
	(void)state;
	const char text[] = "[Adapter tap0]\nUp = true\nMT\0U = 3\n";
	struct collected c = { { 0 } };
	tk_error err = { 0 };
	assert_int_equal(tk__ini_parse(text, sizeof(text) - 1, "x.ini", collect, &c, &err),
			 TK_E_CONFIG);
	assert_string_equal(err.object, "x.ini:3");
	assert_non_null(strstr(err.message, "NUL"));
}

static void test_ini_rejects_long_line(void **state)
{
	(void)state;
	size_t n = TK__INI_LINE_MAX + 10;
	char *text = malloc(n + 32);
	assert_non_null(text);
	memcpy(text, "[A]\nK = ", 8);
	memset(text + 8, 'x', n);
	text[8 + n] = '\0';
	struct collected c = { { 0 } };
	tk_error err = { 0 };
	assert_int_equal(tk__ini_parse(text, strlen(text), "x.ini", collect, &c, &err),
			 TK_E_CONFIG);
	assert_string_equal(err.object, "x.ini:2");
	assert_non_null(strstr(err.message, "longer than"));
	free(text);
}

static void test_ini_bool_and_number_parsers(void **state)
{
	(void)state;
	bool b = false;
	assert_true(tk__config_parse_bool("TRUE", &b) && b);
	assert_true(tk__config_parse_bool("off", &b) && !b);
	assert_true(tk__config_parse_bool("1", &b) && b);
	assert_false(tk__config_parse_bool("maybe", &b));
	assert_false(tk__config_parse_bool("", &b));
	uint32_t v = 0;
	assert_true(tk__config_parse_u32("1400", 68, 65535, &v) && v == 1400);
	assert_false(tk__config_parse_u32("67", 68, 65535, &v));
	assert_false(tk__config_parse_u32("65536", 68, 65535, &v));
	assert_false(tk__config_parse_u32("14x", 0, 100000, &v));
	assert_false(tk__config_parse_u32("-1", 0, 100000, &v));
	assert_false(tk__config_parse_u32("99999999999", 0, UINT32_MAX, &v));
	assert_false(tk__config_parse_u32("", 0, 10, &v));
}

/* ---- the watch configuration: each error with its line ---- */

static void test_watch_accepts_full_example(void **state)
{
	(void)state;
	tk_error err;
	const char *text = "# tapkit watch\n"
			   "[Adapter tap*]\n"
			   "Up = true\n"
			   "MTU = 1400\n"
			   "Address = 10.250.1.1/30\n"
			   "Address = fd00:250::1/64\n"
			   "Master = br0\n"
			   "\n"
			   "[adapter]\n"
			   "match = vm1\n"
			   "Match = vm[2-4]\n"
			   "MAC = 02:00:00:00:00:01\n"
			   "UP = off\n";
	assert_int_equal(parse(text, &err), TK_E_CONFIG); /* MAC with two names: see below */
	assert_string_equal(err.object, "w.conf:12");

	text = "[Adapter tap*]\nUp = true\nMTU = 1400\nAddress = 10.250.1.1/30\n"
	       "Address = fd00:250::1/64\nMaster = br0\n\n"
	       "[adapter]\nmatch = vm1\nMAC = 02:00:00:00:00:01\nUP = off\n";
	assert_int_equal(parse(text, &err), TK_OK);
}

static void test_watch_error_lines(void **state)
{
	(void)state;
	expect_error("Up = true\n", 1, "outside any section");
	expect_error("[Adapter tap0]\nUp = true\n[Tunnel]\n", 3, "unknown section [Tunnel]");
	expect_error("[Adapter tap0]\nUp = true\nColour = red\n", 3, "unknown key \"Colour\"");
	expect_error("[Adapter tap0]\n\nUp = sometimes\n", 3, "Up must be true or false");
	expect_error("[Adapter tap0]\nMTU = 67\n", 2, "MTU must be a number from 68 to 65535");
	expect_error("[Adapter tap0]\nMTU = 1500\nMTU = 1400\n", 3,
		     "MTU is set twice in one section (first on line 2)");
	expect_error("[Adapter tap0]\nAddress = 10.0.0.300/24\n", 2,
		     "Address \"10.0.0.300/24\" is not");
	expect_error("[Adapter tap0]\nAddress = 10.0.0.1/33\n", 2, "is not an IPv4 or IPv6");
	expect_error("[Adapter tap0]\nAddress = 10.0.0.1/30\nAddress = 10.0.0.1/30\n", 3,
		     "listed twice (first on line 2)");
	expect_error("[Adapter tap0]\nMAC = 01:00:5e:00:00:01\n", 2, "not a unicast");
	expect_error("[Adapter tap0]\nMAC = 02:00:00:00:00\n", 2, "MAC \"02:00:00:00:00\"");
	expect_error("[Adapter tap*]\nMAC = 02:00:00:00:00:01\n", 2, "exactly one adapter");
	expect_error("[Adapter tap0]\nMaster = a/b\n", 2, "Master \"a/b\" is not a valid");
	expect_error("[Adapter]\nUp = true\n", 1, "names no adapter");
	expect_error("[Adapter tap0]\n# nothing\n", 1, "sets nothing");
	expect_error("[Adapter tap0]\nUp = true\n[Adapter tap1]\n\n", 3, "sets nothing");
	expect_error("[Adapter tap[0-9]\nUp = true\n", 1, "'[' without its ']'");
	expect_error("[Adapter tap0\nUp = true\n", 1, "closing ']'");
	expect_error("[Adapter tap0] x\nUp = true\n", 1, "unexpected text after ']'");
	expect_error("[]\n", 1, "empty section name");
	expect_error("[Adapter tap0]\nUp\n", 2, "expected \"Key = Value\"");
	expect_error("[Adapter tap0]\n= 3\n", 2, "a value without a key");
	expect_error("[Adapter tap0]\nUp =\n", 2, "Up has no value");
	expect_error("[Adapter tap0]\nU p = 1\n", 2, "invalid character in key");
	expect_error("[Adapter tap0]\nMTU = 1000\nAddress = fd00::1/64\n", 2,
		     "minimum for IPv6 (Address on line 3)");
	expect_error("[Adapter a/b]\nUp = true\n", 1, "\"a/b\" is not a valid adapter name");
	expect_error("# only a comment\n", 0, "no [Adapter] section");
}

static void test_watch_missing_file_names_path(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	tk_watch_config *cfg = NULL;
	tk_error err = { 0 };
	assert_int_equal(tk_watch_config_load(ctx, "/nonexistent/tapkit-watch.conf", &cfg, &err),
			 TK_E_CONFIG);
	assert_null(cfg);
	assert_int_equal(err.os_kind, TK_OS_ERRNO);
	assert_int_equal(err.os_code, 2);
	assert_non_null(strstr(err.message, "/nonexistent/tapkit-watch.conf"));
	assert_non_null(strstr(err.message, "no such file"));
	tk_ctx_free(ctx);
}

static void test_watch_load_from_file(void **state)
{
	(void)state;
	char path[] = "/tmp/tk-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[Adapter tap0]\nUp = true\n\n[Adapter tap*]\nMTU = banana\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	tk_ctx *ctx = new_ctx();
	tk_watch_config *cfg = NULL;
	tk_error err = { 0 };
	assert_int_equal(tk_watch_config_load(ctx, path, &cfg, &err), TK_E_CONFIG);
	char where[64];
	snprintf(where, sizeof(where), "%s:5", path);
	assert_string_equal(err.object, where);
	assert_non_null(strstr(err.message, "\"banana\""));
	unlink(path);
	tk_ctx_free(ctx);
}

/* ---- matching ---- */

static void test_pattern_match(void **state)
{
	(void)state;
	assert_true(tk_pattern_match("tap0", "tap0"));
	assert_false(tk_pattern_match("tap0", "tap01"));
	assert_false(tk_pattern_match("tap0", "tap"));
	assert_true(tk_pattern_match("tap*", "tap"));
	assert_true(tk_pattern_match("tap*", "tap123"));
	assert_false(tk_pattern_match("tap*", "xtap1"));
	assert_true(tk_pattern_match("*", "anything"));
	assert_true(tk_pattern_match("*vm*", "tk-vm-3"));
	assert_true(tk_pattern_match("t*p*1", "tapp1"));
	assert_false(tk_pattern_match("t*p*1", "tapp12"));
	assert_true(tk_pattern_match("tap?", "tap7"));
	assert_false(tk_pattern_match("tap?", "tap"));
	assert_false(tk_pattern_match("tap?", "tap77"));
	assert_true(tk_pattern_match("tap[0-3]", "tap2"));
	assert_false(tk_pattern_match("tap[0-3]", "tap4"));
	assert_true(tk_pattern_match("tap[!0-3]", "tap4"));
	assert_false(tk_pattern_match("tap[!0-3]", "tap1"));
	assert_true(tk_pattern_match("tap[^a]", "tapb"));
	assert_true(tk_pattern_match("tap[ab-]x", "tap-x"));
	assert_true(tk_pattern_match("a[]]b", "a]b"));
	assert_false(tk_pattern_match("tap[0-3", "tap1")); /* malformed class never matches */
	assert_true(tk_pattern_match("**a", "bba"));
	assert_false(tk_pattern_match(NULL, "x"));
	assert_false(tk_pattern_match("x", NULL));
}

/* Found by tests/fuzz/fuzz_watch_config (differential against fnmatch): class ranges compared
 * bytes as signed char, so a range from ASCII to a byte >= 0x80 matched nothing. */
static void test_pattern_class_bytes_are_unsigned(void **state)
{
	(void)state;
	assert_true(tk_pattern_match("[]-\x9a]x", "]x"));
	assert_true(tk_pattern_match("tk[a-\xff]", "tk\xc3"));
	assert_true(tk_pattern_match("tk[a-\xff]", "tkb"));
	assert_false(tk_pattern_match("tk[a-\xff]", "tkA"));
	assert_true(tk_pattern_match("tk[!a-\xff]", "tkA"));
	assert_false(tk_pattern_match("tk[!a-\xff]", "tk\xe2"));
	assert_true(tk_pattern_match("[\xc0-\xc4]", "\xc3"));
}

static void test_first_matching_section_wins(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	tk_watch_config *cfg = NULL;
	const char *text = "[Adapter tap0]\nMTU = 1400\n"
			   "[Adapter tap*]\nMatch = vm?\nUp = true\n"
			   "[Adapter *]\nUp = false\n";
	assert_int_equal(tk_watch_config_parse(ctx, text, strlen(text), NULL, &cfg, NULL), TK_OK);
	assert_int_equal(tk_watch_config_count(cfg), 3);
	assert_int_equal(tk_watch_config_match(cfg, "tap0"), 0);
	assert_int_equal(tk_watch_config_match(cfg, "tap1"), 1);
	assert_int_equal(tk_watch_config_match(cfg, "vm7"), 1);
	assert_int_equal(tk_watch_config_match(cfg, "vm77"), 2);
	assert_int_equal(tk_watch_config_match(NULL, "tap0"), -1);
	tk_watch_config_free(cfg);

	text = "[Adapter tap0]\nUp = 1\n";
	assert_int_equal(tk_watch_config_parse(ctx, text, strlen(text), NULL, &cfg, NULL), TK_OK);
	assert_int_equal(tk_watch_config_match(cfg, "eth0"), -1);
	tk_watch_config_free(cfg);
	tk_ctx_free(ctx);
}

static void test_watch_calls_reject_misuse(void **state)
{
	(void)state;
	tk_error err;
	tk_watch_config *cfg = NULL;
	memset(&err, 0x5a, sizeof(err)); /* garbage in a caller's record must not matter */
	assert_int_equal(tk_watch_config_parse(NULL, "", 0, NULL, &cfg, &err), TK_E_INVALID_HANDLE);
	assert_int_equal(err.status, TK_E_INVALID_HANDLE);
	assert_int_equal(tk_watch_apply_all(NULL, NULL, NULL, &err), TK_E_INVALID_HANDLE);
	assert_int_equal(tk_watch_dispatch(NULL, 0, &err), TK_E_INVALID_HANDLE);
	assert_int_equal(tk_watch_handle(NULL), TK_OS_HANDLE_INVALID);
	tk_watch_free(NULL);
	tk_watch_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_items_carry_section_and_line),
		cmocka_unit_test(test_ini_rejects_nul_byte),
		cmocka_unit_test(test_ini_rejects_long_line),
		cmocka_unit_test(test_ini_bool_and_number_parsers),
		cmocka_unit_test(test_watch_accepts_full_example),
		cmocka_unit_test(test_watch_error_lines),
		cmocka_unit_test(test_watch_missing_file_names_path),
		cmocka_unit_test(test_watch_load_from_file),
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_pattern_class_bytes_are_unsigned),
		cmocka_unit_test(test_first_matching_section_wins),
		cmocka_unit_test(test_watch_calls_reject_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
