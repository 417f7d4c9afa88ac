/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend's decisions about codes: what a Win32 code means for the operation that
 * returned it, what a device problem code means, what the code integrity options allow. Pure
 * logic (src/windows/winlogic.c), so it runs on Linux and, cross-built, under Wine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "windows/winlogic.h"

static struct tk_win_cause map(enum tk_win_op op, uint32_t code)
{
	struct tk_win_cause c;
	tk__winlogic_map_win32(op, code, &c);
	return c;
}

static void test_open_file_not_found_is_adapter_not_found(void **state)
{
	(void)state;
	struct tk_win_cause c = map(TK_WIN_OP_OPEN, 2);
	assert_int_equal(c.status, TK_E_ADAPTER_NOT_FOUND);
	assert_false(c.transient);
	assert_non_null(strstr(c.why, "disabled"));
	assert_non_null(strstr(c.remedy, "tapkit enable"));
}

static void test_open_gen_failure_is_busy_and_transient(void **state)
{
	(void)state;
	/* tap-windows6 completes a second open with STATUS_UNSUCCESSFUL -> 31. */
	struct tk_win_cause c = map(TK_WIN_OP_OPEN, 31);
	assert_int_equal(c.status, TK_E_ADAPTER_BUSY);
	assert_true(c.transient);
}

static void test_open_codes_each_have_their_cause(void **state)
{
	(void)state;
	assert_int_equal(map(TK_WIN_OP_OPEN, 3).status, TK_E_INVALID_GUID);
	assert_int_equal(map(TK_WIN_OP_OPEN, 5).status, TK_E_NO_PRIVILEGE);
	assert_int_equal(map(TK_WIN_OP_OPEN, 6).status, TK_E_INVALID_HANDLE);
	assert_int_equal(map(TK_WIN_OP_OPEN, 55).status, TK_E_DEVICE_VANISHED);
	assert_true(map(TK_WIN_OP_OPEN, 55).transient);
	assert_int_equal(map(TK_WIN_OP_OPEN, 1167).status, TK_E_DEVICE_VANISHED);
}

static void test_same_code_means_different_things_per_operation(void **state)
{
	(void)state;
	/* 2 from CreateFile: no device object; from StartService: the .sys is missing. */
	assert_int_equal(map(TK_WIN_OP_OPEN, 2).status, TK_E_ADAPTER_NOT_FOUND);
	assert_int_equal(map(TK_WIN_OP_SERVICE, 2).status, TK_E_DRIVER_FILES_MISSING);
	assert_int_equal(map(TK_WIN_OP_IO, 2).status, TK_E_DEVICE_VANISHED);
	assert_int_equal(map(TK_WIN_OP_MANAGE, 2).status, TK_E_DRIVER_FILES_MISSING);
	/* 87 from an ioctl is a bad value; from IP Helper an address TCP/IP refused. */
	assert_int_equal(map(TK_WIN_OP_IOCTL, 87).status, TK_E_BAD_ARGUMENT);
	assert_int_equal(map(TK_WIN_OP_IPHLP, 87).status, TK_E_ADDRESS_INVALID);
}

static void test_io_codes(void **state)
{
	(void)state;
	assert_int_equal(map(TK_WIN_OP_IO, 995).status, TK_E_LINK_DOWN);
	assert_non_null(strstr(map(TK_WIN_OP_IO, 995).remedy, "media status"));
	assert_int_equal(map(TK_WIN_OP_IO, 234).status, TK_E_FRAME_TOO_BIG);
	assert_int_equal(map(TK_WIN_OP_IO, 122).status, TK_E_BAD_ARGUMENT);
	assert_int_equal(map(TK_WIN_OP_IOCTL, 1).status, TK_E_UNSUPPORTED);
}

