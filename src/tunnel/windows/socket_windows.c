/* SPDX-License-Identifier: MIT */
/*
 * The UDP side on Windows: an overlapped Winsock socket (dual stack, large buffers, ICMP
 * "connection reset" reports off), TK__WIN_RX overlapped WSARecvFrom in flight that share one
 * manual-reset event (the handle the loop waits on) and are collected in the order they were
 * posted. Sends: where Winsock offers UDP segmentation offload (UDP_SEND_MSG_SIZE, "USO":
 * Windows 10 version 2004 and Server 2022 on), the small frames read in one wake-up wait in the
 * batch (txb, as on Linux) and each run of equal datagrams to one peer (tk__send_run) goes in
 * one WSASendMsg that the stack cuts into datagrams, as UDP GSO does on Linux; elsewhere (older
 * Windows, Wine) one WSASendTo per datagram, at once. Which one is logged when the socket
 * starts; a USO send the stack refuses turns it off.
 */
#include "../engine.h"

#include <mswsock.h>

#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2 /* ws2ipdef.h of Windows 10 2004's SDK; mingw-w64 lacks it */
#endif

_Static_assert(TK__WIN_RX == RX_BATCH, "one receive in flight per receive buffer");

/* A Winsock error as the errno value the shared code counts by (send.c, receive.c). */
static int wsa_errno(int e)
{
	switch (e) {
	case WSAEWOULDBLOCK:
		return EAGAIN;
	case WSAENOBUFS:
		return ENOBUFS;
	case WSAEMSGSIZE:
		return EMSGSIZE;
	case WSAECONNRESET:
	case WSAECONNREFUSED:
		return ECONNREFUSED;
	case WSAEHOSTUNREACH:
		return EHOSTUNREACH;
	case WSAENETUNREACH:
		return ENETUNREACH;
	case WSAEADDRNOTAVAIL:
		return EADDRNOTAVAIL;
	default:
		return EIO;
	}
}

static tk_status wsa_fail(tk_error *err, tk_status st, const char *op, const char *where, int e,
			  const char *what)
{
	tk__error_set_quiet(err, st, op, where, TK_OS_WIN32, e, "%s (Winsock error %d)", what, e);
	return st;
}

static tk_status udp_bind_fail(const struct tk__tunnel_conf *c, const char *where, int e,
			       tk_error *err)
{
	if (e == WSAEADDRINUSE || e == WSAEACCES) {
		/* Windows says WSAEACCES when another program holds the port exclusively */
		wsa_fail(err, TK_E_ADAPTER_BUSY, "bind", where, e,
			 "UDP port in use by another program");
		tk__error_remedy(err,
				 "stop it (netstat -abno -p UDP shows which, elevated), or choose "
				 "another ListenPort than %u",
				 c->port);
		return TK_E_ADAPTER_BUSY;
	}
	if (e == WSAEADDRNOTAVAIL) {
		wsa_fail(err, TK_E_ADDRESS_INVALID, "bind", where, e,
			 "the listen address is not on this host");
		tk__error_remedy(err, "use an address of one of this host's interfaces "
				      "(ipconfig), or none (ListenPort only) to listen on all");
		return TK_E_ADDRESS_INVALID;
	}
	return wsa_fail(err, TK_E_IO, "bind", where, e, "cannot bind the UDP socket");
}

static void sockopt(SOCKET s, int level, int name, int value)
{
	/* best effort: a smaller buffer costs speed, not function */
	(void)setsockopt(s, level, name, (const char *)&value, sizeof(value));
}

