/* SPDX-License-Identifier: MIT */
/*
 * Sending: frames from the adapter to the peer their destination MAC is behind, or flooded; VXLAN
 * (and seal) headers in place; TSO super-frames split; send results counted and logged.
 */
#include "engine.h"

/*
 * Whether an event may be logged now: at most one line per ICMP_LOG_NS for each limiter (per
 * peer and kind), the events in between counted and given back in *skipped with the next line.
 */
bool tk__log_due(struct tk__log_limit *l, uint64_t *skipped)
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
void tk__send_failed(struct tk_tunnel *t, struct tk__peer *p, int e, size_t nsegs)
{
	uint64_t skipped = 0;

	tk__count_drops(t, p,
			tk__send_error_is_queue(e) ? TK__DROP_QUEUE_FULL
			: e == EMSGSIZE		   ? TK__DROP_TOO_BIG
						   : TK__DROP_UNREACHABLE,
			nsegs);
	if (e != p->last_errno && !tk__send_error_is_queue(e) &&
	    tk__log_due(&p->send_log, &skipped)) {
		char ebuf[128];

		tk__tunnel_log(
			t, TK_LOG_WARN,
			"peer %s: send failed: %s (counted; will keep trying; %llu earlier event(s) "
			"not logged)",
			p->conf.ep_text, tk__errno_text(e, ebuf, sizeof(ebuf)),
			(unsigned long long)skipped);
		p->fail_logged = true;
	}
	p->last_errno = e;
}

/* nsegs datagrams carrying bytes of frames went to p. */
void tk__send_done(struct tk_tunnel *t, struct tk__peer *p, size_t nsegs, size_t bytes)
{
	/* as many recovery lines as failure lines, which are rate-limited */
	if (p->fail_logged && p->last_errno) {
		tk__tunnel_log(t, TK_LOG_INFO, "peer %s: sending works again", p->conf.ep_text);
		p->fail_logged = false;
	}
	p->last_errno = 0;
	p->st.tx_frames += nsegs;
	p->st.tx_bytes += bytes;
}

static size_t overhead(const struct tk_tunnel *t)
{
	return TK__VXLAN_HLEN + (t->conf.mode == TK__TUNNEL_SEALED ? TK__SEALED_OVERHEAD : 0);
}

/*
 * Sends the frame (with HEADROOM writable bytes before it) to one peer. The VXLAN header goes
 * in front in place; sealed mode seals into seal_buf, one peer at a time since keys differ.
 */
void tk__send_to(struct tk_tunnel *t, struct tk__peer *p, uint8_t *frame, size_t len)
{
	uint8_t *vx = frame - TK__VXLAN_HLEN;
	uint8_t *out = vx;
	size_t out_len = len + TK__VXLAN_HLEN;

	tk__vxlan_encode(vx, t->conf.vni);
	uint8_t *slot = tk__txb_slot(t, out_len + overhead(t) - TK__VXLAN_HLEN);
	if (t->conf.mode == TK__TUNNEL_SEALED) {
		/* sealed straight into the batch's slot when there is one */
		uint8_t *dst = slot ? slot : t->seal_buf;
		out_len = tk__v2_seal(t, p, vx, out_len, dst, slot ? TXB_SLOT : BUF_SIZE);
		if (out_len == 0)
			return; /* waits for a handshake, or counted */
		out = dst;
	} else if (slot) {
		memcpy(slot, vx, out_len);
	}
	if (slot) {
		tk__txb_push(t, p, out_len, len);
		return;
	}
	tk__udp_send(t, p, out, out_len, out_len, 1, overhead(t));
}

uint8_t *tk__txb_slot(struct tk_tunnel *t, size_t len)
{
	struct txb *b = &t->txb;
	if (!t->batching || len > TXB_SLOT)
		return NULL;
#ifdef _WIN32
	if (!t->gso)
		return NULL; /* without USO nothing sends a batch at once: each datagram goes now */
#endif
	if (b->n == TXB_N)
		tk__txb_flush(t);
	return b->buf + (size_t)b->n * TXB_SLOT;
}

