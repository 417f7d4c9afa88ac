/* SPDX-License-Identifier: MIT */
/*
 * The platform-free doctor frame: checks keep their order and their pointers, a skip names the
 * check that actually failed, warnings and failures always carry a remedy, the counts add up,
 * and tk_doctor_run catches misuse at the boundary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/core_internal.h"

static tk_ctx *new_ctx(void)
{
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	return ctx;
}

static tk_report *finish(struct tk__doctor *d)
{
	tk_report *r = NULL;
	tk_error err = { 0 };
	assert_int_equal(tk__doctor_finish(d, &r, &err), TK_OK);
	assert_non_null(r);
	return r;
}

static void test_checks_keep_order_and_pointers(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	assert_non_null(d);
	tk_check *first = tk__doctor_add(d, "a.first", "first", "");
	/* Many more checks after it: a backend may still hold and fill the first one. */
	for (int i = 0; i < 100; i++)
		tk__check_ok(tk__doctor_add(d, "a.filler", "filler", "x"), "filler %d", i);
	tk__check_ok(first, "written after %d more checks", 100);
	tk_report *r = finish(d);
	assert_int_equal(r->nchecks, 101);
	assert_string_equal(r->checks[0].id, "a.first");
	assert_string_equal(r->checks[0].summary, "written after 100 more checks");
	assert_string_equal(r->checks[100].summary, "filler 99");
	assert_int_equal(r->nok, 101);
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_unfinished_check_is_a_failure(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	(void)tk__doctor_add(d, "a.forgotten", "never filled", "");
	tk_report *r = finish(d);
	assert_int_equal(r->checks[0].status, TK_CHECK_FAIL);
	assert_int_equal(r->checks[0].cause, TK_E_INTERNAL);
	assert_int_equal(r->nfail, 1);
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_skip_names_the_root_failure(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	tk_check *node = tk__doctor_add(d, "x.node", "node", "/dev/x");
	tk__check_fail(node, TK_E_TUN_MISSING, TK_OS_ERRNO, ENOENT, "missing");
	tk_check *open = tk__doctor_add(d, "x.open", "open", "/dev/x");
	assert_true(tk__doctor_skip_unless_ok(d, open, "x.node"));
	tk_check *use = tk__doctor_add(d, "x.use", "use", "tap0");
	/* x.use depends on x.open, which was skipped because of x.node: the reason is x.node. */
	assert_true(tk__doctor_skip_unless_ok(d, use, "x.open"));
	tk_check *other = tk__doctor_add(d, "x.other", "other", "");
	assert_true(tk__doctor_skip_unless_ok(d, other, "x.never_ran"));
	tk_report *r = finish(d);
	assert_int_equal(r->checks[1].status, TK_CHECK_SKIPPED);
	assert_string_equal(r->checks[1].skipped_because, "x.node");
	assert_string_equal(r->checks[1].summary, "skipped because x.node failed");
	assert_string_equal(r->checks[2].skipped_because, "x.node");
	assert_string_equal(r->checks[2].summary, "skipped because x.node failed");
	assert_int_equal(r->checks[2].cause, TK_OK);
	assert_string_equal(r->checks[2].remedy, "");
	assert_string_equal(r->checks[3].summary, "skipped because x.never_ran did not run");
	assert_int_equal(r->nfail, 1);
	assert_int_equal(r->nskipped, 3);
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_warn_dependency_lets_checks_run(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	tk__check_warn(tk__doctor_add(d, "y.up", "up", "tap0"), TK_E_LINK_DOWN, TK_OS_NONE, 0,
		       "down");
	/* Per-object dependencies: tap1's own check failed, tap0's passed with a warning. */
	tk__check_fail(tk__doctor_add(d, "y.exists", "exists", "tap1"), TK_E_ADAPTER_NOT_FOUND,
		       TK_OS_NONE, 0, "no tap1");
	tk__check_ok(tk__doctor_add(d, "y.exists", "exists", "tap0"), "tap0 exists");
	tk_check *c0 = tk__doctor_add(d, "y.mtu", "mtu", "tap0");
	assert_false(tk__doctor_skip_unless_ok(d, c0, "y.up"));
	assert_false(tk__doctor_skip_unless_ok(d, c0, "y.exists"));
	tk__check_ok(c0, "fine");
	tk_check *c1 = tk__doctor_add(d, "y.mtu", "mtu", "tap1");
	assert_true(tk__doctor_skip_unless_ok(d, c1, "y.exists"));
	tk_report *r = finish(d);
	assert_int_equal(r->checks[3].status, TK_CHECK_OK);
	assert_int_equal(r->checks[4].status, TK_CHECK_SKIPPED);
	assert_int_equal(r->nwarn, 1);
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_problem_without_remedy_gets_the_catalogue_one(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	tk__check_fail(tk__doctor_add(d, "z.a", "a", ""), TK_E_NO_PRIVILEGE, TK_OS_NONE, 0, "no");
	tk_check *b = tk__doctor_add(d, "z.b", "b", "");
	tk__check_warn(b, TK_E_LINK_DOWN, TK_OS_NONE, 0, "down");
	tk__check_remedy(b, "`tapkit up %s`", "tap0");
	tk_check *c = tk__doctor_add(d, "z.c", "c", "");
	tk__check_remedy(c, "stale");
	tk__check_ok(c, "fine"); /* ok clears a remedy set earlier */
	tk_report *r = finish(d);
	assert_string_equal(r->checks[0].remedy, tk_status_remedy(TK_E_NO_PRIVILEGE));
	assert_string_equal(r->checks[1].remedy, "`tapkit up tap0`");
	assert_string_equal(r->checks[2].remedy, "");
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_evidence_keys_are_unique_and_bounded(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	tk_check *c = tk__doctor_add(d, "e.a", "a", "");
	tk__check_evidence(c, "mode", "%04o", 0600u);
	tk__check_evidence(c, "mode", "%04o", 0666u);
	for (int i = 0; i < 40; i++) {
		char key[16];
		tk__snprintf(key, sizeof(key), "k%d", i);
		tk__check_evidence(c, key, "%d", i);
	}
	char long_value[1000];
	memset(long_value, 'v', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	tk__check_evidence(c, "mode", "%s", long_value);
	tk__check_ok(c, "ok");
	tk_report *r = finish(d);
	assert_int_equal(r->checks[0].nevidence, TK_CHECK_MAX_EVIDENCE);
	assert_string_equal(r->checks[0].evidence[0].key, "mode");
	size_t n = strlen(r->checks[0].evidence[0].value);
	assert_int_equal(n, TK_ERROR_TEXT_MAX - 1);
	assert_string_equal(r->checks[0].evidence[0].value + n - 3, "...");
	assert_string_equal(r->checks[0].evidence[1].key, "k0");
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_from_error_copies_cause_code_and_holder(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_ADAPTER_BUSY, "TUNSETIFF", "tap0", TK_OS_ERRNO, EBUSY,
			    "tap0 is held by openvpn");
	tk__error_remedy(&err, "stop openvpn (pid 4242)");
	err.holder_pid = 4242;
	tk__strlcpy(err.holder_name, "openvpn", sizeof(err.holder_name));
	struct tk__doctor *d = tk__doctor_new(ctx);
	tk__check_from_error(tk__doctor_add(d, "o.open", "open", "tap0"), &err);
	tk_report *r = finish(d);
	const tk_check *c = &r->checks[0];
	assert_int_equal(c->status, TK_CHECK_FAIL);
	assert_int_equal(c->cause, TK_E_ADAPTER_BUSY);
	assert_int_equal(c->os_kind, TK_OS_ERRNO);
	assert_int_equal(c->os_code, EBUSY);
	assert_string_equal(c->summary, "tap0 is held by openvpn");
	assert_string_equal(c->remedy, "stop openvpn (pid 4242)");
	bool holder = false, op = false;
	for (size_t i = 0; i < c->nevidence; i++) {
		holder |= strcmp(c->evidence[i].key, "holder") == 0 &&
			  strcmp(c->evidence[i].value, "openvpn (pid 4242)") == 0;
		op |= strcmp(c->evidence[i].key, "op") == 0 &&
		      strcmp(c->evidence[i].value, "TUNSETIFF") == 0;
	}
	assert_true(holder);
	assert_true(op);
	tk_report_free(r);
	tk_ctx_free(ctx);
}

static void test_doctor_run_rejects_misuse(void **state)
{
	(void)state;
	tk_report *r = NULL;
	tk_error err;
	memset(&err, 0x5a, sizeof(err));
	assert_int_equal(tk_doctor_run(NULL, NULL, &r, &err), TK_E_INVALID_HANDLE);
	assert_int_equal(err.status, TK_E_INVALID_HANDLE);
	assert_null(r);
	tk_ctx *ctx = new_ctx();
	memset(&err, 0, sizeof(err));
	assert_int_equal(tk_doctor_run(ctx, NULL, NULL, &err), TK_E_BAD_ARGUMENT);
	tk_doctor_opts o = { .flags = 1 };
	assert_int_equal(tk_doctor_run(ctx, &o, &r, &err), TK_E_BAD_ARGUMENT);
	assert_null(r);
	tk_report_free(NULL);
	tk_ctx_free(ctx);
}

static void test_no_fix_sends_the_reader_to_the_doctor(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx();
	struct tk__doctor *d = tk__doctor_new(ctx);
	tk_check *a = tk__doctor_add(d, "a.first", "first", "");
	tk__check_fail(a, TK_E_ADAPTER_NOT_FOUND, TK_OS_NONE, 0, "gone");
	tk__check_remedy(a, "run `tapkit doctor`; recreate the adapter with `tapkit create`");
	tk_check *b = tk__doctor_add(d, "a.second", "second", "");
	tk__check_warn(b, TK_E_IO, TK_OS_NONE, 0, "odd");
	tk__check_remedy(b, "reopen the adapter; run `tapkit doctor` if it persists");
	tk_check *c = tk__doctor_add(d, "a.third", "third", "");
	tk__check_fail(c, TK_E_DRIVER_NOT_INSTALLED, TK_OS_NONE, 0, "no driver");
	tk__check_remedy(c, "run `tapkit doctor`: the driver may not be installed");
	tk_check *e = tk__doctor_add(d, "a.fourth", "fourth", "");
	tk__check_warn(e, TK_E_MISSING_DEPENDENCY, TK_OS_NONE, 0, "runtime");
	tk__check_remedy(e, "check a program with `tapkit doctor --program PATH`");
	tk_report *r = finish(d);
	assert_string_equal(r->checks[0].remedy, "recreate the adapter with `tapkit create`");
	assert_string_equal(r->checks[1].remedy, "reopen the adapter");
	assert_string_equal(r->checks[2].remedy, tk_status_remedy(TK_E_DRIVER_NOT_INSTALLED));
	/* another command of the doctor is a fix, not a loop */
	assert_string_equal(r->checks[3].remedy,
			    "check a program with `tapkit doctor --program PATH`");
	tk_report_free(r);
	tk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks_keep_order_and_pointers),
		cmocka_unit_test(test_unfinished_check_is_a_failure),
		cmocka_unit_test(test_skip_names_the_root_failure),
		cmocka_unit_test(test_warn_dependency_lets_checks_run),
		cmocka_unit_test(test_problem_without_remedy_gets_the_catalogue_one),
		cmocka_unit_test(test_evidence_keys_are_unique_and_bounded),
		cmocka_unit_test(test_from_error_copies_cause_code_and_holder),
		cmocka_unit_test(test_doctor_run_rejects_misuse),
		cmocka_unit_test(test_no_fix_sends_the_reader_to_the_doctor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
