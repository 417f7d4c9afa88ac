/* SPDX-License-Identifier: MIT */
/*
 * The tunnel engine (tk_tunnel_* in tapkit.h): one epoll set over the TAP adapter, the UDP
 * socket, a reopen timer and a stop eventfd, driven by tk_tunnel_dispatch from the caller's
 * loop. It owns no process-wide state: signals, the control socket and privileges are the
 * program's (cli/tunnel/ for `tapkit tunnel run`). Frames read from the adapter go to the peer their destination MAC was learned
 * behind, or to every peer; datagrams from a peer are checked (VXLAN, seal), their source MAC
 * learned, and the frame written to the adapter (and, with Forward, switched on to other peers).
 *
 * Buffers are allocated once at start with headroom before the frame, so the VXLAN header is
 * written in place and nothing is allocated or copied per frame except by the cipher. The
 * adapter is reached through the public API only; when it vanishes it is reopened with the
 * retry policy under one trace id and reconfigured (MTU, addresses, up), while the peers stay.
 */
#include "tunnel_internal.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define SUB	  "tunnel"
#define HEADROOM  (TK__SEAL_HLEN + TK__VXLAN_HLEN) /* room to prepend headers to a frame */
#define BUF_SIZE  (65536 + HEADROOM + TK__SEAL_TAGLEN)
#define FRAME_CAP 65536u /* what one read from the adapter may bring */
#define GSO_BUF	  ((size_t)2 * BUF_SIZE)
#define BUDGET	  64 /* frames or datagrams per wake-up, so one side cannot starve others */
#define RETRY_NS  2000000000ull /* next attempt to reopen a vanished adapter */
#define SOCKBUF	  (4 * 1024 * 1024)
#define RX_BATCH  8	 /* datagrams (each up to 64 KiB with UDP GRO) per recvmmsg */
#define GSO_MAX	  64	 /* the kernel's UDP_MAX_SEGMENTS */
#define GSO_BYTES 65000u /* UDP payload of one GSO send: under the 64 KiB IP limit */
#define OFFLOADS  (TK_OFFLOAD_CSUM | TK_OFFLOAD_TSO4 | TK_OFFLOAD_TSO6 | TK_OFFLOAD_ECN)
#define TXB_N	  64	/* datagrams of small frames per sendmmsg */
#define TXB_SLOT  2048u /* one of them: an MTU 1500 frame, its headers and tag; larger go alone */

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

enum { EV_TAP = 1, EV_UDP, EV_STOP, EV_TIMER };

#define ICMP_LOG_NS 10000000000ull /* ICMP errors: at most one log line per peer per 10 s */

struct txb {
	struct mmsghdr m[TXB_N];
	struct iovec iov[TXB_N];
	struct tk__peer *peer[TXB_N];
	size_t frame_len[TXB_N];
	uint8_t *buf; /* TXB_N slots of TXB_SLOT bytes */
	unsigned n;
};

struct tk_tunnel {
	tk_ctx *ctx;
	struct tk__tunnel_conf conf;
	tk_dev *dev;
	char dev_name[TK_NAME_MAX];
	int epfd, udp;
	int evfd;   /* eventfd: tk_tunnel_stop writes it from any thread */
	int tfd;    /* timerfd: the next attempt to reopen a vanished adapter */
	int family; /* the UDP socket's */
	struct tk__peer *peers;
	size_t npeers;
	struct tk__mactable macs;
	uint64_t drops[TK__DROP__COUNT];
	uint8_t *tap_buf, *seal_buf, *open_buf, *seg_buf, *gso_buf;
	uint8_t *rx_bufs[RX_BATCH];
	struct sockaddr_storage rx_src[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	char rx_ctl[RX_BATCH][CMSG_SPACE(sizeof(int))];
	struct mmsghdr rx_msgs[RX_BATCH];
	struct tk__gro gro;
	struct txb txb;
	bool batching; /* frames from the adapter: small ones wait in txb until the wake-up ends */
	uint32_t frame_max;
	bool offload; /* the adapter does TSO/checksum offload: frames carry a vnet header */
	bool gso;     /* UDP GSO works on the socket (off after the kernel refused it once) */
	uint64_t batch_realtime; /* CLOCK_REALTIME when the current batch of datagrams came */
	atomic_bool stop;
	bool reopen_pending; /* the timer is armed for a reopen attempt */
	struct tk__log_limit icmp_log; /* ICMP errors about no known peer */
	uint64_t started, reopens, reloads, reload_failures;
	char listen_text[80];
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void logf_(struct tk_tunnel *t, tk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(struct tk_tunnel *t, tk_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	tk_log_field f[] = { { "adapter", t->conf.dev } };
	tk_log(t->ctx, level, SUB, f, 1, msg);
}

static void drop_n(struct tk_tunnel *t, struct tk__peer *p, enum tk__drop d, size_t n)
{
	t->drops[d] += n;
	if (p)
		p->st.drops[d] += n;
}

static void drop(struct tk_tunnel *t, struct tk__peer *p, enum tk__drop d)
{
	drop_n(t, p, d, 1);
}

/* ---- the adapter ---- */

/*
 * The MAC of an adapter the tunnel creates. The kernel would pick a random one at every
 * creation: after a restart or a recovery the peers' ARP caches still name the old one and
 * their frames die at our adapter until those entries expire (up to a minute; the peer cannot
 * tell). Like systemd's MACAddressPolicy=persistent, it is derived from what names this
 * adapter here instead: the machine id, the network namespace and the adapter's name.
 */
static void stable_mac(const char *dev, uint8_t mac[TK_MAC_LEN])
{
	static const char label[] = "tapkit tunnel adapter mac v1";
	crypto_generichash_state h;
	char id[64] = "";
	struct stat st;
	uint8_t out[16];

	FILE *f = fopen("/etc/machine-id", "re");
	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	uint64_t ns = stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	crypto_generichash_update(&h, (const uint8_t *)label, sizeof(label));
	crypto_generichash_update(&h, (const uint8_t *)id, strlen(id));
	crypto_generichash_update(&h, (const uint8_t *)&ns, sizeof(ns));
	crypto_generichash_update(&h, (const uint8_t *)dev, strlen(dev));
	crypto_generichash_final(&h, out, sizeof(out));
	memcpy(mac, out, TK_MAC_LEN);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

/*
 * MACAddress when configured; else, for an adapter we created (it is not persistent: it goes
 * with our handle), the stable one. An adapter someone else made keeps its own.
 */
static tk_status adapter_mac(struct tk_tunnel *t, const char *name, tk_error *err)
{
	uint8_t mac[TK_MAC_LEN];
	tk_adapter_info info;

	if (t->conf.has_mac) {
		memcpy(mac, t->conf.mac, TK_MAC_LEN);
	} else {
		tk_error e2 = { 0 };
		if (tk_adapter_get(t->ctx, name, &info, &e2) != TK_OK ||
		    (info.flags & TK_ADAPTER_PERSIST))
			return TK_OK;
		stable_mac(name, mac);
	}
	return tk_adapter_set_mac(t->ctx, name, mac, err);
}

static tk_status adapter_configure(struct tk_tunnel *t, const char *name, tk_error *err)
{
	tk_status st = tk_adapter_set_mtu(t->ctx, name, t->conf.mtu, err);
	if (st != TK_OK)
		return st;
	if ((st = adapter_mac(t, name, err)) != TK_OK)
		return st;
	for (size_t i = 0; i < t->conf.naddrs; i++) {
		tk_error e2 = { 0 };
		st = tk_adapter_addr_add(t->ctx, name, &t->conf.addrs[i], &e2);
		if (st != TK_OK && st != TK_E_EXISTS) {
			*err = e2;
			return st;
		}
	}
	return tk_adapter_set_up(t->ctx, name, true, err);
}

static tk_status adapter_open(void *user, tk_error *err)
{
	struct tk_tunnel *t = user;
	/* every frame carries a virtio-net header: with offloads, one read is a 64 KiB segment */
	tk_open_opts o = { .name = t->conf.dev,
			   .mode = TK_MODE_TAP,
			   .flags = TK_OPEN_NONBLOCK | TK_OPEN_VNET_HDR };
	tk_dev *dev = NULL;

	tk_status st = tk_dev_open(t->ctx, &o, &dev, err);
	if (st != TK_OK)
		return st;
	tk_error oe = { 0 };
	t->offload = tk_dev_set_offload(dev, OFFLOADS, &oe) == TK_OK;
	if (!t->offload)
		logf_(t, TK_LOG_WARN, "no TSO/checksum offload on %s (%s): frame by frame, slower",
		      tk_dev_name(dev), oe.message);
	st = adapter_configure(t, tk_dev_name(dev), err);
	if (st != TK_OK) {
		tk_dev_close(dev);
		return st;
	}
	t->dev = dev;
	tk__strlcpy(t->dev_name, tk_dev_name(dev), sizeof(t->dev_name));
	return TK_OK;
}

static tk_status adapter_start(struct tk_tunnel *t, tk_error *err)
{
	tk_status st = tk_retry_run(t->ctx, NULL, "open adapter", adapter_open, t, err);
	if (st != TK_OK)
		return st;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_TAP };
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, tk_dev_handle(t->dev), &ev) != 0) {
		tk_dev_close(t->dev);
		t->dev = NULL;
		return tk__error_set_quiet(err, TK_E_IO, "epoll_ctl", t->conf.dev, TK_OS_ERRNO,
					   errno, "cannot watch the adapter");
	}
	logf_(t, TK_LOG_INFO, "adapter %s open: mtu %u, %zu address(es), up", t->dev_name,
	      t->conf.mtu, t->conf.naddrs);
	return TK_OK;
}

static void adapter_close(struct tk_tunnel *t)
{
	if (!t->dev)
		return;
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, tk_dev_handle(t->dev), NULL);
	tk_dev_close(t->dev);
	t->dev = NULL;
	t->dev_name[0] = '\0';
}

