/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink through libmnl: listing TUN/TAP adapters (RTM_GETLINK dumps keep IFLA_INFO_KIND
 * "tun", whose IFLA_INFO_DATA holds IFLA_TUN_*, kernel 4.17+), addresses, and the setters
 * (up/down, MTU, MAC, bridge master, addresses, delete). Every request asks for an ack with
 * NETLINK_EXT_ACK so the kernel's own explanation ("mtu greater than device maximum") reaches
 * err->os_text. Every setter first checks that the name is a TUN/TAP adapter: tapkit must never
 * reconfigure or delete eth0.
 */
#include "linux_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* <linux/if.h> has these but clashes with <net/if.h>; values are ABI */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
enum { OPER_NOTPRESENT = 1, OPER_DOWN, OPER_LOWERLAYERDOWN, OPER_TESTING, OPER_DORMANT, OPER_UP };

#define NL_RECV_BUF	 32768
#define NL_REQ_BUF	 1024 /* our requests hold a few attributes */
#define NL_TIMEOUT_S	 5    /* the kernel always answers; this only bounds a wedged socket */
#define NL_DUMP_ATTEMPTS 3    /* a dump interrupted by a concurrent change is restarted */

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char extack[TK_ERROR_OS_TEXT_MAX];
};

/* What one request's callbacks share. */
struct talk {
	struct nl *nl;
	mnl_cb_t cb;
	void *user;
	int error; /* positive errno from an NLMSG_ERROR */
};

static int nl_open(struct nl *nl)
{
	int one = 1;
	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return -e;
	}
	/* Both are best effort: without them errors still arrive, only without the text. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	(void)setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct talk *t = data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		tk__strlcpy(t->nl->extack, mnl_attr_get_str(attr), sizeof(t->nl->extack));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ack (error 0) ends the request; otherwise keep the errno and the extack. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->error = EBADMSG;
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	t->error = -e->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		size_t plen = mnl_nlmsg_get_payload_len(nlh);
		if (off < plen)
			(void)mnl_attr_parse_payload((const char *)e + off, plen - off,
						     extack_attr_cb, t);
	}
	errno = t->error;
	return MNL_CB_ERROR;
}

/*
 * NLMSG_DONE ends a dump. With NETLINK_EXT_ACK it may carry an errno (a dump that failed
 * part-way). libmnl skips its own defaults once a control array is given, so this is needed.
 */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		const int *e = mnl_nlmsg_get_payload(nlh);
		if (*e < 0) {
			t->error = -*e;
			errno = t->error;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	return t->cb ? t->cb(nlh, t->user) : MNL_CB_OK;
}

/*
 * Sends one request and runs cb on each answer until the ack or NLMSG_DONE. Returns 0 or
 * -errno; nl->extack holds the kernel's text, if any. A dump the kernel marks interrupted
 * (NLM_F_DUMP_INTR: the list changed under it) gives -EINTR.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *user)
{
	/* not const: libmnl 1.0.4 takes a non-const array; never written */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb };
	char *buf = malloc(NL_RECV_BUF);
	struct talk t = { .nl = nl, .cb = cb, .user = user };
	int ret;

	if (!buf)
		return -ENOMEM;
	nl->extack[0] = '\0';
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, NL_RECV_BUF);
		if (n < 0) {
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		ret = mnl_cb_run2(buf, (size_t)n, nlh->nlmsg_seq, nl->portid, data_cb, &t, ctl,
				  NLMSG_MIN_TYPE);
		if (ret < 0) {
			ret = t.error ? -t.error : -errno;
			break;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			break;
		}
	}
out:
	free(buf);
	return ret;
}

static void set_os_text(tk_error *err, int errnum)
{
	char text[TK_ERROR_OS_TEXT_MAX];
	tk__errmap_os_text(errnum, text, sizeof(text));
	tk__error_os_text(err, text);
}

/* ---- links ---- */

static int attr_cb(const struct nlattr *attr, void *data, int max)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type > max)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_cb(attr, data, IFLA_MAX);
}

static int info_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_cb(attr, data, IFLA_INFO_MAX);
}

static int tun_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_cb(attr, data, IFLA_TUN_MAX);
}

static bool attr_u8(const struct nlattr *a, uint8_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return false;
	*out = mnl_attr_get_u8(a);
	return true;
}

