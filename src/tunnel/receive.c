/* SPDX-License-Identifier: MIT */
/*
 * Receiving: one datagram from a peer, checked (seal, VXLAN, AllowedMACs), its source learned,
 * the frame written to the adapter and, with Forward, switched on.
 */
#include "engine.h"

static void deliver(struct tk_tunnel *t, struct tk__peer *p, uint32_t idx, uint8_t *vx, size_t vlen,
		    struct tk__run *r);

/*
 * One datagram (len bytes at buf, which it may overwrite) from src. Plain mode knows a peer by
 * its address; sealed mode by what the datagram authenticates (sealed.c), wherever it came from.
 */
void tk__from_peer(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf, size_t n)
{
	uint32_t idx = 0;

	if (t->conf.mode == TK__TUNNEL_SEALED) {
		tk__v2_from_peer(t, src, buf, n, NULL);
		return;
	}
	struct tk__peer *p = tk__peer_find(t, src, &idx);
	if (!p) {
		tk__count_drop(t, NULL, TK__DROP_UNKNOWN_PEER);
		return;
	}
	deliver(t, p, idx, buf, n, NULL);
}

void tk__from_peer_run(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		       size_t n, size_t seg)
{
	uint32_t idx = 0;
	struct tk__run r = { .learned = false };

	if (seg == 0 || seg >= n) {
		tk__from_peer(t, src, buf, n);
		return;
	}
	if (t->conf.mode == TK__TUNNEL_SEALED) {
		for (size_t off = 0; off < n; off += seg)
			tk__v2_from_peer(t, src, buf + off, n - off < seg ? n - off : seg, &r);
		return;
	}
	/* every datagram of the run has the same source: one lookup */
	struct tk__peer *p = tk__peer_find(t, src, &idx);
	if (!p) {
		tk__count_drops(t, NULL, TK__DROP_UNKNOWN_PEER, (n + seg - 1) / seg);
		return;
	}
	for (size_t off = 0; off < n; off += seg)
		deliver(t, p, idx, buf + off, n - off < seg ? n - off : seg, &r);
}

/* A VXLAN packet (vx, vlen bytes, HEADROOM writable before it) from peer idx, authenticated. */
void tk__deliver(struct tk_tunnel *t, struct tk__peer *p, uint32_t idx, uint8_t *vx, size_t vlen,
		 struct tk__run *r)
{
	deliver(t, p, idx, vx, vlen, r);
}

static void deliver(struct tk_tunnel *t, struct tk__peer *p, uint32_t idx, uint8_t *vx, size_t vlen,
		    struct tk__run *r)
{
	const uint8_t *fr = NULL;
	size_t flen = 0;
	enum tk__drop d = tk__vxlan_decode(vx, vlen, t->conf.vni, &fr, &flen);
	if (d != TK__PASS) {
		tk__count_drop(t, p, d);
		return;
	}
	uint8_t *frame = vx + TK__VXLAN_HLEN; /* == fr, writable: forwarding prepends headers */
	if (flen > t->frame_max) {
		tk__count_drop(t, p, TK__DROP_TOO_BIG);
		return;
	}
	const uint8_t *smac = frame + TK_MAC_LEN;
	if (p->conf.nmacs && !tk__mac_listed(&p->conf, smac)) {
		tk__count_drop(t, p, TK__DROP_MAC_NOT_ALLOWED);
		return;
	}
	uint64_t now = t->now; /* the dispatch's */
	p->st.rx_frames++;
	p->st.rx_bytes += flen;
	p->st.last_seen_ns = t->batch_realtime;
	if (!TK__MAC_IS_GROUP(smac) &&
	    (!r || !r->learned || memcmp(r->smac, smac, TK_MAC_LEN) != 0)) {
		tk__mac_learn(&t->macs, smac, idx, now);
		if (r) {
			memcpy(r->smac, smac, TK_MAC_LEN);
			r->learned = true;
		}
	}
	if (t->conf.forward) {
		uint32_t port = tk__dst_port(t, frame, now);
		if (port == idx)
			return; /* behind the sender itself: a switch filters it */
		if (port != TK__MAC_NONE && port < t->npeers) {
			tk__send_to(t, &t->peers[port], frame, flen);
			return;
		}
		if (port == TK__MAC_NONE)
			tk__flood(t, frame, flen, NULL, idx);
		/* headers were written in front; the frame itself is unchanged */
	}
	tk__to_tap(t, idx, frame, flen);
}
