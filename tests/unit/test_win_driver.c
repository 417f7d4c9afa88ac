/* SPDX-License-Identifier: MIT */
/*
 * `tapkit driver status` on Windows, its pure half (src/windows/drvlogic.c): what the facts
 * about the tap0901 service, its file and the driver store mean, and the INF DriverVer parser.
 * Runs on Linux and, cross-built, under Wine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "windows/drvlogic.h"
#include "windows/winlogic.h"

/* A registered, demand-start, stopped service with its file: the usual healthy machine. */
static struct tk_win_driver_facts healthy(void)
{
	struct tk_win_driver_facts f = {
		.service_exists = true,
		.state = TK_SVC_STOPPED,
		.start = 3,
		.image = "\\SystemRoot\\System32\\drivers\\tap0901.sys",
		.file = "C:\\Windows\\System32\\drivers\\tap0901.sys",
		.file_exists = true,
		.package = "oemvista.inf_amd64_4d3c2b1a",
		.installer_copy = "",
		.version = "9.24.2.601",
	};
	return f;
}

static void test_not_installed(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = {
		.image = "", .file = "", .package = "", .installer_copy = "", .version = ""
	};
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_E_DRIVER_NOT_INSTALLED);
	assert_false(d.installed);
	assert_false(d.loaded);
	assert_false(d.file_present);
	assert_string_equal(d.name, "tap0901");
	assert_string_equal(d.state, "not_installed");
	assert_string_equal(d.start_type, "");
	assert_non_null(strstr(d.remedy, "tapkit driver install OemVista.inf"));
}

static void test_not_installed_names_the_installer_copy(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = {
		.image = "",
		.file = "",
		.package = "",
		.installer_copy = "C:\\Program Files\\TAP-Windows\\driver\\OemVista.inf",
		.version = ""
	};
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_E_DRIVER_NOT_INSTALLED);
	assert_non_null(strstr(
		d.remedy,
		"`tapkit driver install \"C:\\Program Files\\TAP-Windows\\driver\\OemVista.inf\"`"));
}

static void test_not_installed_but_staged(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = healthy();
	f.service_exists = false;
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_E_DRIVER_NOT_INSTALLED);
	assert_string_equal(d.package, "oemvista.inf_amd64_4d3c2b1a");
	assert_string_equal(d.version, "9.24.2.601");
	assert_non_null(strstr(d.message, "is staged"));
	assert_non_null(strstr(d.remedy, "tapkit create"));
	/* Nothing of the absent service leaks into the answer. */
	assert_string_equal(d.file, "");
	assert_string_equal(d.image_path, "");
}

static void test_healthy_stopped_is_ok(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = healthy();
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_OK);
	assert_true(d.installed);
	assert_false(d.loaded); /* demand start: stopped until an adapter starts it */
	assert_true(d.file_present);
	assert_string_equal(d.state, "stopped");
	assert_string_equal(d.start_type, "demand");
	assert_string_equal(d.image_path, "\\SystemRoot\\System32\\drivers\\tap0901.sys");
	assert_string_equal(d.remedy, "");
	assert_non_null(strstr(d.message, "starts with the first adapter"));
}

static void test_running_is_loaded(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = healthy();
	f.state = TK_SVC_RUNNING;
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_OK);
	assert_true(d.loaded);
	assert_string_equal(d.state, "running");
	assert_null(strstr(d.message, "starts with"));
}

static void test_file_missing(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = healthy();
	f.file_exists = false;
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_E_DRIVER_FILES_MISSING);
	assert_true(d.installed);
	assert_false(d.file_present);
	assert_non_null(strstr(d.message, "C:\\Windows\\System32\\drivers\\tap0901.sys"));
	assert_non_null(strstr(d.remedy, "reinstall"));
}

/* A disabled service is the first thing to fix, even when its file is missing too. */
static void test_disabled_wins_over_file_missing(void **state)
{
	(void)state;
	struct tk_win_driver_facts f = healthy();
	f.start = TK_SVC_START_DISABLED;
	f.file_exists = false;
	tk_driver_info d;
	tk__drvlogic_verdict(&f, &d);
	assert_int_equal(d.status, TK_E_DRIVER_SERVICE_STOPPED);
	assert_string_equal(d.start_type, "disabled");
	assert_non_null(strstr(d.remedy, "sc config tap0901 start= demand"));
}

static void test_driverver(void **state)
{
	(void)state;
	char v[32];
	assert_true(tk__drvlogic_driverver("09/27/2019,9.24.2.601", v, sizeof(v)));
	assert_string_equal(v, "9.24.2.601");
	assert_true(tk__drvlogic_driverver("04/21/2016, 9.21.2 ; comment", v, sizeof(v)));
	assert_string_equal(v, "9.21.2");
	assert_true(tk__drvlogic_driverver("01/01/2020,\t1\r\n", v, sizeof(v)));
	assert_string_equal(v, "1");
}

static void test_driverver_rejects_malformed(void **state)
{
	(void)state;
	char v[32];
	static const char *const bad[] = {
		"09/27/2019",		/* no version */
		"09/27/2019,",		/* empty */
		"09/27/2019,9..24",	/* empty part */
		"09/27/2019,.9",	/* starts with a dot */
		"09/27/2019,9.24.",	/* ends with a dot */
		"09/27/2019,1.2.3.4.5", /* five parts */
		"09/27/2019,123456",	/* a part above 5 digits */
		"09/27/2019,9.x",	/* not a digit */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(v, sizeof(v), "junk");
		assert_false(tk__drvlogic_driverver(bad[i], v, sizeof(v)));
		assert_string_equal(v, "");
	}
	/* Too long for the buffer: refused, not truncated. */
	char small[4];
	assert_false(tk__drvlogic_driverver("09/27/2019,9.24.2.601", small, sizeof(small)));
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_installed),
		cmocka_unit_test(test_not_installed_names_the_installer_copy),
		cmocka_unit_test(test_not_installed_but_staged),
		cmocka_unit_test(test_healthy_stopped_is_ok),
		cmocka_unit_test(test_running_is_loaded),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_disabled_wins_over_file_missing),
		cmocka_unit_test(test_driverver),
		cmocka_unit_test(test_driverver_rejects_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