static bool attr_u32(const struct nlattr *a, uint32_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*out = mnl_attr_get_u32(a);
	return true;
}

static void parse_tun(const struct nlattr *data, struct tk__netlink_link *l)
{
	const struct nlattr *tb[IFLA_TUN_MAX + 1] = { 0 };
	uint8_t v8;
	uint32_t v32;
	if (mnl_attr_parse_nested(data, tun_attr_cb, tb) < 0)
		return;
	if (attr_u8(tb[IFLA_TUN_TYPE], &v8))
		l->tun_type = v8;
	if (attr_u8(tb[IFLA_TUN_PI], &v8))
		l->pi = v8;
	if (attr_u8(tb[IFLA_TUN_VNET_HDR], &v8))
		l->vnet_hdr = v8;
	if (attr_u8(tb[IFLA_TUN_PERSIST], &v8))
		l->persist = v8;
	if (attr_u8(tb[IFLA_TUN_MULTI_QUEUE], &v8))
		l->multi_queue = v8;
	if (attr_u32(tb[IFLA_TUN_OWNER], &v32))
		l->owner = v32;
	if (attr_u32(tb[IFLA_TUN_GROUP], &v32))
		l->group = v32;
	if (attr_u32(tb[IFLA_TUN_NUM_QUEUES], &v32))
		l->num_queues = v32;
	if (attr_u32(tb[IFLA_TUN_NUM_DISABLED_QUEUES], &v32))
		l->num_disabled_queues = v32;
}

static void parse_linkinfo(const struct nlattr *linkinfo, struct tk__netlink_link *l)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = { 0 };
	if (mnl_attr_parse_nested(linkinfo, info_attr_cb, tb) < 0)
		return;
	if (!tb[IFLA_INFO_KIND] || mnl_attr_validate(tb[IFLA_INFO_KIND], MNL_TYPE_STRING) < 0)
		return;
	const char *kind = mnl_attr_get_str(tb[IFLA_INFO_KIND]);
	size_t klen = mnl_attr_get_payload_len(tb[IFLA_INFO_KIND]);
	/* "tun" for both TUN and TAP; the attribute may or may not carry the NUL */
	if (!((klen == 3 || klen == 4) && strncmp(kind, "tun", 3) == 0))
		return;
	l->is_tun = true;
	if (tb[IFLA_INFO_DATA])
		parse_tun(tb[IFLA_INFO_DATA], l);
}

/* IFLA_CARRIER when the kernel sent it, else the LOWER_UP flag. */
static bool link_carrier(const struct tk__netlink_link *l)
{
	return l->carrier > 0 || (l->carrier < 0 && (l->ifi_flags & IFF_LOWER_UP));
}

static int parse_link(const struct nlmsghdr *nlh, struct tk__netlink_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	uint8_t v8;

	memset(l, 0, sizeof(*l));
	l->owner = -1;
	l->group = -1;
	l->carrier = -1;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -1;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0)
		return -1;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->ifi_flags = ifi->ifi_flags;
	l->ifi_type = ifi->ifi_type;
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		tk__strlcpy(l->name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(l->name));
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == TK_MAC_LEN) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), TK_MAC_LEN);
		l->has_mac = true;
	}
	(void)attr_u32(tb[IFLA_MTU], &l->mtu);
	if (attr_u8(tb[IFLA_CARRIER], &v8))
		l->carrier = v8;
	(void)attr_u8(tb[IFLA_OPERSTATE], &l->operstate);
	(void)attr_u32(tb[IFLA_MASTER], &l->master);
	if (tb[IFLA_LINKINFO])
		parse_linkinfo(tb[IFLA_LINKINFO], l);
	/*
	 * The kernel reports the attached queues of a multi-queue adapter only (tun_fill_info);
	 * a single-queue one has its carrier on exactly while a process holds it (tun_attach
	 * turns it on, the last detach off), so that is its count.
	 */
	if (l->is_tun && !l->multi_queue)
		l->num_queues = link_carrier(l);
	return 0;
}

struct link_vec {
	struct tk__netlink_link *v;
	size_t n, cap;
	bool nomem;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_vec *lv = data;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? lv->cap * 2 : 16;
		struct tk__netlink_link *v = realloc(lv->v, cap * sizeof(*v));
		if (!v) {
			lv->nomem = true;
			return MNL_CB_OK; /* drain the dump, then fail */
		}
		lv->v = v;
		lv->cap = cap;
	}
	if (parse_link(nlh, &lv->v[lv->n]) == 0)
		lv->n++;
	return MNL_CB_OK;
}

