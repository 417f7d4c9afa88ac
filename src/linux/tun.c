/* SPDX-License-Identifier: MIT */
/*
 * /dev/net/tun: name checks, creating persistent adapters, opening adapters for frame I/O and
 * the per-fd ioctls. When TUNSETIFF fails, the facts that decide what the errno means (does the
 * device exist, with which flags and owner, who holds it, do we have CAP_NET_ADMIN) are gathered
 * here and handed to errmap.c.
 */
#include "linux_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Kernel 6.2 added these; Debian 12's 6.1 headers lack them. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define SUB "linux.tun"

/* ---- names ---- */

tk_status tk__backend_name_check(const char *name, tk_error *err)
{
	const char *why = NULL;
	size_t len = name ? strlen(name) : 0;
	const char *pct = name ? strchr(name, '%') : NULL;

	if (len == 0)
		why = "the name is empty";
	else if (len >= TK__LINUX_IFNAMSZ)
		why = "it is longer than 15 bytes (the kernel would silently cut it to 15)";
	else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		why = "\".\" and \"..\" are not allowed";
	else if (strchr(name, '/'))
		why = "it contains '/'";
	else if (strchr(name, ':'))
		why = "it contains ':'";
	else if (pct && (pct[1] != 'd' || strchr(pct + 1, '%')))
		why = "'%' is only allowed once, as \"%d\" (the kernel picks the number)";
	for (size_t i = 0; !why && i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isspace(c))
			why = "it contains white space";
		else if (c < 0x20 || c == 0x7f)
			why = "it contains a control character";
	}
	if (!why)
		return TK_OK;
	tk_status st = tk__error_set_quiet(err, TK_E_NAME_INVALID, "check name", name ? name : "",
					   TK_OS_NONE, 0, "invalid adapter name \"%s\": %s",
					   name ? name : "", why);
	tk__error_remedy(
		err,
		"use 1 to 15 bytes without '/', ':' or white space, e.g. tap0 (\"tap%%d\" lets the kernel pick the number)");
	return st;
}

/* ---- facts for errmap ---- */

