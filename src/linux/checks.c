/* SPDX-License-Identifier: MIT */
/*
 * The Linux doctor: ordered checks from the device node up to a real open of the named adapter,
 * each saying what it read (evidence) and what to do. The facts behind them are measured in
 * shared/reference/linux-tun-detail.md (§1.5 permission rule, §1.6 errno table, §1.7 carrier).
 *
 * The checks read state through the backend's own helpers (netlink, sysfs, procfs, caps), and
 * the open test goes through tk_dev_open, so its failure is mapped to a cause by exactly the
 * code path a program would hit.
 */
#include "linux_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TUN_MAJOR 10 /* MISC_MAJOR */
#define TUN_MINOR 200
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif

/* What the global checks found out; later checks and remedies depend on it. */
struct facts {
	bool container; /* a container runtime's marker file exists */
	const char *container_marker;
	bool driver_registered;
	uid_t euid;
	gid_t egid;
	bool cap_net_admin;
	int in_userns;
};

static const char *errno_name(int e)
{
	return tk_os_code_name(TK_OS_ERRNO, e);
}

/* errno as evidence: "2 ENOENT (No such file or directory)". */
static void evidence_errno(tk_check *c, const char *key, int e)
{
	char text[128];
	tk__errmap_os_text(e, text, sizeof(text));
	tk__check_evidence(c, key, "%d %s (%s)", e, errno_name(e), text);
}

static bool path_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

static bool detect_container(const char **why)
{
	static const char *const markers[] = { "/.dockerenv", "/run/.containerenv" };
	for (size_t i = 0; i < TK_ARRAY_SIZE(markers); i++) {
		if (path_exists(markers[i])) {
			*why = markers[i];
			return true;
		}
	}
	return false;
}

/* ---- the device node ---- */

static void check_devnode(struct tk__doctor *d, const struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "linux.devnode", "the TUN/TAP device node", TK__TUN_PATH);
	struct stat sb;

	tk__check_evidence(c, "path", "%s", TK__TUN_PATH);
	if (fx->container)
		tk__check_evidence(c, "container", "yes (%s)", fx->container_marker);
	if (stat(TK__TUN_PATH, &sb) != 0) {
		int e = errno;
		evidence_errno(c, "errno", e);
		tk__check_fail(c, TK_E_TUN_MISSING, TK_OS_ERRNO, e, "%s is missing (%s)",
			       TK__TUN_PATH, errno_name(e));
		if (fx->container)
			tk__check_remedy(c, "start the container with `--device /dev/net/tun "
					    "--cap-add NET_ADMIN` (or create the node inside it: "
					    "`mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && "
					    "chmod 0666 /dev/net/tun`)");
		else if (fx->driver_registered)
			tk__check_remedy(c,
					 "the driver is loaded but the node is gone: `mkdir -p "
					 "/dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 "
					 "/dev/net/tun` (in a container: `--device /dev/net/tun`)");
		else
			tk__check_remedy(
				c, "`modprobe tun` (udev then creates the node), or `mkdir -p "
				   "/dev/net && mknod /dev/net/tun c 10 200`; in a container: "
				   "`--device /dev/net/tun --cap-add NET_ADMIN`");
		return;
	}
	unsigned maj = major(sb.st_rdev);
	unsigned min = minor(sb.st_rdev);
	unsigned mode = (unsigned)sb.st_mode & 07777u;
	tk__check_evidence(c, "type", "%s", S_ISCHR(sb.st_mode) ? "character device" : "other");
	tk__check_evidence(c, "rdev", "%u:%u", maj, min);
	tk__check_evidence(c, "mode", "%04o", mode);
	tk__check_evidence(c, "owner", "%lu:%lu", (unsigned long)sb.st_uid,
			   (unsigned long)sb.st_gid);
	if (!S_ISCHR(sb.st_mode) || maj != TUN_MAJOR || min != TUN_MINOR) {
		tk__check_fail(c, TK_E_TUN_MISSING, TK_OS_NONE, 0,
			       "%s is not the character device 10:200 (it is %s %u:%u)",
			       TK__TUN_PATH,
			       S_ISCHR(sb.st_mode) ? "a character device"
						   : "not a "
						     "character device",
			       maj, min);
		tk__check_remedy(c, "replace it: `rm %s && mknod %s c 10 200 && chmod 0666 %s`",
				 TK__TUN_PATH, TK__TUN_PATH, TK__TUN_PATH);
		return;
	}
	tk__check_ok(c, "%s is a character device 10:200 (mode %04o)", TK__TUN_PATH, mode);
}

