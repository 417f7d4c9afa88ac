/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend's parsers and checks on untrusted input: GUIDs, component ids, connection
 * names, UTF-16 text, registry values as read, and the "call twice to learn the size" loop.
 * Pure logic (src/windows/winlogic.c): runs on Linux and, cross-built, under Wine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "windows/winlogic.h"

static void test_guid_parse_and_format_round_trip(void **state)
{
	(void)state;
	struct tk_guid g;
	char buf[TK_GUID_TEXT_LEN + 1];
	assert_true(tk__winlogic_guid_parse("{1d2a3b4c-5d6e-4f70-8192-a3b4c5d6e7f8}", &g));
	assert_int_equal(g.data1, 0x1d2a3b4cu);
	assert_int_equal(g.data2, 0x5d6e);
	assert_int_equal(g.data3, 0x4f70);
	assert_int_equal(g.data4[0], 0x81);
	assert_int_equal(g.data4[7], 0xf8);
	tk__winlogic_guid_format(&g, buf, sizeof(buf));
	assert_string_equal(buf, "{1D2A3B4C-5D6E-4F70-8192-A3B4C5D6E7F8}");
}

static void test_guid_parse_rejects_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"1D2A3B4C-5D6E-4F70-8192-A3B4C5D6E7F8",	   /* no braces */
		"{1D2A3B4C-5D6E-4F70-8192-A3B4C5D6E7F8",   /* no closing brace */
		"{1D2A3B4C-5D6E-4F70-8192-A3B4C5D6E7F}",   /* short */
		"{1D2A3B4C-5D6E-4F70-8192-A3B4C5D6E7F8}x", /* trailing */
		"{1D2A3B4C_5D6E-4F70-8192-A3B4C5D6E7F8}",  /* wrong separator */
		"{1D2A3B4G-5D6E-4F70-8192-A3B4C5D6E7F8}",  /* not hex */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(tk__winlogic_guid_parse(bad[i], NULL));
	assert_false(tk__winlogic_guid_parse(NULL, NULL));
}

static void test_component_ids_match_case_insensitively(void **state)
{
	(void)state;
	assert_true(tk__winlogic_component_is_tap("tap0901", NULL));
	assert_true(tk__winlogic_component_is_tap("root\\tap0901", NULL));
	assert_true(tk__winlogic_component_is_tap("ROOT\\TAP0901", NULL)); /* seen on Win11 */
	assert_true(tk__winlogic_component_is_tap("TAP0801", NULL));
	assert_true(tk__winlogic_component_is_tap("tapoas", NULL));
	assert_true(tk__winlogic_component_is_tap("Tap_OvpnConnect", NULL));
	assert_true(tk__winlogic_component_is_tap("root\\tap_ovpnconnect", NULL));
}

static void test_component_ids_reject_others(void **state)
{
	(void)state;
	assert_false(tk__winlogic_component_is_tap("wintun", NULL));
	assert_false(tk__winlogic_component_is_tap("ovpn-dco", NULL));
	assert_false(tk__winlogic_component_is_tap("tap09011", NULL)); /* no prefix match */
	assert_false(tk__winlogic_component_is_tap("tap090", NULL));
	assert_false(tk__winlogic_component_is_tap("", NULL));
	assert_false(tk__winlogic_component_is_tap(NULL, NULL));
}

static void test_component_ids_extra_list(void **state)
{
	(void)state;
	assert_true(tk__winlogic_component_is_tap("mytap9", "foo, MyTap9,bar"));
	assert_true(tk__winlogic_component_is_tap("bar", "foo, MyTap9,bar"));
	assert_false(tk__winlogic_component_is_tap("mytap", "foo, MyTap9,bar"));
	assert_false(tk__winlogic_component_is_tap("x", ",,, "));
}