static int cmp_link(const void *a, const void *b)
{
	const struct tk__netlink_link *x = a, *y = b;
	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* A netlink failure of the plumbing (socket, dump): logged, with errmap's wording. */
static tk_status nl_fail(tk_ctx *ctx, tk_error *err, enum tk__errmap_op op, int errnum,
			 const struct tk__errmap_facts *f, const struct nl *nl)
{
	struct tk__errmap_facts g = *f;
	if (nl && nl->extack[0])
		g.extack = nl->extack;
	g.caller_uid = (uint32_t)geteuid();
	tk_status st = tk__errmap_fill(err, op, errnum, &g);
	tk__error_log(ctx, err);
	return st;
}

/*
 * Runs one RTM_GET* dump of the given type to its end: cb collects each message into data, and
 * *n / *nomem are the collector's count and out-of-memory flag, reset before every attempt
 * because a dump interrupted by a concurrent change is restarted from the start. The family
 * header (hdr_len bytes) comes zeroed: family AF_UNSPEC, every link or address. On failure err
 * is filled and logged with f's wording; the caller frees what cb collected.
 */
static tk_status nl_dump(tk_ctx *ctx, const struct tk__errmap_facts *f, uint16_t type,
			 size_t hdr_len, mnl_cb_t cb, void *data, size_t *n, bool *nomem,
			 tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF];
	struct nl nl;
	int r = nl_open(&nl);
	if (r < 0)
		return nl_fail(ctx, err, TK__ERRMAP_NETLINK, -r, f, NULL);
	for (int attempt = 0; attempt < NL_DUMP_ATTEMPTS; attempt++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
		nlh->nlmsg_type = type;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		mnl_nlmsg_put_extra_header(nlh, hdr_len);
		*n = 0;
		*nomem = false;
		r = nl_talk(&nl, nlh, cb, data);
		if (r != -EINTR)
			break;
		tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0,
			"%s dump interrupted by a change, restarting", f->op);
	}
	if (r == 0 && *nomem)
		r = -ENOMEM;
	tk_status st = TK_OK;
	if (r < 0)
		st = nl_fail(ctx, err, TK__ERRMAP_NETLINK, -r, f, &nl);
	nl_close(&nl);
	return st;
}

tk_status tk__netlink_link_dump(tk_ctx *ctx, struct tk__netlink_link **out, size_t *count,
				tk_error *err)
{
	struct tk__errmap_facts f;
	struct link_vec lv = { 0 };

	tk__errmap_facts_init(&f, "links");
	f.op = "RTM_GETLINK";
	tk_status st = nl_dump(ctx, &f, RTM_GETLINK, sizeof(struct ifinfomsg), link_dump_cb, &lv,
			       &lv.n, &lv.nomem, err);
	if (st != TK_OK) {
		free(lv.v);
		return st;
	}
	if (lv.n)
		qsort(lv.v, lv.n, sizeof(*lv.v), cmp_link);
	*out = lv.v;
	*count = lv.n;
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "RTM_GETLINK dump: %zu links", lv.n);
	return TK_OK;
}

struct link_one {
	struct tk__netlink_link *l;
	bool found;
};

static int link_one_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_one *lo = data;
	if (nlh->nlmsg_type == RTM_NEWLINK && parse_link(nlh, lo->l) == 0)
		lo->found = true;
	return MNL_CB_OK;
}

/* RTM_GETLINK for one link by name (ifindex 0) or by ifindex; 0 or -errno (-ENODEV: absent). */
static int link_query(struct nl *nl, const char *name, uint32_t ifindex,
		      struct tk__netlink_link *out)
{
	memset(out, 0, sizeof(*out));
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF];
	struct link_one lo = { .l = out };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	/* the ack after the answer is what ends the exchange for a non-dump request */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (!ifindex)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	int r = nl_talk(nl, nlh, link_one_cb, &lo);
	if (r == 0 && !lo.found)
		r = -ENODEV;
	return r;
}