/* Opening the node is what every user of TUN/TAP does first: EACCES, EPERM, ENODEV here. */
static void check_devnode_open(struct tk__doctor *d, const struct facts *fx)
{
	tk_check *c =
		tk__doctor_add(d, "linux.devnode.open", "opening the device node", TK__TUN_PATH);
	if (tk__doctor_skip_unless_ok(d, c, "linux.devnode"))
		return;
	int fd = open(TK__TUN_PATH, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		tk__check_ok(c, "this process (uid %lu) can open %s", (unsigned long)fx->euid,
			     TK__TUN_PATH);
		return;
	}
	int e = errno;
	evidence_errno(c, "errno", e);
	tk__check_evidence(c, "uid", "%lu", (unsigned long)fx->euid);
	switch (e) {
	case EACCES:
		tk__check_fail(c, TK_E_NO_PRIVILEGE, TK_OS_ERRNO, e,
			       "uid %lu may not open %s: its mode does not allow it (EACCES)",
			       (unsigned long)fx->euid, TK__TUN_PATH);
		tk__check_remedy(c,
				 "`chmod 0666 %s` (the kernel's intent: each TAP is protected by "
				 "its owner and group), or run as root",
				 TK__TUN_PATH);
		return;
	case EPERM:
		tk__check_fail(c, TK_E_NO_PRIVILEGE, TK_OS_ERRNO, e,
			       "opening %s is denied by the device cgroup (EPERM)", TK__TUN_PATH);
		tk__check_remedy(c, "allow the device: `--device /dev/net/tun` (Docker/Podman), "
				    "`lxc.cgroup2.devices.allow: c 10:200 rwm` (LXC)");
		return;
	case ENODEV:
	case ENXIO:
		tk__check_fail(c, TK_E_TUN_MISSING, TK_OS_ERRNO, e,
			       "%s exists but no driver is behind it (%s)", TK__TUN_PATH,
			       errno_name(e));
		tk__check_remedy(c, "`modprobe tun`, or install the kernel's modules (CONFIG_TUN)");
		return;
	default:
		tk__check_fail(c, TK_E_IO, TK_OS_ERRNO, e, "cannot open %s (%s)", TK__TUN_PATH,
			       errno_name(e));
		return;
	}
}

/* ---- the driver ---- */

/* The facts are read and classified in driver.c, which tk_driver_status shares. */
static void check_driver(struct tk__doctor *d, struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "linux.driver", "the tun driver", "tun");
	struct tk__tun_facts f;

	tk__driver_tun_probe(&f);
	tk__check_evidence(c, "kernel", "%s", f.release);
	fx->driver_registered = f.registered;
	tk__check_evidence(c, "/sys/class/misc/tun", "%s", f.registered ? "present" : "absent");
	tk__check_evidence(c, "/sys/module/tun/initstate", "%s",
			   f.module_loaded ? f.initstate : "absent");
	if (f.builtin_listed)
		tk__check_evidence(c, "modules.builtin", "%s lists tun.ko", f.builtin_path);
	if (f.config)
		tk__check_evidence(c, "config", "%s: CONFIG_TUN=%c", f.config_path, f.config);

	switch (tk__driver_tun_classify(&f)) {
	case TK__TUN_LOADED_MODULE:
	case TK__TUN_LOADED_BUILTIN:
	case TK__TUN_LOADED:
		tk__check_ok(c, "the tun driver is %s and registered (misc 10:200)",
			     f.module_loaded			   ? "loaded as a module"
			     : f.builtin_listed || f.config == 'y' ? "built in"
								   : "present");
		return;
	case TK__TUN_BUILTIN:
		tk__check_ok(c, "the tun driver is built into kernel %s", f.release);
		return;
	case TK__TUN_MODULE:
		/* The node's alias char-major-10-200 makes the first open load the module. */
		tk__check_ok(c,
			     "the tun driver is a module that is not loaded yet: the first open of "
			     "%s loads it (`modprobe tun` loads it now)",
			     TK__TUN_PATH);
		return;
	case TK__TUN_MISSING:
		tk__check_fail(c, TK_E_TUN_MISSING, TK_OS_NONE, 0,
			       "kernel %s has no tun driver: not registered, not built in, no "
			       "tun.ko module",
			       f.release);
		tk__check_remedy(c,
				 "install the kernel's modules package (Debian: `apt install "
				 "linux-image-$(uname -r)`), or build the kernel with CONFIG_TUN");
		return;
	case TK__TUN_UNKNOWN:
		break;
	}
	/* In a container /lib/modules and /boot are usually absent: not knowing is no failure. */
	tk__check_warn(c, TK_E_TUN_MISSING, TK_OS_NONE, 0,
		       "cannot tell whether the tun driver is present (no /sys/class/misc/tun, no "
		       "kernel config or modules here)");
	tk__check_remedy(c, "on the host: `modprobe tun`; %s",
			 fx->container ? "then start the container with `--device /dev/net/tun`"
				       : "then run the doctor again");
}

