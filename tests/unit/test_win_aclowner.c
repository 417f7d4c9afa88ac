/* SPDX-License-Identifier: MIT */
/*
 * The owner verdict of the tunnel's configuration and key files on Windows (src/windows/
 * acllogic.c): each SID class an owner can be (Administrators, SYSTEM, TrustedInstaller, this
 * process's user, no owner, everyone else: Anonymous Logon, as Wine reports a file another Unix
 * user owns, Users, Everyone, another account of the same domain, a service account), SIDs in
 * either case, and SIDs that only begin like a trusted one; and the rule a service's account
 * applies, asked at its install (tk__acl_owner_trusted_by); under Wine, that rule applied to
 * a real file by tk_tunnel_config_check_owners_as.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "windows/acllogic.h"

#if defined(_WIN32)
#include <windows.h>

#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "tapkit.h"
#endif

#define SELF "S-1-5-21-1004336348-1177238915-682003330-1001"

struct owner_case {
	const char *owner;
	enum tk_acl_owner cls;
	bool trusted;
	const char *who;
};

static void expect_cases(const struct owner_case *c, size_t n, const char *self)
{
	for (size_t i = 0; i < n; i++) {
		const char *who = "unset";
		assert_int_equal(tk__acl_owner_class(c[i].owner, self), c[i].cls);
		assert_int_equal(tk__acl_owner_trusted(c[i].owner, self, &who), c[i].trusted);
		assert_string_equal(who, c[i].who);
	}
}

static void test_trusted(void **state)
{
	(void)state;
	static const struct owner_case cases[] = {
		{ "S-1-5-32-544", TK_ACL_OWNER_ADMINISTRATORS, true, "Administrators" },
		{ "S-1-5-18", TK_ACL_OWNER_SYSTEM, true, "SYSTEM" },
		{ TK_ACL_SID_TRUSTED_INSTALLER, TK_ACL_OWNER_TRUSTED_INSTALLER, true,
		  "TrustedInstaller" },
		{ SELF, TK_ACL_OWNER_SELF, true, "this process's user" },
		/* SID strings are read without case */
		{ "s-1-5-32-544", TK_ACL_OWNER_ADMINISTRATORS, true, "Administrators" },
		{ "s-1-5-21-1004336348-1177238915-682003330-1001", TK_ACL_OWNER_SELF, true,
		  "this process's user" },
	};
	expect_cases(cases, sizeof(cases) / sizeof(cases[0]), SELF);
}