unsigned tk__send_run(struct tk__peer *const *peer, const size_t *len, unsigned i, unsigned n)
{
	size_t seg = len[i], total = len[i];
	unsigned j = i + 1;
	while (j < n && j - i < GSO_MAX && peer[j] == peer[i] && len[j] <= seg &&
	       total + len[j] <= GSO_BYTES) {
		total += len[j];
		if (len[j++] < seg)
			break; /* a shorter datagram can only be a run's last */
	}
	return j;
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
	tk__txb_flush(t); /* the small frames read before this one go first */
	if (sealed && !tk__v2_ready(p)) {
		/* no session yet: each segment waits for the handshake */
		uint8_t *seg = t->seg_buf + HEADROOM;
		size_t l;
		while (tk__tso_left(&s) && (l = tk__tso_next(&s, seg, FRAME_CAP)) != 0)
			tk__send_to(t, p, seg, l);
		return;
	}
	while (tk__tso_left(&s)) {
		size_t pos = 0, k = 0;
		while (k < per && tk__tso_left(&s)) {
			size_t l;
			if (sealed) {
				uint8_t *seg = t->seg_buf + HEADROOM;
				l = tk__tso_next(&s, seg, FRAME_CAP);
				tk__vxlan_encode(seg - TK__VXLAN_HLEN, t->conf.vni);
				if (l &&
				    (l = tk__v2_seal(t, p, seg - TK__VXLAN_HLEN, l + TK__VXLAN_HLEN,
						     t->gso_buf + pos, GSO_BUF - pos)) == 0)
					continue; /* waits for a new handshake, or counted */
			} else {
				l = tk__tso_next(&s, t->gso_buf + pos + TK__VXLAN_HLEN,
						 GSO_BUF - pos - TK__VXLAN_HLEN);
				tk__vxlan_encode(t->gso_buf + pos, t->conf.vni);
				l = l ? l + TK__VXLAN_HLEN : 0;
			}
			if (l == 0) {
				/* no room: cannot happen with the sizes above, but never loop */
				tk__count_drops(t, p, TK__DROP_TOO_BIG, tk__tso_left(&s) + k);
				return;
			}
			pos += l;
			k++;
		}
		if (k)
			tk__udp_send(t, p, t->gso_buf, pos, dgram, k, over);
	}
}

/* One frame (tso: NULL) or a super-frame to split, to one peer. */
static void out_to(struct tk_tunnel *t, struct tk__peer *p, uint8_t *frame, size_t len,
		   const struct tk__tso *tso)
{
	if (tso)
		send_tso(t, p, tso);
	else
		tk__send_to(t, p, frame, len);
}

/* Sends to every peer but `except`; returns how many were tried. */
size_t tk__flood(struct tk_tunnel *t, uint8_t *frame, size_t len, const struct tk__tso *tso,
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

bool tk__mac_listed(const struct tk__peer_conf *pc, const uint8_t *mac)
{
	for (size_t i = 0; i < pc->nmacs; i++)
		if (memcmp(pc->macs[i], mac, TK_MAC_LEN) == 0)
			return true;
	return false;
}

/*
 * The peer a unicast destination is behind: a peer's AllowedMACs (static entries of the MAC
 * table), then what was learned. One hash lookup, whatever the number of peers.
 */
uint32_t tk__dst_port(struct tk_tunnel *t, const uint8_t *dst, uint64_t now)
{
	if (TK__MAC_IS_GROUP(dst))
		return TK__MAC_NONE;
	return tk__mac_lookup(&t->macs, dst, now);
}

/* ---- frames from the adapter ---- */

/*
 * A frame read from the adapter, after its virtio-net header v: a TCP super-frame (TSO) is
 * split on the way out; any other frame may carry a partial checksum, completed here since
 * the peer (the kernel's vxlan, too) expects whole ones.
 */
void tk__from_tap(struct tk_tunnel *t, uint8_t *frame, size_t len, const struct tk__vnet *v)
{
	struct tk__tso tso, *split = NULL;
	size_t nseg = 1;

	if (len < TK__ETH_HLEN) {
		tk__count_drop(t, NULL, TK__DROP_MALFORMED);
		return;
	}
	if (v->gso_type != TK__VNET_GSO_NONE) {
		if (tk__tso_begin(&tso, frame, len, v) != TK__PASS) {
			tk__count_drop(t, NULL, TK__DROP_MALFORMED);
			return;
		}
		split = &tso;
		nseg = tk__tso_left(&tso);
		if (tk__tso_seg_len(&tso) > t->frame_max) {
			tk__count_drops(t, NULL, TK__DROP_TOO_BIG, nseg);
			return;
		}
	} else if (len > t->frame_max) {
		tk__count_drop(t, NULL, TK__DROP_TOO_BIG);
		return;
	} else if (tk__csum_complete(frame, len, v) != TK__PASS) {
		tk__count_drop(t, NULL, TK__DROP_MALFORMED);
		return;
	}
	uint64_t now = t->now;
	/*
	 * Our own stations are learned as local (never as a peer): with Forward, a frame from a
	 * peer to one of them then goes to the adapter only instead of being flooded.
	 */
	if (!TK__MAC_IS_GROUP(frame + TK_MAC_LEN))
		tk__mac_learn(&t->macs, frame + TK_MAC_LEN, TK__MAC_LOCAL, now);
	uint32_t port = tk__dst_port(t, frame, now);
	if (port == TK__MAC_LOCAL)
		return; /* for a station on our side: a switch filters it */
	if (port != TK__MAC_NONE && port < t->npeers) {
		out_to(t, &t->peers[port], frame, len, split);
		return;
	}
	if (tk__flood(t, frame, len, split, TK__MAC_NONE) == 0)
		tk__count_drops(t, NULL, TK__DROP_NO_ROUTE, nseg);
}
