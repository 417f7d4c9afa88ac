/* SPDX-License-Identifier: MIT */
/*
 * The driver signature verdict (src/windows/siglogic.c): WinVerifyTrust answers classified,
 * then every combination of signature kind x test-signing x Secure Boot x memory integrity
 * (each on, off or unknown) decided against the rules written out here once more, plus
 * properties every verdict keeps: a cause is one of the three signing causes, a failure has a
 * fix, nothing says "run tapkit doctor", an unknown rule never gives a failure that depends on it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "windows/siglogic.h"

static void test_classify(void **state)
{
	(void)state;
	const char *ms = "Microsoft Windows Hardware Compatibility Publisher";
	const char *msroot = "Microsoft Root Certificate Authority 2010";
	assert_int_equal(tk__siglogic_classify(true, 0, ms, msroot), TK_SIG_MICROSOFT);
	assert_int_equal(tk__siglogic_classify(true, 0, "OpenVPN Technologies, Inc.",
					       "DigiCert High Assurance EV Root CA"),
			 TK_SIG_CROSS_SIGNED);
	assert_int_equal(
		tk__siglogic_classify(true, 0, "WDKTestCert build,131", "WDKTestCert build,131"),
		TK_SIG_TEST);
	/* self-signed, one certificate: what Wine reports as trusted */
	assert_int_equal(tk__siglogic_classify(true, 0, "tapkit test driver signer",
					       "tapkit test driver signer"),
			 TK_SIG_TEST);
	assert_int_equal(tk__siglogic_classify(true, 0x800B0100u, "", ""), TK_SIG_NONE);
	assert_int_equal(tk__siglogic_classify(true, 0x80096010u, "x", "y"), TK_SIG_INVALID);
	assert_int_equal(tk__siglogic_classify(true, 0x800B0109u, "Acme", "Acme Root"),
			 TK_SIG_UNTRUSTED_ROOT);
	assert_int_equal(tk__siglogic_classify(true, 0x800B0109u, "Acme", "Acme Test Root"),
			 TK_SIG_TEST);
	assert_int_equal(tk__siglogic_classify(true, 0x800B010Cu, "Acme", "Acme Root"),
			 TK_SIG_REVOKED);
	assert_int_equal(tk__siglogic_classify(true, 0x80004005u, "", ""), TK_SIG_UNKNOWN);
	assert_int_equal(tk__siglogic_classify(false, 0, ms, msroot), TK_SIG_UNKNOWN);
	for (int k = 0; k <= TK_SIG__COUNT; k++)
		assert_true(tk__siglogic_kind_name((enum tk_sig_kind)k)[0] != '\0');
}

/* The rules, independently: the expected status, and whether the host cannot tell. */
static tk_status expected(const struct tk_sig_facts *f, bool *cannot_tell)
{
	*cannot_tell = false;
	switch (f->kind) {
	case TK_SIG_MICROSOFT:
		return TK_OK;
	case TK_SIG_NONE:
	case TK_SIG_INVALID:
		return TK_E_DRIVER_UNSIGNED;
	case TK_SIG_REVOKED:
		return TK_E_DRIVER_BLOCKED;
	case TK_SIG_CROSS_SIGNED:
		if (f->hvci == 1)
			return TK_E_DRIVER_BLOCKED;
		if (f->secure_boot == 1)
			return TK_E_DRIVER_UNSIGNED;
		*cannot_tell = !(f->secure_boot == 0 && f->hvci == 0);
		return TK_OK;
	case TK_SIG_TEST:
	case TK_SIG_UNTRUSTED_ROOT:
		if (f->testsign == 0)
			return TK_E_DRIVER_UNSIGNED;
		*cannot_tell = f->testsign == -1;
		return TK_OK;
	default:
		*cannot_tell = true;
		return TK_OK;
	}
}

static void test_every_combination(void **state)
{
	(void)state;
	static const int tri[] = { -1, 0, 1 };
	size_t n = 0, fails = 0, unknown = 0;
	for (int k = 0; k < TK_SIG__COUNT; k++)
		for (size_t t = 0; t < 3; t++)
			for (size_t sb = 0; sb < 3; sb++)
				for (size_t h = 0; h < 3; h++) {
					struct tk_sig_facts f = { (enum tk_sig_kind)k, tri[t],
								  tri[sb], tri[h] };
					struct tk_sig_verdict v;
					bool ct = false;
					tk_status want = expected(&f, &ct);
					tk__siglogic_decide(&f, &v);
					if (v.status != want || v.cannot_tell != ct)
						fprintf(stderr,
							"kind %d testsign %d secure_boot %d hvci %d: status %d cannot_tell %d\n",
							k, f.testsign, f.secure_boot, f.hvci,
							(int)v.status, v.cannot_tell);
					assert_int_equal(v.status, want);
					assert_int_equal(v.cannot_tell, ct);
					assert_true(v.summary[0] != '\0');
					assert_null(strstr(v.remedy, "tapkit doctor"));
					if (v.status != TK_OK) {
						assert_true(v.remedy[0] != '\0');
						assert_false(v.cannot_tell);
						fails++;
					}
					if (v.cannot_tell) {
						assert_int_equal(v.status, TK_OK);
						assert_non_null(strstr(v.summary, "cannot"));
						unknown++;
					}
					if (v.caution)
						assert_true(v.remedy[0] != '\0');
					n++;
				}
	assert_int_equal(n, (size_t)TK_SIG__COUNT * 27);
	assert_true(fails > 0 && unknown > 0);
}

static void test_named_cases(void **state)
{
	(void)state;
	struct tk_sig_verdict v;
	/* The classic: an old cross-signed TAP driver on a Secure Boot machine. */
	struct tk_sig_facts f = { TK_SIG_CROSS_SIGNED, 0, 1, 0 };
	tk__siglogic_decide(&f, &v);
	assert_int_equal(v.status, TK_E_DRIVER_UNSIGNED);
	assert_non_null(strstr(v.summary, "Secure Boot"));
	assert_non_null(strstr(v.remedy, "9.24.2"));
	/* The same with memory integrity on: blocked (problem 48). */
	f.hvci = 1;
	tk__siglogic_decide(&f, &v);
	assert_int_equal(v.status, TK_E_DRIVER_BLOCKED);
	assert_non_null(strstr(v.remedy, "memory integrity"));
	/* Loads now, only because every protection is off: a caution. */
	f = (struct tk_sig_facts){ TK_SIG_CROSS_SIGNED, 0, 0, 0 };
	tk__siglogic_decide(&f, &v);
	assert_int_equal(v.status, TK_OK);
	assert_true(v.caution);
	/* Test-signed with test-signing off, Secure Boot on: both steps in the fix. */
	f = (struct tk_sig_facts){ TK_SIG_TEST, 0, 1, 0 };
	tk__siglogic_decide(&f, &v);
	assert_int_equal(v.status, TK_E_DRIVER_UNSIGNED);
	assert_non_null(strstr(v.remedy, "Secure Boot off"));
	assert_non_null(strstr(v.remedy, "testsigning on"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_named_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