tk_status tk__udp_open(const struct tk__tunnel_conf *c, tk__sock *out_fd, int *out_family,
		       tk_error *err)
{
	struct sockaddr_storage ss = c->listen;
	int len = (int)c->listen_len;
	int family = c->listen.ss_family;
	WSADATA wd;

	int e = WSAStartup(MAKEWORD(2, 2), &wd);
	if (e != 0)
		return wsa_fail(err, TK_E_IO, "WSAStartup", "Winsock", e, "cannot start Winsock");
	if (family == AF_UNSPEC) {
		/* any address: one dual-stack socket serves IPv4 and IPv6 peers alike */
		len = (int)tk__endpoint_any6(&ss, c->port);
		family = AF_INET6;
	}
	char where[80];
	tk__endpoint_format((const struct sockaddr *)&ss, where, sizeof(where));
	SOCKET s = WSASocketW(family, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
			      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	if (s == INVALID_SOCKET) {
		e = WSAGetLastError();
		WSACleanup();
		return wsa_fail(err, e == WSAENOBUFS ? TK_E_NO_MEMORY : TK_E_IO, "socket", where, e,
				"cannot create the UDP socket");
	}
	if (family == AF_INET6 && c->listen.ss_family == AF_UNSPEC)
		sockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	sockopt(s, SOL_SOCKET, SO_RCVBUF, SOCKBUF);
	sockopt(s, SOL_SOCKET, SO_SNDBUF, SOCKBUF);
	/* exclusive: a second tunnel on the same port fails at bind instead of sharing it */
	sockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
	if (bind(s, (struct sockaddr *)&ss, len) != 0) {
		e = WSAGetLastError();
		closesocket(s);
		WSACleanup();
		return udp_bind_fail(c, where, e, err);
	}
	*out_fd = s;
	*out_family = family;
	return TK_OK;
}

/* Posts the receive of slot i; its result is collected by tk__udp_readable. */
static void rx_post(struct tk_tunnel *t, unsigned i)
{
	struct tk__udp_rx *r = &t->rx;
	memset(&r->ov[i], 0, sizeof(r->ov[i]));
	r->ov[i].hEvent = r->ev;
	r->wb[i].buf = (char *)t->rx_bufs[i];
	r->wb[i].len = BUF_SIZE;
	r->src_len[i] = sizeof(t->rx_src[i]);
	r->flags[i] = 0;
	r->failed[i] = 0;
	int rc = WSARecvFrom(t->udp, &r->wb[i], 1, NULL, &r->flags[i],
			     (struct sockaddr *)&t->rx_src[i], &r->src_len[i], &r->ov[i], NULL);
	r->pending[i] = true;
	/* 0 or WSA_IO_PENDING: the result comes through the overlapped structure either way */
	if (rc != 0) {
		int e = WSAGetLastError();
		if (e != WSA_IO_PENDING) {
			r->pending[i] = false;
			r->failed[i] = (DWORD)e;
			SetEvent(r->ev); /* collected (and re-posted) by the next wake-up */
		}
	}
}

tk_status tk__udp_start(struct tk_tunnel *t, tk_error *err)
{
	struct tk__udp_rx *r = &t->rx;
	DWORD got = 0;
	BOOL off = FALSE;

	/* Windows fails the next receive with WSAECONNRESET after an ICMP port unreachable:
	 * off, as the Linux socket reads them from its error queue instead (best effort) */
	r->conn_reset_off = WSAIoctl(t->udp, SIO_UDP_CONNRESET, &off, sizeof(off), NULL, 0, &got,
				     NULL, NULL) == 0;
	r->ev = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!r->ev)
		return tk__error_set_quiet(err, TK_E_IO, "CreateEvent", t->conf.dev, TK_OS_WIN32,
					   (int)GetLastError(), "cannot create the socket's event");
	for (unsigned i = 0; i < TK__WIN_RX; i++)
		rx_post(t, i);
	/* USO: the option is known to the stack (msquic detects it the same way) */
	DWORD seg = 0;
	int seg_len = sizeof(seg);
	t->gso = getsockopt(t->udp, IPPROTO_UDP, UDP_SEND_MSG_SIZE, (char *)&seg, &seg_len) == 0;
	int e = t->gso ? 0 : WSAGetLastError();
	if (t->gso)
		tk__tunnel_log(t, TK_LOG_INFO,
			       "UDP sends: runs of equal datagrams to one peer in one WSASendMsg "
			       "with UDP segmentation offload (UDP_SEND_MSG_SIZE)");
	else
		tk__tunnel_log(t, TK_LOG_INFO,
			       "UDP sends: one WSASendTo per datagram (no UDP segmentation "
			       "offload: UDP_SEND_MSG_SIZE refused, Winsock error %d; it needs "
			       "Windows 10 version 2004 or later)",
			       e);
	return tk__loop_watch(&t->loop, r->ev, TK__EV_UDP, t->conf.dev, err);
}

