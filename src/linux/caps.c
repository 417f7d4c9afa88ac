/* SPDX-License-Identifier: MIT */
/*
 * What this process may do: CAP_NET_ADMIN in the effective set and whether we run in a user
 * namespace (a container), read from /proc so that no libcap is needed.
 */
#include "linux_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TK__CAP_NET_ADMIN 12 /* <linux/capability.h> */

bool tk__caps_parse_capeff(const char *status, uint64_t *out)
{
	const char *p = status;
	while (p && *p) {
		if (strncmp(p, "CapEff:", 7) == 0) {
			char *end = NULL;
			errno = 0;
			unsigned long long v = strtoull(p + 7, &end, 16);
			if (errno || end == p + 7)
				return false;
			*out = (uint64_t)v;
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/*
 * The initial user namespace maps the whole uid range onto itself: "0 0 4294967295". Any other
 * map (or a shorter range) means we are inside a user namespace, where CAP_NET_ADMIN only counts
 * for network namespaces that namespace owns.
 */
int tk__caps_parse_uid_map(const char *text)
{
	unsigned long long v[3];
	const char *p = text;
	for (int i = 0; i < 3; i++) {
		char *end = NULL;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno || end == p)
			return -1;
		p = end;
	}
	if (v[0] != 0 || v[1] != 0 || v[2] != 4294967295ULL)
		return 0;
	/* a second line would make it something other than the identity map */
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	return *p ? 0 : 1;
}

bool tk__caps_net_admin(void)
{
	char buf[4096];
	uint64_t eff = 0;
	if (tk__procfs_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return false;
	if (!tk__caps_parse_capeff(buf, &eff))
		return false;
	return (eff >> TK__CAP_NET_ADMIN) & 1u;
}

int tk__caps_in_userns(void)
{
	char buf[512];
	if (tk__procfs_read_file("/proc/self/uid_map", buf, sizeof(buf)) < 0)
		return -1;
	int r = tk__caps_parse_uid_map(buf);
	return r < 0 ? -1 : !r;
}