static void test_foreign(void **state)
{
	(void)state;
	static const struct owner_case cases[] = {
		/* Wine's owner of a file another Unix user owns */
		{ "S-1-5-7", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		{ "S-1-5-32-545", TK_ACL_OWNER_FOREIGN, false, "someone else" }, /* Users */
		{ "S-1-1-0", TK_ACL_OWNER_FOREIGN, false, "someone else" },	 /* Everyone */
		{ "S-1-5-11", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		/* another user of the same machine: only the last part differs */
		{ "S-1-5-21-1004336348-1177238915-682003330-1002", TK_ACL_OWNER_FOREIGN, false,
		  "someone else" },
		/* a service's virtual account, not this process's */
		{ "S-1-5-80-1234-5678", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		/* SIDs that begin like a trusted one, or that one cut short */
		{ "S-1-5-32-5440", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		{ "S-1-5-180", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		{ "S-1-5-32-54", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		{ "S-1-5-21-1004336348-1177238915-682003330-100", TK_ACL_OWNER_FOREIGN, false,
		  "someone else" },
		{ "S-1-5-80-956008885-3418522649-1831038044-1853292631", TK_ACL_OWNER_FOREIGN,
		  false, "someone else" },
		/* no owner in the security descriptor */
		{ "", TK_ACL_OWNER_NONE, false, "nobody (no owner)" },
		{ NULL, TK_ACL_OWNER_NONE, false, "nobody (no owner)" },
	};
	expect_cases(cases, sizeof(cases) / sizeof(cases[0]), SELF);
}

static void test_self_unknown(void **state)
{
	(void)state;
	/* without this process's user (NULL or ""), only the three system owners are trusted */
	static const struct owner_case cases[] = {
		{ SELF, TK_ACL_OWNER_FOREIGN, false, "someone else" },
		{ "S-1-5-18", TK_ACL_OWNER_SYSTEM, true, "SYSTEM" },
		{ "", TK_ACL_OWNER_NONE, false, "nobody (no owner)" },
	};
	expect_cases(cases, sizeof(cases) / sizeof(cases[0]), NULL);
	expect_cases(cases, sizeof(cases) / sizeof(cases[0]), "");
	/* a process running as SYSTEM (a LocalSystem service): SYSTEM is trusted either way */
	const char *who;
	assert_true(tk__acl_owner_trusted("S-1-5-18", "S-1-5-18", &who));
	assert_int_equal(tk__acl_owner_class("S-1-5-18", "S-1-5-18"), TK_ACL_OWNER_SYSTEM);
}

/*
 * The LocalSystem service's rule, asked at its install by an administrator whose own account
 * (SELF) made the file: trusted by the installer, refused by the service.
 */
static void test_service_account(void **state)
{
	(void)state;
	const char *who = "unset";
	assert_true(tk__acl_owner_trusted(SELF, SELF, &who));
	assert_false(tk__acl_owner_trusted_by(SELF, TK_ACL_SID_SYSTEM, &who));
	assert_string_equal(who, "someone else");
	/* Wine's prefix user: every file a Wine scenario makes */
	assert_false(tk__acl_owner_trusted_by("S-1-5-21-0-0-0-1000", TK_ACL_SID_SYSTEM, &who));
	assert_string_equal(who, "someone else");
	static const struct owner_case cases[] = {
		{ "S-1-5-32-544", TK_ACL_OWNER_ADMINISTRATORS, true, "Administrators" },
		{ "S-1-5-18", TK_ACL_OWNER_SYSTEM, true, "SYSTEM" },
		{ TK_ACL_SID_TRUSTED_INSTALLER, TK_ACL_OWNER_TRUSTED_INSTALLER, true,
		  "TrustedInstaller" },
		{ "S-1-5-7", TK_ACL_OWNER_FOREIGN, false, "someone else" },
		{ "", TK_ACL_OWNER_NONE, false, "nobody (no owner)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		who = "unset";
		assert_int_equal(tk__acl_owner_trusted_by(cases[i].owner, TK_ACL_SID_SYSTEM, &who),
				 cases[i].trusted);
		assert_string_equal(who, cases[i].who);
	}
	/* a virtual account (NT SERVICE\name) trusts its own files, named as the account's */
	assert_true(tk__acl_owner_trusted_by("S-1-5-80-1234-5678", "s-1-5-80-1234-5678", &who));
	assert_string_equal(who, "the account");
	assert_false(tk__acl_owner_trusted_by(SELF, "S-1-5-80-1234-5678", &who));
	/* no account known: the three system owners alone */
	assert_false(tk__acl_owner_trusted_by(SELF, NULL, &who));
	assert_true(tk__acl_owner_trusted_by("S-1-5-32-544", NULL, &who));
}

#if defined(_WIN32)
/*
 * This process's user as a SID string (under Wine: the prefix's user, owner of its files),
 * found by its name rather than by the token the library reads, so the two are independent.
 */
static void own_sid(char *out, size_t size)
{
	char name[256], domain[256];
	BYTE sid[SECURITY_MAX_SID_SIZE];
	DWORD nn = sizeof(name), sn = sizeof(sid), dn = sizeof(domain);
	SID_NAME_USE use;
	char *s = NULL;
	assert_true(GetUserNameA(name, &nn));
	assert_true(LookupAccountNameA(NULL, name, sid, &sn, domain, &dn, &use));
	assert_true(ConvertSidToStringSidA(sid, &s));
	snprintf(out, size, "%s", s);
	LocalFree(s);
}

/*
 * tk_tunnel_config_check_owners_as on a real file, read by the real security calls (Wine):
 * a key file this process's user owns, named by a configuration built without a file (so the
 * key's branch is the one taken), passes for that user and is refused for LocalSystem with
 * the file, its owner, the account and the icacls fix.
 */
static void test_check_owners_as(void **state)
{
	(void)state;
	char dir[MAX_PATH], path[MAX_PATH], self[256], fix[MAX_PATH + 64];
	tk_ctx *ctx = NULL;
	tk_tunnel_config *cfg = NULL;
	tk_error err = { 0 };

	own_sid(self, sizeof(self));
	assert_true(GetTempPathA(sizeof(dir), dir) > 0);
	assert_true(GetTempFileNameA(dir, "tko", 0, path) != 0);
	assert_int_equal(tk_ctx_new(&ctx, &err), TK_OK);
	assert_int_equal(tk_tunnel_config_new(ctx, &cfg, &err), TK_OK);
	assert_int_equal(tk_tunnel_config_set(cfg, "PrivateKeyFile", path, &err), TK_OK);

	assert_int_equal(tk_tunnel_config_check_owners_as(cfg, self, &err), TK_OK);

	assert_int_equal(tk_tunnel_config_check_owners_as(cfg, TK_ACL_SID_SYSTEM, &err),
			 TK_E_CONFIG);
	assert_non_null(strstr(err.message, "private key file "));
	assert_non_null(strstr(err.message, path));
	assert_non_null(strstr(err.message, self));
	assert_non_null(strstr(err.message, "nor S-1-5-18"));
	snprintf(fix, sizeof(fix), "icacls \"%s\" /setowner *S-1-5-32-544", path);
	assert_non_null(strstr(err.remedy, fix));

	assert_int_equal(tk_tunnel_config_check_owners_as(cfg, "S-1-x", &err), TK_E_BAD_ARGUMENT);
	assert_true(DeleteFileA(path));
	assert_int_equal(tk_tunnel_config_check_owners_as(cfg, TK_ACL_SID_SYSTEM, &err),
			 TK_E_CONFIG);
	assert_int_equal(err.os_code, ERROR_FILE_NOT_FOUND);
	tk_tunnel_config_free(cfg);
	tk_ctx_free(ctx);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_self_unknown),
		cmocka_unit_test(test_service_account),
#if defined(_WIN32)
		cmocka_unit_test(test_check_owners_as),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