static void test_name_check(void **state)
{
	(void)state;
	const char *why = NULL;
	assert_int_equal(tk__winlogic_name_check("OpenVPN TAP-Windows6", &why), TK_OK);
	assert_int_equal(tk__winlogic_name_check("B\xc3\xbcro-VPN \xe2\x9c\x93", &why), TK_OK);
	assert_int_equal(tk__winlogic_name_check("{1D2A3B4C-5D6E-4F70-8192-A3B4C5D6E7F8}", &why),
			 TK_OK);
	assert_int_equal(tk__winlogic_name_check("", &why), TK_E_NAME_INVALID);
	assert_int_equal(tk__winlogic_name_check("a/b", &why), TK_E_NAME_INVALID);
	assert_non_null(strstr(why, "\\ / :"));
	assert_int_equal(tk__winlogic_name_check("a\tb", &why), TK_E_NAME_INVALID);
	assert_non_null(strstr(why, "control"));
	assert_int_equal(tk__winlogic_name_check("b\xfcro", &why), TK_E_NAME_INVALID);
	assert_non_null(strstr(why, "UTF-8"));
	assert_int_equal(tk__winlogic_name_check("\xed\xa0\x80", &why), TK_E_NAME_INVALID);
	assert_int_equal(tk__winlogic_name_check(" lead", &why), TK_E_NAME_INVALID);
	assert_int_equal(tk__winlogic_name_check("{not-a-guid}", &why), TK_E_INVALID_GUID);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tk__winlogic_name_check(longname, &why), TK_E_NAME_INVALID);
	longname[255] = '\0';
	assert_int_equal(tk__winlogic_name_check(longname, &why), TK_OK);
}

static void test_utf16_to_utf8(void **state)
{
	(void)state;
	/* "Bü✓" and U+1F600 as a surrogate pair */
	const uint16_t in[] = { 'B', 0x00FC, 0x2713, 0xD83D, 0xDE00, 0 };
	char out[32];
	size_t need = tk__winlogic_utf16_to_utf8(in, 6, out, sizeof(out));
	assert_int_equal(need, 1 + 2 + 3 + 4);
	assert_string_equal(out, "B\xc3\xbc\xe2\x9c\x93\xf0\x9f\x98\x80");
	/* An unpaired surrogate becomes U+FFFD instead of broken UTF-8. */
	const uint16_t lone[] = { 'a', 0xD800, 'b' };
	need = tk__winlogic_utf16_to_utf8(lone, 3, out, sizeof(out));
	assert_string_equal(out, "a\xef\xbf\xbd"
				 "b");
	assert_int_equal(need, 5);
}

static void test_utf16_to_utf8_truncates_on_character_boundary(void **state)
{
	(void)state;
	const uint16_t in[] = { 'a', 0x2713, 'b' };
	char out[3];
	size_t need = tk__winlogic_utf16_to_utf8(in, 3, out, sizeof(out));
	assert_int_equal(need, 5);
	assert_string_equal(out, "a"); /* the 3-byte check mark did not fit: not split */
}

static void test_utf8_to_utf16(void **state)
{
	(void)state;
	uint16_t out[16];
	size_t n = tk__winlogic_utf8_to_utf16("B\xc3\xbc\xf0\x9f\x98\x80", out, 16);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 'B');
	assert_int_equal(out[1], 0x00FC);
	assert_int_equal(out[2], 0xD83D);
	assert_int_equal(out[3], 0xDE00);
	assert_int_equal(out[4], 0);
	assert_int_equal(tk__winlogic_utf8_to_utf16("\xc0\xaf", out, 16), SIZE_MAX); /* overlong */
	assert_int_equal(tk__winlogic_utf8_to_utf16("abc", NULL, 0), 3);
}

static void test_regval_string_checks(void **state)
{
	(void)state;
	const uint16_t name[] = { 'V', 'P', 'N', 0 };
	size_t units = 0;
	assert_int_equal(tk__winlogic_regval_check_sz(TK_WIN_REG_SZ, name, 8, 255, false, &units),
			 TK_REGVAL_OK);
	assert_int_equal(units, 3);
	/* No terminator stored: still fine, the length is the data's. */
	assert_int_equal(tk__winlogic_regval_check_sz(TK_WIN_REG_SZ, name, 6, 255, false, &units),
			 TK_REGVAL_OK);
	assert_int_equal(units, 3);
	assert_int_equal(
		tk__winlogic_regval_check_sz(TK_WIN_REG_DWORD, name, 4, 255, false, &units),
		TK_REGVAL_WRONG_TYPE);
	assert_int_equal(
		tk__winlogic_regval_check_sz(TK_WIN_REG_EXPAND_SZ, name, 8, 255, false, &units),
		TK_REGVAL_WRONG_TYPE);
	assert_int_equal(
		tk__winlogic_regval_check_sz(TK_WIN_REG_EXPAND_SZ, name, 8, 255, true, &units),
		TK_REGVAL_OK);
	assert_int_equal(tk__winlogic_regval_check_sz(TK_WIN_REG_SZ, name, 7, 255, false, &units),
			 TK_REGVAL_ODD_SIZE);
	assert_int_equal(tk__winlogic_regval_check_sz(TK_WIN_REG_SZ, name, 8, 2, false, &units),
			 TK_REGVAL_TOO_LONG);
	assert_int_equal(tk__winlogic_regval_check_sz(TK_WIN_REG_SZ, name, 0, 2, false, &units),
			 TK_REGVAL_EMPTY);
	assert_int_equal(tk__winlogic_regval_check_dword(TK_WIN_REG_DWORD, 4), TK_REGVAL_OK);
	assert_int_equal(tk__winlogic_regval_check_dword(TK_WIN_REG_DWORD, 8), TK_REGVAL_ODD_SIZE);
	assert_int_equal(tk__winlogic_regval_check_dword(TK_WIN_REG_SZ, 4), TK_REGVAL_WRONG_TYPE);
	assert_string_equal(tk__winlogic_regtype_name(TK_WIN_REG_DWORD), "REG_DWORD");
}