tk_status tk__netlink_link_get(tk_ctx *ctx, const char *name, struct tk__netlink_link *out,
			       tk_error *err)
{
	struct tk__errmap_facts f;
	struct nl nl;
	memset(out, 0, sizeof(*out));
	tk__errmap_facts_init(&f, name);
	f.op = "RTM_GETLINK";
	int r = nl_open(&nl);
	if (r < 0)
		return nl_fail(ctx, err, TK__ERRMAP_NETLINK, -r, &f, NULL);
	r = link_query(&nl, name, 0, out);
	if (r == -ENODEV) {
		nl_close(&nl);
		tk_status st = tk__error_set_quiet(err, TK_E_ADAPTER_NOT_FOUND, "RTM_GETLINK", name,
						   TK_OS_NETLINK, ENODEV,
						   "no adapter named %s exists", name);
		set_os_text(err, ENODEV);
		tk__error_remedy(
			err,
			"`tapkit list` shows the TUN/TAP adapters; `tapkit create %s` makes one",
			name);
		return st;
	}
	if (r < 0) {
		tk_status st = nl_fail(ctx, err, TK__ERRMAP_NETLINK, -r, &f, &nl);
		nl_close(&nl);
		return st;
	}
	nl_close(&nl);
	return TK_OK;
}

tk_status tk__netlink_tap_get(tk_ctx *ctx, const char *name, struct tk__netlink_link *out,
			      tk_error *err)
{
	tk_status st = tk__netlink_link_get(ctx, name, out, err);
	if (st != TK_OK)
		return st;
	if (!out->is_tun) {
		st = tk__error_set_quiet(
			err, TK_E_NOT_TAP, "RTM_GETLINK", name, TK_OS_NONE, 0,
			"%s is not a TUN/TAP adapter: tapkit only manages TUN/TAP adapters", name);
		tk__error_remedy(
			err,
			"use `ip link` for other interfaces; `tapkit list` shows the TUN/TAP adapters");
		return st;
	}
	return TK_OK;
}

/* ---- addresses ---- */

struct addr_vec {
	uint32_t ifindex;
	struct tk__netlink_addr *v;
	size_t n, cap;
	bool nomem;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_cb(attr, data, IFA_MAX);
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_vec *av = data;
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	if (av->ifindex && ifa->ifa_index != av->ifindex)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return MNL_CB_OK;
	/* IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS the peer on p2p links) */
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return MNL_CB_OK;
	if (av->n == av->cap) {
		size_t cap = av->cap ? av->cap * 2 : 16;
		struct tk__netlink_addr *v = realloc(av->v, cap * sizeof(*v));
		if (!v) {
			av->nomem = true;
			return MNL_CB_OK;
		}
		av->v = v;
		av->cap = cap;
	}
	struct tk__netlink_addr *e = &av->v[av->n++];
	memset(e, 0, sizeof(*e));
	e->ifindex = ifa->ifa_index;
	e->addr.family = ifa->ifa_family == AF_INET ? 4 : 6;
	e->addr.prefix = ifa->ifa_prefixlen;
	memcpy(e->addr.bytes, mnl_attr_get_payload(a), alen);
	return MNL_CB_OK;
}

tk_status tk__netlink_addr_dump(tk_ctx *ctx, uint32_t ifindex, struct tk__netlink_addr **out,
				size_t *count, tk_error *err)
{
	struct tk__errmap_facts f;
	struct addr_vec av = { .ifindex = ifindex };

	tk__errmap_facts_init(&f, "addresses");
	f.op = "RTM_GETADDR";
	tk_status st = nl_dump(ctx, &f, RTM_GETADDR, sizeof(struct ifaddrmsg), addr_dump_cb, &av,
			       &av.n, &av.nomem, err);
	if (st != TK_OK) {
		free(av.v);
		return st;
	}
	*out = av.v;
	*count = av.n;
	return TK_OK;
}

/* ---- adapter info ---- */

const char *tk__netlink_operstate_name(uint8_t operstate)
{
	switch (operstate) {
	case OPER_NOTPRESENT:
		return "notpresent";
	case OPER_DOWN:
		return "down";
	case OPER_LOWERLAYERDOWN:
		return "lowerlayerdown";
	case OPER_TESTING:
		return "testing";
	case OPER_DORMANT:
		return "dormant";
	case OPER_UP:
		return "up";
	default:
		return "unknown";
	}
}