/* Arms the reopen timer for ns from now (0: disarms); its fd wakes the loop. */
static void timer_arm(struct tk_tunnel *t, uint64_t ns)
{
	struct itimerspec its = { 0 };
	its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(ns % 1000000000ull);
	t->reopen_pending = ns != 0;
	(void)timerfd_settime(t->tfd, 0, &its, NULL); /* cannot fail with a valid fd and value */
}

/*
 * The adapter vanished (deleted, or its namespace went away): close our handle and open it again
 * (which creates it when it is gone), with the context's retry policy, all under one trace id
 * so the log shows the recovery as one story. When even that fails, try again later: the
 * peers and their state stay as they are meanwhile.
 */
static void adapter_recover(struct tk_tunnel *t, const tk_error *why)
{
	char trace[TK_TRACE_ID_MAX];
	tk_error err = { 0 };

	tk_trace_begin(t->ctx, NULL, trace, sizeof(trace));
	if (why)
		logf_(t, TK_LOG_WARN, "adapter %s lost (%s: %s): reopening", t->conf.dev,
		      tk_status_name(why->status), why->message);
	adapter_close(t);
	tk_status st = adapter_start(t, &err);
	if (st == TK_OK) {
		t->reopens++;
		timer_arm(t, 0);
		logf_(t, TK_LOG_INFO, "adapter %s recovered (reopen %llu)", t->conf.dev,
		      (unsigned long long)t->reopens);
	} else {
		timer_arm(t, RETRY_NS);
		logf_(t, TK_LOG_WARN, "cannot reopen adapter %s (%s: %s; fix: %s): next try in 2 s",
		      t->conf.dev, tk_status_name(st), err.message, err.remedy);
	}
	tk_trace_end(t->ctx);
}

/* ---- the UDP socket ---- */

static void sockopt(int fd, int level, int name, int value)
{
	/* best effort: a smaller buffer or no error queue costs speed or detail, not function */
	(void)setsockopt(fd, level, name, &value, sizeof(value));
}

static tk_status udp_bind_fail(const struct tk__tunnel_conf *c, const char *where, int e,
			       tk_error *err)
{
	tk_status st;
	if (e == EADDRINUSE) {
		st = tk__error_set_quiet(err, TK_E_ADAPTER_BUSY, "bind", where, TK_OS_ERRNO, e,
					 "UDP port %u is in use by another program", c->port);
		tk__error_remedy(
			err,
			"stop it (ss -ulpn 'sport = :%u' shows which), or choose another ListenPort",
			c->port);
	} else if (e == EACCES) {
		st = tk__error_set_quiet(err, TK_E_NO_PRIVILEGE, "bind", where, TK_OS_ERRNO, e,
					 "not allowed to use UDP port %u", c->port);
		tk__error_remedy(
			err,
			"ports below 1024 need root (CAP_NET_BIND_SERVICE): use a "
			"ListenPort of 1024 or more, or restart the tunnel as root without User");
	} else if (e == EADDRNOTAVAIL) {
		st = tk__error_set_quiet(err, TK_E_ADDRESS_INVALID, "bind", where, TK_OS_ERRNO, e,
					 "the listen address is not on this host");
		tk__error_remedy(err, "use an address of one of this host's interfaces, or none "
				      "(ListenPort only) to listen on all");
	} else {
		st = tk__error_set_quiet(err, TK_E_IO, "bind", where, TK_OS_ERRNO, e,
					 "cannot bind the UDP socket");
	}
	return st;
}

static tk_status udp_open(const struct tk__tunnel_conf *c, int *out_fd, int *out_family,
			  tk_error *err)
{
	struct sockaddr_storage ss = c->listen;
	socklen_t len = c->listen_len;
	int family = c->listen.ss_family;
	int fd;

	if (family == AF_UNSPEC) {
		/* any address: one dual-stack socket serves IPv4 and IPv6 peers alike */
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		memset(&ss, 0, sizeof(ss));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		s6->sin6_addr = in6addr_any;
		len = sizeof(*s6);
		family = AF_INET6;
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 && errno == EAFNOSUPPORT) {
			/* no IPv6 in this kernel: IPv4 only */
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			memset(&ss, 0, sizeof(ss));
			s4->sin_family = AF_INET;
			s4->sin_port = htons(c->port);
			len = sizeof(*s4);
			family = AF_INET;
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		} else if (fd >= 0) {
			sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
		}
	} else {
		fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	char where[80];
	tk__endpoint_format((const struct sockaddr *)&ss, where, sizeof(where));
	if (fd < 0)
		return tk__tunnel_os_error(err, "socket", where, errno,
					   "cannot create the UDP socket");
	sockopt(fd, SOL_SOCKET, SO_RCVBUF, SOCKBUF);
	sockopt(fd, SOL_SOCKET, SO_SNDBUF, SOCKBUF);
	/* a burst from one sender comes up as one buffer of equal datagrams (cmsg UDP_GRO) */
	sockopt(fd, IPPROTO_UDP, UDP_GRO, 1);
	/* ICMP errors (port unreachable) are queued and reported per destination */
	if (family == AF_INET6) {
		sockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
		sockopt(fd, IPPROTO_IP, IP_RECVERR, 1); /* the v4-mapped peers of a dual socket */
	} else {
		sockopt(fd, IPPROTO_IP, IP_RECVERR, 1);
		/* let the kernel fragment like its own vxlan does (df unset) rather than refuse */
		sockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		int e = errno;
		close(fd);
		return udp_bind_fail(c, where, e, err);
	}
	*out_fd = fd;
	*out_family = family;
	return TK_OK;
}

/* ---- peers ---- */

/* The endpoint in the socket's family: a v4 peer of a dual-stack socket becomes v4-mapped. */
static void peer_addr(int family, const struct sockaddr_storage *ep, struct sockaddr_storage *out,
		      socklen_t *len)
{
	*out = *ep;
	*len = ep->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (family == AF_INET6 && ep->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ep;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
		uint32_t a = s4->sin_addr.s_addr;
		uint16_t port = s4->sin_port;
		memset(out, 0, sizeof(*out));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &a, 4);
		*len = sizeof(*s6);
	}
}

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
		       bool with_port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!with_port || x->sin_port == y->sin_port);
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
	return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
	       (!with_port || x->sin6_port == y->sin6_port);
}