static bool in_group(gid_t gid)
{
	gid_t groups[256];
	if (getegid() == gid)
		return true;
	int n = getgroups((int)TK_ARRAY_SIZE(groups), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void user_name(int64_t uid, char *out, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[2048];
	out[0] = '\0';
	if (uid >= 0 && getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		tk__strlcpy(out, res->pw_name, size);
}

static void group_name(int64_t gid, char *out, size_t size)
{
	struct group gr, *res = NULL;
	char buf[2048];
	out[0] = '\0';
	if (gid >= 0 && getgrgid_r((gid_t)gid, &gr, buf, sizeof(buf), &res) == 0 && res)
		tk__strlcpy(out, res->gr_name, size);
}

static uint32_t flags_of_link(const struct tk__netlink_link *l)
{
	uint32_t flags = l->tun_type == IFF_TUN ? IFF_TUN : IFF_TAP;
	if (l->multi_queue)
		flags |= IFF_MULTI_QUEUE;
	if (l->vnet_hdr)
		flags |= IFF_VNET_HDR;
	if (!l->pi)
		flags |= IFF_NO_PI;
	if (l->persist)
		flags |= IFF_PERSIST;
	return flags;
}

/* What the device called name looks like, and who we are; for a failed TUNSETIFF. */
static void gather_facts(tk_ctx *ctx, const char *name, struct tk__errmap_facts *f)
{
	struct tk__netlink_link l;
	tk_error probe = { 0 };

	f->caller_uid = (uint32_t)geteuid();
	f->cap_net_admin = tk__caps_net_admin();
	f->in_userns = tk__caps_in_userns();
	f->self_pid = (uint32_t)getpid();
	if (!name || !*name || strchr(name, '%'))
		return;
	if (tk__netlink_link_get(ctx, name, &l, &probe) == TK_OK) {
		f->dev_exists = true;
		f->dev_is_tun = l.is_tun;
		if (l.is_tun) {
			f->dev_flags = flags_of_link(&l);
			f->dev_owner = l.owner;
			f->dev_group = l.group;
		}
	} else if (probe.status != TK_E_ADAPTER_NOT_FOUND && tk__sysfs_exists(name)) {
		/* netlink failed for another reason: sysfs is the fallback */
		uint32_t flags = 0;
		f->dev_exists = true;
		if (tk__sysfs_tun_flags(name, &flags) == 0) {
			f->dev_is_tun = true;
			f->dev_flags = flags;
			(void)tk__sysfs_owner(name, &f->dev_owner);
			(void)tk__sysfs_group(name, &f->dev_group);
		}
	}
	user_name(f->dev_owner, f->dev_owner_name, sizeof(f->dev_owner_name));
	group_name(f->dev_group, f->dev_group_name, sizeof(f->dev_group_name));
	f->caller_in_group = f->dev_group >= 0 && in_group((gid_t)f->dev_group);
}

/* ---- opening /dev/net/tun and TUNSETIFF ---- */

static tk_status devnode_open(tk_ctx *ctx, const char *object, int oflags, int *fd, tk_error *err)
{
	*fd = open(TK__TUN_PATH, O_RDWR | O_CLOEXEC | oflags);
	if (*fd >= 0)
		return TK_OK;
	int e = errno;
	struct tk__errmap_facts f;
	struct stat sb;
	tk__errmap_facts_init(&f, object);
	f.caller_uid = (uint32_t)geteuid();
	if (stat(TK__TUN_PATH, &sb) == 0) {
		f.node_stat_ok = true;
		f.node_mode = (uint32_t)sb.st_mode;
		f.node_uid = (uint32_t)sb.st_uid;
		f.node_gid = (uint32_t)sb.st_gid;
		f.node_is_chr = S_ISCHR(sb.st_mode);
		f.node_major = (uint32_t)major(sb.st_rdev);
		f.node_minor = (uint32_t)minor(sb.st_rdev);
	}
	tk_status st = tk__errmap_fill(err, TK__ERRMAP_DEVNODE_OPEN, e, &f);
	tk__error_log(ctx, err);
	return st;
}

/* TUNSETIFF; on failure gathers the facts and maps the errno. ifr holds the name chosen. */
static tk_status set_iff(tk_ctx *ctx, int fd, struct ifreq *ifr, enum tk__errmap_op op,
			 tk_error *err)
{
	char want[TK__LINUX_IFNAMSZ];
	tk__strlcpy(want, ifr->ifr_name, sizeof(want));
	tk__log(ctx, TK_LOG_DEBUG, SUB, NULL, 0, "TUNSETIFF name=%s flags=0x%04x",
		*want ? want : "(kernel picks)", (unsigned)(uint16_t)ifr->ifr_flags);
	if (ioctl(fd, TUNSETIFF, ifr) == 0)
		return TK_OK;
	int e = errno;
	struct tk__errmap_facts f;
	tk_holder holders[TK_MAX_HOLDERS];
	tk__errmap_facts_init(&f, want);
	f.req_flags = (uint16_t)ifr->ifr_flags;
	gather_facts(ctx, want, &f);
	if (e == EBUSY && op == TK__ERRMAP_TUNSETIFF && *want) {
		f.nholders = tk__procfs_holders(want, 0, holders, TK_ARRAY_SIZE(holders));
		f.holders = holders;
	}
	tk__log(ctx, TK_LOG_DEBUG, SUB, NULL, 0,
		"TUNSETIFF %s failed: errno %d; exists=%d tun=%d flags=0x%04x owner=%lld group=%lld uid=%u cap_net_admin=%d userns=%d holders=%zu",
		want, e, f.dev_exists, f.dev_is_tun, f.dev_flags, (long long)f.dev_owner,
		(long long)f.dev_group, f.caller_uid, f.cap_net_admin, f.in_userns, f.nholders);
	tk_status st = tk__errmap_fill(err, op, e, &f);
	tk__error_log(ctx, err);
	return st;
}

/* Any other ioctl on an attached fd; arg is an int, an unsigned long or a pointer. */
static tk_status tun_ioctl_fail(tk_ctx *ctx, const char *name, const char *op, int e,
				uint32_t req_flags, tk_error *err)
{
	struct tk__errmap_facts f;
	tk__errmap_facts_init(&f, name);
	f.op = op;
	f.req_flags = req_flags;
	f.caller_uid = (uint32_t)geteuid();
	tk_status st = tk__errmap_fill(err, TK__ERRMAP_TUN_IOCTL, e, &f);
	tk__error_log(ctx, err);
	return st;
}

static uint16_t mode_flag(tk_mode mode)
{
	return mode == TK_MODE_TUN ? IFF_TUN : IFF_TAP;
}

/* ---- create ---- */

static tk_status create_probe(tk_ctx *ctx, const char *name, tk_error *err)
{
	struct tk__netlink_link l;
	tk_error probe = { 0 };
	tk_status st = tk__netlink_link_get(ctx, name, &l, &probe);
	if (st == TK_E_ADAPTER_NOT_FOUND)
		return TK_OK;
	if (st != TK_OK) {
		*err = probe; /* already logged where it was seen */
		return st;
	}
	st = tk__error_set(ctx, err, TK_E_EXISTS, "create adapter", name, TK_OS_NONE, 0,
			   "an interface named %s already exists%s", name,
			   l.is_tun ? "" : " (and it is not a TUN/TAP adapter)");
	tk__error_remedy(err, "pick another name%s",
			 l.is_tun ? ", or `tapkit delete` it first" : "");
	return st;
}

static tk_status set_id(tk_ctx *ctx, int fd, const char *name, unsigned long req, const char *op,
			int64_t id, tk_error *err)
{
	tk__log(ctx, TK_LOG_DEBUG, SUB, NULL, 0, "%s name=%s id=%lld", op, name, (long long)id);
	if (ioctl(fd, req, (unsigned long)id) == 0)
		return TK_OK;
	return tun_ioctl_fail(ctx, name, op, errno, 0, err);
}

tk_status tk__backend_adapter_create(tk_ctx *ctx, const tk_create_opts *opts, tk_adapter_info *info,
				     tk_error *err)
{
	struct ifreq ifr;
	char name[TK__LINUX_IFNAMSZ];
	int fd = -1;
	tk_status st;

	if (!opts->name || !*opts->name) {
		st = tk__error_set_quiet(
			err, TK_E_NAME_INVALID, "create adapter", "", TK_OS_NONE, 0,
			"the adapter name is empty: Linux needs a name to create one");
		tk__error_remedy(
			err,
			"give a name of 1 to 15 bytes, e.g. tap0 (\"tap%%d\" lets the kernel pick the number)");
		tk__error_log(ctx, err);
		return st;
	}
	if (!strchr(opts->name, '%')) {
		st = create_probe(ctx, opts->name, err);
		if (st != TK_OK)
			return st;
	}
	st = devnode_open(ctx, opts->name, 0, &fd, err);
	if (st != TK_OK)
		return st;

	memset(&ifr, 0, sizeof(ifr));
	tk__strlcpy(ifr.ifr_name, opts->name, sizeof(ifr.ifr_name));
	/* IFF_TUN_EXCL closes the race with another creator between the probe and here */
	uint16_t flags = (uint16_t)(mode_flag(opts->mode) | IFF_TUN_EXCL);
	if (!(opts->flags & TK_CREATE_PI))
		flags |= IFF_NO_PI;
	if (opts->flags & TK_CREATE_MULTI_QUEUE)
		flags |= IFF_MULTI_QUEUE;
	if (opts->flags & TK_CREATE_VNET_HDR)
		flags |= IFF_VNET_HDR;
	ifr.ifr_flags = (short)flags;
	st = set_iff(ctx, fd, &ifr, TK__ERRMAP_TUNSETIFF_CREATE, err);
	if (st != TK_OK)
		goto out_close;
	tk__strlcpy(name, ifr.ifr_name, sizeof(name));

	/* Owner and group before persist: if one fails, closing the fd removes the device. */
	if (opts->owner_set || opts->owner > 0) {
		st = set_id(ctx, fd, name, TUNSETOWNER, "TUNSETOWNER", opts->owner, err);
		if (st != TK_OK)
			goto out_close;
	}
	if (opts->group_set || opts->group > 0) {
		st = set_id(ctx, fd, name, TUNSETGROUP, "TUNSETGROUP", opts->group, err);
		if (st != TK_OK)
			goto out_close;
	}
	tk__log(ctx, TK_LOG_DEBUG, SUB, NULL, 0, "TUNSETPERSIST name=%s 1", name);
	if (ioctl(fd, TUNSETPERSIST, 1UL) != 0) {
		st = tun_ioctl_fail(ctx, name, "TUNSETPERSIST", errno, 0, err);
		goto out_close;
	}
	close(fd);
	fd = -1;
	tk__log(ctx, TK_LOG_INFO, SUB, NULL, 0, "created persistent %s adapter %s",
		opts->mode == TK_MODE_TUN ? "TUN" : "TAP", name);
	if (info)
		st = tk__backend_adapter_get(ctx, name, info, err);
out_close:
	if (fd >= 0)
		close(fd);
	return st;
}

/* ---- open ---- */

tk_status tk__backend_dev_open(tk_ctx *ctx, const tk_open_opts *opts, tk_dev *dev, tk_error *err)
{
	const char *name = opts->name ? opts->name : "";
	struct tk__os_dev *os = NULL;
	struct ifreq ifr;
	int fd = -1;
	tk_status st;

	/* NULL lets the kernel pick tapN; an empty string is a name, and not a valid one */
	if (opts->name && !*opts->name) {
		st = tk__backend_name_check(name, err);
		tk__error_log(ctx, err);
		return st;
	}
	if (opts->flags & TK_OPEN_NO_CREATE) {
		struct tk__netlink_link l;
		if (!*name)
			return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "open", "", TK_OS_NONE, 0,
					     "opening without creating needs an adapter name");
		st = tk__netlink_tap_get(ctx, name, &l, err);
		if (st != TK_OK) {
			tk__error_log(ctx, err);
			return st;
		}
	}
	os = calloc(1, sizeof(*os));
	if (!os)
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "open", name, TK_OS_NONE, 0,
				     "cannot allocate the device state");
	st = devnode_open(ctx, name, (opts->flags & TK_OPEN_NONBLOCK) ? O_NONBLOCK : 0, &fd, err);
	if (st != TK_OK)
		goto out_free;

	uint16_t flags = mode_flag(opts->mode);
	if (!(opts->flags & TK_OPEN_PI))
		flags |= IFF_NO_PI;
	if (opts->flags & TK_OPEN_MULTI_QUEUE)
		flags |= IFF_MULTI_QUEUE;
	if (opts->flags & TK_OPEN_VNET_HDR)
		flags |= IFF_VNET_HDR;
	memset(&ifr, 0, sizeof(ifr));
	tk__strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	ifr.ifr_flags = (short)flags;
	st = set_iff(ctx, fd, &ifr, TK__ERRMAP_TUNSETIFF, err);
	if (st != TK_OK)
		goto out_close;
	if (flags & IFF_VNET_HDR) {
		int hdr = TK_VNET_HDR_LEN;
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) != 0) {
			st = tun_ioctl_fail(ctx, ifr.ifr_name, "TUNSETVNETHDRSZ", errno, 0, err);
			goto out_close;
		}
	}
	/* made on first use (wake_get): `tapkit open` under `ulimit -n 4` needs one descriptor */
	os->wake_fd = -1;
	os->fd = fd;
	os->ifflags = flags;
	os->hdr_len = 0;
	if (!(flags & IFF_NO_PI))
		os->hdr_len += TK__PI_LEN;
	if (flags & IFF_VNET_HDR)
		os->hdr_len += TK_VNET_HDR_LEN;
	tk__strlcpy(dev->name, ifr.ifr_name, sizeof(dev->name));
	dev->os = os;
	tk__log(ctx, TK_LOG_DEBUG, SUB, NULL, 0, "attached fd %d to %s (flags 0x%04x)", fd,
		dev->name, (unsigned)flags);
	return TK_OK;

