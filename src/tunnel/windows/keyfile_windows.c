/* SPDX-License-Identifier: MIT */
/*
 * The private key file on Windows: refused when its DACL lets Everyone, Users or Authenticated
 * Users read it, or when its owner is none of Administrators, SYSTEM, TrustedInstaller and this
 * process's user (the decisions: src/windows/acllogic.c), with the icacls command that fixes it,
 * as `chmod 600` and `chown root` are asked for on Linux. The same DACL and owner reader serves
 * the configuration file's check (tunnel_config.c: refused when they may write it), and the
 * owner check an installer asks for the account its service will run as
 * (tk_tunnel_config_check_owners_as: that account trusts its own files, not ours). A safe key
 * is then read, as on Linux: one base64 key (TK_WIN_SEALED: the build with libsodium and
 * OpenSSL, scripts/mingw-deps.sh); without them it meets sealed mode's absence in this build
 * (seal_unavailable.c).
 */
#include "../engine.h"

#include "windows/acllogic.h"

#include <aclapi.h>
#include <sddl.h>

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

/* sid as a string ("S-1-5-18") into out; false when it cannot be converted. */
static bool sid_text(PSID sid, char *out, size_t size)
{
	char *s = NULL;
	if (!sid || !ConvertSidToStringSidA(sid, &s))
		return false;
	snprintf(out, size, "%s", s);
	LocalFree(s);
	return true;
}

/* The SID of the user this process runs as, as a string; 0 or the Windows error. */
static DWORD self_sid(char *out, size_t size)
{
	HANDLE tok;
	union {
		TOKEN_USER u;
		BYTE raw[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} buf;
	DWORD got = 0, code = 0;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return GetLastError();
	if (!GetTokenInformation(tok, TokenUser, &buf, sizeof(buf), &got))
		code = GetLastError();
	CloseHandle(tok);
	if (!code && !sid_text(buf.u.User.Sid, out, size))
		code = GetLastError();
	return code;
}

/* sid as "S-1-5-18 (NT AUTHORITY\\SYSTEM)" into out; the SID alone when Windows cannot name it. */
static void account_text(PSID sid, const char *text, char *out, size_t size)
{
	char name[128], domain[128];
	DWORD nn = sizeof(name), dn = sizeof(domain);
	SID_NAME_USE use;
	if (LookupAccountSidA(NULL, sid, name, &nn, domain, &dn, &use))
		snprintf(out, size, "%s (%s%s%s)", text, domain, *domain ? "\\" : "", name);
	else
		snprintf(out, size, "%s", text);
}

/*
 * The owner's verdict into v: its SID and account name, and whether a process running as self
 * refuses it (trusted: tk__acl_owner_trusted for this process's user, tk__acl_owner_trusted_by
 * for the account another process will run as).
 */
static DWORD owner_verdict(PSID owner, const char *self,
			   bool (*trusted)(const char *, const char *, const char **),
			   struct tk__win_acl *v)
{
	char sid[SECURITY_MAX_SID_SIZE * 4] = "";
	const char *who;
	if (owner && !sid_text(owner, sid, sizeof(sid)))
		return GetLastError();
	v->foreign_owner = !trusted(sid, self, &who);
	if (!owner)
		snprintf(v->owner, sizeof(v->owner), "%s", who);
	else
		account_text(owner, sid, v->owner, sizeof(v->owner));
	return 0;
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

/* path's owner, and its DACL when dacl is not NULL; *sd to LocalFree. op, obj, what: as
 * tk__win_file_acl's. */
static tk_status file_security(const char *path, const char *op, const char *obj, const char *what,
			       PSECURITY_DESCRIPTOR *sd, PSID *owner, PACL *dacl, tk_error *err)
{
	wchar_t wpath[MAX_PATH * 2];
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath,
				(int)(sizeof(wpath) / sizeof(wpath[0]))) <= 0)
		return tk__error_set_quiet(err, TK_E_CONFIG, op, obj, TK_OS_NONE, 0,
					   "%s name %s is not valid UTF-8", what, path);
	DWORD rc = GetNamedSecurityInfoW(wpath, SE_FILE_OBJECT,
					 OWNER_SECURITY_INFORMATION |
						 (dacl ? DACL_SECURITY_INFORMATION : 0),
					 owner, NULL, dacl, NULL, sd);
	if (rc != ERROR_SUCCESS)
		return tk__error_set_quiet(
			err, TK_E_CONFIG, op, obj, TK_OS_WIN32, (int)rc,
			"cannot read the permissions of %s %s (Windows error %lu)", what, path,
			(unsigned long)rc);
	return TK_OK;
}