/*
 * The peer a datagram came from: the exact address and port first; failing that the address
 * alone, because a VXLAN sender may pick any source port (the kernel's vxlan hashes flows over
 * a port range, RFC 7348 section 5) so only the address identifies it.
 */
static struct tk__peer *peer_find(struct tk_tunnel *t, const struct sockaddr_storage *src,
				  uint32_t *index)
{
	for (size_t i = 0; i < t->npeers; i++) {
		if (addr_equal(&t->peers[i].addr, src, true)) {
			*index = (uint32_t)i;
			return &t->peers[i];
		}
	}
	for (size_t i = 0; i < t->npeers; i++) {
		if (addr_equal(&t->peers[i].addr, src, false)) {
			*index = (uint32_t)i;
			return &t->peers[i];
		}
	}
	return NULL;
}

static void peer_init(struct tk_tunnel *t, struct tk__peer *p, const struct tk__peer_conf *pc)
{
	memset(p, 0, sizeof(*p));
	p->conf = *pc;
	peer_addr(t->family, &pc->ep, &p->addr, &p->addr_len);
	if (t->conf.mode == TK__TUNNEL_SEALED) {
		/* checked by tk__tunnel_conf_finish: cannot fail here */
		(void)tk__seal_derive(t->conf.sk, t->conf.pk, pc->pk, p->tx.key, p->rx.key);
		tk__seal_session_new(&p->tx, clock_ns(CLOCK_REALTIME));
	}
}

/*
 * The peers hold their direction keys: the array has pages of its own, so locking it in memory
 * (privilege.c at start, reload_apply after a reload) and unlocking it when it is freed touch
 * nothing else (mlock is per page and not counted: unlocking a page shared with the private
 * key would unlock that too).
 */
static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (size_t)pg : 4096;
}

static size_t peers_bytes(size_t n)
{
	size_t page = page_size(), b = (n ? n : 1) * sizeof(struct tk__peer);
	return (b + page - 1) / page * page;
}

static struct tk__peer *peers_alloc(size_t n)
{
	struct tk__peer *p = aligned_alloc(page_size(), peers_bytes(n));
	if (p)
		memset(p, 0, peers_bytes(n));
	return p;
}

static void peers_free(struct tk__peer *peers, size_t n)
{
	if (!peers)
		return;
	(void)sodium_munlock(peers, peers_bytes(n)); /* wipes; unlocked memory is fine too */
	free(peers);
}

/* Builds the peers of conf; a peer of old (same endpoint and key) keeps its state. */
static struct tk__peer *peers_build(struct tk_tunnel *t, const struct tk__tunnel_conf *conf,
				    const struct tk__peer *old, size_t nold, bool same_mode)
{
	struct tk__peer *peers = peers_alloc(conf->npeers);
	if (!peers)
		return NULL;
	for (size_t i = 0; i < conf->npeers; i++) {
		const struct tk__peer_conf *pc = &conf->peers[i];
		const struct tk__peer *keep = NULL;
		for (size_t j = 0; same_mode && j < nold; j++) {
			if (addr_equal(&old[j].conf.ep, &pc->ep, true) &&
			    old[j].conf.has_key == pc->has_key &&
			    (!pc->has_key || memcmp(old[j].conf.pk, pc->pk, TK__KEY_LEN) == 0))
				keep = &old[j];
		}
		if (keep) {
			peers[i] = *keep;
			peers[i].conf = *pc; /* AllowedMACs may have changed */
		} else {
			peer_init(t, &peers[i], pc);
		}
	}
	return peers;
}

/* ---- sending ---- */

static bool send_error_is_queue(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
}

static void udp_send(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len, size_t seg,
		     size_t nsegs, size_t over);

/* ICMP errors about earlier datagrams that a send may report instead of its own result. */
static bool send_error_is_pending(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN;
}

/*
 * Whether an event may be logged now: at most one line per ICMP_LOG_NS for each limiter (per
 * peer and kind), the events in between counted and given back in *skipped with the next line.
 */
static bool log_due(struct tk__log_limit *l, uint64_t *skipped)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (l->last_ns && now - l->last_ns < ICMP_LOG_NS) {
		l->unlogged++;
		return false;
	}
	*skipped = l->unlogged;
	l->unlogged = 0;
	l->last_ns = now;
	return true;
}

/* nsegs datagrams to p were not sent (errno e): counted by cause, logged once per change. */
static void send_failed(struct tk_tunnel *t, struct tk__peer *p, int e, size_t nsegs)
{
	uint64_t skipped = 0;

	drop_n(t, p,
	       send_error_is_queue(e) ? TK__DROP_QUEUE_FULL
	       : e == EMSGSIZE	      ? TK__DROP_TOO_BIG
				      : TK__DROP_UNREACHABLE,
	       nsegs);
	if (e != p->last_errno && !send_error_is_queue(e) && log_due(&p->send_log, &skipped)) {
		char ebuf[128];

		logf_(t, TK_LOG_WARN,
		      "peer %s: send failed: %s (counted; will keep trying; %llu earlier event(s) "
		      "not logged)",
		      p->conf.ep_text, tk__errno_text(e, ebuf, sizeof(ebuf)),
		      (unsigned long long)skipped);
		p->fail_logged = true;
	}
	p->last_errno = e;
}

/* nsegs datagrams carrying bytes of frames went to p. */
static void send_done(struct tk_tunnel *t, struct tk__peer *p, size_t nsegs, size_t bytes)
{
	/* as many recovery lines as failure lines, which are rate-limited */
	if (p->fail_logged && p->last_errno) {
		logf_(t, TK_LOG_INFO, "peer %s: sending works again", p->conf.ep_text);
		p->fail_logged = false;
	}
	p->last_errno = 0;
	p->st.tx_frames += nsegs;
	p->st.tx_bytes += bytes;
}

/*
 * The datagrams of small frames read in one wake-up, sent with one sendmmsg at its end (or
 * when the batch is full, or before a TSO send, which keeps a flow's order).
 */
static void txb_flush(struct tk_tunnel *t)
{
	struct txb *b = &t->txb;
	unsigned i = 0;
	bool retried = false;

	while (i < b->n) {
		int r = sendmmsg(t->udp, &b->m[i], b->n - i, 0);
		if (r > 0) {
			for (unsigned k = i; k < i + (unsigned)r; k++)
				send_done(t, b->peer[k], 1, b->frame_len[k]);
			i += (unsigned)r;
			retried = false;
			continue;
		}
		int e = errno;
		if (r < 0 && send_error_is_pending(e) && !retried) {
			retried = true; /* see udp_send: an earlier datagram's ICMP error */
			continue;
		}
		send_failed(t, b->peer[i], r < 0 ? e : EIO, 1);
		i++;
		retried = false;
	}
	b->n = 0;
}

/* A slot of the batch for a datagram of len bytes to p; NULL when it would not fit a slot. */
static uint8_t *txb_slot(struct tk_tunnel *t, size_t len)
{
	struct txb *b = &t->txb;
	if (!t->batching || len > TXB_SLOT)
		return NULL;
	if (b->n == TXB_N)
		txb_flush(t);
	return b->buf + (size_t)b->n * TXB_SLOT;
}

/* The slot from txb_slot now holds len bytes for p (frame_len of them the frame's). */
static void txb_push(struct tk_tunnel *t, struct tk__peer *p, size_t len, size_t frame_len)
{
	struct txb *b = &t->txb;
	unsigned i = b->n++;
	b->iov[i].iov_base = b->buf + (size_t)i * TXB_SLOT;
	b->iov[i].iov_len = len;
	memset(&b->m[i], 0, sizeof(b->m[i]));
	b->m[i].msg_hdr.msg_name = &p->addr;
	b->m[i].msg_hdr.msg_namelen = p->addr_len;
	b->m[i].msg_hdr.msg_iov = &b->iov[i];
	b->m[i].msg_hdr.msg_iovlen = 1;
	b->peer[i] = p;
	b->frame_len[i] = frame_len;
}