void tk__udp_close(struct tk_tunnel *t)
{
	struct tk__udp_rx *r = &t->rx;
	if (t->udp != INVALID_SOCKET) {
		/* closing cancels the receives in flight; wait for each so no buffer is written
		 * after it is freed */
		CancelIoEx((HANDLE)t->udp, NULL);
		for (unsigned i = 0; i < TK__WIN_RX; i++) {
			DWORD got = 0, flags = 0;
			if (r->pending[i])
				(void)WSAGetOverlappedResult(t->udp, &r->ov[i], &got, TRUE, &flags);
			r->pending[i] = false;
		}
		closesocket(t->udp);
		WSACleanup();
		t->udp = INVALID_SOCKET;
	}
	if (r->ev) {
		tk__loop_unwatch(&t->loop, r->ev);
		CloseHandle(r->ev);
	}
	memset(r, 0, sizeof(*r));
}

void tk__sock_close(tk__sock s)
{
	closesocket(s);
	WSACleanup();
}

/* ---- sending ---- */

bool tk__send_error_is_queue(int e)
{
	return e == EAGAIN || e == ENOBUFS;
}

/* One datagram; a retry once when it reports an earlier datagram's ICMP error. */
static int send_one(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len)
{
	WSABUF wb = { .len = (ULONG)len, .buf = (char *)buf };
	DWORD sent = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (WSASendTo(t->udp, &wb, 1, &sent, 0, (const struct sockaddr *)&p->addr,
			      (int)p->addr_len, NULL, NULL) == 0)
			return 0;
		int e = WSAGetLastError();
		if (e != WSAECONNRESET)
			return wsa_errno(e);
	}
	return ECONNREFUSED;
}

/*
 * The buffers wb[0..nb) laid end to end, to p as datagrams of seg bytes (the last may be
 * shorter), in one WSASendMsg with UDP_SEND_MSG_SIZE; a retry once on an earlier datagram's
 * ICMP error, as send_one. Returns 0 or the Winsock error.
 */
static int send_uso(struct tk_tunnel *t, struct tk__peer *p, WSABUF *wb, DWORD nb, size_t seg)
{
	/* one control message: the header (its size already 8-aligned), the DWORD, padding to 8
	 * (mingw-w64's WSA_CMSG_* macros do not build with -Wsign-conversion) */
	_Static_assert(sizeof(WSACMSGHDR) % 8 == 0, "the data follows the header directly");
	union {
		char buf[sizeof(WSACMSGHDR) + sizeof(UINT64)];
		WSACMSGHDR align;
	} ctl;
	WSAMSG m = { .name = (LPSOCKADDR)&p->addr,
		     .namelen = (INT)p->addr_len,
		     .lpBuffers = wb,
		     .dwBufferCount = nb,
		     .Control = { .len = sizeof(ctl.buf), .buf = ctl.buf } };
	memset(&ctl, 0, sizeof(ctl));
	DWORD size = (DWORD)seg, sent = 0;
	ctl.align.cmsg_level = IPPROTO_UDP;
	ctl.align.cmsg_type = UDP_SEND_MSG_SIZE;
	ctl.align.cmsg_len = sizeof(WSACMSGHDR) + sizeof(size);
	memcpy(ctl.buf + sizeof(WSACMSGHDR), &size, sizeof(size));
	int e = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (WSASendMsg(t->udp, &m, 0, &sent, NULL, NULL) == 0)
			return 0;
		if ((e = WSAGetLastError()) != WSAECONNRESET)
			break;
	}
	return e;
}

/* Whether a USO send failed for USO itself (then: datagram by datagram from now on). */
static bool uso_refused(struct tk_tunnel *t, int e)
{
	if (e != WSAEINVAL && e != WSAEOPNOTSUPP && e != WSAENOPROTOOPT && e != WSAEMSGSIZE)
		return false;
	t->gso = false;
	tk__tunnel_log(t, TK_LOG_INFO,
		       "UDP segmentation offload refused by Winsock (error %d): sending datagram "
		       "by datagram",
		       e);
	return true;
}