out_close:
	close(fd);
out_free:
	free(os);
	return st;
}

void tk__backend_dev_close(tk_dev *dev)
{
	if (!dev->os)
		return;
	if (dev->os->fd >= 0)
		close(dev->os->fd);
	if (dev->os->wake_fd >= 0)
		close(dev->os->wake_fd);
	tk__log(dev->ctx, TK_LOG_DEBUG, SUB, NULL, 0, "closed %s", dev->name);
	free(dev->os);
	dev->os = NULL;
}

tk_os_handle tk__backend_dev_handle(const tk_dev *dev)
{
	return dev->os ? dev->os->fd : TK_OS_HANDLE_INVALID;
}

/* ---- frame I/O: no logging on the good path, and none for "would block" ---- */

/*
 * "Would block" is the non-blocking frame path's common answer (an event loop meets it once per
 * wake-up), so it is filled from constants: no formatting, no strerror, no trace id (nothing is
 * logged for it). The full mapping (errmap.c) cost 0.7 us per call, a tenth of a TAP round trip.
 */
static tk_status would_block(const tk_dev *dev, enum tk__errmap_op op, tk_error *err)
{
	err->status = TK_E_AGAIN;
	err->os_kind = TK_OS_ERRNO;
	err->os_code = EAGAIN;
	err->transient = true;
	tk__strlcpy(err->op, op == TK__ERRMAP_WRITE ? "write" : "read", sizeof(err->op));
	tk__strlcpy(err->object, dev->name, sizeof(err->object));
	tk__strlcpy(err->message, tk_status_message(TK_E_AGAIN), sizeof(err->message));
	tk__strlcpy(err->remedy, tk_status_remedy(TK_E_AGAIN), sizeof(err->remedy));
	tk__strlcpy(err->os_text, "EAGAIN", sizeof(err->os_text));
	err->trace_id[0] = '\0';
	err->holder_pid = 0;
	err->holder_name[0] = '\0';
	return TK_E_AGAIN;
}