/* ---- privilege ---- */

static bool in_group(gid_t gid)
{
	if (getegid() == gid)
		return true;
	gid_t groups[256];
	int n = getgroups((int)TK_ARRAY_SIZE(groups), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void check_privilege(struct tk__doctor *d, const struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "linux.privilege", "CAP_NET_ADMIN of this process", "");
	char buf[4096];
	uint64_t eff = 0;
	if (tk__procfs_read_file("/proc/self/status", buf, sizeof(buf)) > 0 &&
	    tk__caps_parse_capeff(buf, &eff))
		tk__check_evidence(c, "CapEff", "%016llx", (unsigned long long)eff);
	tk__check_evidence(c, "uid", "%lu", (unsigned long)fx->euid);
	tk__check_evidence(c, "gid", "%lu", (unsigned long)fx->egid);
	tk__check_evidence(c, "user_namespace", "%s",
			   fx->in_userns == 1	? "yes (not the initial one)"
			   : fx->in_userns == 0 ? "no (the initial one)"
						: "unknown");
	const char *ns = fx->in_userns == 1 ? " inside a user namespace: it covers the network "
					      "namespaces that namespace owns, not the host's"
					    : "";
	if (fx->cap_net_admin) {
		tk__check_ok(c, "CAP_NET_ADMIN is effective (uid %lu)%s", (unsigned long)fx->euid,
			     ns);
		return;
	}
	/* Not a failure by itself: adapters owned by this user can be opened without it. */
	tk__check_warn(c, TK_E_NO_PRIVILEGE, TK_OS_NONE, 0,
		       "no CAP_NET_ADMIN (uid %lu)%s: only adapters owned by this user or group "
		       "can be opened; creating and configuring adapters needs it",
		       (unsigned long)fx->euid, fx->in_userns == 1 ? " in a user namespace" : "");
	tk__check_remedy(c,
			 "run as root, or `setcap cap_net_admin+ep $(command -v tapkit)`, or let "
			 "root create the adapter for you: `tapkit create NAME --owner %lu`",
			 (unsigned long)fx->euid);
}

/* ---- one adapter ---- */

static void adapter_exists(struct tk__doctor *d, tk_ctx *ctx, const char *name,
			   struct tk__netlink_link *l, bool *found)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.exists", "the adapter exists", name);
	tk_error e = { 0 };
	*found = false;
	tk_status st = tk__netlink_tap_get(ctx, name, l, &e);
	if (st == TK_E_ADAPTER_NOT_FOUND) {
		tk__check_fail(c, TK_E_ADAPTER_NOT_FOUND, TK_OS_NONE, 0,
			       "there is no interface named %s in this network namespace", name);
		tk__check_evidence(c, "sysfs", "/sys/class/net/%s %s", name,
				   tk__sysfs_exists(name) ? "present" : "absent");
		tk__check_remedy(c,
				 "`tapkit create %s` (add `--owner USER` for a non-root program), "
				 "or check the name with `tapkit list`",
				 name);
		return;
	}
	if (st == TK_E_NOT_TAP) {
		tk__check_fail(c, TK_E_NOT_TAP, TK_OS_NONE, 0,
			       "%s exists but is not a TUN/TAP adapter (kind is not \"tun\")",
			       name);
		tk__check_remedy(c, "pick a free name for the TAP adapter, or `tapkit list`");
		return;
	}
	if (st != TK_OK) {
		tk__check_from_error(c, &e);
		return;
	}
	*found = true;
	tk__check_evidence(c, "ifindex", "%u", l->ifindex);
	tk__check_ok(c, "%s exists (ifindex %u, %s)", name, l->ifindex,
		     l->tun_type == 1 ? "tun" : "tap");
}