/* The datagrams i..j of the batch, all to one peer: one USO send, or one by one. */
static void txb_send_run(struct tk_tunnel *t, unsigned i, unsigned j)
{
	struct txb *b = &t->txb;
	struct tk__peer *p = b->peer[i];
	if (j - i > 1 && t->gso) {
		WSABUF wb[GSO_MAX];
		size_t bytes = 0;
		for (unsigned k = i; k < j; k++) {
			wb[k - i].buf = (char *)(b->buf + (size_t)k * TXB_SLOT);
			wb[k - i].len = (ULONG)b->len[k];
			bytes += b->frame_len[k];
		}
		int e = send_uso(t, p, wb, j - i, b->len[i]);
		if (e == 0) {
			tk__send_done(t, p, j - i, bytes);
			return;
		}
		if (!uso_refused(t, e)) {
			tk__send_failed(t, p, wsa_errno(e), j - i);
			return;
		}
	}
	for (unsigned k = i; k < j; k++) {
		int e = send_one(t, p, b->buf + (size_t)k * TXB_SLOT, b->len[k]);
		if (e)
			tk__send_failed(t, p, e, 1);
		else
			tk__send_done(t, p, 1, b->frame_len[k]);
	}
}

/* The batch of one wake-up, run by run (tk__send_run). */
void tk__txb_flush(struct tk_tunnel *t)
{
	struct txb *b = &t->txb;
	for (unsigned i = 0, j; i < b->n; i = j) {
		j = tk__send_run(b->peer, b->len, i, b->n);
		txb_send_run(t, i, j);
	}
	b->n = 0;
}

void tk__txb_push(struct tk_tunnel *t, struct tk__peer *p, size_t len, size_t frame_len)
{
	struct txb *b = &t->txb;
	unsigned i = b->n++;
	b->peer[i] = p;
	b->len[i] = len;
	b->frame_len[i] = frame_len;
}

void tk__udp_send(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len, size_t seg,
		  size_t nsegs, size_t over)
{
	if (nsegs > 1 && t->gso) {
		WSABUF wb = { .len = (ULONG)len, .buf = (char *)buf };
		int e = send_uso(t, p, &wb, 1, seg);
		if (e == 0) {
			tk__send_done(t, p, nsegs, len - nsegs * over);
			return;
		}
		if (!uso_refused(t, e)) {
			tk__send_failed(t, p, wsa_errno(e), nsegs);
			return;
		}
	}
	/* the segments one by one */
	for (size_t off = 0, k = 0; k < nsegs && off < len; k++, off += seg) {
		size_t l = len - off < seg ? len - off : seg;
		int e = send_one(t, p, buf + off, l);
		if (e)
			tk__send_failed(t, p, e, 1);
		else
			tk__send_done(t, p, 1, l - over);
	}
}

/* No error queue on Windows: a refused datagram shows in the send or receive that follows. */
void tk__udp_errors(struct tk_tunnel *t)
{
	(void)t;
}

/*
 * The receives that completed, oldest first, each re-posted at once: up to BUDGET datagrams
 * per wake-up, the frames for the adapter written at the end.
 */
void tk__udp_readable(struct tk_tunnel *t)
{
	struct tk__udp_rx *r = &t->rx;

	t->batch_realtime = clock_ns(CLOCK_REALTIME);
	ResetEvent(r->ev); /* set again by any receive that completes from here on */
	for (int n = 0; n < BUDGET; n++) {
		unsigned i = r->head;
		DWORD got = 0, flags = 0, e = r->failed[i];
		if (r->pending[i]) {
			if (!HasOverlappedIoCompleted(&r->ov[i]))
				break;
			if (!WSAGetOverlappedResult(t->udp, &r->ov[i], &got, FALSE, &flags))
				e = (DWORD)WSAGetLastError();
		}
		r->pending[i] = false;
		if (e == WSAEMSGSIZE)
			tk__count_drop(t, NULL, TK__DROP_MALFORMED);
		else if (e != 0)
			tk__count_drop(t, NULL, TK__DROP_UNREACHABLE);
		else
			tk__from_peer(t, &t->rx_src[i], t->rx_bufs[i], got);
		rx_post(t, i);
		r->head = (i + 1) % TK__WIN_RX;
	}
	tk__gro_flush(&t->gro);
}