/*
 * The kernel refused a GSO send (a route without checksum offload, or segments above the
 * path's MTU, which we let the kernel fragment like its vxlan does): one datagram at a time
 * from now on.
 */
static void gso_fallback(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len,
			 size_t seg, size_t over, int e)
{
	char ebuf[128];

	t->gso = false;
	logf_(t, TK_LOG_INFO, "UDP GSO refused by the kernel (%s): sending datagram by datagram",
	      tk__errno_text(e, ebuf, sizeof(ebuf)));
	for (size_t off = 0; off < len; off += seg)
		udp_send(t, p, buf + off, len - off < seg ? len - off : seg, seg, 1, over);
}

/*
 * Sends buf to p: one datagram, or nsegs datagrams of seg bytes (the last may be shorter) in
 * one call with UDP GSO. over: the bytes of each datagram that are not the frame (headers,
 * tag), so the byte counters count frames like the receiver does.
 */
static void udp_send(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len, size_t seg,
		     size_t nsegs, size_t over)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = {
		.msg_name = &p->addr, .msg_namelen = p->addr_len, .msg_iov = &iov, .msg_iovlen = 1
	};

	if (nsegs > 1) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		uint16_t gs = (uint16_t)seg;
		c->cmsg_level = IPPROTO_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(gs));
		memcpy(CMSG_DATA(c), &gs, sizeof(gs));
	}
	ssize_t r = sendmsg(t->udp, &m, 0);
	/*
	 * With IP_RECVERR an ICMP error about an earlier datagram, to any peer, also sets the
	 * socket's pending error, and the next send returns it (and clears it) whatever its own
	 * destination (sock_alloc_send_pskb -> sock_error): this datagram was not sent. Send it
	 * once more; the ICMP error itself is counted on its own peer from the error queue.
	 * (Found by tests/soak: one stopped peer made floods to the others lose their first copy.)
	 */
	if (r < 0 && send_error_is_pending(errno))
		r = sendmsg(t->udp, &m, 0);
	if (r < 0) {
		int e = errno;
		if (nsegs > 1 && (e == EIO || e == EINVAL || e == EMSGSIZE)) {
			gso_fallback(t, p, buf, len, seg, over, e);
			return;
		}
		send_failed(t, p, e, nsegs);
		return;
	}
	send_done(t, p, nsegs, len - nsegs * over);
}

static size_t overhead(const struct tk_tunnel *t)
{
	return TK__VXLAN_HLEN + (t->conf.mode == TK__TUNNEL_SEALED ? TK__SEAL_OVERHEAD : 0);
}

/*
 * Sends the frame (with HEADROOM writable bytes before it) to one peer. The VXLAN header goes
 * in front in place; sealed mode seals into seal_buf, one peer at a time since keys differ.
 */
static void send_to(struct tk_tunnel *t, struct tk__peer *p, uint8_t *frame, size_t len)
{
	uint8_t *vx = frame - TK__VXLAN_HLEN;
	uint8_t *out = vx;
	size_t out_len = len + TK__VXLAN_HLEN;

	tk__vxlan_encode(vx, t->conf.vni);
	uint8_t *slot = txb_slot(
		t, out_len + (size_t)(t->conf.mode == TK__TUNNEL_SEALED ? TK__SEAL_OVERHEAD : 0));
	if (t->conf.mode == TK__TUNNEL_SEALED) {
		/* sealed straight into the batch's slot when there is one */
		uint8_t *dst = slot ? slot : t->seal_buf;
		out_len = tk__seal_encrypt(&p->tx, vx, out_len, dst, slot ? TXB_SLOT : BUF_SIZE);
		if (out_len == 0) {
			drop(t, p, TK__DROP_TOO_BIG);
			return;
		}
		out = dst;
	} else if (slot) {
		memcpy(slot, vx, out_len);
	}
	if (slot) {
		txb_push(t, p, out_len, len);
		return;
	}
	udp_send(t, p, out, out_len, out_len, 1, overhead(t));
}

/*
 * Sends a TCP super-frame to one peer as wire-sized frames: split (tk__tso_next), each in its
 * VXLAN header (and sealed), laid end to end in gso_buf and handed to the kernel in chunks of
 * up to 64 datagrams and 64 KiB with UDP_SEGMENT, so one system call carries a whole chunk.
 */
static void send_tso(struct tk_tunnel *t, struct tk__peer *p, const struct tk__tso *whole)
{
	struct tk__tso s = *whole; /* a copy: flooding splits the same frame once per peer */
	bool sealed = t->conf.mode == TK__TUNNEL_SEALED;
	size_t over = overhead(t);
	size_t dgram = tk__tso_seg_len(&s) + over;
	size_t per = t->gso ? GSO_BYTES / dgram : 1;

	per = per > GSO_MAX ? GSO_MAX : per < 1 ? 1 : per;
	txb_flush(t); /* the small frames read before this one go first */
	while (tk__tso_left(&s)) {
		size_t pos = 0, k = 0;
		while (k < per && tk__tso_left(&s)) {
			size_t l;
			if (sealed) {
				uint8_t *seg = t->seg_buf + HEADROOM;
				l = tk__tso_next(&s, seg, FRAME_CAP);
				tk__vxlan_encode(seg - TK__VXLAN_HLEN, t->conf.vni);
				l = l ? tk__seal_encrypt(&p->tx, seg - TK__VXLAN_HLEN,
							 l + TK__VXLAN_HLEN, t->gso_buf + pos,
							 GSO_BUF - pos)
				      : 0;
			} else {
				l = tk__tso_next(&s, t->gso_buf + pos + TK__VXLAN_HLEN,
						 GSO_BUF - pos - TK__VXLAN_HLEN);
				tk__vxlan_encode(t->gso_buf + pos, t->conf.vni);
				l = l ? l + TK__VXLAN_HLEN : 0;
			}
			if (l == 0) {
				/* no room: cannot happen with the sizes above, but never loop */
				drop_n(t, p, TK__DROP_TOO_BIG, tk__tso_left(&s) + k);
				return;
			}
			pos += l;
			k++;
		}
		udp_send(t, p, t->gso_buf, pos, dgram, k, over);
	}
}

/* One frame (tso: NULL) or a super-frame to split, to one peer. */
static void out_to(struct tk_tunnel *t, struct tk__peer *p, uint8_t *frame, size_t len,
		   const struct tk__tso *tso)
{
	if (tso)
		send_tso(t, p, tso);
	else
		send_to(t, p, frame, len);
}

/* Sends to every peer but `except`; returns how many were tried. */
static size_t flood(struct tk_tunnel *t, uint8_t *frame, size_t len, const struct tk__tso *tso,
		    uint32_t except)
{
	size_t n = 0;
	for (size_t i = 0; i < t->npeers; i++) {
		if (i == except)
			continue;
		out_to(t, &t->peers[i], frame, len, tso);
		n++;
	}
	return n;
}

static bool mac_listed(const struct tk__peer_conf *pc, const uint8_t *mac)
{
	for (size_t i = 0; i < pc->nmacs; i++)
		if (memcmp(pc->macs[i], mac, TK_MAC_LEN) == 0)
			return true;
	return false;
}

/* The peer a unicast destination is behind: a peer's AllowedMACs, then what was learned. */
static uint32_t dst_port(struct tk_tunnel *t, const uint8_t *dst, uint64_t now)
{
	if (TK__MAC_IS_GROUP(dst))
		return TK__MAC_NONE;
	for (size_t i = 0; i < t->npeers; i++)
		if (t->peers[i].conf.nmacs && mac_listed(&t->peers[i].conf, dst))
			return (uint32_t)i;
	return tk__mac_lookup(&t->macs, dst, now);
}

/* ---- frames from the adapter ---- */

/*
 * A frame read from the adapter, after its virtio-net header v: a TCP super-frame (TSO) is
 * split on the way out; any other frame may carry a partial checksum, completed here since
 * the peer (the kernel's vxlan, too) expects whole ones.
 */
