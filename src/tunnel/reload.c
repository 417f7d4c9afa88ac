/* SPDX-License-Identifier: MIT */
/*
 * Reload: a new configuration applied while running (peers keep state, addresses and MTU
 * synchronised, the socket rebound when the listen address moves).
 */
#include "engine.h"

/* ---- reload ---- */

static bool listen_same(const struct tk__tunnel_conf *a, const struct tk__tunnel_conf *b)
{
	if (a->listen.ss_family != b->listen.ss_family || a->port != b->port)
		return false;
	return a->listen.ss_family == AF_UNSPEC || tk__addr_equal(&a->listen, &b->listen, true);
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
			tk__tunnel_log(t, TK_LOG_WARN, "reload: address not removed: %s",
				       e.message);
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
			tk__tunnel_log(t, TK_LOG_WARN, "reload: address not added: %s", e.message);
	}
	if (nc->mtu != t->conf.mtu) {
		tk_error e = { 0 };
		if (tk_adapter_set_mtu(t->ctx, t->dev_name, nc->mtu, &e) != TK_OK)
			tk__tunnel_log(t, TK_LOG_WARN, "reload: MTU not set: %s", e.message);
	}
}

static bool reload_apply(struct tk_tunnel *t, struct tk__tunnel_conf *nc, tk_error *err)
{
	tk__sock nfd = TK__SOCK_NONE;
	int nfamily = t->family;

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
	if (!listen_same(&t->conf, nc) && tk__udp_open(nc, &nfd, &nfamily, err) != TK_OK)
		return false;
	int old_family = t->family;
	t->family = nfamily; /* peers_build maps endpoints into the socket's family */
	/* sealed mode: the handshake binds the key, the VNI and the identifiers */
	bool same = nc->mode == t->conf.mode && nfamily == old_family &&
		    memcmp(nc->sk, t->conf.sk, TK__KEY_LEN) == 0 && nc->vni == t->conf.vni &&
		    nc->wg_identifiers == t->conf.wg_identifiers;
	struct tk__peer *np = tk__peers_build(t, nc, t->peers, t->npeers, same);
	if (!np) {
		t->family = old_family;
		if (nfd != TK__SOCK_NONE)
			tk__sock_close(nfd);
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
	if (nfd != TK__SOCK_NONE) {
		tk__udp_close(t);
		t->udp = nfd;
		tk_error e2 = { 0 };
		if (tk__udp_start(t, &e2) != TK_OK)
			tk__tunnel_log(t, TK_LOG_ERROR,
				       "reload: the new UDP socket is not watched: %s", e2.message);
		tk__endpoint_format((const struct sockaddr *)&nc->listen, t->listen_text,
				    sizeof(t->listen_text));
	}
	/* like the first peers (tk_tunnel_new), now under RLIMIT_MEMLOCK if the daemon dropped root */
	if (nc->has_key && sodium_mlock(np, tk__peers_bytes(nc->npeers)) != 0) {
		char ebuf[128];
		tk__tunnel_log(
			t, TK_LOG_WARN,
			"cannot lock the peers' keys in memory (%s; see ulimit -l, LimitMEMLOCK=): "
			"they may be swapped out",
			tk__errno_text(errno, ebuf, sizeof(ebuf)));
	}
	addrs_sync(t, nc);
	tk__peers_free(t->peers, t->npeers);
	t->peers = np;
	t->npeers = nc->npeers;
	if (!tk__peers_index(t)) {
		/* nothing may point into the old peers: no lookup finds any until the next reload */
		tk__peers_index_free(t);
		t->macs.st_count = 0;
		tk__tunnel_log(
			t, TK_LOG_ERROR,
			"reload: out of memory indexing the peers: their datagrams are dropped "
			"(unknown_peer) until the next reload");
	}
	t->frame_max = nc->mtu + TK__ETH_HLEN + TK__ETH_VLAN;
	tk__tunnel_conf_free(&t->conf); /* wipes the old private key */
	t->conf = *nc;
	/* not memset: the caller's copy is dead from here, so a plain store could be elided */
	sodium_memzero(nc, sizeof(*nc));
	if (!tk__v2_attach(t, !same))
		tk__tunnel_log(
			t, TK_LOG_ERROR,
			"reload: out of memory for sealed mode's state: datagrams are dropped "
			"(no_session) until the next reload");
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
		tk__tunnel_log(t, TK_LOG_INFO, "reloaded %s: mode %s, vni %u, %zu peer(s)",
			       t->conf.origin[0] ? t->conf.origin : "a configuration",
			       t->conf.mode == TK__TUNNEL_SEALED ? "sealed" : "plain", t->conf.vni,
			       t->npeers);
	}
	tk_trace_end(t->ctx);
	tk_tunnel_config_free(cfg); /* reload_apply took the peers and key when it succeeded */
	return st;
}

tk_status tk_tunnel_reload_file(tk_tunnel *t, const char *path, tk_error *err)
{
	tk_tunnel_config *cfg = NULL;

	if (!t || !path)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "reload", "tunnel", TK_OS_NONE,
					   0, "the tunnel or the path is NULL");
	/* with a User the running key is kept, not read: tk__tunnel_conf_reload */
	tk_status st = tk__tunnel_config_reload(t->ctx, path, &t->conf, &cfg, err);
	if (st != TK_OK) {
		t->reload_failures++; /* a refused file is a refused reload */
		return st;
	}
	return tk_tunnel_reload(t, cfg, err);
}
