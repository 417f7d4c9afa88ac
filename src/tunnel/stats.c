/* SPDX-License-Identifier: MIT */
/*
 * The tunnel's state as plain data: tk_tunnel_stats and the drop names.
 */
#include "engine.h"

/* ---- status as data ---- */

static const char *const drop_descs[TK__DROP__COUNT] = { [TK__PASS] = "accepted",
#define TK__DROP_DESC(name, key, desc) [TK__DROP_##name] = (desc),
							 TK__DROP_MAP(TK__DROP_DESC)
#undef TK__DROP_DESC
};

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
	o->sessions = p->st.handshakes;
	memcpy(o->drops, p->st.drops, sizeof(p->st.drops));
	o->handshakes = p->st.handshakes;
	o->last_handshake_ns = p->st.last_handshake_ns;
	o->keepalives_rx = p->st.keepalives_rx;
	if (!tk__endpoint_format((const struct sockaddr *)&p->addr, o->current_endpoint,
				 sizeof(o->current_endpoint)))
		tk__strlcpy(o->current_endpoint, p->conf.ep_text, sizeof(o->current_endpoint));
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
