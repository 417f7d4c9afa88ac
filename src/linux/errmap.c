/* SPDX-License-Identifier: MIT */
/*
 * Turns (operation, errno, what we found out around it) into a cause, a message naming the
 * object and the values involved, and a remedy one can type. The same errno means different
 * things per operation: EINVAL from TUNSETIFF is a flags mismatch, from write a runt frame;
 * EBUSY from TUNSETIFF is a holder, or a taken name under IFF_TUN_EXCL (see
 * shared/reference/linux-tun.md for the measured table). Pure: no system calls beyond
 * strerror_r, so tests/unit/test_linux_errmap.c can check every row.
 */
#include "linux_internal.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tk__backend_os_code_name(tk_os_kind kind, int64_t code)
{
	if ((kind != TK_OS_ERRNO && kind != TK_OS_NETLINK) || code <= 0 || code >= 4096)
		return "";
	/* glibc 2.32+ knows every errno's symbol; Debian 12 has 2.36. */
	const char *name = strerrorname_np((int)code);
	return name ? name : "";
}

void tk__errmap_os_text(int errnum, char *buf, size_t size)
{
	char tmp[128];
	/* GNU strerror_r (_GNU_SOURCE): returns the text, which may or may not be tmp */
	tk__strlcpy(buf, strerror_r(errnum, tmp, sizeof(tmp)), size);
}

void tk__errmap_flags_text(uint32_t flags, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ IFF_TUN, "tun" },
		{ IFF_TAP, "tap" },
		{ IFF_MULTI_QUEUE, "multi_queue" },
		{ IFF_VNET_HDR, "vnet_hdr" },
		{ IFF_NO_PI, "no_pi" },
		{ IFF_PERSIST, "persist" },
		{ IFF_NAPI, "napi" },
		{ IFF_NAPI_FRAGS, "napi_frags" },
		{ IFF_NO_CARRIER, "no_carrier" },
		{ IFF_TUN_EXCL, "excl" },
	};
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < TK_ARRAY_SIZE(names); i++) {
		if (!(flags & names[i].bit))
			continue;
		int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", names[i].name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
}

void tk__errmap_facts_init(struct tk__errmap_facts *f, const char *object)
{
	memset(f, 0, sizeof(*f));
	f->object = object ? object : "";
	f->dev_owner = -1;
	f->dev_group = -1;
	f->in_userns = -1;
}

static bool is_netlink_op(enum tk__errmap_op op)
{
	return op == TK__ERRMAP_LINK_SET || op == TK__ERRMAP_LINK_DEL || op == TK__ERRMAP_ADDR ||
	       op == TK__ERRMAP_NETLINK;
}

static const char *default_op(enum tk__errmap_op op, const struct tk__errmap_facts *f)
{
	switch (op) {
	case TK__ERRMAP_DEVNODE_OPEN:
		return "open " TK__TUN_PATH;
	case TK__ERRMAP_TUNSETIFF:
	case TK__ERRMAP_TUNSETIFF_CREATE:
		return "TUNSETIFF";
	case TK__ERRMAP_TUN_IOCTL:
		return "ioctl";
	case TK__ERRMAP_READ:
		return "read";
	case TK__ERRMAP_WRITE:
		return "write";
	case TK__ERRMAP_POLL:
		return "poll";
	case TK__ERRMAP_LINK_SET:
		return "RTM_NEWLINK";
	case TK__ERRMAP_LINK_DEL:
		return "RTM_DELLINK";
	case TK__ERRMAP_ADDR:
		return f->add ? "RTM_NEWADDR" : "RTM_DELADDR";
	case TK__ERRMAP_NETLINK:
		return "netlink";
	case TK__ERRMAP_PROCFS:
		return "read";
	}
	return "?";
}

/* The state one mapping builds up before it is written into err. */
struct out {
	tk_error *err;
	enum tk__errmap_op op;
	int errnum;
	const struct tk__errmap_facts *f;
};

