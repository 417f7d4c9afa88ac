/* SPDX-License-Identifier: MIT */
/*
 * The private key file on Windows: refused when its DACL lets Everyone, Users or Authenticated
 * Users read it (the decision: src/windows/acllogic.c), with the icacls command that fixes it,
 * as `chmod 600` is asked for on Linux. The same DACL reader serves the configuration file's
 * check (tunnel_config.c: refused when they may write it). A safe key is then read, as on Linux:
 * one base64 key (TK_WIN_SEALED: the build with libsodium and OpenSSL, scripts/mingw-deps.sh);
 * without them it meets sealed mode's absence in this build (seal_unavailable.c).
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

#ifdef TK_WIN_SEALED
/* The key file's text: one base64 key, as `tapkit genkey` writes it (the ACL is checked). */
static tk_status read_key(const char *path, const char *obj, uint8_t sk[TK__KEY_LEN], tk_error *err)
{
	wchar_t wpath[MAX_PATH * 2];
	char text[128];
	DWORD n = 0;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath,
				(int)(sizeof(wpath) / sizeof(wpath[0]))) <= 0)
		return tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
					   "private key file name %s is not valid UTF-8", path);
	HANDLE h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();
		return tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_WIN32, (int)e,
					   "cannot open private key file %s (Windows error %lu)",
					   path, (unsigned long)e);
	}
	BOOL ok = ReadFile(h, text, sizeof(text), &n, NULL);
	DWORD e = GetLastError();
	CloseHandle(h);
	tk_status st = TK_OK;
	if (!ok)
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_WIN32, (int)e,
					 "cannot read private key file %s (Windows error %lu)",
					 path, (unsigned long)e);
	else if (!tk__key_from_base64(text, n, sk)) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
					 "private key file %s does not hold one base64 key", path);
		tk__error_remedy(err,
				 "make one: tapkit genkey > \"%s\", then restrict it "
				 "with icacls (docs/windows.md)",
				 path);
	}
	sodium_memzero(text, sizeof(text));
	return st;
}
#endif

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
#ifdef TK_WIN_SEALED
	return read_key(path, obj, sk, err);
#else
	return tk__no_seal(err, "read key", obj);
#endif
}
