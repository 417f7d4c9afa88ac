/* SPDX-License-Identifier: MIT */
/*
 * User = USER[:GROUP] (`--user`): resolved when the configuration is read, since the private key
 * file may belong to that user. The engine only records it; the drop itself is the daemon's
 * (cli/tunnel/privilege.c), as the library changes no process-wide state.
 */
#include "tunnel_internal.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#define NSS_BUF 16384 /* getpwnam_r/getgrnam_r scratch; ERANGE beyond it is reported */

/* ---- who to become ---- */

/* A decimal id below (uid_t)-1 (that value means "unchanged" to setresuid). */
static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v >= UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool user_lookup(const char *name, struct tk__tunnel_conf *c, bool *have_gid, char *why,
			size_t size)
{
	struct passwd pw, *res = NULL;
	uint32_t id;
	bool numeric = parse_id(name, &id);
	char *buf = malloc(NSS_BUF);

	if (!buf) {
		snprintf(why, size, "out of memory looking up the user");
		return false;
	}
	int r = numeric ? getpwuid_r((uid_t)id, &pw, buf, NSS_BUF, &res)
			: getpwnam_r(name, &pw, buf, NSS_BUF, &res);
	bool ok = true;
	if (res) {
		c->uid = pw.pw_uid;
		c->gid = pw.pw_gid;
		*have_gid = true;
		tk__strlcpy(c->user, pw.pw_name, sizeof(c->user));
	} else if (numeric && (r == 0 || r == ENOENT || r == ESRCH)) {
		/* a bare uid is allowed without a passwd entry (a container's id, say) */
		c->uid = (uid_t)id;
		c->user[0] = '\0';
		*have_gid = false;
	} else if (r == 0 || r == ENOENT || r == ESRCH) {
		snprintf(why, size, "no such user (getent passwd %s finds nothing)", name);
		ok = false;
	} else {
		char ebuf[128];
		snprintf(why, size, "cannot look up the user: %s",
			 tk__errno_text(r, ebuf, sizeof(ebuf)));
		ok = false;
	}
	free(buf);
	return ok;
}

static bool group_lookup(const char *name, struct tk__tunnel_conf *c, char *why, size_t size)
{
	struct group gr, *res = NULL;
	uint32_t id;

	if (parse_id(name, &id)) {
		c->gid = (gid_t)id;
		return true;
	}
	char *buf = malloc(NSS_BUF);
	if (!buf) {
		snprintf(why, size, "out of memory looking up the group");
		return false;
	}
	int r = getgrnam_r(name, &gr, buf, NSS_BUF, &res);
	bool ok = res != NULL;
	if (res) {
		c->gid = gr.gr_gid;
	} else if (r == 0 || r == ENOENT || r == ESRCH) {
		snprintf(why, size, "no such group (getent group %s finds nothing)", name);
	} else {
		char ebuf[128];
		snprintf(why, size, "cannot look up the group: %s",
			 tk__errno_text(r, ebuf, sizeof(ebuf)));
	}
	free(buf);
	return ok;
}

bool tk__user_resolve(const char *spec, struct tk__tunnel_conf *c, char *why, size_t size)
{
	char user[64];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	bool have_gid = false;

	if (ulen == 0 || ulen >= sizeof(user) ||
	    (colon && (!colon[1] || strlen(colon + 1) >= 64))) {
		snprintf(why, size, "expected USER or USER:GROUP (names or numeric ids)");
		return false;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	if (!user_lookup(user, c, &have_gid, why, size))
		return false;
	if (colon) {
		if (!group_lookup(colon + 1, c, why, size))
			return false;
		have_gid = true;
	}
	if (!have_gid) {
		snprintf(why, size, "uid %s has no passwd entry: give its group too (%s:GID)", user,
			 user);
		return false;
	}
	if (c->uid == 0) {
		snprintf(
			why, size,
			"is root: dropping to root keeps every privilege; name an unprivileged user "
			"such as nobody");
		return false;
	}
	c->has_user = true;
	c->user_group_given = colon != NULL;
	return true;
}