static tk_status set(const struct out *o, tk_status st, const char *fmt, ...) TK_PRINTF(3, 4);
static tk_status set(const struct out *o, tk_status st, const char *fmt, ...)
{
	const struct tk__errmap_facts *f = o->f;
	const char *op = f->op ? f->op : default_op(o->op, f);
	tk_os_kind kind = is_netlink_op(o->op) ? TK_OS_NETLINK : TK_OS_ERRNO;
	va_list ap;
	va_start(ap, fmt);
	tk__error_vset(o->err, st, op, f->object, kind, o->errnum, fmt, ap);
	va_end(ap);

	char text[TK_ERROR_OS_TEXT_MAX];
	if (kind == TK_OS_NETLINK && f->extack && *f->extack) {
		char sys[128];
		tk__errmap_os_text(o->errnum, sys, sizeof(sys));
		tk__snprintf(text, sizeof(text), "%s; kernel says: %s", sys, f->extack);
	} else
		tk__errmap_os_text(o->errnum, text, sizeof(text));
	tk__error_os_text(o->err, text);
	return st;
}

/* " (kernel: ...)" when the kernel said something, else "" */
static void extack_suffix(const struct tk__errmap_facts *f, char *buf, size_t size)
{
	if (f->extack && *f->extack)
		tk__snprintf(buf, size, ": %s", f->extack);
	else
		buf[0] = '\0';
}

static const char *mode_name(uint32_t flags)
{
	return (flags & IFF_TUN) ? "TUN" : "TAP";
}

/* ---- open /dev/net/tun ---- */

static tk_status map_devnode(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	tk_error *err = o->err;
	tk_status st;

	switch (o->errnum) {
	case ENOENT:
		st = set(o, TK_E_TUN_MISSING,
			 "%s does not exist, so no TUN/TAP adapter can be opened", TK__TUN_PATH);
		tk__error_remedy(
			err,
			"`modprobe tun`; if %s is missing create it with `mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun`; in a container add `--device /dev/net/tun --cap-add NET_ADMIN`",
			TK__TUN_PATH);
		return st;
	case ENODEV:
	case ENXIO:
		if (f->node_stat_ok &&
		    (!f->node_is_chr || f->node_major != 10 || f->node_minor != 200))
			st = set(o, TK_E_TUN_MISSING,
				 "%s is not the tun character device 10:200 (it is %s %u:%u)",
				 TK__TUN_PATH, f->node_is_chr ? "char" : "not a char device",
				 f->node_major, f->node_minor);
		else
			st = set(
				o, TK_E_TUN_MISSING,
				"%s exists but no tun driver is behind it (the kernel module is not loaded)",
				TK__TUN_PATH);
		tk__error_remedy(
			err,
			"`modprobe tun`; if that fails this kernel was built without CONFIG_TUN (check `grep CONFIG_TUN /boot/config-$(uname -r)`); the node must be `c 10 200`");
		return st;
	case EACCES:
		if (f->node_stat_ok)
			st = set(
				o, TK_E_NO_PRIVILEGE,
				"permission denied opening %s: mode %04o, owner uid %u, group gid %u; this process runs as uid %u",
				TK__TUN_PATH, f->node_mode & 07777u, f->node_uid, f->node_gid,
				f->caller_uid);
		else
			st = set(o, TK_E_NO_PRIVILEGE, "permission denied opening %s",
				 TK__TUN_PATH);
		tk__error_remedy(
			err,
			"run as root (`sudo`), or `chmod 0666 %s` as udev normally does (opening the node is harmless; creating or attaching an adapter still needs CAP_NET_ADMIN or ownership)",
			TK__TUN_PATH);
		return st;
	case EPERM:
		st = set(
			o, TK_E_NO_PRIVILEGE,
			"opening %s is not permitted: the device cgroup denies it (typical in containers)",
			TK__TUN_PATH);
		tk__error_remedy(
			err,
			"in Docker/Podman add `--device /dev/net/tun --cap-add NET_ADMIN`; in LXC allow `lxc.cgroup2.devices.allow = c 10:200 rwm`");
		return st;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		st = set(o, TK_E_NO_MEMORY, "cannot open %s: out of file descriptors or memory",
			 TK__TUN_PATH);
		tk__error_remedy(err, "close unused files or raise the limit (`ulimit -n`)");
		return st;
	default:
		return set(o, TK_E_IO, "cannot open %s", TK__TUN_PATH);
	}
}

