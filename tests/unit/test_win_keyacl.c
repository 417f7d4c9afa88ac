/* SPDX-License-Identifier: MIT */
/*
 * The private key file's ACL verdict (src/windows/acllogic.c) on the DACL shapes a key file
 * can have: icacls' fix (SYSTEM and Administrators only), inherited defaults that give Users
 * read, Everyone, Authenticated Users, a NULL DACL, denies before and after an allow, and
 * entries that only children inherit. Then the configuration file's: who may write it (or
 * take it over), with generic rights mapped and denies of part of the rights.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "windows/acllogic.h"

#define FULL	     0x001F01FFu /* FILE_ALL_ACCESS */
#define READ_EXEC    0x001200A9u /* FILE_GENERIC_READ | FILE_GENERIC_EXECUTE: "RX" */
#define WRITE_ONLY   0x00000116u /* FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA */
#define GENERIC_READ 0x80000000u

static const char *verdict(bool has, const struct tk_acl_entry *e, size_t n, bool *readable)
{
	const char *who = "unset";
	*readable = tk__acl_readable_by_others(has, e, n, &who);
	return who;
}

static void test_fixed_by_icacls(void **state)
{
	(void)state;
	/* icacls KEY /inheritance:r /grant:r SYSTEM:F /grant:r Administrators:F */
	struct tk_acl_entry e[] = { { true, false, TK_ACL_OTHER, FULL },
				    { true, false, TK_ACL_OTHER, FULL } };
	bool r;
	const char *who = verdict(true, e, 2, &r);
	assert_false(r);
	assert_string_equal(who, "");
	/* no entries at all: nobody but the owner's implicit rights */
	assert_false(tk__acl_readable_by_others(true, NULL, 0, &who));
}

/* One principal's entry after SYSTEM's full access, and who the verdict must name. */
struct grant_case {
	enum tk_acl_who w;
	uint32_t mask;
	const char *name;
};

/* Each case is granted one of `want` (TK_ACL_READ, TK_ACL_WRITE), naming its principal. */
static void expect_granted(const struct grant_case *c, size_t n, uint32_t want)
{
	for (size_t i = 0; i < n; i++) {
		struct tk_acl_entry e[] = { { true, false, TK_ACL_OTHER, FULL },
					    { true, false, c[i].w, c[i].mask } };
		const char *who = "unset";
		assert_true(tk__acl_grants_others(true, e, 2, want, &who));
		assert_string_equal(who, c[i].name);
	}
}

static void test_readable(void **state)
{
	(void)state;
	static const struct grant_case cases[] = {
		{ TK_ACL_USERS, READ_EXEC, "Users" }, /* the default of C:\ProgramData */
		{ TK_ACL_EVERYONE, GENERIC_READ, "Everyone" },
		{ TK_ACL_AUTHENTICATED_USERS, FULL, "Authenticated Users" },
		{ TK_ACL_USERS, 0x10000000u, "Users" },	  /* GENERIC_ALL */
		{ TK_ACL_EVERYONE, 0x0001u, "Everyone" }, /* FILE_READ_DATA alone */
	};
	expect_granted(cases, sizeof(cases) / sizeof(cases[0]), TK_ACL_READ);
}

static void test_not_read(void **state)
{
	(void)state;
	/* Users may write (a drop box) but not read: not a leak of the key */
	struct tk_acl_entry e[] = { { true, false, TK_ACL_USERS, WRITE_ONLY } };
	bool r;
	verdict(true, e, 1, &r);
	assert_false(r);
	/* an allow that only children inherit does not apply to the file */
	struct tk_acl_entry io[] = { { true, true, TK_ACL_EVERYONE, FULL } };
	verdict(true, io, 1, &r);
	assert_false(r);
}

static void test_null_dacl(void **state)
{
	(void)state;
	bool r;
	const char *who = verdict(false, NULL, 0, &r);
	assert_true(r);
	assert_string_equal(who, "Everyone");
}

static void test_deny_order(void **state)
{
	(void)state;
	/* a deny before the allow wins (Windows' canonical order) */
	struct tk_acl_entry deny_first[] = { { false, false, TK_ACL_USERS, GENERIC_READ },
					     { true, false, TK_ACL_USERS, READ_EXEC } };
	bool r;
	verdict(true, deny_first, 2, &r);
	assert_false(r);
	/* a deny after the allow comes too late */
	struct tk_acl_entry deny_after[] = { { true, false, TK_ACL_USERS, READ_EXEC },
					     { false, false, TK_ACL_USERS, GENERIC_READ } };
	const char *who = verdict(true, deny_after, 2, &r);
	assert_true(r);
	assert_string_equal(who, "Users");
	/* a deny for another principal does not hide Everyone's read */
	struct tk_acl_entry other[] = { { false, false, TK_ACL_USERS, FULL },
					{ true, false, TK_ACL_EVERYONE, READ_EXEC } };
	who = verdict(true, other, 2, &r);
	assert_true(r);
	assert_string_equal(who, "Everyone");
	/* a deny of write only does not stop the read */
	struct tk_acl_entry wdeny[] = { { false, false, TK_ACL_USERS, WRITE_ONLY },
					{ true, false, TK_ACL_USERS, READ_EXEC } };
	verdict(true, wdeny, 2, &r);
	assert_true(r);
}