static void from_tap(struct tk_tunnel *t, uint8_t *frame, size_t len, const struct tk__vnet *v)
{
	struct tk__tso tso, *split = NULL;
	size_t nseg = 1;

	if (len < TK__ETH_HLEN) {
		drop(t, NULL, TK__DROP_MALFORMED);
		return;
	}
	if (v->gso_type != TK__VNET_GSO_NONE) {
		if (tk__tso_begin(&tso, frame, len, v) != TK__PASS) {
			drop(t, NULL, TK__DROP_MALFORMED);
			return;
		}
		split = &tso;
		nseg = tk__tso_left(&tso);
		if (tk__tso_seg_len(&tso) > t->frame_max) {
			drop_n(t, NULL, TK__DROP_TOO_BIG, nseg);
			return;
		}
	} else if (len > t->frame_max) {
		drop(t, NULL, TK__DROP_TOO_BIG);
		return;
	} else if (tk__csum_complete(frame, len, v) != TK__PASS) {
		drop(t, NULL, TK__DROP_MALFORMED);
		return;
	}
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	/*
	 * Our own stations are learned as local (never as a peer): with Forward, a frame from a
	 * peer to one of them then goes to the adapter only instead of being flooded.
	 */
	if (!TK__MAC_IS_GROUP(frame + TK_MAC_LEN))
		tk__mac_learn(&t->macs, frame + TK_MAC_LEN, TK__MAC_LOCAL, now);
	uint32_t port = dst_port(t, frame, now);
	if (port == TK__MAC_LOCAL)
		return; /* for a station on our side: a switch filters it */
	if (port != TK__MAC_NONE && port < t->npeers) {
		out_to(t, &t->peers[port], frame, len, split);
		return;
	}
	if (flood(t, frame, len, split, TK__MAC_NONE) == 0)
		drop_n(t, NULL, TK__DROP_NO_ROUTE, nseg);
}

static void tap_readable(struct tk_tunnel *t)
{
	/* the frame lands at HEADROOM, its virtio-net header just before it */
	uint8_t *buf = t->tap_buf + HEADROOM - TK_VNET_HDR_LEN;

	t->batching = true;
	for (int i = 0; i < BUDGET && t->dev; i++) {
		tk_error err = { 0 };
		size_t len = 0;
		tk_status st = tk_dev_read(t->dev, buf, FRAME_CAP + TK_VNET_HDR_LEN, &len, &err);
		if (st == TK_E_AGAIN)
			break;
		if (st == TK_E_INTERRUPTED)
			continue;
		if (st != TK_OK) {
			txb_flush(t);
			adapter_recover(t, &err);
			break;
		}
		if (len < TK_VNET_HDR_LEN) {
			drop(t, NULL, TK__DROP_MALFORMED);
			continue;
		}
		struct tk__vnet v;
		tk__vnet_read(buf, &v);
		from_tap(t, buf + TK_VNET_HDR_LEN, len - TK_VNET_HDR_LEN, &v);
	}
	txb_flush(t);
	t->batching = false;
}

/* ---- datagrams from peers ---- */

/* Writes one frame or a merged super-frame (buf: virtio-net header + frame) to the adapter. */
static void tap_emit(void *user, uint8_t *buf, size_t len, unsigned nsegs, uint32_t tag)
{
	struct tk_tunnel *t = user;
	struct tk__peer *p = tag < t->npeers ? &t->peers[tag] : NULL;

	if (!t->dev) {
		drop_n(t, p, TK__DROP_ADAPTER, nsegs);
		return;
	}
	tk_error err = { 0 };
	tk_status st = tk_dev_write(t->dev, buf, len, &err);
	if (st == TK_OK)
		return;
	drop_n(t, p, st == TK_E_AGAIN ? TK__DROP_QUEUE_FULL : TK__DROP_ADAPTER, nsegs);
	if (st == TK_E_DEVICE_VANISHED)
		adapter_recover(t, &err);
}

static void to_tap(struct tk_tunnel *t, uint32_t idx, const uint8_t *frame, size_t len)
{
	if (t->offload)
		tk__gro_add(&t->gro, frame, len, idx); /* written at the end of the batch */
	else
		tk__gro_pass(&t->gro, frame, len, idx);
}

/* One datagram (len bytes at buf, which it may overwrite) from src. */
static void from_peer(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		      size_t n)
{
	uint32_t idx = 0;
	struct tk__peer *p = peer_find(t, src, &idx);
	uint8_t *vx = buf;
	size_t vlen = n;
	const uint8_t *fr = NULL;
	size_t flen = 0;

	if (!p) {
		drop(t, NULL, TK__DROP_UNKNOWN_PEER);
		return;
	}
	if (t->conf.mode == TK__TUNNEL_SEALED) {
		enum tk__drop d =
			tk__seal_open(&p->rx, buf, n, t->open_buf + HEADROOM - TK__VXLAN_HLEN,
				      BUF_SIZE - HEADROOM, &vlen);
		if (d != TK__PASS) {
			drop(t, p, d);
			return;
		}
		vx = t->open_buf + HEADROOM - TK__VXLAN_HLEN;
	}
	enum tk__drop d = tk__vxlan_decode(vx, vlen, t->conf.vni, &fr, &flen);
	if (d != TK__PASS) {
		drop(t, p, d);
		return;
	}
	uint8_t *frame = vx + TK__VXLAN_HLEN; /* == fr, writable: forwarding prepends headers */
	if (flen > t->frame_max) {
		drop(t, p, TK__DROP_TOO_BIG);
		return;
	}
	const uint8_t *smac = frame + TK_MAC_LEN;
	if (p->conf.nmacs && !mac_listed(&p->conf, smac)) {
		drop(t, p, TK__DROP_MAC_NOT_ALLOWED);
		return;
	}
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	p->st.rx_frames++;
	p->st.rx_bytes += flen;
	p->st.last_seen_ns = t->batch_realtime;
	if (!TK__MAC_IS_GROUP(smac))
		tk__mac_learn(&t->macs, smac, idx, now);
	if (t->conf.forward) {
		uint32_t port = dst_port(t, frame, now);
		if (port == idx)
			return; /* behind the sender itself: a switch filters it */
		if (port != TK__MAC_NONE && port < t->npeers) {
			send_to(t, &t->peers[port], frame, flen);
			return;
		}
		if (port == TK__MAC_NONE)
			flood(t, frame, flen, NULL, idx);
		/* headers were written in front; the frame itself is unchanged */
	}
	to_tap(t, idx, frame, flen);
}