static void test_service_codes(void **state)
{
	(void)state;
	assert_int_equal(map(TK_WIN_OP_SERVICE, 1060).status, TK_E_DRIVER_NOT_INSTALLED);
	assert_int_equal(map(TK_WIN_OP_SERVICE, 1058).status, TK_E_DRIVER_SERVICE_STOPPED);
	assert_int_equal(map(TK_WIN_OP_SERVICE, 1053).status, TK_E_DRIVER_START_FAILED);
	assert_true(map(TK_WIN_OP_SERVICE, 1053).transient);
	/* Wine answers 1114 where Windows says 2 for a missing driver file. */
	assert_int_equal(map(TK_WIN_OP_SERVICE, 1114).status, TK_E_DRIVER_FILES_MISSING);
	assert_int_equal(map(TK_WIN_OP_SERVICE, 577).status, TK_E_DRIVER_UNSIGNED);
	assert_int_equal(map(TK_WIN_OP_SERVICE, 1275).status, TK_E_DRIVER_BLOCKED);
}

static void test_setupapi_codes(void **state)
{
	(void)state;
	struct tk_win_cause c = map(TK_WIN_OP_MANAGE, 0xE0000203u);
	assert_int_equal(c.status, TK_E_DRIVER_NOT_INSTALLED);
	assert_non_null(strstr(c.remedy, "driver install"));
	assert_int_equal(map(TK_WIN_OP_MANAGE, 0xE0000235u).status, TK_E_WOW64);
	assert_int_equal(map(TK_WIN_OP_MANAGE, 0xE000020Bu).status, TK_E_ADAPTER_NOT_FOUND);
	assert_int_equal(map(TK_WIN_OP_MANAGE, 3010).status, TK_E_REBOOT_REQUIRED);
}

static void test_generic_fallbacks(void **state)
{
	(void)state;
	assert_int_equal(map(TK_WIN_OP_MANAGE, 5).status, TK_E_NO_PRIVILEGE);
	assert_int_equal(map(TK_WIN_OP_IPHLP, 740).status, TK_E_NO_PRIVILEGE);
	assert_int_equal(map(TK_WIN_OP_GENERIC, 8).status, TK_E_NO_MEMORY);
	assert_int_equal(map(TK_WIN_OP_GENERIC, 1460).status, TK_E_TIMEOUT);
	struct tk_win_cause c = map(TK_WIN_OP_GENERIC, 12345);
	assert_int_equal(c.status, TK_E_IO);
	assert_true(c.why[0] && c.remedy[0]);
}

static void test_hresult_from_setupapi(void **state)
{
	(void)state;
	/* HRESULT_FROM_SETUPAPI(0xE0000203) = 0x800F0203; plain codes go through
	 * HRESULT_FROM_WIN32. */
	assert_int_equal(tk__winlogic_hresult_from_setupapi(0xE0000203u), 0x800F0203u);
	assert_int_equal(tk__winlogic_hresult_from_setupapi(5), 0x80070005u);
	assert_int_equal(tk__winlogic_hresult_from_setupapi(0), 0);
}

static void test_problem_codes(void **state)
{
	(void)state;
	assert_int_equal(tk__winlogic_cm_problem(22)->status, TK_E_ADAPTER_DISABLED);
	assert_string_equal(tk__winlogic_cm_problem(22)->name, "CM_PROB_DISABLED");
	assert_int_equal(tk__winlogic_cm_problem(10)->status, TK_E_DRIVER_START_FAILED);
	assert_int_equal(tk__winlogic_cm_problem(28)->status, TK_E_DRIVER_NOT_INSTALLED);
	assert_int_equal(tk__winlogic_cm_problem(31)->status, TK_E_DRIVER_START_FAILED);
	assert_int_equal(tk__winlogic_cm_problem(32)->status, TK_E_DRIVER_SERVICE_STOPPED);
	assert_int_equal(tk__winlogic_cm_problem(39)->status, TK_E_DRIVER_FILES_MISSING);
	assert_int_equal(tk__winlogic_cm_problem(48)->status, TK_E_DRIVER_BLOCKED);
	assert_int_equal(tk__winlogic_cm_problem(52)->status, TK_E_DRIVER_UNSIGNED);
	assert_int_equal(tk__winlogic_cm_problem(0)->status, TK_OK);
	const struct tk_cm_problem *u = tk__winlogic_cm_problem(999);
	assert_string_equal(u->name, "CM_PROB_UNKNOWN");
	assert_int_equal(u->status, TK_E_ADAPTER_PROBLEM);
	assert_true(u->remedy[0] != '\0');
}

