/* SPDX-License-Identifier: MIT */
/*
 * Watch on Linux: an rtnetlink socket subscribed to RTNLGRP_LINK, reporting the appearance and
 * removal of TUN/TAP links (IFLA_INFO_KIND "tun"; other links are never reported, so a watch
 * cannot touch the host's own interfaces whatever its patterns say).
 */
#include "linux_internal.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* A kernel-sized receive buffer: a burst of link events must not overrun us needlessly. */
#define TK__WATCH_RCVBUF (1024 * 1024)

struct tk__watch_os {
	struct mnl_socket *nl;
	int fd;
};

static tk_status nl_fail(tk_ctx *ctx, tk_error *err, const char *op, int e)
{
	struct tk__errmap_facts f;
	tk__errmap_facts_init(&f, "rtnetlink");
	f.op = op;
	tk_status st = tk__errmap_fill(err, TK__ERRMAP_NETLINK, e, &f);
	tk__error_log(ctx, err);
	return st;
}

tk_status tk__backend_watch_open(tk_ctx *ctx, struct tk__watch_os **out, tk_error *err)
{
	tk_status st;
	struct tk__watch_os *os = calloc(1, sizeof(*os));
	if (!os)
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "watch", "", TK_OS_NONE, 0,
				     "cannot allocate the event socket state");
	os->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!os->nl) {
		st = nl_fail(ctx, err, "socket(NETLINK_ROUTE)", errno);
		goto out_free;
	}
	os->fd = mnl_socket_get_fd(os->nl);
	int rcvbuf = TK__WATCH_RCVBUF;
	/* Best effort: without it the default buffer is smaller, and an overrun is resynced. */
	(void)setsockopt(os->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(os->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		st = nl_fail(ctx, err, "bind(RTMGRP_LINK)", errno);
		goto out_close;
	}
	*out = os;
	return TK_OK;
out_close:
	mnl_socket_close(os->nl);
out_free:
	free(os);
	return st;
}

void tk__backend_watch_close(struct tk__watch_os *os)
{
	if (!os)
		return;
	mnl_socket_close(os->nl);
	free(os);
}

tk_os_handle tk__backend_watch_handle(const struct tk__watch_os *os)
{
	return os ? os->fd : TK_OS_HANDLE_INVALID;
}

struct parse {
	tk__link_event_fn *fn;
	void *user;
};

static int linkinfo_kind_cb(const struct nlattr *a, void *data)
{
	const char **kind = data;
	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
		*kind = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

struct link_attrs {
	const char *name;
	const char *kind;
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_attrs *la = data;
	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
			la->name = mnl_attr_get_str(a);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(a, linkinfo_kind_cb, &la->kind);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct parse *p = data;
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_attrs la = { 0 };
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &la);
	/*
	 * tun.c sets rtnl_link_ops (kind "tun") before register_netdevice, so even the first
	 * RTM_NEWLINK of a TAP made by TUNSETIFF carries the kind.
	 */
	if (!la.name || !la.kind || strcmp(la.kind, "tun") != 0 || ifi->ifi_index <= 0)
		return MNL_CB_OK;
	struct tk__link_event ev = { .name = la.name,
				     .ifindex = (uint32_t)ifi->ifi_index,
				     .removed = nlh->nlmsg_type == RTM_DELLINK };
	p->fn(p->user, &ev);
	return MNL_CB_OK;
}

tk_status tk__backend_watch_read(tk_ctx *ctx, struct tk__watch_os *os, int timeout_ms,
				 tk__link_event_fn *fn, void *user, bool *lost, tk_error *err)
{
	struct pollfd pfd = { .fd = os->fd, .events = POLLIN };
	int r = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	if (r < 0) {
		if (errno == EINTR)
			return tk__error_set_quiet(err, TK_E_INTERRUPTED, "watch", "", TK_OS_ERRNO,
						   EINTR, "a signal interrupted the wait");
		return nl_fail(ctx, err, "poll", errno);
	}
	if (r == 0)
		return tk__error_set_quiet(err, TK_E_TIMEOUT, "watch", "", TK_OS_NONE, 0,
					   "no link event within %d ms", timeout_ms);

	size_t bufsize = 32768; /* above MNL_SOCKET_BUFFER_SIZE: one recv takes a burst */
	char *buf = malloc(bufsize);
	if (!buf)
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "watch", "", TK_OS_NONE, 0,
				     "cannot allocate the receive buffer");
	struct parse p = { .fn = fn, .user = user };
	tk_status st = TK_OK;
	/* Drain what is queued now, bounded so a flood cannot keep us here forever. */
	for (int i = 0; i < 1024; i++) {
		ssize_t n = mnl_socket_recvfrom(os->nl, buf, bufsize);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* The kernel dropped events for us: the caller rescans. */
				*lost = true;
				continue;
			}
			st = nl_fail(ctx, err, "recvmsg(rtnetlink)", errno);
			break;
		}
		if (mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, &p) < 0 && errno != 0) {
			tk__log(ctx, TK_LOG_DEBUG, "linux.watch", NULL, 0,
				"skipping a malformed link event (errno %d)", errno);
		}
	}
	free(buf);
	return st;
}

tk_status tk__backend_watch_rename(tk_ctx *ctx, const char *name, const char *new_name,
				   tk_error *err)
{
	tk__error_set(ctx, err, TK_E_UNSUPPORTED, "rename adapter", name, TK_OS_NONE, 0,
		      "ConnectionName is a Windows setting (the connection's name)");
	tk__error_remedy(err,
			 "remove ConnectionName; on Linux name the adapter when it is created "
			 "(tapkit create %s)",
			 new_name);
	return TK_E_UNSUPPORTED;
}