/* Reads the ICMP errors queued on the socket (IP_RECVERR) and counts them on their peer. */
static void udp_errors(struct tk_tunnel *t)
{
	for (int i = 0; i < BUDGET; i++) {
		/*
		 * Zeroed: the kernel leaves msg_name untouched (msg_namelen 0) for a queued error
		 * without an address; AF_UNSPEC then matches no peer and the drop is unattributed.
		 */
		struct sockaddr_storage dst = { 0 };
		char ctl[512];
		uint8_t data[64];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr m = { .msg_name = &dst,
				    .msg_namelen = sizeof(dst),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		if (recvmsg(t->udp, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		uint32_t idx;
		uint64_t skipped = 0;
		struct tk__peer *p = peer_find(t, &dst, &idx);
		drop(t, p, TK__DROP_UNREACHABLE);
		if (log_due(p ? &p->icmp_log : &t->icmp_log, &skipped))
			logf_(t, TK_LOG_WARN,
			      "%s%s: unreachable (ICMP error; counted as unreachable; %llu more "
			      "in the last %llu s not logged)",
			      p ? "peer " : "an address that is no peer", p ? p->conf.ep_text : "",
			      (unsigned long long)skipped,
			      (unsigned long long)(ICMP_LOG_NS / 1000000000ull));
	}
	int e = 0;
	socklen_t el = sizeof(e);
	(void)getsockopt(t->udp, SOL_SOCKET, SO_ERROR, &e, &el); /* clears a pending error */
}

/* The UDP_GRO control message: the size of each datagram in a merged buffer, 0 if none. */
static size_t gro_size(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	}
	return 0;
}

/*
 * Up to RX_BATCH buffers per recvmmsg, each one datagram or, with UDP GRO, a run of equal
 * datagrams from one sender; the frames for the adapter are merged and written at the end.
 */
static void udp_readable(struct tk_tunnel *t)
{
	t->batch_realtime = clock_ns(CLOCK_REALTIME);
	for (int round = 0; round < BUDGET / RX_BATCH; round++) {
		for (size_t i = 0; i < RX_BATCH; i++) {
			struct msghdr *m = &t->rx_msgs[i].msg_hdr;
			m->msg_name = &t->rx_src[i];
			m->msg_namelen = sizeof(t->rx_src[i]);
			m->msg_iov = &t->rx_iov[i];
			m->msg_iovlen = 1;
			m->msg_control = t->rx_ctl[i];
			m->msg_controllen = sizeof(t->rx_ctl[i]);
			m->msg_flags = 0;
		}
		int n = recvmmsg(t->udp, t->rx_msgs, RX_BATCH, 0, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno != EINTR) {
				/* an ICMP error reported on this call (ECONNREFUSED...): counted */
				drop(t, NULL, TK__DROP_UNREACHABLE);
			}
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &t->rx_msgs[i].msg_hdr;
			size_t len = t->rx_msgs[i].msg_len, seg = gro_size(m);
			if (m->msg_flags & MSG_TRUNC) {
				drop(t, NULL, TK__DROP_MALFORMED);
				continue;
			}
			if (seg == 0 || seg >= len) {
				from_peer(t, &t->rx_src[i], t->rx_bufs[i], len);
				continue;
			}
			for (size_t off = 0; off < len; off += seg)
				from_peer(t, &t->rx_src[i], t->rx_bufs[i] + off,
					  len - off < seg ? len - off : seg);
		}
		if (n < RX_BATCH)
			break;
	}
	tk__gro_flush(&t->gro);
}

/* ---- reload ---- */

static bool listen_same(const struct tk__tunnel_conf *a, const struct tk__tunnel_conf *b)
{
	if (a->listen.ss_family != b->listen.ss_family || a->port != b->port)
		return false;
	return a->listen.ss_family == AF_UNSPEC || addr_equal(&a->listen, &b->listen, true);
}

static void addrs_sync(struct tk_tunnel *t, const struct tk__tunnel_conf *nc)
{
	if (!t->dev)
		return;
	for (size_t i = 0; i < t->conf.naddrs; i++) {
		bool keep = false;
		for (size_t j = 0; j < nc->naddrs; j++)
			keep |= memcmp(&t->conf.addrs[i], &nc->addrs[j], sizeof(tk_ip_addr)) == 0;
		tk_error e = { 0 };
		if (!keep &&
		    tk_adapter_addr_del(t->ctx, t->dev_name, &t->conf.addrs[i], &e) != TK_OK)
			logf_(t, TK_LOG_WARN, "reload: address not removed: %s", e.message);
	}
	for (size_t j = 0; j < nc->naddrs; j++) {
		bool had = false;
		for (size_t i = 0; i < t->conf.naddrs; i++)
			had |= memcmp(&t->conf.addrs[i], &nc->addrs[j], sizeof(tk_ip_addr)) == 0;
		if (had)
			continue; /* on the adapter already: adding it would only fail with EEXIST */
		tk_error e = { 0 };
		tk_status st = tk_adapter_addr_add(t->ctx, t->dev_name, &nc->addrs[j], &e);
		if (st != TK_OK && st != TK_E_EXISTS)
			logf_(t, TK_LOG_WARN, "reload: address not added: %s", e.message);
	}
	if (nc->mtu != t->conf.mtu) {
		tk_error e = { 0 };
		if (tk_adapter_set_mtu(t->ctx, t->dev_name, nc->mtu, &e) != TK_OK)
			logf_(t, TK_LOG_WARN, "reload: MTU not set: %s", e.message);
	}
}

static bool reload_apply(struct tk_tunnel *t, struct tk__tunnel_conf *nc, tk_error *err)
{
	int nfd = -1, nfamily = t->family;

	if (strcmp(nc->dev, t->conf.dev) != 0 || strcmp(nc->control, t->conf.control) != 0) {
		tk__error_set_quiet(err, TK_E_CONFIG, "reload", nc->origin, TK_OS_NONE, 0,
				    "Name and ControlSocket cannot change while running");
		tk__error_remedy(err, "restart the tunnel to use another adapter");
		return false;
	}
	/* the daemon dropped privileges at start: that cannot be undone or redone by a reload */
	if (nc->has_user != t->conf.has_user ||
	    (nc->has_user && (nc->uid != t->conf.uid || nc->gid != t->conf.gid))) {
		tk__error_set_quiet(err, TK_E_CONFIG, "reload", nc->origin, TK_OS_NONE, 0,
				    "User cannot change while running");
		tk__error_remedy(err, "restart the tunnel to run as another user");
		return false;
	}
	if (!listen_same(&t->conf, nc) && udp_open(nc, &nfd, &nfamily, err) != TK_OK)
		return false;
	int old_family = t->family;
	t->family = nfamily; /* peers_build maps endpoints into the socket's family */
	struct tk__peer *np = peers_build(t, nc, t->peers, t->npeers,
					  nc->mode == t->conf.mode && nfamily == old_family &&
						  memcmp(nc->sk, t->conf.sk, TK__KEY_LEN) == 0);
	if (!np) {
		t->family = old_family;
		if (nfd >= 0)
			close(nfd);
		tk__error_set_quiet(err, TK_E_NO_MEMORY, "reload", nc->origin, TK_OS_NONE, 0,
				    "cannot allocate the peers");
		return false;
	}
	if (nc->mac_table_size != t->conf.mac_table_size) {
		struct tk__mactable m;
		if (tk__mac_init(&m, nc->mac_table_size, (uint64_t)nc->mac_age_s * 1000000000ull)) {
			tk__mac_free(&t->macs);
			t->macs = m;
		}
	}
	/* peers may have moved or gone: learning starts over (it takes one frame per station) */
	tk__mac_flush(&t->macs);
	t->macs.age_ns = (uint64_t)nc->mac_age_s * 1000000000ull;
	if (nfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_UDP };
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, t->udp, NULL);
		close(t->udp);
		t->udp = nfd;
		epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->udp, &ev);
		tk__endpoint_format((const struct sockaddr *)&nc->listen, t->listen_text,
				    sizeof(t->listen_text));
	}
	/* like the first peers (tk_tunnel_new), now under RLIMIT_MEMLOCK if the daemon dropped root */
	if (nc->has_key && sodium_mlock(np, peers_bytes(nc->npeers)) != 0) {
		char ebuf[128];
		logf_(t, TK_LOG_WARN,
		      "cannot lock the peers' keys in memory (%s; see ulimit -l, LimitMEMLOCK=): "
		      "they may be swapped out",
		      tk__errno_text(errno, ebuf, sizeof(ebuf)));
	}
	addrs_sync(t, nc);
	peers_free(t->peers, t->npeers);
	t->peers = np;
	t->npeers = nc->npeers;
	t->frame_max = nc->mtu + TK__ETH_HLEN + TK__ETH_VLAN;
	tk__tunnel_conf_free(&t->conf); /* wipes the old private key */
	t->conf = *nc;
	/* not memset: the caller's copy is dead from here, so a plain store could be elided */
	sodium_memzero(nc, sizeof(*nc));
	return true;
}

tk_status tk_tunnel_reload(tk_tunnel *t, tk_tunnel_config *cfg, tk_error *err)
{
	char trace[TK_TRACE_ID_MAX];

	if (!t || !cfg) {
		tk_tunnel_config_free(cfg);
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "reload", "tunnel", TK_OS_NONE,
					   0, "the tunnel or the configuration is NULL");
	}
	tk_trace_begin(t->ctx, NULL, trace, sizeof(trace));
	tk_status st = tk_tunnel_config_check(cfg, err);
	if (st == TK_OK && !reload_apply(t, &cfg->c, err))
		st = err && err->status ? err->status : TK_E_CONFIG;
	if (st != TK_OK) {
		t->reload_failures++;
	} else {
		t->reloads++;
		logf_(t, TK_LOG_INFO, "reloaded %s: mode %s, vni %u, %zu peer(s)",
		      t->conf.origin[0] ? t->conf.origin : "a configuration",
		      t->conf.mode == TK__TUNNEL_SEALED ? "sealed" : "plain", t->conf.vni,
		      t->npeers);
	}
	tk_trace_end(t->ctx);
	tk_tunnel_config_free(cfg); /* reload_apply took the peers and key when it succeeded */
	return st;
}