void tk__netlink_info_from_link(const struct tk__netlink_link *l, tk_adapter_info *out)
{
	memset(out, 0, sizeof(*out));
	tk__strlcpy(out->name, l->name, sizeof(out->name));
	tk__snprintf(out->id, sizeof(out->id), "%u", l->ifindex);
	out->ifindex = l->ifindex;
	out->mode = l->tun_type == IFF_TUN ? TK_MODE_TUN : TK_MODE_TAP;
	if (l->ifi_flags & IFF_UP)
		out->flags |= TK_ADAPTER_UP;
	if (link_carrier(l))
		out->flags |= TK_ADAPTER_CARRIER;
	if (l->ifi_flags & IFF_RUNNING)
		out->flags |= TK_ADAPTER_RUNNING;
	if (l->persist)
		out->flags |= TK_ADAPTER_PERSIST;
	if (l->multi_queue)
		out->flags |= TK_ADAPTER_MULTI_QUEUE;
	if (l->vnet_hdr)
		out->flags |= TK_ADAPTER_VNET_HDR;
	if (l->pi)
		out->flags |= TK_ADAPTER_PI;
	if (l->has_mac)
		memcpy(out->mac, l->mac, TK_MAC_LEN);
	out->mtu = l->mtu;
	out->owner = l->owner;
	out->group = l->group;
	out->num_queues = l->num_queues;
	tk__strlcpy(out->operstate, tk__netlink_operstate_name(l->operstate),
		    sizeof(out->operstate));
	tk__strlcpy(out->driver, "tun", sizeof(out->driver));
}

static void info_add_addrs(tk_adapter_info *info, const struct tk__netlink_addr *a, size_t n)
{
	for (size_t i = 0; i < n && info->naddrs < TK_MAX_ADDRS; i++)
		if (a[i].ifindex == info->ifindex)
			info->addrs[info->naddrs++] = a[i].addr;
}

static void info_add_holders(tk_adapter_info *info, const struct tk__procfs_holder *h, size_t n)
{
	info->nholders = tk__procfs_filter(h, n, info->name, 0, info->holders, TK_MAX_HOLDERS);
}

tk_status tk__backend_adapter_list(tk_ctx *ctx, tk_adapter_info **out, size_t *count, tk_error *err)
{
	struct tk__netlink_link *links = NULL;
	struct tk__netlink_addr *addrs = NULL;
	struct tk__procfs_holder *holders = NULL;
	tk_adapter_info *list = NULL;
	size_t nlinks = 0, naddrs = 0, nholders = 0, ntun = 0;
	tk_status st;

	st = tk__netlink_link_dump(ctx, &links, &nlinks, err);
	if (st != TK_OK)
		return st;
	st = tk__netlink_addr_dump(ctx, 0, &addrs, &naddrs, err);
	if (st != TK_OK)
		goto out;
	if (tk__procfs_scan(&holders, &nholders) < 0)
		nholders = 0; /* out of memory for the holders only: list without them */
	for (size_t i = 0; i < nlinks; i++)
		ntun += links[i].is_tun;
	list = calloc(ntun ? ntun : 1, sizeof(*list));
	if (!list) {
		st = tk__error_set(ctx, err, TK_E_NO_MEMORY, "list adapters", "", TK_OS_NONE, 0,
				   "cannot allocate %zu adapter records", ntun);
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < nlinks; i++) {
		if (!links[i].is_tun)
			continue;
		tk_adapter_info *info = &list[k++];
		tk__netlink_info_from_link(&links[i], info);
		for (size_t j = 0; links[i].master && j < nlinks; j++)
			if (links[j].ifindex == links[i].master)
				tk__strlcpy(info->master, links[j].name, sizeof(info->master));
		info_add_addrs(info, addrs, naddrs);
		info_add_holders(info, holders, nholders);
	}
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "%zu TUN/TAP adapters of %zu links",
		ntun, nlinks);
	*out = list;
	*count = ntun;
	list = NULL;
out:
	free(list);
	free(holders);
	free(addrs);
	free(links);
	return st;
}

