/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle and the loop: tk_tunnel_new/free, dispatch/run/stop, the helpers for logs and drops.
 */
#include "engine.h"

void tk__tunnel_log(struct tk_tunnel *t, tk_log_level level, const char *fmt, ...)
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

void tk__count_drops(struct tk_tunnel *t, struct tk__peer *p, enum tk__drop d, size_t n)
{
	t->drops[d] += n;
	if (p)
		p->st.drops[d] += n;
}

void tk__count_drop(struct tk_tunnel *t, struct tk__peer *p, enum tk__drop d)
{
	tk__count_drops(t, p, d, 1);
}

/* ---- the loop ---- */

void tk__timer_rearm(struct tk_tunnel *t)
{
	uint64_t want = tk__v2_deadline(t);
	if (t->reopen_pending && t->reopen_at < want)
		want = t->reopen_at;
	if (want == t->timer_at)
		return;
	t->timer_at = want;
	if (want == UINT64_MAX) {
		tk__loop_timer(&t->loop, 0);
		return;
	}
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	tk__loop_timer(&t->loop, want > now ? want - now : 1);
}

static void on_event(struct tk_tunnel *t, const struct tk__loop_event *ev)
{
	switch (ev->tag) {
	case TK__EV_TAP:
		if (t->dev)
			tk__tap_readable(t);
		break;
	case TK__EV_UDP:
		if (ev->error)
			tk__udp_errors(t);
		if (ev->readable)
			tk__udp_readable(t);
		break;
	case TK__EV_TIMER:
		if (!ev->readable)
			break;
		t->timer_at = UINT64_MAX; /* fired */
		if (t->reopen_pending && clock_ns(CLOCK_MONOTONIC) >= t->reopen_at)
			tk__adapter_recover(t, NULL);
		tk__v2_tick(t);
		tk__timer_rearm(t);
		break;
	default: /* TK__EV_STOP: the flag says it, the wake-up was only to notice it */
		break;
	}
}

tk_status tk_tunnel_dispatch(tk_tunnel *t, int timeout_ms, tk_error *err)
{
	struct tk__loop_event evs[TK__LOOP_EVENTS];

	if (!t)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "dispatch", "tunnel", TK_OS_NONE,
					   0, "the tunnel is NULL");
	if (atomic_load(&t->stop))
		return tk__error_set_quiet(err, TK_E_INTERRUPTED, "dispatch", t->conf.dev,
					   TK_OS_NONE, 0, "the tunnel was stopped");
	int n = tk__loop_wait(&t->loop, evs, TK__LOOP_EVENTS, timeout_ms);
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
	/* read once for all the wake-up handles (a budget's worth of frames, a few ms at most) */
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	t->now = now;
	tk__mac_expire(&t->macs, now);
	tk__v2_begin(t, now);
	for (int i = 0; i < n && !atomic_load(&t->stop); i++)
		on_event(t, &evs[i]);
	if (tk__v2_deadline(t) <= now)
		tk__v2_tick(t); /* due while busy: the timer's wake-up may come late */
	tk__timer_rearm(t);
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
	tk__loop_wake(&t->loop);
}

tk_os_handle tk_tunnel_handle(const tk_tunnel *t)
{
	return t ? tk__loop_handle(&t->loop) : TK_OS_HANDLE_INVALID;
}

/* ---- start and end ---- */

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
	if (t->npeers && sodium_mlock(t->peers, tk__peers_bytes(t->npeers)) != 0)
		e = errno;
	if (e) {
		char ebuf[128];
		tk__tunnel_log(
			t, TK_LOG_WARN,
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
	}
	t->gso = true;
	if (!ok || !tk__gro_init(&t->gro, tk__tap_emit, t, t->conf.mode == TK__TUNNEL_PLAIN) ||
	    !tk__mac_init(&t->macs, t->conf.mac_table_size,
			  (uint64_t)t->conf.mac_age_s * 1000000000ull))
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate the tunnel's buffers");
	if ((st = tk__loop_open(&t->loop, t->conf.dev, err)) != TK_OK)
		return st;
	if ((st = tk__udp_open(&t->conf, &t->udp, &t->family, err)) != TK_OK)
		return st;
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	if (getsockname(t->udp, (struct sockaddr *)&bound, &bl) == 0)
		tk__endpoint_format((const struct sockaddr *)&bound, t->listen_text,
				    sizeof(t->listen_text));
	t->peers = tk__peers_build(t, &t->conf, NULL, 0, false);
	if (!t->peers)
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate the peers");
	t->npeers = t->conf.npeers;
	randombytes_buf(t->peer_hash_key, sizeof(t->peer_hash_key));
	if (!tk__peers_index(t))
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate the peers' index");
	if (!tk__v2_attach(t, true))
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "start", t->conf.dev, TK_OS_NONE, 0,
					   "cannot allocate sealed mode's state (or the crypto "
					   "library failed)");
	t->frame_max = t->conf.mtu + TK__ETH_HLEN + TK__ETH_VLAN;
	if (t->conf.has_key)
		keys_lock(t);
	if ((st = tk__udp_start(t, err)) != TK_OK)
		return st;
	return tk__adapter_start(t, err);
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
	t->udp = TK__SOCK_NONE;
	tk__loop_init(&t->loop);
	t->timer_at = UINT64_MAX;
	atomic_init(&t->stop, false);
	t->started = clock_ns(CLOCK_REALTIME);
	st = start(t, err);
	if (st != TK_OK) {
		tk_tunnel_free(t);
		return st;
	}
	tk__tunnel_log(t, TK_LOG_INFO, "tunnel up: mode %s, vni %u, listening on %s, %zu peer(s)",
		       t->conf.mode == TK__TUNNEL_SEALED ? "sealed" : "plain", t->conf.vni,
		       t->listen_text, t->npeers);
	*out = t;
	return TK_OK;
}

void tk_tunnel_free(tk_tunnel *t)
{
	if (!t)
		return;
	/* the adapter first: a non-persistent one goes away with our handle */
	tk__adapter_close(t);
	tk__udp_close(t);
	tk__loop_close(&t->loop);
	tk__peers_free(t->peers, t->npeers);
	tk__v2_free(t);
	tk__peers_index_free(t);
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
	/*
	 * The cipher contexts are per thread (seal.c) and made again on first use: this thread's
	 * go now, so a thread that ran a tunnel and ends leaves nothing behind.
	 */
	tk__seal_cleanup();
	tk__tunnel_conf_free(&t->conf);
	sodium_memzero(t, sizeof(*t));
	free(t);
}