static void adapter_flags(struct tk__doctor *d, const char *name, const struct tk__netlink_link *l)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.flags", "mode and flags", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	uint32_t flags = 0;
	if (tk__sysfs_tun_flags(name, &flags) == 0) {
		char text[128];
		tk__errmap_flags_text(flags, text, sizeof(text));
		tk__check_evidence(c, "tun_flags", "0x%04x (%s)", flags, text);
	}
	tk__check_evidence(c, "num_queues", "%u", l->num_queues);
	tk__check_ok(c, "%s%s%s%s, %s", l->tun_type == 1 ? "tun" : "tap",
		     l->multi_queue ? " multi-queue" : " single-queue",
		     l->vnet_hdr ? " vnet_hdr" : "", l->pi ? " pi" : "",
		     l->persist ? "persistent" : "not persistent (goes away with its last holder)");
}

static void adapter_owner(struct tk__doctor *d, const char *name, const struct tk__netlink_link *l,
			  const struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.owner",
				     "owner and group versus this process", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	tk__check_evidence(c, "owner", "%lld", (long long)l->owner);
	tk__check_evidence(c, "group", "%lld", (long long)l->group);
	tk__check_evidence(c, "caller", "uid %lu gid %lu%s", (unsigned long)fx->euid,
			   (unsigned long)fx->egid, fx->cap_net_admin ? " CAP_NET_ADMIN" : "");

	/* The kernel's tun_not_capable(): a set owner OR a set group that does not match. */
	bool owner_blocks = l->owner >= 0 && (uid_t)l->owner != fx->euid;
	bool group_blocks = l->group >= 0 && !in_group((gid_t)l->group);
	if ((owner_blocks || group_blocks) && !fx->cap_net_admin) {
		char who[64];
		if (owner_blocks && group_blocks)
			tk__snprintf(who, sizeof(who), "uid %lld and group %lld",
				     (long long)l->owner, (long long)l->group);
		else if (owner_blocks)
			tk__snprintf(who, sizeof(who), "uid %lld", (long long)l->owner);
		else
			tk__snprintf(who, sizeof(who), "group %lld", (long long)l->group);
		tk__check_fail(c, TK_E_OWNER_MISMATCH, TK_OS_NONE, 0,
			       "%s belongs to %s; this process (uid %lu) has no CAP_NET_ADMIN and "
			       "may not open it%s",
			       name, who, (unsigned long)fx->euid,
			       l->owner >= 0 && l->group >= 0 ? " (with both owner and group set, "
								"both must match)"
							      : "");
		tk__check_remedy(c,
				 "run the program as the owner, or as root; or recreate it for "
				 "this user: `tapkit delete %s && tapkit create %s --owner %lu`",
				 name, name, (unsigned long)fx->euid);
		return;
	}
	if (l->owner < 0 && l->group < 0 && l->persist) {
		tk__check_warn(c, TK_E_CONFIG, TK_OS_NONE, 0,
			       "persistent %s has neither owner nor group: any local user who can "
			       "open %s can attach to it, take it over and change its MAC",
			       name, TK__TUN_PATH);
		tk__check_remedy(c,
				 "recreate it with an owner: `tapkit delete %s && tapkit create %s "
				 "--owner USER`",
				 name, name);
		return;
	}
	char o[32] = "none", g[32] = "none";
	if (l->owner >= 0)
		tk__snprintf(o, sizeof(o), "%lld", (long long)l->owner);
	if (l->group >= 0)
		tk__snprintf(g, sizeof(g), "%lld", (long long)l->group);
	tk__check_ok(c, "owner %s, group %s: this process (uid %lu%s) may open it", o, g,
		     (unsigned long)fx->euid, fx->cap_net_admin ? ", CAP_NET_ADMIN" : "");
}