/* ---- TUNSETIFF ---- */

static bool owner_blocks(const struct tk__errmap_facts *f)
{
	if (!f->dev_exists || !f->dev_is_tun)
		return false;
	if (f->dev_owner < 0 && f->dev_group < 0)
		return false;
	bool owner_ok = f->dev_owner >= 0 && (uint32_t)f->dev_owner == f->caller_uid;
	bool group_ok = f->dev_group >= 0 && f->caller_in_group;
	return !owner_ok && !group_ok;
}

static void who_text(char *buf, size_t size, const char *what, int64_t id, const char *name)
{
	if (name && *name)
		tk__snprintf(buf, size, "%s %lld (%s)", what, (long long)id, name);
	else
		tk__snprintf(buf, size, "%s %lld", what, (long long)id);
}

static tk_status map_owner_mismatch(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	char owner[96] = "", group[96] = "", both[200];
	if (f->dev_owner >= 0)
		who_text(owner, sizeof(owner), "uid", f->dev_owner, f->dev_owner_name);
	if (f->dev_group >= 0)
		who_text(group, sizeof(group), "gid", f->dev_group, f->dev_group_name);
	tk__snprintf(both, sizeof(both), "%s%s%s", owner, (*owner && *group) ? " and group " : "",
		     group);
	tk_status st = set(
		o, TK_E_OWNER_MISMATCH,
		"adapter %s belongs to %s; this process runs as uid %u%s and has no CAP_NET_ADMIN",
		f->object, both, f->caller_uid, f->dev_group >= 0 ? " without that group" : "");
	if (f->dev_owner >= 0)
		tk__error_remedy(
			o->err,
			"run as uid %lld, or `tapkit delete %s` and `tapkit create %s --owner %u` as root, or run with CAP_NET_ADMIN",
			(long long)f->dev_owner, f->object, f->object, f->caller_uid);
	else
		tk__error_remedy(
			o->err,
			"run in group %lld, or `tapkit delete %s` and `tapkit create %s --owner %u` as root, or run with CAP_NET_ADMIN",
			(long long)f->dev_group, f->object, f->object, f->caller_uid);
	return st;
}

static tk_status map_no_privilege(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	const char *what = f->dev_exists ? "attaching to" : "creating";
	const char *userns = f->in_userns == 1 ? "; it runs in a user namespace (a container)" : "";
	tk_status st;
	if (f->cap_net_admin)
		st = set(
			o, TK_E_NO_PRIVILEGE,
			"%s adapter %s was refused although this process has CAP_NET_ADMIN%s: the capability must be held in the user namespace that owns this network namespace",
			what, f->object, userns);
	else if (f->dev_exists && f->dev_is_tun)
		st = set(
			o, TK_E_NO_PRIVILEGE,
			"attaching to adapter %s needs CAP_NET_ADMIN: it has no owner or group and this process (uid %u) has no CAP_NET_ADMIN%s",
			f->object, f->caller_uid, userns);
	else
		st = set(
			o, TK_E_NO_PRIVILEGE,
			"creating adapter %s needs CAP_NET_ADMIN; this process (uid %u) has no CAP_NET_ADMIN%s",
			f->object, f->caller_uid, userns);
	tk__error_remedy(
		o->err,
		"run with `sudo`, or give the program the capability (`setcap cap_net_admin+ep PROGRAM`), or have root create it for you: `tapkit create %s --owner $USER`%s",
		f->object, f->in_userns == 1 ? "; in a container add `--cap-add NET_ADMIN`" : "");
	return st;
}