static struct tk_ci_verdict ci(uint32_t options, int secure_boot, int hvci, uint32_t problem)
{
	struct tk_ci_facts f = { .options_known = true,
				 .options = options,
				 .secure_boot = secure_boot,
				 .hvci_configured = hvci,
				 .problem = problem };
	struct tk_ci_verdict v;
	tk__winlogic_ci_interpret(&f, &v);
	return v;
}

static void test_ci_bits(void **state)
{
	(void)state;
	struct tk_ci_verdict v = ci(0x1, 0, 0, 0); /* Wine's stub answer */
	assert_int_equal(v.status, TK_OK);
	assert_false(v.testsign);
	assert_false(v.hvci_running);
	v = ci(0x1 | 0x2 | 0x80, 0, 0, 0);
	assert_true(v.testsign);
	assert_true(v.debug);
	assert_non_null(strstr(v.summary, "test-signing on"));
	v = ci(0x1 | 0x400, 1, 1, 0);
	assert_true(v.hvci_running);
	assert_true(v.secure_boot_on);
	assert_non_null(strstr(v.summary, "memory integrity running"));
	/* HVCI in audit mode does not enforce. */
	assert_false(ci(0x1 | 0x400 | 0x800, 1, 0, 0).hvci_running);
}

static void test_ci_explains_unsigned_by_secure_boot(void **state)
{
	(void)state;
	struct tk_ci_verdict v = ci(0x1, 1, 0, 52);
	assert_int_equal(v.status, TK_E_DRIVER_UNSIGNED);
	assert_non_null(strstr(v.remedy, "Microsoft-signed"));
	v = ci(0x1 | 0x2, 0, 0, 52);
	assert_int_equal(v.status, TK_E_DRIVER_UNSIGNED);
	assert_non_null(strstr(v.remedy, "certificate"));
	v = ci(0x1, 0, 0, 52);
	assert_non_null(strstr(v.remedy, "KB2921916"));
}

static void test_ci_explains_blocked_by_memory_integrity(void **state)
{
	(void)state;
	struct tk_ci_verdict v = ci(0x1 | 0x400, 1, 1, 48);
	assert_int_equal(v.status, TK_E_DRIVER_BLOCKED);
	assert_non_null(strstr(v.remedy, "memory integrity"));
	v = ci(0x1, 1, 0, 48);
	assert_int_equal(v.status, TK_E_DRIVER_BLOCKED);
	assert_null(strstr(v.remedy, "memory integrity"));
}

static void test_ci_unknown_options(void **state)
{
	(void)state;
	struct tk_ci_facts f = { .options_known = false, .secure_boot = -1 };
	struct tk_ci_verdict v;
	tk__winlogic_ci_interpret(&f, &v);
	assert_int_equal(v.status, TK_OK);
	assert_non_null(strstr(v.summary, "unknown"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_file_not_found_is_adapter_not_found),
		cmocka_unit_test(test_open_gen_failure_is_busy_and_transient),
		cmocka_unit_test(test_open_codes_each_have_their_cause),
		cmocka_unit_test(test_same_code_means_different_things_per_operation),
		cmocka_unit_test(test_io_codes),
		cmocka_unit_test(test_service_codes),
		cmocka_unit_test(test_setupapi_codes),
		cmocka_unit_test(test_generic_fallbacks),
		cmocka_unit_test(test_hresult_from_setupapi),
		cmocka_unit_test(test_problem_codes),
		cmocka_unit_test(test_ci_bits),
		cmocka_unit_test(test_ci_explains_unsigned_by_secure_boot),
		cmocka_unit_test(test_ci_explains_blocked_by_memory_integrity),
		cmocka_unit_test(test_ci_unknown_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