/* A fake sized API: the value is `len` bytes and grows by `grow` on each call, `grows` times. */
struct fake {
	uint32_t len, grow;
	int grows;
	int calls;
	uint32_t fail;	     /* a code returned on the first call instead */
	bool probe_succeeds; /* the size probe with no buffer succeeds (like RegQueryValueEx) */
};

static uint32_t fake_call(void *user, void *buf, uint32_t *size)
{
	struct fake *f = user;
	f->calls++;
	if (f->fail)
		return f->fail;
	uint32_t have = *size;
	*size = f->len;
	uint32_t rc;
	if (!buf)
		rc = f->probe_succeeds ? TK_WIN_ERROR_SUCCESS : TK_WIN_ERROR_INSUFFICIENT_BUFFER;
	else if (have < f->len)
		rc = TK_WIN_ERROR_MORE_DATA;
	else {
		memset(buf, 'x', f->len);
		rc = TK_WIN_ERROR_SUCCESS;
	}
	if (f->grows > 0) {
		f->grows--;
		f->len += f->grow;
	}
	return rc;
}

static void test_sized_call_learns_the_size(void **state)
{
	(void)state;
	struct fake f = { .len = 100, .probe_succeeds = true };
	void *buf = NULL;
	uint32_t size = 0;
	assert_int_equal(tk__winlogic_sized_call(fake_call, &f, 1000, 4, &buf, &size), 0);
	assert_int_equal(size, 100);
	assert_int_equal(f.calls, 2);
	/* Four zero bytes follow the data, so an unterminated string is terminated. */
	assert_int_equal(((unsigned char *)buf)[100], 0);
	assert_int_equal(((unsigned char *)buf)[103], 0);
	free(buf);
}

static void test_sized_call_rechecks_a_growing_value(void **state)
{
	(void)state;
	struct fake f = { .len = 100, .grow = 50, .grows = 2 };
	void *buf = NULL;
	uint32_t size = 0;
	assert_int_equal(tk__winlogic_sized_call(fake_call, &f, 1000, 4, &buf, &size), 0);
	assert_int_equal(size, 200);
	free(buf);
}

static void test_sized_call_gives_up_on_endless_growth(void **state)
{
	(void)state;
	struct fake f = { .len = 100, .grow = 50, .grows = 100 };
	void *buf = (void *)1;
	uint32_t size = 7;
	assert_int_equal(tk__winlogic_sized_call(fake_call, &f, 100000, 4, &buf, &size),
			 TK_WIN_ERROR_MORE_DATA);
	assert_int_equal(f.calls, 4);
	assert_null(buf);
	assert_int_equal(size, 0);
}

static void test_sized_call_refuses_oversized(void **state)
{
	(void)state;
	struct fake f = { .len = 5000 };
	void *buf = NULL;
	uint32_t size = 0;
	assert_int_equal(tk__winlogic_sized_call(fake_call, &f, 4096, 4, &buf, &size),
			 TK_WIN_ERROR_TK_TOO_LARGE);
	assert_null(buf);
}

static void test_sized_call_passes_other_errors(void **state)
{
	(void)state;
	struct fake f = { .fail = TK_WIN_ERROR_FILE_NOT_FOUND };
	void *buf = NULL;
	uint32_t size = 0;
	assert_int_equal(tk__winlogic_sized_call(fake_call, &f, 4096, 4, &buf, &size),
			 TK_WIN_ERROR_FILE_NOT_FOUND);
	assert_int_equal(f.calls, 1);
	assert_null(buf);
}