static void adapter_up(struct tk__doctor *d, const char *name, const struct tk__netlink_link *l)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.up", "administratively up", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	tk__check_evidence(c, "flags", "0x%x", l->ifi_flags);
	tk__check_evidence(c, "operstate", "%s", tk__netlink_operstate_name(l->operstate));
	if (!(l->ifi_flags & IFF_UP)) {
		tk__check_warn(c, TK_E_LINK_DOWN, TK_OS_NONE, 0,
			       "%s is DOWN: the system sends it nothing and writes to it fail with "
			       "EIO",
			       name);
		tk__check_remedy(c, "`tapkit up %s`", name);
		return;
	}
	tk__check_ok(c, "%s is UP", name);
}

static void adapter_carrier(struct tk__doctor *d, const char *name,
			    const struct tk__netlink_link *l, size_t nholders)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.carrier", "carrier", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	bool carrier = l->carrier >= 0 ? l->carrier != 0 : (l->ifi_flags & IFF_LOWER_UP) != 0;
	tk__check_evidence(c, "carrier", "%s", carrier ? "on" : "off");
	tk__check_evidence(c, "holders", "%zu", nholders);
	if (carrier) {
		tk__check_ok(c, "carrier on: a process has %s open", name);
		return;
	}
	if (nholders == 0) {
		/* By design (linux-tun-detail §1.7): no attached queue, no carrier. Not a fault. */
		tk__check_warn(
			c, TK_E_NO_CARRIER, TK_OS_NONE, 0,
			"NO-CARRIER: no process has %s open (a TAP has carrier exactly while "
			"a program holds it); this is not a link problem",
			name);
		tk__check_remedy(c,
				 "start the program that serves %s; `tapkit open %s` holds it "
				 "open for a test",
				 name, name);
		return;
	}
	tk__check_warn(c, TK_E_NO_CARRIER, TK_OS_NONE, 0,
		       "NO-CARRIER although %zu process(es) hold %s: the holder turned carrier off "
		       "(TUNSETCARRIER 0)",
		       nholders, name);
	tk__check_remedy(c,
			 "ask the holding program to turn carrier on, or `ip link set %s carrier "
			 "on`",
			 name);
}

static size_t adapter_holders(struct tk__doctor *d, const char *name, tk_holder *h, size_t cap)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.holders", "processes holding it", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return 0;
	size_t n = tk__procfs_holders(name, 0, h, cap);
	char list[TK_ERROR_TEXT_MAX] = "";
	for (size_t i = 0; i < n && i < cap; i++) {
		char key[16];
		size_t len = strlen(list);
		tk__snprintf(key, sizeof(key), "holder_%zu", i);
		tk__check_evidence(c, key, "%lu %s", (unsigned long)h[i].pid, h[i].name);
		tk__snprintf(list + len, sizeof(list) - len, "%s%s (pid %lu)", i ? ", " : "",
			     h[i].name, (unsigned long)h[i].pid);
	}
	if (n == 0)
		tk__check_ok(c,
			     "no process holds %s open (processes this user may not inspect are "
			     "not seen)",
			     name);
	else
		tk__check_ok(c, "held by %s%s", list, n > cap ? " and others" : "");
	return n;
}

static void adapter_mtu(struct tk__doctor *d, const char *name, const struct tk__netlink_link *l)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.mtu", "MTU", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	tk__check_evidence(c, "mtu", "%u", l->mtu);
	tk__check_ok(c, "MTU %u", l->mtu);
}