/* ---- the loop ---- */

static void on_event(struct tk_tunnel *t, const struct epoll_event *ev)
{
	uint64_t v;

	switch (ev->data.u32) {
	case EV_TAP:
		if (t->dev)
			tap_readable(t);
		break;
	case EV_UDP:
		if (ev->events & EPOLLERR)
			udp_errors(t);
		if (ev->events & EPOLLIN)
			udp_readable(t);
		break;
	case EV_TIMER:
		if (read(t->tfd, &v, sizeof(v)) == (ssize_t)sizeof(v) && t->reopen_pending)
			adapter_recover(t, NULL);
		break;
	case EV_STOP:
		if (read(t->evfd, &v, sizeof(v)) < 0)
			v = 0; /* EAGAIN: already read; the flag says it, this only woke us */
		break;
	default:
		break;
	}
}

tk_status tk_tunnel_dispatch(tk_tunnel *t, int timeout_ms, tk_error *err)
{
	struct epoll_event evs[8];

	if (!t)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "dispatch", "tunnel", TK_OS_NONE,
					   0, "the tunnel is NULL");
	if (atomic_load(&t->stop))
		return tk__error_set_quiet(err, TK_E_INTERRUPTED, "dispatch", t->conf.dev,
					   TK_OS_NONE, 0, "the tunnel was stopped");
	int n = epoll_wait(t->epfd, evs, (int)TK_ARRAY_SIZE(evs), timeout_ms);
	if (n < 0 && errno == EINTR)
		return tk__error_set_quiet(err, TK_E_INTERRUPTED, "epoll_wait", t->conf.dev,
					   TK_OS_ERRNO, EINTR, "a signal interrupted the wait");
	if (n < 0) {
		int e = errno;
		char ebuf[128];
		tk__error_set_quiet(err, TK_E_IO, "epoll_wait", t->conf.dev, TK_OS_ERRNO, e,
				    "the tunnel's event loop failed: %s",
				    tk__errno_text(e, ebuf, sizeof(ebuf)));
		if (err)
			tk__error_remedy(err, "restart the tunnel (a service manager does it with "
					      "Restart=on-failure)");
		return TK_E_IO;
	}
	if (n == 0)
		return tk__error_set_quiet(err, TK_E_TIMEOUT, "dispatch", t->conf.dev, TK_OS_NONE,
					   0, "nothing to do within %d ms", timeout_ms);
	tk__mac_expire(&t->macs, clock_ns(CLOCK_MONOTONIC));
	for (int i = 0; i < n && !atomic_load(&t->stop); i++)
		on_event(t, &evs[i]);
	return atomic_load(&t->stop)
		       ? tk__error_set_quiet(err, TK_E_INTERRUPTED, "dispatch", t->conf.dev,
					     TK_OS_NONE, 0, "the tunnel was stopped")
		       : TK_OK;
}

tk_status tk_tunnel_run(tk_tunnel *t, tk_error *err)
{
	if (!t)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "run", "tunnel", TK_OS_NONE, 0,
					   "the tunnel is NULL");
	while (!atomic_load(&t->stop)) {
		tk_error e;
		e.status = TK_OK;
		tk_status st = tk_tunnel_dispatch(t, -1, &e);
		if (st == TK_OK || st == TK_E_TIMEOUT || st == TK_E_INTERRUPTED)
			continue;
		if (err)
			*err = e;
		return st;
	}
	return TK_OK;
}

void tk_tunnel_stop(tk_tunnel *t)
{
	if (!t)
		return;
	atomic_store(&t->stop, true);
	uint64_t one = 1;
	/* async-signal-safe and thread-safe: a write to an eventfd (EAGAIN: one is pending) */
	if (write(t->evfd, &one, sizeof(one)) < 0)
		return;
}

tk_os_handle tk_tunnel_handle(const tk_tunnel *t)
{
	return t ? t->epfd : TK_OS_HANDLE_INVALID;
}

/* ---- status as data ---- */

static const char *const drop_descs[TK__DROP__COUNT] = { [TK__PASS] = "accepted",
#define TK__DROP_DESC(name, key, desc) [TK__DROP_##name] = (desc),
							 TK__DROP_MAP(TK__DROP_DESC)
#undef TK__DROP_DESC
};

_Static_assert(TK__DROP__COUNT <= TK_TUNNEL_DROPS_MAX, "TK_TUNNEL_DROPS_MAX is too small");

const char *tk_tunnel_drop_name(size_t index)
{
	return index < TK__DROP__COUNT ? tk__drop_key((enum tk__drop)index) : NULL;
}

const char *tk_tunnel_drop_description(size_t index)
{
	return index < TK__DROP__COUNT ? drop_descs[index] : NULL;
}

static void snap_peer(const struct tk__peer *p, tk_tunnel_peer_info *o)
{
	tk__strlcpy(o->endpoint, p->conf.ep_text, sizeof(o->endpoint));
	if (p->conf.has_key)
		tk__key_to_base64(p->conf.pk, o->public_key);
	o->nallowed = p->conf.nmacs;
	memcpy(o->allowed_macs, p->conf.macs, p->conf.nmacs * TK_MAC_LEN);
	o->rx_frames = p->st.rx_frames;
	o->rx_bytes = p->st.rx_bytes;
	o->tx_frames = p->st.tx_frames;
	o->tx_bytes = p->st.tx_bytes;
	o->last_seen_ns = p->st.last_seen_ns;
	o->sessions = p->rx.sessions;
	memcpy(o->drops, p->st.drops, sizeof(p->st.drops));
}

tk_status tk_tunnel_stats(tk_tunnel *t, tk_tunnel_snapshot **out, tk_error *err)
{
	if (!t || !out)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "stats", "tunnel", TK_OS_NONE, 0,
					   "the tunnel or out is NULL");
	*out = NULL;
	tk_tunnel_snapshot *s = calloc(1, sizeof(*s));
	const struct tk__mactable *m = &t->macs;
	if (s) {
		s->peers = calloc(t->npeers ? t->npeers : 1, sizeof(*s->peers));
		s->macs = calloc(m->count ? m->count : 1, sizeof(*s->macs));
	}
	if (!s || !s->peers || !s->macs) {
		tk_tunnel_snapshot_free(s);
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "stats", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate the snapshot");
	}
	s->version = TK_TUNNEL_SNAPSHOT_VERSION;
	tk__strlcpy(s->adapter, t->conf.dev, sizeof(s->adapter));
	s->adapter_open = t->dev != NULL;
	tk__strlcpy(s->mode, t->conf.mode == TK__TUNNEL_SEALED ? "sealed" : "plain",
		    sizeof(s->mode));
	s->vni = t->conf.vni;
	s->mtu = t->conf.mtu;
	s->forward = t->conf.forward;
	tk__strlcpy(s->listen, t->listen_text, sizeof(s->listen));
	tk__strlcpy(s->config, t->conf.origin, sizeof(s->config));
	if (t->conf.has_key)
		tk__key_to_base64(t->conf.pk, s->public_key);
	s->started_ns = t->started;
	s->now_ns = clock_ns(CLOCK_REALTIME);
	s->adapter_reopens = t->reopens;
	s->reloads = t->reloads;
	s->reload_failures = t->reload_failures;
	s->ndrops = TK__DROP__COUNT;
	memcpy(s->drops, t->drops, sizeof(t->drops));
	s->npeers = t->npeers;
	for (size_t i = 0; i < t->npeers; i++)
		snap_peer(&t->peers[i], &s->peers[i]);
	s->mac_count = m->count;
	s->mac_capacity = m->capacity;
	s->mac_age_s = (uint32_t)(m->age_ns / 1000000000ull);
	s->mac_evictions = m->evictions;
	uint64_t mono = clock_ns(CLOCK_MONOTONIC);
	for (uint32_t i = m->newest; i != TK__MAC_NONE && s->nmacs < m->count; i = m->e[i].older) {
		tk_tunnel_mac_info *o = &s->macs[s->nmacs++];
		memcpy(o->mac, m->e[i].mac, TK_MAC_LEN);
		o->peer = m->e[i].port < t->npeers ? (int64_t)m->e[i].port : TK_TUNNEL_PORT_LOCAL;
		o->age_ms = (mono - m->e[i].seen_ns) / 1000000u;
	}
	*out = s;
	return TK_OK;
}

