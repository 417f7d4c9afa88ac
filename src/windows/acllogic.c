/* SPDX-License-Identifier: MIT */
/* Whether a key file's DACL lets others read it (acllogic.h). */
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

bool tk__acl_readable_by_others(bool has_dacl, const struct tk_acl_entry *e, size_t n,
				const char **who)
{
	if (!has_dacl) {
		*who = who_name(TK_ACL_EVERYONE);
		return true;
	}
	/* the read bits each principal has been denied so far, in the DACL's order */
	uint32_t denied[4] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (e[i].inherit_only || e[i].who == TK_ACL_OTHER)
			continue;
		uint32_t read = e[i].mask & TK_ACL_READ_BITS;
		if (!read)
			continue;
		if (!e[i].allow) {
			denied[e[i].who] |= read;
			continue;
		}
		/* every read bit maps to FILE_READ_DATA: an earlier deny of any of them wins */
		if (denied[e[i].who] == 0) {
			*who = who_name(e[i].who);
			return true;
		}
	}
	*who = "";
	return false;
}
