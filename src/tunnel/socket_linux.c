/* SPDX-License-Identifier: MIT */
/*
 * The UDP side on Linux: socket set-up (dual stack, buffers, GRO, error queue), batched sends
 * (sendmmsg), UDP GSO with its fallback, recvmmsg with GRO segments, and ICMP errors from the
 * error queue.
 */
#include "engine.h"

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

tk_status tk__udp_open(const struct tk__tunnel_conf *c, tk__sock *out_fd, int *out_family,
		       tk_error *err)
{
	struct sockaddr_storage ss = c->listen;
	socklen_t len = c->listen_len;
	int family = c->listen.ss_family;
	int fd;

	if (family == AF_UNSPEC) {
		/* any address: one dual-stack socket serves IPv4 and IPv6 peers alike */
		len = tk__endpoint_any6(&ss, c->port);
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

tk_status tk__udp_start(struct tk_tunnel *t, tk_error *err)
{
	for (size_t i = 0; i < RX_BATCH; i++) {
		t->rx_iov[i].iov_base = t->rx_bufs[i];
		t->rx_iov[i].iov_len = BUF_SIZE;
	}
	return tk__loop_watch(&t->loop, t->udp, TK__EV_UDP, t->conf.dev, err);
}

void tk__udp_close(struct tk_tunnel *t)
{
	if (t->udp >= 0) {
		tk__loop_unwatch(&t->loop, t->udp);
		close(t->udp);
	}
	t->udp = -1;
}

void tk__sock_close(tk__sock s)
{
	close(s);
}

/* ---- sending ---- */

bool tk__send_error_is_queue(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
}

/* ICMP errors about earlier datagrams that a send may report instead of its own result. */
static bool send_error_is_pending(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN;
}

/*
 * The datagrams of small frames read in one wake-up, sent with one sendmmsg at its end (or
 * when the batch is full, or before a TSO send, which keeps a flow's order).
 */
void tk__txb_flush(struct tk_tunnel *t)
{
	struct txb *b = &t->txb;
	unsigned i = 0;
	bool retried = false;

	while (i < b->n) {
		int r = sendmmsg(t->udp, &b->m[i], b->n - i, 0);
		if (r > 0) {
			for (unsigned k = i; k < i + (unsigned)r; k++)
				tk__send_done(t, b->peer[k], 1, b->frame_len[k]);
			i += (unsigned)r;
			retried = false;
			continue;
		}
		int e = errno;
		if (r < 0 && send_error_is_pending(e) && !retried) {
			retried = true; /* see udp_send: an earlier datagram's ICMP error */
			continue;
		}
		tk__send_failed(t, b->peer[i], r < 0 ? e : EIO, 1);
		i++;
		retried = false;
	}
	b->n = 0;
}

/* The slot from txb_slot now holds len bytes for p (frame_len of them the frame's). */
void tk__txb_push(struct tk_tunnel *t, struct tk__peer *p, size_t len, size_t frame_len)
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
	tk__tunnel_log(t, TK_LOG_INFO,
		       "UDP GSO refused by the kernel (%s): sending datagram by datagram",
		       tk__errno_text(e, ebuf, sizeof(ebuf)));
	for (size_t off = 0; off < len; off += seg)
		tk__udp_send(t, p, buf + off, len - off < seg ? len - off : seg, seg, 1, over);
}

/*
 * Sends buf to p: one datagram, or nsegs datagrams of seg bytes (the last may be shorter) in
 * one call with UDP GSO. over: the bytes of each datagram that are not the frame (headers,
 * tag), so the byte counters count frames like the receiver does.
 */
void tk__udp_send(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len, size_t seg,
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
		tk__send_failed(t, p, e, nsegs);
		return;
	}
	tk__send_done(t, p, nsegs, len - nsegs * over);
}

/* Reads the ICMP errors queued on the socket (IP_RECVERR) and counts them on their peer. */
void tk__udp_errors(struct tk_tunnel *t)
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
		struct tk__peer *p = tk__peer_find(t, &dst, &idx);
		tk__count_drop(t, p, TK__DROP_UNREACHABLE);
		if (tk__log_due(p ? &p->icmp_log : &t->icmp_log, &skipped))
			tk__tunnel_log(
				t, TK_LOG_WARN,
				"%s%s: unreachable (ICMP error; counted as unreachable; %llu more "
				"in the last %llu s not logged)",
				p ? "peer " : "an address that is no peer",
				p ? p->conf.ep_text : "", (unsigned long long)skipped,
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
void tk__udp_readable(struct tk_tunnel *t)
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
				tk__count_drop(t, NULL, TK__DROP_UNREACHABLE);
			}
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &t->rx_msgs[i].msg_hdr;
			size_t len = t->rx_msgs[i].msg_len, seg = gro_size(m);
			if (m->msg_flags & MSG_TRUNC) {
				tk__count_drop(t, NULL, TK__DROP_MALFORMED);
				continue;
			}
			tk__from_peer_run(t, &t->rx_src[i], t->rx_bufs[i], len, seg);
		}
		if (n < RX_BATCH)
			break;
	}
	tk__gro_flush(&t->gro);
	/*
	 * What was just written to the adapter is mostly answered inside that write: the local
	 * stack's reply or TCP ACK (or the data a received ACK released) is queued on the
	 * adapter before write returns. Read it now rather than after one more pass through
	 * epoll (two epoll_wait calls, the daemon's and ours, per round trip). Where nothing
	 * answers (one-way traffic, the pinging end), such a look is a read that finds nothing:
	 * after one, only every TAP_PEEK'th batch looks.
	 */
	bool wrote = t->tap_wrote;
	t->tap_wrote = false;
	if (!wrote || !t->dev || (t->tap_quiet && ++t->tap_skipped < TAP_PEEK))
		return;
	t->tap_skipped = 0;
	t->tap_quiet = tk__tap_readable(t) == 0;
}

/*
 * A handshake message, cookie reply or keepalive to an address: not a frame, so not counted
 * as one. A loss is not logged: the protocol's timers send again.
 */
void tk__udp_send_ctl(struct tk_tunnel *t, const struct sockaddr_storage *to, const uint8_t *buf,
		      size_t len)
{
	socklen_t tl =
		to->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	(void)sendto(t->udp, buf, len, 0, (const struct sockaddr *)to, tl);
}
