/* SPDX-License-Identifier: MIT */
/* Whether a file's DACL lets others read or write it, and whether its owner is trusted
 * (acllogic.h). */
#include "acllogic.h"

static const char *who_name(enum tk_acl_who w)
{
	switch (w) {
	case TK_ACL_EVERYONE:
		return "Everyone";
	case TK_ACL_USERS:
		return "Users";
	case TK_ACL_AUTHENTICATED_USERS:
		return "Authenticated Users";
	default:
		return "";
	}
}

/* The generic rights of an entry as the file rights they stand for (FILE_GENERIC_*). */
static uint32_t file_rights(uint32_t mask)
{
	uint32_t m = mask & 0x01FFFFFFu;	/* the specific and standard rights as they are */
	if (mask & (0x10000000u | 0x02000000u)) /* GENERIC_ALL, MAXIMUM_ALLOWED */
		m |= 0x001F01FFu;		/* FILE_ALL_ACCESS */
	if (mask & 0x80000000u)			/* GENERIC_READ */
		m |= 0x00120089u;
	if (mask & 0x40000000u) /* GENERIC_WRITE */
		m |= 0x00120116u;
	if (mask & 0x20000000u) /* GENERIC_EXECUTE */
		m |= 0x001200A0u;
	return m;
}

bool tk__acl_grants_others(bool has_dacl, const struct tk_acl_entry *e, size_t n, uint32_t want,
			   const char **who)
{
	if (!has_dacl) {
		*who = who_name(TK_ACL_EVERYONE);
		return true;
	}
	/* the wanted rights each principal has been denied so far, in the DACL's order */
	uint32_t denied[4] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (e[i].inherit_only || e[i].who == TK_ACL_OTHER)
			continue;
		uint32_t got = file_rights(e[i].mask) & want;
		if (!e[i].allow)
			denied[e[i].who] |= got;
		else if (got & ~denied[e[i].who]) {
			*who = who_name(e[i].who);
			return true;
		}
	}
	*who = "";
	return false;
}

bool tk__acl_readable_by_others(bool has_dacl, const struct tk_acl_entry *e, size_t n,
				const char **who)
{
	return tk__acl_grants_others(has_dacl, e, n, TK_ACL_READ, who);
}

/* Two SID strings alike, letters compared without case ("s-1-5-18" is S-1-5-18). */
static bool sid_equal(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 'a' + 'A') : *a;
		char y = *b >= 'a' && *b <= 'z' ? (char)(*b - 'a' + 'A') : *b;
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

enum tk_acl_owner tk__acl_owner_class(const char *owner, const char *self)
{
	if (!owner || !*owner)
		return TK_ACL_OWNER_NONE;
	if (sid_equal(owner, TK_ACL_SID_ADMINISTRATORS))
		return TK_ACL_OWNER_ADMINISTRATORS;
	if (sid_equal(owner, TK_ACL_SID_SYSTEM))
		return TK_ACL_OWNER_SYSTEM;
	if (sid_equal(owner, TK_ACL_SID_TRUSTED_INSTALLER))
		return TK_ACL_OWNER_TRUSTED_INSTALLER;
	if (self && *self && sid_equal(owner, self))
		return TK_ACL_OWNER_SELF;
	return TK_ACL_OWNER_FOREIGN;
}

/* The verdict of a process running as self, whose own files *who calls self_name. */
static bool owner_trusted(const char *owner, const char *self, const char *self_name,
			  const char **who)
{
	switch (tk__acl_owner_class(owner, self)) {
	case TK_ACL_OWNER_ADMINISTRATORS:
		*who = "Administrators";
		return true;
	case TK_ACL_OWNER_SYSTEM:
		*who = "SYSTEM";
		return true;
	case TK_ACL_OWNER_TRUSTED_INSTALLER:
		*who = "TrustedInstaller";
		return true;
	case TK_ACL_OWNER_SELF:
		*who = self_name;
		return true;
	case TK_ACL_OWNER_NONE:
		*who = "nobody (no owner)";
		return false;
	default:
		*who = "someone else";
		return false;
	}
}

bool tk__acl_owner_trusted(const char *owner, const char *self, const char **who)
{
	return owner_trusted(owner, self, "this process's user", who);
}

bool tk__acl_owner_trusted_by(const char *owner, const char *account, const char **who)
{
	return owner_trusted(owner, account, "the account", who);
}
