/* SPDX-License-Identifier: MIT */
/*
 * Least privilege for the tunnel daemon (docs/SECURITY.md). The tunnel needs root (or
 * CAP_NET_ADMIN) to create and configure its adapter and to bind its sockets; once those are
 * open it needs almost nothing. With a User (`User = USER[:GROUP]`, `--user`) the daemon then
 * becomes that user and keeps exactly one capability, CAP_NET_ADMIN, because the engine's
 * recovery needs it: a vanished adapter is created again (TUNSETIFF on a new device) and
 * reconfigured over rtnetlink (MTU, addresses, up). Everything else is gone for good: the
 * bounding set is cut to CAP_NET_ADMIN, no ambient or inheritable capabilities, no_new_privs,
 * not dumpable. Without a User the daemon stays root but is cut the same way (reduce): nothing it
 * was started with besides CAP_NET_ADMIN survives the start, so a systemd unit may allow the
 * drop's CAP_SETUID, CAP_SETGID and CAP_SETPCAP for a tunnel with a User at no cost to one
 * without. This is the program's decision, not the library's: it lives in the CLI.
 *
 * Capabilities are set with the raw capset(2) system call (no libcap): it changes the calling
 * thread only, which is why the drop refuses to run in a process that already has threads.
 */
#include "tunnel.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SUB	      "tunnel.privilege"
#define GROUPS_MAX    1024 /* supplementary groups taken over from the user's entry */
#define TUN_PATH      "/dev/net/tun"
#define KEPT_CAP      CAP_NET_ADMIN
#define KEPT_CAP_MASK (1u << KEPT_CAP)

/* ---- the drop ---- */

static tk_status fail(tk_error *err, const char *op, const tk_tunnel_user *c, int e,
		      const char *what)
{
	char obj[96];
	snprintf(obj, sizeof(obj), "uid %u gid %u", (unsigned)c->uid, (unsigned)c->gid);
	tk_status st = tunnel_error(err, e == EPERM ? TK_E_NO_PRIVILEGE : TK_E_INTERNAL, op, obj,
				    TK_OS_ERRNO, e, "cannot drop privileges: %s", what);
	if (e == EPERM)
		tunnel_remedy(
			err,
			"start the tunnel as root with CAP_SETUID, CAP_SETGID and CAP_SETPCAP "
			"(a systemd unit: add them to CapabilityBoundingSet=; the drop removes "
			"them), or remove User / --user");
	return st;
}

/* Threads in this process: capset and the bounding set change the calling thread only. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return -1;
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): a private DIR, and this counts the threads */
	for (struct dirent *e = readdir(d); e; e = readdir(d))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The user's groups (its entry's supplementary groups and its primary group), or just gid. */
static int groups_of(const tk_tunnel_user *c, gid_t *out, int max)
{
	if (c->group_given || !c->name[0]) {
		out[0] = c->gid;
		return 1;
	}
	int n = max;
	if (getgrouplist(c->name, c->gid, out, &n) < 0 || n < 1) {
		out[0] = c->gid;
		return 1;
	}
	return n;
}

/*
 * Cuts the bounding set to KEPT_CAP; false when the kernel refuses (no CAP_SETPCAP). A bounding
 * set that holds nothing else already (setpriv --bounding-set=-all,+net_admin) needs no call.
 */
static bool bounding_cut(int *first_errno)
{
	bool ok = true;
	int in;
	/* PR_CAPBSET_READ says EINVAL past the last capability this kernel knows */
	for (unsigned long cap = 0; cap < 64 && (in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++) {
		if (cap == KEPT_CAP || in == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && ok) {
			*first_errno = errno;
			ok = false;
		}
	}
	return ok;
}

/* Sets the effective and permitted sets (the inheritable one empty). */
static bool caps_set(uint32_t eff, uint32_t prm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	d[0].effective = eff;
	d[0].permitted = prm;
	return syscall(SYS_capset, &h, d) == 0;
}

static bool caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	*inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return true;
}