static tk_status map_busy(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	tk_status st;
	if (f->nholders == 0) {
		st = set(
			o, TK_E_ADAPTER_BUSY,
			"adapter %s is in use, but no holding process is visible: it may be held from another PID namespace (a container) or by a kernel user such as vhost-net",
			f->object);
		tk__error_remedy(
			o->err,
			"stop the program holding it in its container, or pick another name; to share one adapter between processes create it with --multi-queue and open it with multi-queue");
		return st;
	}
	const tk_holder *h = &f->holders[0];
	char more[48] = "";
	if (f->nholders > 1)
		tk__snprintf(more, sizeof(more), " and %zu other process%s", f->nholders - 1,
			     f->nholders > 2 ? "es" : "");
	if (f->self_pid && h->pid == f->self_pid) {
		st = set(o, TK_E_ADAPTER_BUSY,
			 "adapter %s is held by this process (%s, pid %u)%s through another handle",
			 f->object, h->name, h->pid, more);
		tk__strlcpy(o->err->holder_name, h->name, sizeof(o->err->holder_name));
		o->err->holder_pid = h->pid;
		tk__error_remedy(
			o->err,
			"close the other handle first, or open both with multi-queue (the adapter must have been created with --multi-queue)");
		return st;
	}
	st = set(o, TK_E_ADAPTER_BUSY, "adapter %s is held by %s (pid %u)%s", f->object, h->name,
		 h->pid, more);
	tk__strlcpy(o->err->holder_name, h->name, sizeof(o->err->holder_name));
	o->err->holder_pid = h->pid;
	tk__error_remedy(
		o->err,
		"stop %s (pid %u) (`kill %u`), or pick another name; to share one adapter between processes create it with --multi-queue and open it with multi-queue",
		h->name, h->pid, h->pid);
	return st;
}

static tk_status map_flags(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	char req[96], have[96];
	tk_status st;

	if (f->dev_exists && !f->dev_is_tun) {
		st = set(o, TK_E_NOT_TAP, "%s exists and is not a TUN/TAP adapter", f->object);
		tk__error_remedy(o->err, "pick another name: tapkit only manages TUN/TAP adapters");
		return st;
	}
	if (!f->dev_exists) {
		tk__errmap_flags_text(f->req_flags, req, sizeof(req));
		return set(o, TK_E_BAD_ARGUMENT, "the kernel refused flags 0x%04x (%s) for %s",
			   f->req_flags, req, f->object);
	}
	uint32_t rtype = f->req_flags & (IFF_TUN | IFF_TAP);
	uint32_t dtype = f->dev_flags & (IFF_TUN | IFF_TAP);
	if (rtype && dtype && rtype != dtype) {
		st = set(o, TK_E_FLAGS_MISMATCH, "adapter %s is %s, not %s", f->object,
			 mode_name(dtype), mode_name(rtype));
		tk__error_remedy(o->err, "open it in %s mode%s, or delete it and create it as %s",
				 mode_name(dtype), (dtype & IFF_TUN) ? " (--tun)" : "",
				 mode_name(rtype));
		return st;
	}
	if ((f->dev_flags & IFF_MULTI_QUEUE) && !(f->req_flags & IFF_MULTI_QUEUE)) {
		st = set(o, TK_E_FLAGS_MISMATCH,
			 "adapter %s is multi-queue; it was opened without multi-queue", f->object);
		tk__error_remedy(o->err,
				 "open it with multi-queue (--multi-queue, TK_OPEN_MULTI_QUEUE)");
		return st;
	}
	if (!(f->dev_flags & IFF_MULTI_QUEUE) && (f->req_flags & IFF_MULTI_QUEUE)) {
		st = set(o, TK_E_FLAGS_MISMATCH,
			 "adapter %s is single-queue; it was opened with multi-queue", f->object);
		tk__error_remedy(
			o->err,
			"open it without multi-queue, or delete it and create it with --multi-queue");
		return st;
	}
	tk__errmap_flags_text(f->req_flags, req, sizeof(req));
	tk__errmap_flags_text(f->dev_flags, have, sizeof(have));
	st = set(o, TK_E_FLAGS_MISMATCH, "adapter %s (%s) refused the requested flags 0x%04x (%s)",
		 f->object, have, f->req_flags, req);
	tk__error_remedy(o->err, "open it with the flags it was created with (%s)", have);
	return st;
}