static void adapter_addresses(struct tk__doctor *d, tk_ctx *ctx, const char *name,
			      const struct tk__netlink_link *l)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.addresses", "IP addresses", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	struct tk__netlink_addr *a = NULL;
	size_t n = 0;
	tk_error e = { 0 };
	if (tk__netlink_addr_dump(ctx, l->ifindex, &a, &n, &e) != TK_OK) {
		tk__check_from_error(c, &e);
		return;
	}
	char list[TK_ERROR_TEXT_MAX] = "";
	for (size_t i = 0; i < n; i++) {
		char text[64];
		char key[16];
		size_t len = strlen(list);
		tk_ip_addr_format(&a[i].addr, text, sizeof(text));
		tk__snprintf(key, sizeof(key), "address_%zu", i);
		tk__check_evidence(c, key, "%s", text);
		tk__snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", text);
	}
	free(a);
	if (n == 0)
		tk__check_ok(c, "no IP addresses (fine for a bridge port or a pure L2 TAP)");
	else
		tk__check_ok(c, "%s", list);
}

static void adapter_master(struct tk__doctor *d, tk_ctx *ctx, const char *name,
			   const struct tk__netlink_link *l)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.master", "bridge master", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists"))
		return;
	if (!l->master) {
		tk__check_ok(c, "not attached to a bridge");
		return;
	}
	char mname[IF_NAMESIZE] = "";
	if (!if_indextoname(l->master, mname))
		tk__snprintf(mname, sizeof(mname), "#%u", l->master);
	tk__check_evidence(c, "master", "%s (ifindex %u)", mname, l->master);
	struct tk__netlink_link m;
	tk_error e = { 0 };
	if (tk__netlink_link_get(ctx, mname, &m, &e) == TK_OK && !(m.ifi_flags & IFF_UP)) {
		tk__check_warn(c, TK_E_LINK_DOWN, TK_OS_NONE, 0,
			       "port of bridge %s, which is DOWN: no frame crosses it", mname);
		tk__check_remedy(c, "`ip link set %s up`", mname);
		return;
	}
	tk__check_ok(c, "port of bridge %s", mname);
}

/* The ctx for probes: their expected failures are the report, not error log lines. */
static void quiet_ctx(const tk_ctx *ctx, tk_ctx *q)
{
	*q = *ctx;
	if (q->log_level < TK_LOG_DEBUG)
		q->log_fn = NULL;
}

static void adapter_open(struct tk__doctor *d, tk_ctx *ctx, const char *name,
			 const struct tk__netlink_link *l, const tk_holder *h, size_t nholders)
{
	tk_check *c = tk__doctor_add(d, "linux.adapter.open", "a real open of the adapter", name);
	if (tk__doctor_skip_unless_ok(d, c, "linux.devnode.open") ||
	    tk__doctor_skip_unless_ok(d, c, "linux.adapter.exists") ||
	    tk__doctor_skip_unless_ok(d, c, "linux.adapter.owner"))
		return;
	/*
	 * Attach with the flags it has: an attach sets the device's pi/vnet_hdr flags for every
	 * queue (tun_set_iff), so other flags would change them under a multi-queue holder.
	 */
	tk_open_opts o = { .name = name,
			   .mode = l->tun_type == 1 ? TK_MODE_TUN : TK_MODE_TAP,
			   .flags = TK_OPEN_NO_CREATE | TK_OPEN_NONBLOCK };
	if (l->multi_queue)
		o.flags |= TK_OPEN_MULTI_QUEUE;
	if (l->vnet_hdr)
		o.flags |= TK_OPEN_VNET_HDR;
	if (l->pi)
		o.flags |= TK_OPEN_PI;
	tk__check_evidence(c, "mode", "%s", o.mode == TK_MODE_TUN ? "tun" : "tap");
	tk__check_evidence(c, "open_flags", "0x%02x", o.flags);

	tk_dev *dev = NULL;
	tk_error e = { 0 };
	tk_status st = tk_dev_open(ctx, &o, &dev, &e);
	if (st == TK_OK) {
		tk_dev_close(dev);
		tk__check_ok(c, "opened %s%s and closed it again", name,
			     l->multi_queue && nholders ? " as one more queue" : "");
		return;
	}
	tk__check_from_error(c, &e);
	if (st != TK_E_ADAPTER_BUSY)
		return;
	/* Which process, and the two ways out: stop it, or share the adapter. */
	uint32_t pid = e.holder_pid ? e.holder_pid : nholders ? h[0].pid : 0;
	const char *comm = e.holder_pid ? e.holder_name : nholders ? h[0].name : "";
	if (pid) {
		tk__check_fail(c, TK_E_ADAPTER_BUSY, e.os_kind, e.os_code,
			       "%s is single-queue and %s (pid %lu) already has it open", name,
			       comm, (unsigned long)pid);
		tk__check_remedy(c,
				 "stop %s (`kill %lu`), or share the adapter: recreate it with "
				 "`tapkit create %s --multi-queue` and open it multi-queue from "
				 "every program",
				 comm, (unsigned long)pid, name);
	} else {
		tk__check_remedy(c, "a process this user may not inspect holds it (run the doctor "
				    "as root to see which); stop it, or recreate the adapter with "
				    "`--multi-queue` to share it");
	}
}