/* After the drop: can we still open /dev/net/tun to re-create a vanished adapter? */
static void tun_check(tk_ctx *ctx, const tk_tunnel_user *c)
{
	/* access(2) checks the real ids, which are the new ones now; capabilities do not count */
	if (access(TUN_PATH, R_OK | W_OK) == 0)
		return;
	int e = errno;
	char ebuf[128];
	tunnel_log(ctx, TK_LOG_WARN, SUB,
		   "uid %u cannot open %s (%s): if the adapter vanishes it cannot be re-created; "
		   "fix: chmod 0666 %s (the usual mode: opening it alone grants nothing), or run "
		   "without User",
		   (unsigned)c->uid, TUN_PATH, tunnel_errno_text(e, ebuf, sizeof(ebuf)), TUN_PATH);
}

/* Capabilities are per thread: a drop in a process with threads would leave the others. */
static tk_status one_thread(tk_error *err)
{
	int nthreads = thread_count();
	if (nthreads > 1)
		return tunnel_error(
			err, TK_E_INTERNAL, "drop privileges", "threads", TK_OS_NONE, 0,
			"the process has %d threads at the drop: capabilities are per thread, so the "
			"others would stay privileged",
			nthreads);
	return TK_OK;
}

static void bounding_warn(tk_ctx *ctx, int e)
{
	char ebuf[128];
	tunnel_log(ctx, TK_LOG_WARN, SUB,
		   "the capability bounding set was not reduced (%s): the process still cannot "
		   "gain capabilities (no_new_privs, no exec)",
		   tunnel_errno_text(e, ebuf, sizeof(ebuf)));
}

static tk_status drop(tk_ctx *ctx, const tk_tunnel_user *c, tk_error *err)
{
	gid_t *groups = NULL;
	tk_status st;
	int e = 0;

	if ((st = one_thread(err)) != TK_OK)
		return st;
	groups = calloc(GROUPS_MAX, sizeof(*groups));
	if (!groups)
		return tunnel_error(err, TK_E_NO_MEMORY, "drop privileges", c->name, TK_OS_NONE, 0,
				    "cannot allocate the group list");
	int ngroups = groups_of(c, groups, GROUPS_MAX);

	/* keep the permitted set across setresuid (it would be cleared when no uid is 0 left) */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
		st = fail(err, "prctl(PR_SET_KEEPCAPS)", c, errno, "cannot keep capabilities");
		goto out;
	}
	/* the bounding set first: dropping from it needs CAP_SETPCAP, gone after setresuid */
	bool bounded = bounding_cut(&e);
	if (setgroups((size_t)ngroups, groups) != 0) {
		st = fail(err, "setgroups", c, errno, "cannot set the supplementary groups");
		goto out;
	}
	if (setresgid(c->gid, c->gid, c->gid) != 0) {
		st = fail(err, "setresgid", c, errno, "cannot switch group");
		goto out;
	}
	if (setresuid(c->uid, c->uid, c->uid) != 0) {
		st = fail(err, "setresuid", c, errno, "cannot switch user");
		goto out;
	}
	if (!caps_set(KEPT_CAP_MASK, KEPT_CAP_MASK)) {
		st = fail(err, "capset", c, errno, "cannot keep CAP_NET_ADMIN alone");
		goto out;
	}
	/* EINVAL before Linux 4.3 (no ambient set): nothing to clear then */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);

	/* paranoia: none of root's ids or other capabilities may come back */
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	uint64_t eff = 0, prm = 0, inh = 0;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    !caps_get(&eff, &prm, &inh) || ru != c->uid || eu != c->uid || su != c->uid ||
	    rg != c->gid || eg != c->gid || sg != c->gid || eff != KEPT_CAP_MASK ||
	    prm != KEPT_CAP_MASK || inh != 0) {
		st = tunnel_error(err, TK_E_INTERNAL, "drop privileges", c->name, TK_OS_NONE, 0,
				  "after the drop the ids or capabilities are not as set "
				  "(capabilities effective %#llx, permitted %#llx)",
				  (unsigned long long)eff, (unsigned long long)prm);
		goto out;
	}
	if (setuid(0) == 0) {
		st = tunnel_error(err, TK_E_INTERNAL, "drop privileges", c->name, TK_OS_NONE, 0,
				  "setuid(0) succeeded after the drop: refusing to run");
		goto out;
	}
	if (!bounded)
		bounding_warn(ctx, e);
	tun_check(ctx, c);
	st = TK_OK;