static tk_status map_tunsetiff(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	tk_status st;

	switch (o->errnum) {
	case EPERM:
		if (owner_blocks(f) && !f->cap_net_admin)
			return map_owner_mismatch(o);
		return map_no_privilege(o);
	case EBUSY:
		if (o->op == TK__ERRMAP_TUNSETIFF_CREATE) {
			st = set(o, TK_E_EXISTS, "an interface named %s already exists", f->object);
			tk__error_remedy(o->err, "pick another name, or `tapkit delete %s` first",
					 f->object);
			return st;
		}
		return map_busy(o);
	case EINVAL:
		return map_flags(o);
	case E2BIG:
		st = set(o, TK_E_UNSUPPORTED,
			 "adapter %s already has %d queues: the kernel allows at most %d queues",
			 f->object, TK__MAX_QUEUES, TK__MAX_QUEUES);
		tk__error_remedy(
			o->err,
			"close a queue before opening another (at most 256 queues per adapter)");
		return st;
	case ENOMEM:
	case ENOBUFS:
		return set(o, TK_E_NO_MEMORY, "the kernel is out of memory creating %s", f->object);
	case EEXIST:
		return set(o, TK_E_INTERNAL, "the file descriptor is already attached (opening %s)",
			   f->object);
	case ENFILE:
		st = set(o, TK_E_NO_MEMORY, "cannot create adapter %s: too many interfaces",
			 f->object);
		return st;
	default:
		return set(o, TK_E_IO, "cannot %s adapter %s",
			   o->op == TK__ERRMAP_TUNSETIFF_CREATE ? "create" : "open", f->object);
	}
}

/* ---- other ioctls, read, write, poll ---- */

static tk_status vanished(const struct out *o)
{
	tk_status st =
		set(o, TK_E_DEVICE_VANISHED, "adapter %s was deleted while open", o->f->object);
	tk__error_remedy(o->err, "reopen it (tapkit's tunnel does so automatically)");
	o->err->transient = true;
	return st;
}