tk_status tk__win_file_acl(const char *path, const char *op, const char *obj, const char *what,
			   struct tk__win_acl *v, tk_error *err)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	PSID owner = NULL;
	struct tk_acl_entry e[ACL_MAX_ENTRIES];
	size_t n = 0;
	char self[SECURITY_MAX_SID_SIZE * 4] = "";

	memset(v, 0, sizeof(*v));
	v->reader = v->writer = "";
	tk_status st = file_security(path, op, obj, what, &sd, &owner, &dacl, err);
	if (st != TK_OK)
		return st;
	bool ok = dacl_entries(dacl, e, &n) || !dacl;
	DWORD code = ok ? 0 : GetLastError();
	if (ok) {
		v->readable = tk__acl_grants_others(dacl != NULL, e, n, TK_ACL_READ, &v->reader);
		v->writable = tk__acl_grants_others(dacl != NULL, e, n, TK_ACL_WRITE, &v->writer);
	}
	DWORD ocode = ok ? self_sid(self, sizeof(self)) : 0;
	if (ok && !ocode)
		ocode = owner_verdict(owner, self, tk__acl_owner_trusted, v);
	LocalFree(sd);
	if (!ok)
		return tk__error_set_quiet(err, TK_E_CONFIG, op, obj, TK_OS_WIN32, (int)code,
					   "cannot read the access list of %s %s", what, path);
	if (ocode)
		return tk__error_set_quiet(err, TK_E_CONFIG, op, obj, TK_OS_WIN32, (int)ocode,
					   "cannot compare the owner of %s %s with this "
					   "process's user (Windows error %lu)",
					   what, path, (unsigned long)ocode);
	return TK_OK;
}

/* The refusal of v's owner by `whom` ("this process's user"), what follows (outcome), and the
 * fix: one text for both checks. */
static tk_status owner_refusal(const struct tk__win_acl *v, const char *path, const char *op,
			       const char *obj, const char *what, const char *whom,
			       const char *outcome, tk_error *err)
{
	tk__error_set_quiet(err, TK_E_CONFIG, op, obj, TK_OS_NONE, 0,
			    "%s %s is owned by %s, neither Administrators, SYSTEM, "
			    "TrustedInstaller nor %s: %s",
			    what, path, v->owner, whom, outcome);
	if (err)
		tk__error_remedy(err,
				 "if it is yours, from an elevated prompt: icacls \"%s\" /setowner "
				 "*S-1-5-32-544 (Administrators; or takeown /F \"%s\" /A)",
				 path, path);
	return TK_E_CONFIG;
}

tk_status tk__win_owner_check(const struct tk__win_acl *v, const char *path, const char *op,
			      const char *obj, const char *what, tk_error *err)
{
	if (!v->foreign_owner)
		return TK_OK;
	return owner_refusal(v, path, op, obj, what, "this process's user",
			     "refused (it could have been planted)", err);
}

/* path's owner as a process running as account (sid: its SID string, text: its SID and name)
 * will check it. */
static tk_status owner_check_as(const char *path, const char *what, const char *sid,
				const char *text, tk_error *err)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL;
	struct tk__win_acl v;

	memset(&v, 0, sizeof(v));
	tk_status st = file_security(path, "check owner", path, what, &sd, &owner, NULL, err);
	if (st != TK_OK)
		return st;
	DWORD code = owner_verdict(owner, sid, tk__acl_owner_trusted_by, &v);
	LocalFree(sd);
	if (code)
		return tk__error_set_quiet(err, TK_E_CONFIG, "check owner", path, TK_OS_WIN32,
					   (int)code,
					   "cannot read the owner of %s %s (Windows error %lu)",
					   what, path, (unsigned long)code);
	if (!v.foreign_owner)
		return TK_OK;
	return owner_refusal(&v, path, "check owner", path, what, text,
			     "refused by a tunnel running as that account", err);
}

tk_status tk_tunnel_config_check_owners_as(const tk_tunnel_config *cfg, const char *account,
					   tk_error *err)
{
	PSID sid = NULL;
	char text[300];

	if (err)
		tk__error_clear(err); /* a top-level call: an earlier failure in err is not ours */
	if (!cfg || !account)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "check owner", "", TK_OS_NONE, 0,
					   "no configuration or no account given");
	if (!ConvertStringSidToSidA(account, &sid)) {
		DWORD e = GetLastError();
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "check owner", account,
					   TK_OS_WIN32, (int)e,
					   "%s is not a SID (\"S-1-5-18\") (Windows error %lu)",
					   account, (unsigned long)e);
	}
	int token = tk__call_begin(cfg->ctx, err);
	account_text(sid, account, text, sizeof(text));
	LocalFree(sid);
	tk_status st = TK_OK;
	if (cfg->c.origin[0])
		st = owner_check_as(cfg->c.origin, "configuration file", account, text, err);
	if (st == TK_OK && cfg->c.key_file[0])
		st = owner_check_as(cfg->c.key_file, "private key file", account, text, err);
	tk__call_end(cfg->ctx, token);
	return st;
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
	st = tk__win_owner_check(&v, path, "read key", obj, "private key file", err);
	if (st != TK_OK)
		return st;
#ifdef TK_WIN_SEALED
	return read_key(path, obj, sk, err);
#else
	return tk__no_seal(err, "read key", obj);
#endif
}