/* tk__acl_grants_others(..., TK_ACL_WRITE): the configuration file's check */
static bool writable(bool has, const struct tk_acl_entry *e, size_t n, const char **who)
{
	*who = "unset";
	return tk__acl_grants_others(has, e, n, TK_ACL_WRITE, who);
}

static void test_write_granted(void **state)
{
	(void)state;
	static const struct grant_case cases[] = {
		{ TK_ACL_EVERYONE, 0x001301FFu, "Everyone" }, /* Wine's o+w: "modify" */
		{ TK_ACL_USERS, 0x40000000u, "Users" },	      /* GENERIC_WRITE */
		{ TK_ACL_AUTHENTICATED_USERS, FULL, "Authenticated Users" },
		{ TK_ACL_USERS, 0x10000000u, "Users" },	      /* GENERIC_ALL */
		{ TK_ACL_EVERYONE, 0x00000004u, "Everyone" }, /* FILE_APPEND_DATA alone */
		{ TK_ACL_USERS, 0x00040000u, "Users" },	      /* WRITE_DAC: grants itself */
		{ TK_ACL_USERS, 0x00080000u, "Users" },	      /* WRITE_OWNER: takes it */
		{ TK_ACL_EVERYONE, 0x00010000u, "Everyone" }, /* DELETE: replaces it */
		{ TK_ACL_USERS, WRITE_ONLY, "Users" },
	};
	expect_granted(cases, sizeof(cases) / sizeof(cases[0]), TK_ACL_WRITE);
	/* a NULL DACL: Everyone may do anything */
	const char *who;
	assert_true(writable(false, NULL, 0, &who));
	assert_string_equal(who, "Everyone");
}

static void test_write_not_granted(void **state)
{
	(void)state;
	const char *who;
	/* the default of a file under C:\ProgramData: Users read and execute, no write */
	struct tk_acl_entry pd[] = { { true, false, TK_ACL_OTHER, FULL },
				     { true, false, TK_ACL_OTHER, FULL },
				     { true, false, TK_ACL_USERS, READ_EXEC } };
	assert_false(writable(true, pd, 3, &who));
	assert_string_equal(who, "");
	/* GENERIC_READ and GENERIC_EXECUTE map to no write right */
	struct tk_acl_entry gr[] = { { true, false, TK_ACL_EVERYONE, 0xA0000000u } };
	assert_false(writable(true, gr, 1, &who));
	/* but they are read: the same entries through the read verdict */
	assert_true(tk__acl_grants_others(true, gr, 1, TK_ACL_READ, &who));
	/* write for children only (C:\ProgramData's Users entry is container-inherit) */
	struct tk_acl_entry io[] = { { true, true, TK_ACL_USERS, WRITE_ONLY } };
	assert_false(writable(true, io, 1, &who));
	/* named accounts are not looked at (the owner, a service account) */
	struct tk_acl_entry named[] = { { true, false, TK_ACL_OTHER, FULL } };
	assert_false(writable(true, named, 1, &who));
}

static void test_write_denies(void **state)
{
	(void)state;
	const char *who;
	/* a deny of GENERIC_WRITE before "modify": what is left is DELETE (0x10000) */
	struct tk_acl_entry part[] = { { false, false, TK_ACL_USERS, 0x40000000u },
				       { true, false, TK_ACL_USERS, 0x001301BFu } };
	assert_true(writable(true, part, 2, &who));
	assert_string_equal(who, "Users");
	/* a deny of every write right first hides a full allow */
	struct tk_acl_entry all[] = { { false, false, TK_ACL_EVERYONE, 0x000D0116u },
				      { true, false, TK_ACL_EVERYONE, FULL } };
	assert_false(writable(true, all, 2, &who));
	/* a deny of write data only leaves WRITE_DAC: still a way to write */
	struct tk_acl_entry dac[] = { { false, false, TK_ACL_USERS, 0x00000002u },
				      { true, false, TK_ACL_USERS, 0x00040002u } };
	assert_true(writable(true, dac, 2, &who));
	/* a deny of read hides no write */
	struct tk_acl_entry rd[] = { { false, false, TK_ACL_USERS, GENERIC_READ },
				     { true, false, TK_ACL_USERS, WRITE_ONLY } };
	assert_true(writable(true, rd, 2, &who));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_by_icacls),	  cmocka_unit_test(test_readable),
		cmocka_unit_test(test_not_read),	  cmocka_unit_test(test_null_dacl),
		cmocka_unit_test(test_deny_order),	  cmocka_unit_test(test_write_granted),
		cmocka_unit_test(test_write_not_granted), cmocka_unit_test(test_write_denies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