static tk_status io_fail(tk_dev *dev, enum tk__errmap_op op, int e, size_t len, tk_error *err)
{
	if ((e == EAGAIN || e == EWOULDBLOCK) && op != TK__ERRMAP_POLL)
		return would_block(dev, op, err);
	struct tk__errmap_facts f;
	tk__errmap_facts_init(&f, dev->name);
	f.len = len;
	f.hdr_len = dev->os->hdr_len;
	tk_status st = tk__errmap_fill(err, op, e, &f);
	if (st != TK_E_AGAIN && st != TK_E_INTERRUPTED)
		tk__error_log(dev->ctx, err);
	return st;
}

tk_status tk__backend_dev_read(tk_dev *dev, void *buf, size_t cap, size_t *len, tk_error *err)
{
	size_t need = dev->os->hdr_len + TK__ETH_HLEN;
	if (cap < need) {
		tk_status st = tk__error_set_quiet(
			err, TK_E_BAD_ARGUMENT, "read", dev->name, TK_OS_NONE, 0,
			"a buffer of %zu bytes is too small: the kernel would cut frames silently",
			cap);
		tk__error_remedy(
			err, "read into a buffer of TK_FRAME_BUF_MAX bytes (at least MTU + %zu)",
			need);
		tk__error_log(dev->ctx, err);
		return st;
	}
	ssize_t n = read(dev->os->fd, buf, cap);
	if (n < 0)
		return io_fail(dev, TK__ERRMAP_READ, errno, cap, err);
	*len = (size_t)n;
	return TK_OK;
}

