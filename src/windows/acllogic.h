/* SPDX-License-Identifier: MIT */
/*
 * Whether a private key file's DACL lets others read it (the Windows side of the tunnel's key
 * check, as `chmod 600` is on Linux): pure code over the DACL's entries, with the SIDs and
 * access bits as numbers, so it is unit-tested on every ACL shape on Linux and under Wine
 * (which keeps ACLs but does not enforce them).
 */
#ifndef TK_ACLLOGIC_H
#define TK_ACLLOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The principals a key must not be readable by (well-known SIDs), and everything else. */
enum tk_acl_who {
	TK_ACL_OTHER = 0,	   /* SYSTEM, Administrators, the owner, a named account */
	TK_ACL_EVERYONE,	   /* S-1-1-0 */
	TK_ACL_USERS,		   /* S-1-5-32-545 (BUILTIN\Users) */
	TK_ACL_AUTHENTICATED_USERS /* S-1-5-11 */
};

/* One entry of a DACL, in order. allow false: an ACCESS_DENIED entry. */
struct tk_acl_entry {
	bool allow;
	bool inherit_only; /* INHERIT_ONLY_ACE: applies to children, not to the file */
	enum tk_acl_who who;
	uint32_t mask;
};

/* Access bits that read the data (winnt.h): FILE_READ_DATA, GENERIC_READ, GENERIC_ALL,
 * MAXIMUM_ALLOWED. */
#define TK_ACL_READ_BITS (0x0001u | 0x80000000u | 0x10000000u | 0x02000000u)

/*
 * The verdict: false when the key is safe; true when one of the principals above may read it,
 * with that principal's name ("Everyone", "Users", "Authenticated Users") in *who. has_dacl
 * false is a NULL DACL: everyone has every access. Windows evaluates entries in order, a deny
 * for a principal before an allow hiding it (only explicit denies are looked at for the same
 * principal; group membership is not resolved here, so a deny for another group does not
 * count).
 */
bool tk__acl_readable_by_others(bool has_dacl, const struct tk_acl_entry *e, size_t n,
				const char **who);

#endif /* TK_ACLLOGIC_H */
