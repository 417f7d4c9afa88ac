/* SPDX-License-Identifier: MIT */
/*
 * The private key file on Windows: refused when its DACL lets Everyone, Users or Authenticated
 * Users read it (the decision: src/windows/acllogic.c), with the icacls command that fixes it,
 * as `chmod 600` is asked for on Linux. The same DACL reader serves the configuration file's
 * check (tunnel_config.c: refused when they may write it). A safe key then meets sealed mode's absence in this
 * build (seal_unavailable.c).
 */
#include "../engine.h"

#include "windows/acllogic.h"

#include <aclapi.h>

#define ACL_MAX_ENTRIES 64

static enum tk_acl_who sid_who(PSID sid, PSID everyone, PSID users, PSID auth)
{
	if (EqualSid(sid, everyone))
		return TK_ACL_EVERYONE;
	if (EqualSid(sid, users))
		return TK_ACL_USERS;
	if (EqualSid(sid, auth))
		return TK_ACL_AUTHENTICATED_USERS;
	return TK_ACL_OTHER;
}

/* The DACL's entries as acllogic reads them; false when an entry cannot be read. */
static bool dacl_entries(PACL dacl, struct tk_acl_entry *out, size_t *n)
{
	BYTE everyone[SECURITY_MAX_SID_SIZE], users[SECURITY_MAX_SID_SIZE],
		auth[SECURITY_MAX_SID_SIZE];
	DWORD s1 = sizeof(everyone), s2 = sizeof(users), s3 = sizeof(auth);
	if (!CreateWellKnownSid(WinWorldSid, NULL, everyone, &s1) ||
	    !CreateWellKnownSid(WinBuiltinUsersSid, NULL, users, &s2) ||
	    !CreateWellKnownSid(WinAuthenticatedUserSid, NULL, auth, &s3))
		return false;
	*n = 0;
	for (DWORD i = 0; i < dacl->AceCount && *n < ACL_MAX_ENTRIES; i++) {
		ACE_HEADER *h;
		if (!GetAce(dacl, i, (void **)&h))
			return false;
		if (h->AceType != ACCESS_ALLOWED_ACE_TYPE && h->AceType != ACCESS_DENIED_ACE_TYPE)
			continue; /* audit and object entries grant nothing to read a file with */
		/* both kinds have the same layout: header, mask, then the SID */
		ACCESS_ALLOWED_ACE *a = (ACCESS_ALLOWED_ACE *)h;
		out[*n].allow = h->AceType == ACCESS_ALLOWED_ACE_TYPE;
		out[*n].inherit_only = (h->AceFlags & INHERIT_ONLY_ACE) != 0;
		out[*n].mask = a->Mask;
		out[*n].who = sid_who(&a->SidStart, everyone, users, auth);
		(*n)++;
	}
	return true;
}

tk_status tk__win_file_acl(const char *path, const char *op, const char *obj, const char *what,
			   struct tk__win_acl *v, tk_error *err)
{
	wchar_t wpath[MAX_PATH * 2];
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	struct tk_acl_entry e[ACL_MAX_ENTRIES];
	size_t n = 0;

	memset(v, 0, sizeof(*v));
	v->reader = v->writer = "";
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath,
				(int)(sizeof(wpath) / sizeof(wpath[0]))) <= 0)
		return tk__error_set_quiet(err, TK_E_CONFIG, op, obj, TK_OS_NONE, 0,
					   "%s name %s is not valid UTF-8", what, path);
	DWORD rc = GetNamedSecurityInfoW(wpath, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
					 NULL, &dacl, NULL, &sd);
	if (rc != ERROR_SUCCESS)
		return tk__error_set_quiet(
			err, TK_E_CONFIG, op, obj, TK_OS_WIN32, (int)rc,
			"cannot read the permissions of %s %s (Windows error %lu)", what, path,
			(unsigned long)rc);
	bool ok = dacl_entries(dacl, e, &n) || !dacl;
	DWORD code = ok ? 0 : GetLastError();
	if (ok) {
		v->readable = tk__acl_grants_others(dacl != NULL, e, n, TK_ACL_READ, &v->reader);
		v->writable = tk__acl_grants_others(dacl != NULL, e, n, TK_ACL_WRITE, &v->writer);
	}
	LocalFree(sd);
	if (!ok)
		return tk__error_set_quiet(err, TK_E_CONFIG, op, obj, TK_OS_WIN32, (int)code,
					   "cannot read the access list of %s %s", what, path);
	return TK_OK;
}

void tk__win_acl_remedy(tk_error *err, const char *path)
{
	if (err)
		tk__error_remedy(err,
				 "icacls \"%s\" /inheritance:r /remove:g *S-1-1-0 *S-1-5-32-545 "
				 "*S-1-5-11 /grant:r *S-1-5-18:F /grant:r *S-1-5-32-544:F (SYSTEM "
				 "and Administrators only)",
				 path);
}

tk_status tk__key_file_read_for(const char *path, const char *where, uid_t user,
				uint8_t sk[TK__KEY_LEN], tk_error *err)
{
	const char *obj = where && *where ? where : path;
	struct tk__win_acl v;

	(void)user;
	memset(sk, 0, TK__KEY_LEN);
	tk_status st = tk__win_file_acl(path, "read key", obj, "private key file", &v, err);
	if (st != TK_OK) {
		if (err && err->os_kind == TK_OS_WIN32 && err->os_code == ERROR_FILE_NOT_FOUND)
			tk__error_remedy(err, "make one with `tapkit genkey` on a machine with "
					      "sealed mode, then restrict it with icacls");
		return st;
	}
	if (v.readable) {
		tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
				    "private key file %s can be read by %s: refused", path,
				    v.reader);
		tk__win_acl_remedy(err, path);
		return TK_E_CONFIG;
	}
	return tk__no_seal(err, "read key", obj);
}