static void check_adapter(struct tk__doctor *d, tk_ctx *ctx, const char *name,
			  const struct facts *fx, bool open_test)
{
	struct tk__netlink_link l;
	bool found;
	tk_holder h[TK_MAX_HOLDERS];

	memset(&l, 0, sizeof(l));
	adapter_exists(d, ctx, name, &l, &found);
	adapter_flags(d, name, &l);
	adapter_owner(d, name, &l, fx);
	adapter_up(d, name, &l);
	size_t nholders = found ? tk__procfs_holders(name, 0, h, TK_ARRAY_SIZE(h)) : 0;
	adapter_carrier(d, name, &l, nholders);
	(void)adapter_holders(d, name, h, TK_ARRAY_SIZE(h));
	adapter_mtu(d, name, &l);
	adapter_addresses(d, ctx, name, &l);
	adapter_master(d, ctx, name, &l);
	if (open_test)
		adapter_open(d, ctx, name, &l, h,
			     nholders < TK_ARRAY_SIZE(h) ? nholders : TK_ARRAY_SIZE(h));
}

/* Without a name: list the TUN/TAP adapters, then check each one (without opening it). */
static void check_all_adapters(struct tk__doctor *d, tk_ctx *ctx, const struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "linux.adapters", "TUN/TAP adapters in this namespace", "");
	struct tk__netlink_link *links = NULL;
	size_t n = 0, ntap = 0;
	tk_error e = { 0 };
	if (tk__netlink_link_dump(ctx, &links, &n, &e) != TK_OK) {
		tk__check_from_error(c, &e);
		return;
	}
	char list[TK_ERROR_TEXT_MAX] = "";
	for (size_t i = 0; i < n; i++) {
		if (!links[i].is_tun)
			continue;
		size_t len = strlen(list);
		tk__snprintf(list + len, sizeof(list) - len, "%s%s", ntap ? ", " : "",
			     links[i].name);
		ntap++;
	}
	tk__check_evidence(c, "count", "%zu", ntap);
	if (ntap == 0)
		tk__check_ok(c, "no TUN/TAP adapters exist (`tapkit create NAME` makes one)");
	else
		tk__check_ok(c, "%zu: %s", ntap, list);
	for (size_t i = 0; i < n; i++)
		if (links[i].is_tun)
			check_adapter(d, ctx, links[i].name, fx, false);
	free(links);
}

tk_status tk__backend_doctor(tk_ctx *ctx, const tk_doctor_opts *opts, struct tk__doctor *d,
			     tk_error *err)
{
	(void)err;
	tk_ctx q;
	struct facts fx;
	const char *marker = NULL;

	quiet_ctx(ctx, &q);
	memset(&fx, 0, sizeof(fx));
	fx.container = detect_container(&marker);
	fx.euid = geteuid();
	fx.egid = getegid();
	fx.cap_net_admin = tk__caps_net_admin();
	fx.in_userns = tk__caps_in_userns();
	fx.driver_registered = path_exists("/sys/class/misc/tun");

	fx.container_marker = marker;
	check_devnode(d, &fx);
	check_devnode_open(d, &fx);
	check_driver(d, &fx);
	check_privilege(d, &fx);
	if (opts->adapter && *opts->adapter)
		check_adapter(d, &q, opts->adapter, &fx, true);
	else
		check_all_adapters(d, &q, &fx);
	return TK_OK;
}

void tk__backend_loader(struct tk__loader *out)
{
	/* The Windows loader's search needs Windows' folders and registry: not available here. */
	memset(out, 0, sizeof(*out));
}
