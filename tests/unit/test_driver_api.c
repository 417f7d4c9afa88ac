/* SPDX-License-Identifier: MIT */
/*
 * The driver calls at the API boundary (src/api.c): a bad context or a missing argument is
 * caught before the backend, outputs stay untouched on failure, and err may be NULL. Also the
 * Linux answers: tk_driver_install and tk_adapter_set_enabled are TK_E_UNSUPPORTED with the
 * Linux way in the remedy, and tk_driver_status fills the document.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tapkit.h"

static void test_bad_ctx(void **state)
{
	(void)state;
	tk_error err;
	tk_driver_info info;
	bool reboot = true;

	memset(&info, 0x5a, sizeof(info));
	assert_int_equal(tk_driver_status(NULL, &info, &err), TK_E_INVALID_HANDLE);
	assert_int_equal(err.status, TK_E_INVALID_HANDLE);
	assert_int_equal(info.name[0], 0x5a); /* untouched */
	assert_int_equal(tk_driver_install(NULL, "x.inf", &reboot, &err), TK_E_INVALID_HANDLE);
	assert_true(reboot); /* untouched */
	assert_int_equal(tk_adapter_set_enabled(NULL, "tap0", true, &err), TK_E_INVALID_HANDLE);
	assert_int_equal(tk_adapter_set_enabled(NULL, "tap0", false, NULL), TK_E_INVALID_HANDLE);
}

static void test_missing_arguments(void **state)
{
	(void)state;
	tk_ctx *ctx = NULL;
	tk_error err;

	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	assert_int_equal(tk_driver_status(ctx, NULL, &err), TK_E_BAD_ARGUMENT);
	assert_int_equal(tk_driver_install(ctx, NULL, NULL, &err), TK_E_BAD_ARGUMENT);
	assert_int_equal(tk_driver_install(ctx, "", NULL, &err), TK_E_BAD_ARGUMENT);
	assert_non_null(strstr(err.message, "INF"));
	assert_int_equal(tk_adapter_set_enabled(ctx, NULL, true, &err), TK_E_BAD_ARGUMENT);
	assert_int_equal(tk_adapter_set_enabled(ctx, "", true, NULL), TK_E_BAD_ARGUMENT);
	/* The backend's name rule applies before the backend is asked. */
	assert_int_equal(tk_adapter_set_enabled(ctx, "a/b", true, &err), TK_E_NAME_INVALID);
	tk_ctx_free(ctx);
}

static void test_linux_answers(void **state)
{
	(void)state;
	tk_ctx *ctx = NULL;
	tk_error err;
	bool reboot = true;

	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	assert_int_equal(tk_driver_install(ctx, "OemVista.inf", &reboot, &err), TK_E_UNSUPPORTED);
	assert_true(reboot); /* untouched on failure */
	assert_string_equal(err.object, "OemVista.inf");
	assert_non_null(strstr(err.remedy, "modprobe tun"));
	assert_int_equal(tk_adapter_set_enabled(ctx, "tap0", true, &err), TK_E_UNSUPPORTED);
	assert_string_equal(err.op, "enable adapter");
	assert_non_null(strstr(err.remedy, "`tapkit up tap0`"));
	assert_int_equal(tk_adapter_set_enabled(ctx, "tap0", false, &err), TK_E_UNSUPPORTED);
	assert_non_null(strstr(err.remedy, "`tapkit down tap0`"));

	/* Reading /sys needs no privilege; whatever the machine has, the document is filled. */
	tk_driver_info info;
	memset(&info, 0x5a, sizeof(info));
	assert_int_equal(tk_driver_status(ctx, &info, &err), TK_OK);
	assert_int_equal(err.status, TK_OK);
	assert_string_equal(info.name, "tun");
	assert_true(strlen(info.state) > 0);
	assert_true(strlen(info.message) > 0);
	assert_int_equal(info.status == TK_OK, info.installed);
	tk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_ctx),
		cmocka_unit_test(test_missing_arguments),
		cmocka_unit_test(test_linux_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