static tk_status map_ioctl(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	const char *op = f->op ? f->op : "ioctl";
	tk_status st;

	if (o->errnum == EBADFD)
		return vanished(o);
	if (o->errnum == EPERM || o->errnum == EACCES) {
		st = set(o, TK_E_NO_PRIVILEGE, "%s on adapter %s is not permitted", op, f->object);
		tk__error_remedy(o->err, "run with CAP_NET_ADMIN (`sudo`)");
		return st;
	}
	if (o->errnum == ENOTTY) {
		st = set(o, TK_E_UNSUPPORTED, "this kernel does not know %s", op);
		tk__error_remedy(o->err, "upgrade the kernel, or do without this feature");
		return st;
	}
	if (o->errnum == EMFILE || o->errnum == ENFILE || o->errnum == ENOMEM) {
		/* the eventfd that makes a blocked read wakeable is a descriptor too */
		st = set(o, TK_E_NO_MEMORY, "%s for adapter %s: out of file descriptors or memory",
			 op, f->object);
		tk__error_remedy(o->err, "close unused files or raise the limit (`ulimit -n`)");
		return st;
	}
	if (o->errnum != EINVAL)
		return set(o, TK_E_IO, "%s on adapter %s failed", op, f->object);

	if (strcmp(op, "TUNSETOFFLOAD") == 0) {
		st = set(o, TK_E_UNSUPPORTED, "this kernel does not accept offloads 0x%02x on %s",
			 f->req_flags, f->object);
		tk__error_remedy(
			o->err,
			"ask for fewer offloads: USO4 and USO6 need kernel 6.2 and go together, ECN needs TSO4 or TSO6");
		return st;
	}
	if (strcmp(op, "TUNSETQUEUE") == 0) {
		if (f->req_flags & IFF_DETACH_QUEUE)
			st = set(
				o, TK_E_BAD_ARGUMENT,
				"cannot disable this queue of %s: it is already disabled, or the adapter is not multi-queue",
				f->object);
		else
			st = set(
				o, TK_E_BAD_ARGUMENT,
				"cannot enable this queue of %s: it is already enabled, or the adapter is not multi-queue",
				f->object);
		tk__error_remedy(
			o->err,
			"only disable an enabled queue of a multi-queue adapter, and enable it again once");
		return st;
	}
	if (strcmp(op, "TUNSETOWNER") == 0 || strcmp(op, "TUNSETGROUP") == 0) {
		st = set(o, TK_E_BAD_ARGUMENT,
			 "%s: the id cannot be mapped in this user namespace (%s)", op, f->object);
		tk__error_remedy(o->err, "use a uid/gid that exists in this user namespace");
		return st;
	}
	if (strcmp(op, "TUNSETCARRIER") == 0 || strcmp(op, "TUNSETVNETHDRSZ") == 0) {
		st = set(o, TK_E_UNSUPPORTED, "this kernel refuses %s on %s", op, f->object);
		tk__error_remedy(o->err, "TUNSETCARRIER needs Linux 5.0; use a newer kernel");
		return st;
	}
	return set(o, TK_E_BAD_ARGUMENT, "%s on adapter %s: invalid argument", op, f->object);
}

static tk_status map_io(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	tk_status st;

	switch (o->errnum) {
	case EBADFD:
		return vanished(o);
	case EAGAIN:
		return set(o, TK_E_AGAIN, "no frame ready on %s", f->object);
	case EINTR:
		return set(o, TK_E_INTERRUPTED, "%s on %s was interrupted by a signal",
			   o->op == TK__ERRMAP_WRITE ? "write" : "read", f->object);
	case EIO:
		if (o->op == TK__ERRMAP_WRITE) {
			st = set(o, TK_E_LINK_DOWN,
				 "adapter %s is down: the kernel takes no frames", f->object);
			tk__error_remedy(o->err, "`tapkit up %s`", f->object);
			return st;
		}
		return set(o, TK_E_IO, "reading from %s failed", f->object);
	case EINVAL:
		if (o->op == TK__ERRMAP_WRITE && f->len < f->hdr_len + TK__ETH_HLEN) {
			st = set(
				o, TK_E_BAD_ARGUMENT,
				"frame of %zu bytes is too short for %s: at least %zu bytes are needed",
				f->len, f->object, f->hdr_len + TK__ETH_HLEN);
			tk__error_remedy(
				o->err,
				"write whole frames (an Ethernet frame has a 14-byte header)");
			return st;
		}
		st = set(o, TK_E_BAD_ARGUMENT, "adapter %s refused a frame of %zu bytes", f->object,
			 f->len);
		tk__error_remedy(o->err,
				 "check the frame (and its virtio-net header with vnet_hdr)");
		return st;
	case EFAULT:
		return set(o, TK_E_BAD_ARGUMENT, "bad buffer address for %s", f->object);
	case ENOMEM:
	case ENOBUFS:
		st = set(o, TK_E_NO_MEMORY, "no buffer space for a frame on %s", f->object);
		o->err->transient = true;
		return st;
	default:
		return set(o, TK_E_IO, "%s on %s failed", default_op(o->op, f), f->object);
	}
}