void tk_tunnel_snapshot_free(tk_tunnel_snapshot *s)
{
	if (!s)
		return;
	free(s->peers);
	free(s->macs);
	free(s);
}

/* ---- start and end ---- */

static tk_status watch_fd(struct tk_tunnel *t, int fd, uint32_t what, tk_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = what };
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return tk__error_set_quiet(err, TK_E_IO, "epoll_ctl", t->conf.dev, TK_OS_ERRNO,
					   errno, "cannot watch a descriptor");
	return TK_OK;
}

/* The frame buffers held plaintext frames: wiped before they go back to the allocator. */
static void buf_free(uint8_t *buf, size_t size)
{
	if (buf)
		sodium_memzero(buf, size);
	free(buf);
}

/*
 * The private key and the peers' direction keys stay in RAM (not swapped, not in a core dump):
 * sodium_mlock also marks them MADV_DONTDUMP. Done at start, while a daemon that drops root
 * later still has CAP_IPC_LOCK; the peers of a reload are locked by reload_apply. Best effort.
 */
static void keys_lock(struct tk_tunnel *t)
{
	int e = 0;
	if (sodium_mlock(t->conf.sk, sizeof(t->conf.sk)) != 0)
		e = errno;
	if (t->npeers && sodium_mlock(t->peers, peers_bytes(t->npeers)) != 0)
		e = errno;
	if (e) {
		char ebuf[128];
		logf_(t, TK_LOG_WARN,
		      "cannot lock the key material in memory (%s; see ulimit -l, RLIMIT_MEMLOCK): "
		      "it may be swapped out",
		      tk__errno_text(e, ebuf, sizeof(ebuf)));
	}
}

static tk_status start(struct tk_tunnel *t, tk_error *err)
{
	tk_status st;

	if (!tk__seal_init())
		return tk__error_set_quiet(err, TK_E_INTERNAL, "sodium_init", "libsodium",
					   TK_OS_NONE, 0, "libsodium cannot be initialised");
	/* every buffer the data path needs, allocated once: nothing per frame */
	t->tap_buf = malloc(BUF_SIZE);
	t->seal_buf = malloc(BUF_SIZE);
	t->open_buf = malloc(BUF_SIZE);
	t->seg_buf = malloc(BUF_SIZE);
	t->gso_buf = malloc(GSO_BUF);
	t->txb.buf = malloc((size_t)TXB_N * TXB_SLOT);
	bool ok =
		t->tap_buf && t->seal_buf && t->open_buf && t->seg_buf && t->gso_buf && t->txb.buf;
	for (size_t i = 0; i < RX_BATCH; i++) {
		t->rx_bufs[i] = malloc(BUF_SIZE);
		ok = ok && t->rx_bufs[i];
		t->rx_iov[i].iov_base = t->rx_bufs[i];
		t->rx_iov[i].iov_len = BUF_SIZE;
	}
	t->gso = true;
	if (!ok || !tk__gro_init(&t->gro, tap_emit, t, t->conf.mode == TK__TUNNEL_PLAIN) ||
	    !tk__mac_init(&t->macs, t->conf.mac_table_size,
			  (uint64_t)t->conf.mac_age_s * 1000000000ull))
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate the tunnel's buffers");
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return tk__tunnel_os_error(err, "epoll_create1", t->conf.dev, errno,
					   "cannot create the event loop");
	t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->evfd < 0)
		return tk__tunnel_os_error(err, "eventfd", t->conf.dev, errno,
					   "cannot create the stop event");
	t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->tfd < 0)
		return tk__tunnel_os_error(err, "timerfd_create", t->conf.dev, errno,
					   "cannot create the reopen timer");
	if ((st = udp_open(&t->conf, &t->udp, &t->family, err)) != TK_OK)
		return st;
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	if (getsockname(t->udp, (struct sockaddr *)&bound, &bl) == 0)
		tk__endpoint_format((const struct sockaddr *)&bound, t->listen_text,
				    sizeof(t->listen_text));
	t->peers = peers_build(t, &t->conf, NULL, 0, false);
	if (!t->peers)
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate the peers");
	t->npeers = t->conf.npeers;
	t->frame_max = t->conf.mtu + TK__ETH_HLEN + TK__ETH_VLAN;
	if (t->conf.has_key)
		keys_lock(t);
	if ((st = watch_fd(t, t->evfd, EV_STOP, err)) != TK_OK ||
	    (st = watch_fd(t, t->tfd, EV_TIMER, err)) != TK_OK ||
	    (st = watch_fd(t, t->udp, EV_UDP, err)) != TK_OK)
		return st;
	return adapter_start(t, err);
}

tk_status tk_tunnel_new(tk_ctx *ctx, tk_tunnel_config *cfg, tk_tunnel **out, tk_error *err)
{
	tk_status st;

	if (!ctx || !cfg || !out) {
		tk_tunnel_config_free(cfg);
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "tunnel", "arguments", TK_OS_NONE,
				     0, "ctx, cfg and out must not be NULL");
	}
	*out = NULL;
	if ((st = tk_tunnel_config_check(cfg, err)) != TK_OK) {
		tk_tunnel_config_free(cfg);
		return st;
	}
	struct tk_tunnel *t = calloc(1, sizeof(*t));
	if (!t) {
		tk_tunnel_config_free(cfg);
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", "tunnel", TK_OS_NONE, 0,
					   "cannot allocate the tunnel");
	}
	t->ctx = ctx;
	t->conf = cfg->c;
	/* the configuration's copy holds the private key too; the peers are ours now */
	sodium_memzero(&cfg->c, sizeof(cfg->c));
	tk_tunnel_config_free(cfg);
	t->epfd = t->udp = t->evfd = t->tfd = -1;
	atomic_init(&t->stop, false);
	t->started = clock_ns(CLOCK_REALTIME);
	st = start(t, err);
	if (st != TK_OK) {
		tk_tunnel_free(t);
		return st;
	}
	logf_(t, TK_LOG_INFO, "tunnel up: mode %s, vni %u, listening on %s, %zu peer(s)",
	      t->conf.mode == TK__TUNNEL_SEALED ? "sealed" : "plain", t->conf.vni, t->listen_text,
	      t->npeers);
	*out = t;
	return TK_OK;
}

void tk_tunnel_free(tk_tunnel *t)
{
	if (!t)
		return;
	/* the adapter first: a non-persistent one goes away with our handle */
	adapter_close(t);
	if (t->udp >= 0)
		close(t->udp);
	if (t->evfd >= 0)
		close(t->evfd);
	if (t->tfd >= 0)
		close(t->tfd);
	if (t->epfd >= 0)
		close(t->epfd);
	peers_free(t->peers, t->npeers);
	tk__mac_free(&t->macs);
	buf_free(t->tap_buf, BUF_SIZE);
	buf_free(t->seal_buf, BUF_SIZE);
	buf_free(t->open_buf, BUF_SIZE);
	buf_free(t->seg_buf, BUF_SIZE);
	buf_free(t->gso_buf, GSO_BUF);
	buf_free(t->txb.buf, (size_t)TXB_N * TXB_SLOT);
	for (size_t i = 0; i < RX_BATCH; i++)
		buf_free(t->rx_bufs[i], BUF_SIZE);
	tk__gro_free(&t->gro);
	(void)sodium_munlock(t->conf.sk, sizeof(t->conf.sk));
	tk__tunnel_conf_free(&t->conf);
	sodium_memzero(t, sizeof(*t));
	free(t);
}