static void test_sized_call_empty_value(void **state)
{
	(void)state;
	struct fake f = { .len = 0, .probe_succeeds = true };
	void *buf = NULL;
	uint32_t size = 9;
	assert_int_equal(tk__winlogic_sized_call(fake_call, &f, 4096, 4, &buf, &size), 0);
	assert_int_equal(size, 0);
	assert_non_null(buf);
	assert_int_equal(((unsigned char *)buf)[0], 0);
	free(buf);
}

static void test_service_and_product_names(void **state)
{
	(void)state;
	assert_string_equal(tk__winlogic_service_state_name(1), "stopped");
	assert_string_equal(tk__winlogic_service_state_name(4), "running");
	assert_string_equal(tk__winlogic_service_start_name(4), "disabled");
	assert_string_equal(tk__winlogic_service_start_name(3), "demand");
	/* 0x061100: Windows Defender on and up to date; 0x060100: off. */
	assert_string_equal(tk__winlogic_av_state_name(0x061100), "on");
	assert_true(tk__winlogic_av_up_to_date(0x061100));
	assert_string_equal(tk__winlogic_av_state_name(0x060100), "off");
	assert_false(tk__winlogic_av_up_to_date(0x061110));
}

static void test_driver_kinds_and_configret(void **state)
{
	(void)state;
	assert_string_equal(tk__winlogic_driver_kind("ROOT\\Wintun"),
			    "a Wintun (WireGuard's driver)");
	assert_string_equal(tk__winlogic_driver_kind("ovpn-dco"),
			    "an OpenVPN Data Channel Offload (ovpn-dco)");
	assert_string_equal(tk__winlogic_driver_kind("wintunx"), "another driver's");
	assert_string_equal(tk__winlogic_driver_kind(NULL), "another driver's");
	struct tk_win_cause c;
	tk__winlogic_map_configret(TK_CR_ACCESS_DENIED, &c);
	assert_int_equal(c.status, TK_E_NO_PRIVILEGE);
	tk__winlogic_map_configret(TK_CR_REMOVE_VETOED, &c);
	assert_int_equal(c.status, TK_E_ADAPTER_BUSY);
	tk__winlogic_map_configret(TK_CR_NOT_DISABLEABLE, &c);
	assert_int_equal(c.status, TK_E_ADAPTER_PROBLEM);
	tk__winlogic_map_configret(TK_CR_NO_SUCH_DEVNODE, &c);
	assert_int_equal(c.status, TK_E_ADAPTER_NOT_FOUND);
	tk__winlogic_map_configret(0x99, &c);
	assert_int_equal(c.status, TK_E_ADAPTER_PROBLEM);
	assert_string_equal(tk__winlogic_configret_name(TK_CR_NOT_DISABLEABLE),
			    "CR_NOT_DISABLEABLE");
	assert_string_equal(tk__winlogic_configret_name(0x99), "CR_UNKNOWN");
}

static void test_tap_driver_versions(void **state)
{
	(void)state;
	assert_false(tk__winlogic_tap_version_ok(9, 8));
	assert_false(tk__winlogic_tap_version_ok(8, 20));
	assert_true(tk__winlogic_tap_version_ok(9, 9));
	assert_true(tk__winlogic_tap_version_ok(9, 27));
	assert_true(tk__winlogic_tap_version_ok(10, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_driver_versions),
		cmocka_unit_test(test_driver_kinds_and_configret),
		cmocka_unit_test(test_guid_parse_and_format_round_trip),
		cmocka_unit_test(test_guid_parse_rejects_malformed),
		cmocka_unit_test(test_component_ids_match_case_insensitively),
		cmocka_unit_test(test_component_ids_reject_others),
		cmocka_unit_test(test_component_ids_extra_list),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_utf16_to_utf8),
		cmocka_unit_test(test_utf16_to_utf8_truncates_on_character_boundary),
		cmocka_unit_test(test_utf8_to_utf16),
		cmocka_unit_test(test_regval_string_checks),
		cmocka_unit_test(test_sized_call_learns_the_size),
		cmocka_unit_test(test_sized_call_rechecks_a_growing_value),
		cmocka_unit_test(test_sized_call_gives_up_on_endless_growth),
		cmocka_unit_test(test_sized_call_refuses_oversized),
		cmocka_unit_test(test_sized_call_passes_other_errors),
		cmocka_unit_test(test_sized_call_empty_value),
		cmocka_unit_test(test_service_and_product_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