/* ---- netlink ---- */

static tk_status map_netlink_common(const struct out *o, bool *done)
{
	const struct tk__errmap_facts *f = o->f;
	tk_status st = TK_OK;
	*done = true;
	switch (o->errnum) {
	case EPERM:
		st = set(
			o, TK_E_NO_PRIVILEGE,
			"changing %s needs CAP_NET_ADMIN, which this process (uid %u) does not have",
			f->object, f->caller_uid);
		tk__error_remedy(
			o->err,
			"run with `sudo`, or give the program the capability (`setcap cap_net_admin+ep PROGRAM`)");
		return st;
	case ENODEV:
		st = set(o, TK_E_ADAPTER_NOT_FOUND, "adapter %s does not exist", f->object);
		tk__error_remedy(
			o->err,
			"`tapkit list` shows the adapters there are; `tapkit create %s` makes it",
			f->object);
		return st;
	case ENOMEM:
	case ENOBUFS:
		st = set(o, TK_E_NO_MEMORY, "the kernel has no memory for the request on %s",
			 f->object);
		o->err->transient = true;
		return st;
	case EMFILE:
	case ENFILE:
		/* from socket(AF_NETLINK) itself: the request never reached the kernel */
		st = set(o, TK_E_NO_MEMORY,
			 "cannot open a netlink socket for %s: out of file descriptors", f->object);
		tk__error_remedy(o->err, "close unused files or raise the limit (`ulimit -n`)");
		return st;
	case EINTR:
		st = set(o, TK_E_IO, "the kernel's list changed while it was being read (%s)",
			 f->object);
		o->err->transient = true;
		return st;
	default:
		*done = false;
		return st;
	}
}

static tk_status map_link_set(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	char kx[200];
	tk_status st;
	extack_suffix(f, kx, sizeof(kx));

	switch (f->attr) {
	case TK__ATTR_MTU:
		if (o->errnum == EINVAL) {
			st = set(o, TK_E_BAD_ARGUMENT, "MTU %u is not accepted by %s%s", f->mtu,
				 f->object, kx);
			tk__error_remedy(o->err,
					 "use an MTU within 68..65521 for TAP (68..65535 for TUN)");
			return st;
		}
		break;
	case TK__ATTR_MAC:
		if (o->errnum == EADDRNOTAVAIL || o->errnum == EINVAL) {
			st = set(o, TK_E_ADDRESS_INVALID, "MAC %s is not accepted by %s%s",
				 f->mac_text ? f->mac_text : "?", f->object, kx);
			tk__error_remedy(
				o->err,
				"use a unicast, non-zero MAC such as 02:00:5e:10:00:01 (locally administered)");
			return st;
		}
		if (o->errnum == EBUSY) {
			st = set(o, TK_E_ADAPTER_BUSY, "the MAC of %s cannot change now%s",
				 f->object, kx);
			tk__error_remedy(o->err, "`tapkit down %s` first, then set the MAC",
					 f->object);
			return st;
		}
		break;
	case TK__ATTR_MASTER:
		if (o->errnum == EOPNOTSUPP) {
			st = set(o, TK_E_BAD_ARGUMENT, "%s is not a bridge%s",
				 f->master ? f->master : "the master", kx);
			tk__error_remedy(
				o->err,
				"name an existing bridge (`ip link show type bridge` lists them), or create one with `ip link add BRIDGE type bridge`");
			return st;
		}
		if (o->errnum == EINVAL || o->errnum == EBUSY || o->errnum == ELOOP) {
			st = set(o, TK_E_BAD_ARGUMENT, "%s cannot be attached to %s%s", f->object,
				 f->master ? f->master : "the master", kx);
			tk__error_remedy(o->err, "check that %s is a bridge in this namespace",
					 f->master ? f->master : "the master");
			return st;
		}
		break;
	case TK__ATTR_UP:
	case TK__ATTR_NONE:
		break;
	}
	return set(o, TK_E_IO, "cannot change %s%s", f->object, kx);
}