/* The full description of one TUN/TAP link. */
static tk_status describe(tk_ctx *ctx, const struct tk__netlink_link *l, tk_adapter_info *out,
			  tk_error *err)
{
	struct tk__netlink_addr *addrs = NULL;
	size_t naddrs = 0;
	tk_adapter_info info;

	tk__netlink_info_from_link(l, &info);
	if (l->master) {
		struct nl nl;
		struct tk__netlink_link m;
		if (nl_open(&nl) == 0) {
			if (link_query(&nl, NULL, l->master, &m) == 0)
				tk__strlcpy(info.master, m.name, sizeof(info.master));
			nl_close(&nl);
		}
	}
	tk_status st = tk__netlink_addr_dump(ctx, l->ifindex, &addrs, &naddrs, err);
	if (st != TK_OK)
		return st;
	info_add_addrs(&info, addrs, naddrs);
	free(addrs);
	info.nholders = tk__procfs_holders(l->name, 0, info.holders, TK_MAX_HOLDERS);
	*out = info;
	return TK_OK;
}

tk_status tk__backend_adapter_get(tk_ctx *ctx, const char *name, tk_adapter_info *out,
				  tk_error *err)
{
	struct tk__netlink_link l;
	tk_status st = tk__netlink_tap_get(ctx, name, &l, err);
	if (st != TK_OK) {
		tk__error_log(ctx, err);
		return st;
	}
	return describe(ctx, &l, out, err);
}

/* ---- changes ---- */

/* Looks name up as a TUN/TAP adapter for a change; failures are logged. */
static tk_status tap_for_change(tk_ctx *ctx, const char *name, struct tk__netlink_link *l,
				tk_error *err)
{
	tk_status st = tk__netlink_tap_get(ctx, name, l, err);
	if (st != TK_OK)
		tk__error_log(ctx, err);
	return st;
}

/* Sends one change request and maps its failure with the facts given. */
static tk_status change(tk_ctx *ctx, struct nlmsghdr *nlh, enum tk__errmap_op op,
			struct tk__errmap_facts *f, tk_error *err)
{
	struct nl nl;
	int r = nl_open(&nl);
	if (r < 0)
		return nl_fail(ctx, err, TK__ERRMAP_NETLINK, -r, f, NULL);
	r = nl_talk(&nl, nlh, NULL, NULL);
	tk_status st = TK_OK;
	if (r < 0)
		st = nl_fail(ctx, err, op, -r, f, &nl);
	nl_close(&nl);
	return st;
}

static struct nlmsghdr *link_msg(char *buf, uint32_t ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nlh;
}

tk_status tk__backend_adapter_delete(tk_ctx *ctx, const char *name, tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF];
	struct tk__netlink_link l;
	struct tk__errmap_facts f;
	tk_status st = tap_for_change(ctx, name, &l, err);
	if (st != TK_OK)
		return st;
	struct nlmsghdr *nlh = link_msg(req, l.ifindex);
	nlh->nlmsg_type = RTM_DELLINK;
	tk__errmap_facts_init(&f, name);
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "RTM_DELLINK name=%s ifindex=%u", name,
		l.ifindex);
	return change(ctx, nlh, TK__ERRMAP_LINK_DEL, &f, err);
}

tk_status tk__backend_adapter_set_up(tk_ctx *ctx, const char *name, bool up, tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF];
	struct tk__netlink_link l;
	struct tk__errmap_facts f;
	tk_status st = tap_for_change(ctx, name, &l, err);
	if (st != TK_OK)
		return st;
	struct nlmsghdr *nlh = link_msg(req, l.ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	tk__errmap_facts_init(&f, name);
	f.attr = TK__ATTR_UP;
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "RTM_NEWLINK name=%s %s", name,
		up ? "up" : "down");
	return change(ctx, nlh, TK__ERRMAP_LINK_SET, &f, err);
}

tk_status tk__backend_adapter_set_mtu(tk_ctx *ctx, const char *name, uint32_t mtu, tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF];
	struct tk__netlink_link l;
	struct tk__errmap_facts f;
	tk_status st = tap_for_change(ctx, name, &l, err);
	if (st != TK_OK)
		return st;
	struct nlmsghdr *nlh = link_msg(req, l.ifindex);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	tk__errmap_facts_init(&f, name);
	f.attr = TK__ATTR_MTU;
	f.mtu = mtu;
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "RTM_NEWLINK name=%s mtu=%u", name,
		mtu);
	return change(ctx, nlh, TK__ERRMAP_LINK_SET, &f, err);
}

