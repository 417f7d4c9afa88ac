/* SPDX-License-Identifier: MIT */
/*
 * /sys/class/net/NAME/ attributes of TUN/TAP devices: tun_flags (present only on tun/tap),
 * owner and group (-1 when unset), type (1 TAP, 65534 TUN). sysfs shows the network namespace
 * it was mounted in, so netlink is the primary source and these are a cross-check.
 */
#include "linux_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool name_safe(const char *ifname)
{
	return ifname && *ifname && strlen(ifname) < TK__LINUX_IFNAMSZ && !strchr(ifname, '/') &&
	       strcmp(ifname, ".") != 0 && strcmp(ifname, "..") != 0;
}

int tk__sysfs_read(const char *ifname, const char *attr, char *buf, size_t size)
{
	char path[128];
	if (!name_safe(ifname))
		return -EINVAL;
	tk__snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	ssize_t n = tk__procfs_read_file(path, buf, size);
	if (n < 0)
		return (int)n;
	size_t len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

bool tk__sysfs_exists(const char *ifname)
{
	char path[128];
	if (!name_safe(ifname))
		return false;
	tk__snprintf(path, sizeof(path), "/sys/class/net/%s", ifname);
	return access(path, F_OK) == 0;
}

/* A sysfs value is the number and a newline; nothing else may follow it. */
static bool only_blank_after(const char *end)
{
	while (*end == '\n' || *end == ' ')
		end++;
	return *end == '\0';
}

bool tk__sysfs_parse_hex(const char *text, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 16);
	if (errno || end == text || v > UINT32_MAX || !only_blank_after(end))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool tk__sysfs_parse_int(const char *text, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || !only_blank_after(end))
		return false;
	*out = (int64_t)v;
	return true;
}

int tk__sysfs_tun_flags(const char *ifname, uint32_t *flags)
{
	char buf[32];
	int r = tk__sysfs_read(ifname, "tun_flags", buf, sizeof(buf));
	if (r < 0)
		return r;
	return tk__sysfs_parse_hex(buf, flags) ? 0 : -EPROTO;
}

static int read_id(const char *ifname, const char *attr, int64_t *out)
{
	char buf[32];
	int r = tk__sysfs_read(ifname, attr, buf, sizeof(buf));
	if (r < 0)
		return r;
	return tk__sysfs_parse_int(buf, out) ? 0 : -EPROTO;
}

int tk__sysfs_owner(const char *ifname, int64_t *owner)
{
	return read_id(ifname, "owner", owner);
}

int tk__sysfs_group(const char *ifname, int64_t *group)
{
	return read_id(ifname, "group", group);
}

int tk__sysfs_type(const char *ifname, uint32_t *type)
{
	int64_t v = 0;
	int r = read_id(ifname, "type", &v);
	if (r < 0)
		return r;
	if (v < 0 || v > UINT32_MAX)
		return -EPROTO;
	*type = (uint32_t)v;
	return 0;
}