tk_status tk__backend_dev_write(tk_dev *dev, const void *frame, size_t len, tk_error *err)
{
	ssize_t n = write(dev->os->fd, frame, len);
	if (n < 0)
		return io_fail(dev, TK__ERRMAP_WRITE, errno, len, err);
	if ((size_t)n != len)
		return tk__error_set(dev->ctx, err, TK_E_IO, "write", dev->name, TK_OS_NONE, 0,
				     "the kernel took %zd of %zu bytes", n, len);
	return TK_OK;
}

/*
 * The wake eventfd, made by whichever comes first, a wait or a wake (from any thread: the
 * loser of the race closes its own). A wake before the first wait is kept in the counter, so
 * that wait returns at once, as it would had the eventfd existed from the open. Returns the
 * descriptor, or -errno when none can be made (EMFILE under a tight `ulimit -n`).
 */
static int wake_get(tk_dev *dev)
{
	int fd = __atomic_load_n(&dev->os->wake_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	int made = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (made < 0)
		return -errno;
	int expected = -1;
	if (__atomic_compare_exchange_n(&dev->os->wake_fd, &expected, made, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return made;
	close(made);
	return expected;
}

#define WAKE_SLICE_MS 100

/*
 * poll(2) on the device and, where there is one, the wake eventfd. Without a descriptor for the
 * eventfd (out of descriptors) a wait still works: the device is polled alone in slices of
 * WAKE_SLICE_MS, and a wake that makes the eventfd meanwhile is seen at the next slice.
 */
static int wait_poll(tk_dev *dev, struct pollfd fds[2], int timeout_ms)
{
	int left = timeout_ms;
	for (;;) {
		int wake_fd = wake_get(dev);
		if (wake_fd >= 0) {
			fds[1].fd = wake_fd;
			return poll(fds, 2, left);
		}
		fds[1].fd = -1; /* poll ignores a negative fd */
		int slice = (left < 0 || left > WAKE_SLICE_MS) ? WAKE_SLICE_MS : left;
		int r = poll(fds, 1, slice);
		if (r != 0 || left == slice)
			return r;
		if (left > 0)
			left -= slice;
	}
}

tk_status tk__backend_dev_wait(tk_dev *dev, int timeout_ms, tk_error *err)
{
	struct pollfd fds[2] = { { .fd = dev->os->fd, .events = POLLIN },
				 { .fd = -1, .events = POLLIN } };
	int r = wait_poll(dev, fds, timeout_ms < 0 ? -1 : timeout_ms);
	if (r < 0)
		return io_fail(dev, TK__ERRMAP_POLL, errno, 0, err);
	if (r == 0)
		return tk__error_set_quiet(err, TK_E_TIMEOUT, "poll", dev->name, TK_OS_NONE, 0,
					   "no frame within %d ms", timeout_ms);
	if (fds[1].revents & POLLIN) {
		uint64_t n;
		if (read(fds[1].fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return io_fail(dev, TK__ERRMAP_POLL, errno, 0, err);
		return tk__error_set_quiet(err, TK_E_INTERRUPTED, "poll", dev->name, TK_OS_NONE, 0,
					   "woken by tk_dev_wake");
	}
	struct pollfd pfd = fds[0];
	/* a deleted device gives POLLERR (drivers/net/tun.c tun_chr_poll) */
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
		/*
		 * tun_chr_poll reports POLLERR only when the fd lost its device; a zero-length
		 * read then fails at once with the kernel's own errno (EBADFD) and consumes nothing.
		 */
		char c;
		if (read(dev->os->fd, &c, 0) < 0 && errno != EAGAIN && errno != EINTR)
			return io_fail(dev, TK__ERRMAP_POLL, errno, 0, err);
		struct tk__errmap_facts f;
		tk__errmap_facts_init(&f, dev->name);
		tk_status st = tk__errmap_fill(err, TK__ERRMAP_POLL, EBADFD, &f);
		/* poll itself succeeded: the evidence is the event, not an errno */
		err->os_kind = TK_OS_NONE;
		err->os_code = 0;
		tk__error_os_text(err, (pfd.revents & POLLERR) ? "POLLERR" : "POLLHUP");
		tk__error_log(dev->ctx, err);
		return st;
	}
	return TK_OK;
}

/* ---- ioctls on an open adapter ---- */

tk_status tk__backend_dev_set_nonblocking(tk_dev *dev, bool on, tk_error *err)
{
	int fl = fcntl(dev->os->fd, F_GETFL);
	if (fl < 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "fcntl", errno, 0, err);
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	if (fcntl(dev->os->fd, F_SETFL, fl) < 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "fcntl", errno, 0, err);
	return TK_OK;
}

tk_status tk__backend_dev_set_offload(tk_dev *dev, uint32_t offloads, tk_error *err)
{
	if (!(dev->os->ifflags & IFF_VNET_HDR)) {
		tk_status st = tk__error_set(
			dev->ctx, err, TK_E_BAD_ARGUMENT, "TUNSETOFFLOAD", dev->name, TK_OS_NONE, 0,
			"offloads need the virtio-net header: %s was opened without it", dev->name);
		tk__error_remedy(err, "open the adapter with TK_OPEN_VNET_HDR");
		return st;
	}
	tk__log(dev->ctx, TK_LOG_DEBUG, SUB, NULL, 0, "TUNSETOFFLOAD name=%s offloads=0x%02x",
		dev->name, offloads);
	if (ioctl(dev->os->fd, TUNSETOFFLOAD, (unsigned long)offloads) != 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "TUNSETOFFLOAD", errno, offloads, err);
	return TK_OK;
}

tk_status tk__backend_dev_set_carrier(tk_dev *dev, bool on, tk_error *err)
{
	int v = on ? 1 : 0;
	tk__log(dev->ctx, TK_LOG_DEBUG, SUB, NULL, 0, "TUNSETCARRIER name=%s %d", dev->name, v);
	if (ioctl(dev->os->fd, TUNSETCARRIER, &v) != 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "TUNSETCARRIER", errno, 0, err);
	return TK_OK;
}

tk_status tk__backend_dev_set_queue_enabled(tk_dev *dev, bool on, tk_error *err)
{
	struct ifreq ifr;
	if (!(dev->os->ifflags & IFF_MULTI_QUEUE)) {
		tk_status st = tk__error_set(dev->ctx, err, TK_E_BAD_ARGUMENT, "TUNSETQUEUE",
					     dev->name, TK_OS_NONE, 0,
					     "%s was not opened multi-queue: it has no queue to %s",
					     dev->name, on ? "enable" : "disable");
		tk__error_remedy(err, "open a multi-queue adapter with TK_OPEN_MULTI_QUEUE");
		return st;
	}
	memset(&ifr, 0, sizeof(ifr));
	uint16_t flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	ifr.ifr_flags = (short)flags;
	tk__log(dev->ctx, TK_LOG_DEBUG, SUB, NULL, 0, "TUNSETQUEUE name=%s %s", dev->name,
		on ? "attach" : "detach");
	if (ioctl(dev->os->fd, TUNSETQUEUE, &ifr) != 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "TUNSETQUEUE", errno, flags, err);
	return TK_OK;
}

tk_status tk__backend_dev_set_persist(tk_dev *dev, bool on, tk_error *err)
{
	tk__log(dev->ctx, TK_LOG_DEBUG, SUB, NULL, 0, "TUNSETPERSIST name=%s %d", dev->name, on);
	if (ioctl(dev->os->fd, TUNSETPERSIST, on ? 1UL : 0UL) != 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "TUNSETPERSIST", errno, 0, err);
	return TK_OK;
}

tk_status tk__backend_dev_wake(tk_dev *dev, tk_error *err)
{
	uint64_t one = 1;
	int wake_fd = wake_get(dev);
	if (wake_fd < 0)
		return tun_ioctl_fail(dev->ctx, dev->name, "eventfd", -wake_fd, 0, err);
	/* EAGAIN: the counter is full, so a wake is pending already */
	if (write(wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return tk__error_set_quiet(err, TK_E_IO, "wake", dev->name, TK_OS_ERRNO, errno,
					   "cannot write the wake eventfd");
	return TK_OK;
}