tk_status tk__backend_adapter_set_mac(tk_ctx *ctx, const char *name, const uint8_t mac[TK_MAC_LEN],
				      tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF], text[24];
	struct tk__netlink_link l;
	struct tk__errmap_facts f;
	tk_status st = tap_for_change(ctx, name, &l, err);
	if (st != TK_OK)
		return st;
	tk__snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		     mac[3], mac[4], mac[5]);
	if (l.tun_type == IFF_TUN) {
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "RTM_NEWLINK", name, TK_OS_NONE, 0,
				   "%s is a TUN adapter: it has no MAC address", name);
		tk__error_remedy(err, "set a MAC only on TAP adapters");
		return st;
	}
	struct nlmsghdr *nlh = link_msg(req, l.ifindex);
	mnl_attr_put(nlh, IFLA_ADDRESS, TK_MAC_LEN, mac);
	tk__errmap_facts_init(&f, name);
	f.attr = TK__ATTR_MAC;
	f.mac_text = text;
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "RTM_NEWLINK name=%s address=%s", name,
		text);
	return change(ctx, nlh, TK__ERRMAP_LINK_SET, &f, err);
}

tk_status tk__backend_adapter_set_master(tk_ctx *ctx, const char *name, const char *master,
					 tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF];
	struct tk__netlink_link l, m;
	struct tk__errmap_facts f;
	tk_error probe = { 0 };
	uint32_t mindex = 0;
	tk_status st = tap_for_change(ctx, name, &l, err);
	if (st != TK_OK)
		return st;
	if (master) {
		st = tk__netlink_link_get(ctx, master, &m, &probe);
		if (st == TK_E_ADAPTER_NOT_FOUND) {
			st = tk__error_set(ctx, err, TK_E_ADAPTER_NOT_FOUND, "RTM_NEWLINK", master,
					   TK_OS_NETLINK, ENODEV,
					   "bridge %s does not exist (asked to attach %s to it)",
					   master, name);
			set_os_text(err, ENODEV);
			tk__error_remedy(err, "create it first: `ip link add %s type bridge`",
					 master);
			return st;
		}
		if (st != TK_OK) {
			*err = probe;
			return st;
		}
		mindex = m.ifindex;
	}
	struct nlmsghdr *nlh = link_msg(req, l.ifindex);
	mnl_attr_put_u32(nlh, IFLA_MASTER, mindex); /* 0 releases it from its bridge */
	tk__errmap_facts_init(&f, name);
	f.attr = TK__ATTR_MASTER;
	f.master = master;
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "RTM_NEWLINK name=%s master=%s(%u)",
		name, master ? master : "none", mindex);
	return change(ctx, nlh, TK__ERRMAP_LINK_SET, &f, err);
}

tk_status tk__backend_adapter_addr(tk_ctx *ctx, const char *name, const tk_ip_addr *addr, bool add,
				   tk_error *err)
{
	_Alignas(struct nlmsghdr) char req[NL_REQ_BUF], text[64];
	struct tk__netlink_link l;
	struct tk__errmap_facts f;
	tk_status st = tap_for_change(ctx, name, &l, err);
	if (st != TK_OK)
		return st;
	tk_ip_addr_format(addr, text, sizeof(text));

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = addr->family == 4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = addr->prefix;
	ifa->ifa_index = l.ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	if (addr->family == 4) {
		mnl_attr_put(nlh, IFA_LOCAL, 4, addr->bytes);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, addr->bytes);
	} else {
		mnl_attr_put(nlh, IFA_ADDRESS, 16, addr->bytes);
		/* skip duplicate address detection: usable at once, not "tentative" for ~1 s */
		if (add)
			mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	tk__errmap_facts_init(&f, name);
	f.add = add;
	f.addr_text = text;
	tk__log(ctx, TK_LOG_DEBUG, "linux.netlink", NULL, 0, "%s name=%s ifindex=%u addr=%s",
		add ? "RTM_NEWADDR" : "RTM_DELADDR", name, l.ifindex, text);
	return change(ctx, nlh, TK__ERRMAP_ADDR, &f, err);
}

tk_status tk__backend_adapter_holders(tk_ctx *ctx, const char *name, tk_holder *out, size_t cap,
				      size_t *count, tk_error *err)
{
	struct tk__netlink_link l;
	tk_status st = tk__netlink_tap_get(ctx, name, &l, err);
	if (st != TK_OK) {
		tk__error_log(ctx, err);
		return st;
	}
	*count = tk__procfs_holders(name, 0, out, cap);
	return TK_OK;
}