static tk_status map_addr(const struct out *o)
{
	const struct tk__errmap_facts *f = o->f;
	const char *a = f->addr_text ? f->addr_text : "the address";
	char kx[200];
	tk_status st;
	extack_suffix(f, kx, sizeof(kx));

	switch (o->errnum) {
	case EEXIST:
		st = set(o, TK_E_EXISTS, "address %s is already assigned to %s", a, f->object);
		tk__error_remedy(o->err, "nothing to do, or `tapkit addr del %s %s` first",
				 f->object, a);
		return st;
	case EADDRNOTAVAIL:
		st = set(o, TK_E_ADDRESS_INVALID, "address %s is not assigned to %s%s", a,
			 f->object, kx);
		tk__error_remedy(o->err, "`tapkit show %s` lists its addresses", f->object);
		return st;
	case EACCES:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		st = set(o, TK_E_UNSUPPORTED,
			 "%s cannot take address %s: the address family is disabled%s", f->object,
			 a, kx);
		tk__error_remedy(o->err, "for IPv6: `sysctl -w net.ipv6.conf.%s.disable_ipv6=0`",
				 f->object);
		return st;
	case EINVAL:
		st = set(o, TK_E_ADDRESS_INVALID, "address %s is not accepted by %s%s", a,
			 f->object, kx);
		tk__error_remedy(o->err,
				 "give a unicast address with a prefix, such as 10.0.0.1/24");
		return st;
	default:
		return set(o, TK_E_IO, "cannot %s address %s on %s%s", f->add ? "add" : "delete", a,
			   f->object, kx);
	}
}

tk_status tk__errmap_fill(tk_error *err, enum tk__errmap_op op, int errnum,
			  const struct tk__errmap_facts *f)
{
	struct out o = { .err = err, .op = op, .errnum = errnum, .f = f };
	bool done = false;
	tk_status st;

	if (errnum == EWOULDBLOCK)
		o.errnum = EAGAIN;
	switch (op) {
	case TK__ERRMAP_DEVNODE_OPEN:
		return map_devnode(&o);
	case TK__ERRMAP_TUNSETIFF:
	case TK__ERRMAP_TUNSETIFF_CREATE:
		return map_tunsetiff(&o);
	case TK__ERRMAP_TUN_IOCTL:
		return map_ioctl(&o);
	case TK__ERRMAP_READ:
	case TK__ERRMAP_WRITE:
	case TK__ERRMAP_POLL:
		return map_io(&o);
	case TK__ERRMAP_LINK_SET:
		st = map_netlink_common(&o, &done);
		return done ? st : map_link_set(&o);
	case TK__ERRMAP_LINK_DEL:
		st = map_netlink_common(&o, &done);
		if (done)
			return st;
		if (errnum == EOPNOTSUPP) {
			st = set(&o, TK_E_UNSUPPORTED,
				 "the kernel cannot delete %s through netlink", f->object);
			tk__error_remedy(
				err,
				"open it and turn persist off (the adapter goes with its last close)");
			return st;
		}
		return set(&o, TK_E_IO, "cannot delete %s", f->object);
	case TK__ERRMAP_ADDR:
		st = map_netlink_common(&o, &done);
		return done ? st : map_addr(&o);
	case TK__ERRMAP_NETLINK:
		st = map_netlink_common(&o, &done);
		if (done)
			return st;
		if (errnum == EPROTONOSUPPORT || errnum == EAFNOSUPPORT)
			return set(&o, TK_E_UNSUPPORTED, "this kernel has no rtnetlink");
		return set(&o, TK_E_IO, "netlink request about %s failed", f->object);
	case TK__ERRMAP_PROCFS:
		return set(&o, TK_E_IO, "cannot read %s", f->object);
	}
	return set(&o, TK_E_INTERNAL, "unknown operation %d", (int)op);
}
