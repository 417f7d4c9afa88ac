/* SPDX-License-Identifier: MIT */
/* The cause catalogue: every cause has a unique name, a message, a remedy and the right flag. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "tapkit.h"

static void test_every_cause_has_a_unique_name(void **state)
{
	(void)state;
	for (int a = 0; a < TK_STATUS__COUNT; a++) {
		const char *na = tk_status_name((tk_status)a);
		assert_non_null(na);
		assert_true(strncmp(na, a == 0 ? "TK_OK" : "TK_E_", 5) == 0);
		assert_string_not_equal(na, "TK_E_UNKNOWN");
		for (int b = a + 1; b < TK_STATUS__COUNT; b++)
			assert_string_not_equal(na, tk_status_name((tk_status)b));
	}
}

static void test_name_matches_the_enum_spelling(void **state)
{
	(void)state;
	assert_string_equal(tk_status_name(TK_OK), "TK_OK");
	assert_string_equal(tk_status_name(TK_E_ADAPTER_BUSY), "TK_E_ADAPTER_BUSY");
	assert_string_equal(tk_status_name(TK_E_INTERRUPTED), "TK_E_INTERRUPTED");
	assert_int_equal(TK_E_ADAPTER_BUSY, 10); /* values are a contract: never renumbered */
	assert_int_equal(TK_E_INTERRUPTED, 37);
}

/* Every name leads back to its own value: what a CLI parsing "--expect TK_E_X" relies on. */
static void test_name_round_trips_to_its_value(void **state)
{
	(void)state;
	for (int a = 0; a < TK_STATUS__COUNT; a++) {
		const char *name = tk_status_name((tk_status)a);
		int found = -1;
		for (int b = 0; b < TK_STATUS__COUNT; b++)
			if (strcmp(name, tk_status_name((tk_status)b)) == 0)
				found = b;
		assert_int_equal(found, a);
	}
}

static void check_sentence(const char *what, const char *s)
{
	assert_non_null(s);
	size_t n = strlen(s);
	if (n == 0 || n >= TK_ERROR_TEXT_MAX || isupper((unsigned char)s[0]) || s[n - 1] == '.' ||
	    s[n - 1] == ' ' || strchr(s, '\n'))
		fail_msg(
			"%s is not one lower-case line without a final period that fits a tk_error:"
			" \"%s\"",
			what, s);
}

static void test_every_cause_has_message_and_remedy(void **state)
{
	(void)state;
	for (int st = 0; st < TK_STATUS__COUNT; st++) {
		check_sentence(tk_status_name((tk_status)st), tk_status_message((tk_status)st));
		check_sentence(tk_status_name((tk_status)st), tk_status_remedy((tk_status)st));
	}
}

static void test_messages_are_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < TK_STATUS__COUNT; a++)
		for (int b = a + 1; b < TK_STATUS__COUNT; b++)
			assert_string_not_equal(tk_status_message((tk_status)a),
						tk_status_message((tk_status)b));
}

static void test_transient_causes_are_exactly_the_retryable_ones(void **state)
{
	(void)state;
	for (int st = 0; st < TK_STATUS__COUNT; st++) {
		bool want = st == TK_E_TIMEOUT || st == TK_E_AGAIN || st == TK_E_INTERRUPTED ||
			    st == TK_E_NO_MEMORY || st == TK_E_DEVICE_VANISHED;
		if (tk_status_transient((tk_status)st) != want)
			fail_msg("%s: transient should be %d", tk_status_name((tk_status)st), want);
	}
	assert_false(tk_status_transient(TK_E_ADAPTER_BUSY));
	assert_false(tk_status_transient(TK_OK));
}

static void test_value_outside_the_enum_is_unknown_not_null(void **state)
{
	(void)state;
	tk_status bad[] = { TK_STATUS__COUNT, (tk_status)1000, (tk_status)-1 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_string_equal(tk_status_name(bad[i]), "TK_E_UNKNOWN");
		assert_non_null(tk_status_message(bad[i]));
		assert_true(strlen(tk_status_remedy(bad[i])) > 0);
		assert_false(tk_status_transient(bad[i]));
	}
}

static void test_remedies_name_concrete_commands(void **state)
{
	(void)state;
	assert_non_null(strstr(tk_status_remedy(TK_E_TUN_MISSING), "modprobe tun"));
	assert_non_null(strstr(tk_status_remedy(TK_E_TUN_MISSING), "--device /dev/net/tun"));
	assert_non_null(strstr(tk_status_remedy(TK_E_NO_PRIVILEGE), "setcap cap_net_admin+ep"));
	assert_non_null(strstr(tk_status_remedy(TK_E_NO_PRIVILEGE), "--owner $USER"));
	assert_non_null(
		strstr(tk_status_remedy(TK_E_DRIVER_UNSIGNED), "bcdedit /set testsigning on"));
	assert_non_null(strstr(tk_status_remedy(TK_E_LINK_DOWN), "tapkit up NAME"));
}

static void test_os_kind_names(void **state)
{
	(void)state;
	assert_string_equal(tk_os_kind_name(TK_OS_NONE), "none");
	assert_string_equal(tk_os_kind_name(TK_OS_ERRNO), "errno");
	assert_string_equal(tk_os_kind_name(TK_OS_WIN32), "win32");
	assert_string_equal(tk_os_kind_name(TK_OS_NTSTATUS), "ntstatus");
	assert_string_equal(tk_os_kind_name(TK_OS_HRESULT), "hresult");
	assert_string_equal(tk_os_kind_name(TK_OS_CONFIGRET), "configret");
	assert_string_equal(tk_os_kind_name(TK_OS_CM_PROBLEM), "cm_problem");
	assert_string_equal(tk_os_kind_name(TK_OS_NETLINK), "netlink");
	assert_string_equal(tk_os_kind_name((tk_os_kind)99), "unknown");
}

static void test_check_status_names(void **state)
{
	(void)state;
	assert_string_equal(tk_check_status_name(TK_CHECK_OK), "ok");
	assert_string_equal(tk_check_status_name(TK_CHECK_WARN), "warn");
	assert_string_equal(tk_check_status_name(TK_CHECK_FAIL), "fail");
	assert_string_equal(tk_check_status_name(TK_CHECK_SKIPPED), "skipped");
	assert_string_equal(tk_check_status_name((tk_check_status)7), "unknown");
	tk_report_free(NULL); /* accepts NULL like every release function */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cause_has_a_unique_name),
		cmocka_unit_test(test_name_matches_the_enum_spelling),
		cmocka_unit_test(test_name_round_trips_to_its_value),
		cmocka_unit_test(test_every_cause_has_message_and_remedy),
		cmocka_unit_test(test_messages_are_distinct),
		cmocka_unit_test(test_transient_causes_are_exactly_the_retryable_ones),
		cmocka_unit_test(test_value_outside_the_enum_is_unknown_not_null),
		cmocka_unit_test(test_remedies_name_concrete_commands),
		cmocka_unit_test(test_os_kind_names),
		cmocka_unit_test(test_check_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
