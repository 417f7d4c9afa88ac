/* SPDX-License-Identifier: MIT */
/*
 * Whether a file's DACL lets others read it (the tunnel's private key file, as `chmod 600` is
 * on Linux) or write it (the tunnel's configuration file, as `chmod go-w`): pure code over the
 * DACL's entries, with the SIDs and access bits as numbers, so it is unit-tested on every ACL
 * shape on Linux and under Wine (which derives a file's DACL from its Unix mode and does not
 * enforce it).
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

/*
 * What may be done to a file, as looked for by tk__acl_grants_others (the generic rights of an
 * entry mapped to the file's own first, as Windows maps them). Read: FILE_READ_DATA. Write:
 * FILE_WRITE_DATA, FILE_APPEND_DATA, and the rights that lead to it or replace the file:
 * WRITE_DAC (grant oneself write), WRITE_OWNER (take the file, then WRITE_DAC) and DELETE
 * (remove it and put another in its place).
 */
#define TK_ACL_READ  0x00000001u
#define TK_ACL_WRITE (0x00000002u | 0x00000004u | 0x00010000u | 0x00040000u | 0x00080000u)

/*
 * The verdict: false when the key is safe; true when one of the principals above may read it,
 * with that principal's name ("Everyone", "Users", "Authenticated Users") in *who. has_dacl
 * false is a NULL DACL: everyone has every access. Windows evaluates entries in order, a deny
 * for a principal before an allow hiding it (only explicit denies are looked at for the same
 * principal; group membership is not resolved here, so a deny for another group does not
 * count). tk__acl_grants_others(has_dacl, e, n, TK_ACL_READ, who).
 */
bool tk__acl_readable_by_others(bool has_dacl, const struct tk_acl_entry *e, size_t n,
				const char **who);

/*
 * The same verdict for any of the rights in `want` (TK_ACL_READ, TK_ACL_WRITE): true when one
 * of the principals above is granted one of them that no earlier deny for it took away.
 */
bool tk__acl_grants_others(bool has_dacl, const struct tk_acl_entry *e, size_t n, uint32_t want,
			   const char **who);

/*
 * Whose files are trusted, as root, us or the tunnel's user are on Linux: a file whose owner is
 * none of these could have been planted (its owner can rewrite its DACL at any time). The owner
 * and this process's user are SID strings as ConvertSidToStringSid writes them ("S-1-5-18");
 * owner NULL or "" is a security descriptor without an owner.
 */
enum tk_acl_owner {
	TK_ACL_OWNER_FOREIGN = 0,	/* anyone else: refused */
	TK_ACL_OWNER_NONE,		/* no owner recorded: refused */
	TK_ACL_OWNER_ADMINISTRATORS,	/* S-1-5-32-544 (BUILTIN\Administrators) */
	TK_ACL_OWNER_SYSTEM,		/* S-1-5-18 (NT AUTHORITY\SYSTEM) */
	TK_ACL_OWNER_TRUSTED_INSTALLER, /* S-1-5-80-956008885-...-2271478464 */
	TK_ACL_OWNER_SELF		/* the user this process runs as */
};
#define TK_ACL_SID_ADMINISTRATORS "S-1-5-32-544"
#define TK_ACL_SID_SYSTEM	  "S-1-5-18"
#define TK_ACL_SID_TRUSTED_INSTALLER \
	"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

/* The owner's class (SIDs compared without case, as Windows parses them). */
enum tk_acl_owner tk__acl_owner_class(const char *owner, const char *self);
/* True for the owners a configuration or key file may have (Administrators, SYSTEM,
 * TrustedInstaller, this process's user); *who names the class ("Administrators", "SYSTEM",
 * "TrustedInstaller", "this process's user", "nobody (no owner)", "someone else"). */
bool tk__acl_owner_trusted(const char *owner, const char *self, const char **who);
/*
 * The verdict another process will reach: one running as `account` (a SID string; LocalSystem
 * is TK_ACL_SID_SYSTEM) trusts Administrators, SYSTEM, TrustedInstaller and that account, not
 * the user checking now. A service's installer asks it for the service's account: a file its
 * own user owns passes its check and fails the service's. *who as tk__acl_owner_trusted's, with
 * "the account" for a file the account owns.
 */
bool tk__acl_owner_trusted_by(const char *owner, const char *account, const char **who);

#endif /* TK_ACLLOGIC_H */