out:
	free(groups);
	return st;
}

/*
 * Without a User: the same uid, but of its capabilities only CAP_NET_ADMIN stays (when it had
 * it), in the effective, permitted and bounding sets; none inheritable or ambient. Started by
 * root from a shell, the tunnel thus gives up CAP_SYS_ADMIN, CAP_DAC_OVERRIDE and the rest once
 * its adapter and sockets are open; under the systemd unit it gives up the drop's CAP_SETUID,
 * CAP_SETGID and CAP_SETPCAP, which only a tunnel with a User uses.
 */
static tk_status reduce(tk_ctx *ctx, const tk_tunnel_user *c, tk_error *err)
{
	uint64_t eff = 0, prm = 0, inh = 0;
	tk_status st;
	int e = 0;

	if ((st = one_thread(err)) != TK_OK)
		return st;
	if (!caps_get(&eff, &prm, &inh))
		return fail(err, "capget", c, errno, "cannot read the capabilities");
	/*
	 * The bounding set first: dropping from it needs CAP_SETPCAP, gone after capset. A process
	 * with no other capability (an unprivileged user's) has nothing the set could matter for.
	 */
	bool bounded = !(prm & ~(uint64_t)KEPT_CAP_MASK) || bounding_cut(&e);
	uint32_t keep = (uint32_t)(prm & KEPT_CAP_MASK);
	if (!caps_set(keep, keep))
		return fail(err, "capset", c, errno, "cannot keep CAP_NET_ADMIN alone");
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	uint64_t eff2 = 0, prm2 = 0;
	if (!caps_get(&eff2, &prm2, &inh) || eff2 != keep || prm2 != keep || inh != 0)
		return tunnel_error(
			err, TK_E_INTERNAL, "drop privileges", "capabilities", TK_OS_NONE, 0,
			"after the reduction the capabilities are not as set (effective "
			"%#llx, permitted %#llx)",
			(unsigned long long)eff2, (unsigned long long)prm2);
	if (!bounded)
		bounding_warn(ctx, e);
	tunnel_log(ctx, TK_LOG_DEBUG, SUB, "capabilities reduced from %#llx to %#llx",
		   (unsigned long long)prm, (unsigned long long)prm2);
	return TK_OK;
}

tk_status tunnel_confine(tk_ctx *ctx, const tk_tunnel_user *c, bool has_key, tk_error *err)
{
	tk_status st;

	if ((st = c->set ? drop(ctx, c, err) : reduce(ctx, c, err)) != TK_OK)
		return st;
	/*
	 * Always, dropped or not: the tunnel never executes anything, so nothing may gain
	 * privileges through setuid or file-capability binaries on its behalf.
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, "prctl(PR_SET_NO_NEW_PRIVS)", c, errno, "cannot set no_new_privs");
	/*
	 * No core dump and no ptrace by the same user while a key is in memory, and always after a
	 * drop (a process of the User could otherwise attach to us). It also hands the /proc/self entries to
	 * root; the tunnel reads nothing there that it needs (the kernel lets a process read its
	 * own entries anyway).
	 */
	if ((has_key || c->set) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(err, "prctl(PR_SET_DUMPABLE)", c, errno, "cannot disable core dumps");
	if (c->set)
		tunnel_log(
			ctx, TK_LOG_INFO, SUB,
			"dropped to uid %u gid %u%s%s%s, keeping CAP_NET_ADMIN for adapter recovery",
			(unsigned)c->uid, (unsigned)c->gid, c->name[0] ? " (" : "", c->name,
			c->name[0] ? ")" : "");
	else
		tunnel_log(ctx, TK_LOG_DEBUG, SUB,
			   "no User: running as uid %u with at most CAP_NET_ADMIN (no_new_privs "
			   "set%s)",
			   (unsigned)geteuid(), has_key ? ", not dumpable: a key is loaded" : "");
	return TK_OK;
}
