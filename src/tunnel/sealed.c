/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode in the engine: the v2 protocol core (noise.c, cookie.c, transport.c, timers.c,
 * ratelimit.c, peerlookup.c) driven by datagrams, frames and the loop's timer, as
 * docs/tunnel-crypto.md's "For the engine" section lists it. The core is pure; here are the
 * I/O, the clocks, the index table, the frames waiting for a handshake and roaming.
 *
 * Rule: nothing unauthenticated changes state. A peer's endpoint follows the source of its last
 * authenticated datagram (roaming); an ICMP error, a forged or replayed datagram change nothing.
 */
#include "engine.h"
#include "noise_internal.h"

#define QUEUE_MAX  16  /* frames waiting for a handshake, per peer (the oldest are dropped) */
#define LOAD_LIMIT 128 /* handshake messages per second beyond which the tunnel is under load */
#define LOG_NS	   ICMP_LOG_NS

struct tk__v2peer {
	struct tk__noise_peer np;
	uint32_t index; /* in t->peers */
	unsigned qn;
	uint8_t *q[QUEUE_MAX]; /* VXLAN header + frame, allocated */
	size_t qlen[QUEUE_MAX];
};

struct tk__v2 {
	struct tk__noise_params params;
	struct tk__noise_local local;
	struct tk__ratelimit rl;
	struct tk__index idx;
	struct tk__noise_peer **nps; /* nps[i]: t->peers[i]'s, for tk__index_sync */
	size_t nnps;
	uint64_t now;	     /* CLOCK_MONOTONIC of the current wake-up */
	uint64_t next;	     /* the earliest protocol deadline, UINT64_MAX: none */
	uint64_t load_start; /* the current second of handshake counting */
	uint32_t load_count; /* handshake messages in it */
	uint64_t load_until; /* under load until then */
	struct tk__log_limit v1_log, hs_log;
};

static uint64_t jitter(void)
{
	return randombytes_uniform((uint32_t)TK__REKEY_TIMEOUT_JITTER_MAX);
}

/* The address bytes a cookie and the rate limit are bound to: address and port. */
static size_t src_bytes(const struct sockaddr_storage *src, uint8_t out[TK__RL_ADDR_MAX])
{
	if (src->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;
		memcpy(out, &s4->sin_addr, 4);
		memcpy(out + 4, &s4->sin_port, 2);
		return 6;
	}
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
	memcpy(out, &s6->sin6_addr, 16);
	memcpy(out + 16, &s6->sin6_port, 2);
	return 18;
}

static void fmt_src(const struct sockaddr_storage *src, char *buf, size_t size)
{
	if (!tk__endpoint_format((const struct sockaddr *)src, buf, size))
		tk__strlcpy(buf, "?", size);
}

/* ---- state ---- */

/* Wipes and frees the frames waiting for a handshake; how many there were. */
static unsigned queue_wipe(struct tk__v2peer *v)
{
	unsigned n = v->qn;
	for (unsigned i = 0; i < n; i++) {
		sodium_memzero(v->q[i], v->qlen[i]);
		free(v->q[i]);
	}
	v->qn = 0;
	return n;
}

static void queue_drop(struct tk_tunnel *t, struct tk__peer *p)
{
	unsigned n = queue_wipe(p->v2);
	if (n)
		tk__count_drops(t, p, TK__DROP_NO_SESSION, n);
}

void tk__v2_peer_free(struct tk__peer *p)
{
	if (!p->v2)
		return;
	(void)queue_wipe(p->v2);
	tk__noise_peer_free(&p->v2->np);
	sodium_free(p->v2); /* wipes */
	p->v2 = NULL;
}

static void index_sync(struct tk_tunnel *t)
{
	(void)tk__index_sync(&t->v2->idx, t->v2->nps, t->v2->nnps); /* sized for npeers */
}

void tk__v2_free(struct tk_tunnel *t)
{
	struct tk__v2 *v = t->v2;
	if (!v)
		return;
	tk__ratelimit_free(&v->rl);
	tk__index_free(&v->idx);
	free(v->nps);
	tk__noise_local_wipe(&v->local);
	sodium_free(v);
	t->v2 = NULL;
	tk__noise_cleanup();
}

/*
 * Sets up sealed mode for t->conf and t->peers: the tunnel's identity and tables (made again
 * when fresh is true: a new key, VNI or identifiers), and the protocol state of every peer
 * that has none yet (new peers; kept ones keep theirs). false when out of memory.
 */
bool tk__v2_attach(struct tk_tunnel *t, bool fresh)
{
	if (fresh)
		tk__v2_free(t);
	if (t->conf.mode != TK__TUNNEL_SEALED)
		return true;
	struct tk__v2 *v = t->v2;
	if (!v) {
		v = sodium_malloc(sizeof(*v));
		if (!v)
			return false;
		memset(v, 0, sizeof(*v));
		t->v2 = v;
		v->next = UINT64_MAX;
		bool ok = t->conf.wg_identifiers ? tk__noise_params_wireguard(&v->params)
						 : tk__noise_params_tapkit(&v->params, t->conf.vni);
		if (!ok || !tk__noise_local_init(&v->local, &v->params, t->conf.sk) ||
		    !tk__ratelimit_init(&v->rl, 4096)) {
			tk__v2_free(t);
			return false;
		}
	}
	tk__index_free(&v->idx);
	free(v->nps);
	v->nps = calloc(t->npeers ? t->npeers : 1, sizeof(struct tk__noise_peer *));
	v->nnps = 0;
	if (!v->nps || !tk__index_init(&v->idx, (uint32_t)(t->npeers ? t->npeers : 1)))
		return false;
	for (size_t i = 0; i < t->npeers; i++) {
		struct tk__peer *p = &t->peers[i];
		if (!p->v2) {
			p->v2 = sodium_malloc(sizeof(*p->v2));
			if (!p->v2)
				return false;
			memset(p->v2, 0, sizeof(*p->v2));
			if (tk__noise_peer_init(&p->v2->np, &v->local, p->conf.pk,
						p->conf.has_psk ? p->conf.psk : NULL) !=
			    TK__NOISE_OK) {
				sodium_free(p->v2);
				p->v2 = NULL;
				return false;
			}
		}
		p->v2->index = (uint32_t)i;
		p->v2->np.timers.persistent_interval = (uint64_t)p->conf.keepalive_s * TK__NS;
		v->nps[i] = &p->v2->np;
	}
	v->nnps = t->npeers;
	index_sync(t);
	/* a peer with PersistentKeepalive is greeted at once, as WireGuard does (a handshake) */
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < t->npeers; i++) {
		struct tk__timers *tm = &t->peers[i].v2->np.timers;
		if (tm->persistent_interval && !tm->persistent_at && !tm->has_initiated)
			tm->persistent_at = now;
		(void)tk__timers_take_armed(tm); /* looked at in full just below */
		uint64_t n = tk__timers_next(tm);
		if (n < v->next)
			v->next = n;
	}
	tk__timer_rearm(t);
	return true;
}

/* ---- the timer ---- */

/*
 * A peer's deadlines may have moved earlier: the loop's timer follows. v->next stays at or
 * below every deadline as of its peer's last note or tick, so only the deadlines set since
 * can lower it (tk__timers_take_armed); a deadline cleared or moved later leaves a timer that
 * fires early, finds nothing due and is armed again, as it always did.
 */
static void note(struct tk_tunnel *t, struct tk__peer *p)
{
	uint64_t n = tk__timers_take_armed(&p->v2->np.timers);
	if (n < t->v2->next) {
		t->v2->next = n;
		tk__timer_rearm(t);
	}
}

uint64_t tk__v2_deadline(const struct tk_tunnel *t)
{
	return t->v2 ? t->v2->next : UINT64_MAX;
}

static void send_ctl(struct tk_tunnel *t, const struct tk__peer *p, const uint8_t *msg, size_t len)
{
	tk__udp_send_ctl(t, &p->addr, msg, len);
}

/* Starts a handshake with p unless one went out less than REKEY_TIMEOUT ago. */
static void initiate(struct tk_tunnel *t, struct tk__peer *p, bool retry)
{
	struct tk__v2 *v = t->v2;
	struct tk__noise_peer *np = &p->v2->np;
	uint8_t msg[TK__MSG_INITIATION_LEN];

	if (!retry && !tk__timers_may_initiate(&np->timers, v->now))
		return;
	if (tk__noise_initiation_create(np, &v->local, tk__index_fresh(&v->idx),
					clock_ns(CLOCK_REALTIME), v->now, msg) != TK__NOISE_OK)
		return;
	index_sync(t);
	send_ctl(t, p, msg, sizeof(msg));
	tk__timers_initiation_sent(&np->timers, v->now, jitter(), retry);
	note(t, p);
}

static void send_keepalive(struct tk_tunnel *t, struct tk__peer *p)
{
	struct tk__v2 *v = t->v2;
	uint8_t msg[TK__MSG_DATA_OVERHEAD];
	size_t n = 0;
	struct tk__keypair *kp = tk__keypairs_current(&p->v2->np.kp);

	if (!kp || tk__transport_seal(kp, NULL, 0, msg, sizeof(msg), &n, v->now) != TK__NOISE_OK) {
		initiate(t, p, false);
		return;
	}
	send_ctl(t, p, msg, n);
	tk__timers_any_sent(&p->v2->np.timers, v->now);
	note(t, p);
}

/* The loop's timer fired (or a wake-up came after the deadline): every peer that is due. */
void tk__v2_tick(struct tk_tunnel *t)
{
	struct tk__v2 *v = t->v2;
	if (!v)
		return;
	v->now = clock_ns(CLOCK_MONOTONIC);
	if (v->now < v->next)
		return;
	uint64_t next = UINT64_MAX;
	bool sync = false;
	for (size_t i = 0; i < t->npeers; i++) {
		struct tk__peer *p = &t->peers[i];
		if (!p->v2)
			continue;
		struct tk__timers *tm = &p->v2->np.timers;
		if (tk__timers_next(tm) <= v->now) {
			unsigned act = tk__timers_tick(tm, v->now);
			if (act & TK__TIMER_GIVE_UP)
				queue_drop(t, p);
			if (act & TK__TIMER_ZERO_KEYS) {
				tk__noise_peer_zero(&p->v2->np);
				sync = true;
			}
			if (act & TK__TIMER_SEND_INITIATION)
				initiate(t, p, (act & TK__TIMER_RETRY) != 0);
			if (act & TK__TIMER_SEND_KEEPALIVE)
				send_keepalive(t, p);
		}
		(void)tk__timers_take_armed(tm); /* looked at in full just below */
		uint64_t n = tk__timers_next(tm);
		if (n < next)
			next = n;
	}
	if (sync)
		index_sync(t);
	v->next = next;
}

void tk__v2_begin(struct tk_tunnel *t, uint64_t now)
{
	if (t->v2)
		t->v2->now = now;
}

/* ---- sending ---- */

/* Keeps a frame (VXLAN header + frame) until the handshake completes. */
static void enqueue(struct tk_tunnel *t, struct tk__peer *p, const uint8_t *vx, size_t len)
{
	struct tk__v2peer *v = p->v2;
	if (v->qn == QUEUE_MAX) {
		sodium_memzero(v->q[0], v->qlen[0]);
		free(v->q[0]);
		memmove(v->q, v->q + 1, (QUEUE_MAX - 1) * sizeof(v->q[0]));
		memmove(v->qlen, v->qlen + 1, (QUEUE_MAX - 1) * sizeof(v->qlen[0]));
		v->qn--;
		tk__count_drop(t, p, TK__DROP_NO_SESSION);
	}
	uint8_t *c = malloc(len);
	if (!c) {
		tk__count_drop(t, p, TK__DROP_NO_SESSION);
		return;
	}
	memcpy(c, vx, len);
	v->q[v->qn] = c;
	v->qlen[v->qn++] = len;
}

size_t tk__v2_seal(struct tk_tunnel *t, struct tk__peer *p, const uint8_t *vx, size_t len,
		   uint8_t *out, size_t cap)
{
	struct tk__v2 *v = t->v2;
	size_t n = 0;

	if (!p->v2) {
		tk__count_drop(t, p, TK__DROP_NO_SESSION);
		return 0;
	}
	struct tk__noise_peer *np = &p->v2->np;
	struct tk__keypair *kp = tk__keypairs_current(&np->kp);
	enum tk__noise_result r =
		kp ? tk__transport_seal(kp, vx, len, out, cap, &n, v->now) : TK__NOISE_NO_KEYPAIR;
	if (r == TK__NOISE_NO_KEYPAIR || r == TK__NOISE_EXPIRED) {
		enqueue(t, p, vx, len);
		initiate(t, p, false);
		return 0;
	}
	if (r != TK__NOISE_OK) {
		tk__count_drop(t, p, TK__DROP_TOO_BIG);
		return 0;
	}
	tk__timers_data_sent(&np->timers, v->now, v->now % TK__REKEY_TIMEOUT_JITTER_MAX);
	tk__timers_any_sent(&np->timers, v->now);
	if (tk__timers_want_rekey_on_send(&np->kp, v->now))
		initiate(t, p, false);
	note(t, p);
	return n;
}

bool tk__v2_ready(const struct tk__peer *p)
{
	return p->v2 && tk__keypairs_current(&p->v2->np.kp) != NULL;
}

/* The handshake completed: what waited goes out, or a keepalive confirms the session. */
static void flush_queue(struct tk_tunnel *t, struct tk__peer *p)
{
	struct tk__v2peer *v = p->v2;
	unsigned n = v->qn;
	if (n == 0) {
		send_keepalive(t, p);
		return;
	}
	v->qn = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t l = tk__v2_seal(t, p, v->q[i], v->qlen[i], t->seal_buf, BUF_SIZE);
		if (l)
			tk__udp_send(t, p, t->seal_buf, l, l, 1, l - (v->qlen[i] - TK__VXLAN_HLEN));
		sodium_memzero(v->q[i], v->qlen[i]);
		free(v->q[i]);
	}
}

/* ---- receiving ---- */

static void roam(struct tk__peer *p, const struct sockaddr_storage *src)
{
	if (tk__addr_equal(&p->addr, src, true))
		return;
	p->addr = *src;
	p->addr_len = src->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6);
}

static bool under_load(struct tk_tunnel *t)
{
	struct tk__v2 *v = t->v2;
	if (v->now - v->load_start >= TK__NS) {
		v->load_start = v->now;
		v->load_count = 0;
	}
	if (++v->load_count > LOAD_LIMIT)
		v->load_until = v->now + TK__NS;
	return v->now < v->load_until;
}

static void refused(struct tk_tunnel *t, struct tk__peer *p, const struct sockaddr_storage *src,
		    const char *what, enum tk__noise_result r)
{
	uint64_t skipped = 0;
	tk__count_drop(t, p, TK__DROP_HANDSHAKE);
	if (r == TK__NOISE_BAD_MAC1 || !tk__log_due(&t->v2->hs_log, &skipped))
		return;
	char a[64];
	fmt_src(src, a, sizeof(a));
	tk__tunnel_log(t, TK_LOG_INFO,
		       "%s from %s refused: %s (counted as handshake; %llu earlier refusal(s) not "
		       "logged)",
		       what, a, tk__noise_result_key(r), (unsigned long long)skipped);
}

/*
 * The macs of a handshake message, and the load: under load, a message without a valid
 * cookie of its source is answered with a cookie reply, and one with it is rate limited.
 */
static bool hs_admit(struct tk_tunnel *t, const struct sockaddr_storage *src, const uint8_t *buf,
		     size_t n)
{
	struct tk__v2 *v = t->v2;
	uint8_t a[TK__RL_ADDR_MAX];
	size_t al = src_bytes(src, a);
	bool load = under_load(t);
	enum tk__noise_result r = tk__cookie_check(&v->local, buf, n, a, al, load, v->now);

	if (r == TK__NOISE_NEED_COOKIE) {
		uint8_t reply[TK__MSG_COOKIE_LEN];
		if (tk__cookie_reply_create(&v->local, buf, n, a, al, v->now, reply) ==
		    TK__NOISE_OK)
			tk__udp_send_ctl(t, src, reply, sizeof(reply));
		tk__count_drop(t, NULL, TK__DROP_UNDER_LOAD);
		return false;
	}
	if (r != TK__NOISE_OK) {
		refused(t, NULL, src, "handshake message", r);
		return false;
	}
	if (load && !tk__ratelimit_allow(&v->rl, a, al, v->now)) {
		tk__count_drop(t, NULL, TK__DROP_UNDER_LOAD);
		return false;
	}
	return true;
}

static struct tk__noise_peer *lookup(void *user, const uint8_t pk[TK__NOISE_KEY])
{
	struct tk_tunnel *t = user;
	for (size_t i = 0; i < t->npeers; i++)
		if (t->peers[i].v2 && memcmp(t->peers[i].conf.pk, pk, TK__NOISE_KEY) == 0)
			return &t->peers[i].v2->np;
	return NULL;
}

static struct tk__peer *peer_of(struct tk_tunnel *t, const struct tk__noise_peer *np)
{
	return &t->peers[((const struct tk__v2peer *)(const void *)np)->index];
}

static void handshake_done(struct tk__peer *p)
{
	p->st.handshakes++;
	p->st.last_handshake_ns = clock_ns(CLOCK_REALTIME);
}

static void on_initiation(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
			  size_t n)
{
	struct tk__v2 *v = t->v2;
	struct tk__noise_peer *np = NULL;
	uint8_t resp[TK__MSG_RESPONSE_LEN];

	if (!hs_admit(t, src, buf, n))
		return;
	enum tk__noise_result r = tk__noise_initiation_consume(
		&v->local, buf, n, v->now, clock_ns(CLOCK_REALTIME), lookup, t, &np);
	if (r != TK__NOISE_OK) {
		refused(t, np ? peer_of(t, np) : NULL, src, "initiation", r);
		return;
	}
	struct tk__peer *p = peer_of(t, np);
	r = tk__noise_response_create(np, tk__index_fresh(&v->idx), v->now, resp);
	if (r != TK__NOISE_OK) {
		refused(t, p, src, "initiation", r);
		return;
	}
	roam(p, src);
	index_sync(t);
	send_ctl(t, p, resp, sizeof(resp));
	tk__timers_any_sent(&np->timers, v->now);
	tk__timers_session_derived(&np->timers, v->now);
	note(t, p);
}

static void on_response(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
			size_t n)
{
	struct tk__v2 *v = t->v2;
	if (!hs_admit(t, src, buf, n))
		return;
	uint32_t i = tk__index_find(&v->idx, tk__msg_receiver(buf, n));
	if (i == TK__INDEX_NONE || i >= t->npeers || !t->peers[i].v2) {
		refused(t, NULL, src, "response", TK__NOISE_UNKNOWN_INDEX);
		return;
	}
	struct tk__peer *p = &t->peers[i];
	struct tk__noise_peer *np = &p->v2->np;
	enum tk__noise_result r = tk__noise_response_consume(np, &v->local, buf, n, v->now);
	if (r != TK__NOISE_OK) {
		refused(t, p, src, "response", r);
		return;
	}
	roam(p, src);
	index_sync(t);
	handshake_done(p);
	tk__timers_handshake_complete(&np->timers);
	tk__timers_session_derived(&np->timers, v->now);
	tk__timers_any_received(&np->timers, v->now);
	flush_queue(t, p);
	note(t, p);
}

static void on_cookie(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		      size_t n)
{
	uint32_t i = tk__index_find(&t->v2->idx, tk__msg_receiver(buf, n));
	if (i == TK__INDEX_NONE || i >= t->npeers || !t->peers[i].v2) {
		refused(t, NULL, src, "cookie reply", TK__NOISE_UNKNOWN_INDEX);
		return;
	}
	enum tk__noise_result r = tk__cookie_reply_consume(&t->peers[i].v2->np, buf, n, t->v2->now);
	if (r != TK__NOISE_OK)
		refused(t, &t->peers[i], src, "cookie reply", r);
}

static enum tk__drop data_drop(enum tk__noise_result r)
{
	switch (r) {
	case TK__NOISE_REPLAY:
	case TK__NOISE_EXPIRED:
		return TK__DROP_REPLAY;
	case TK__NOISE_BAD_AUTH:
		return TK__DROP_BAD_TAG;
	case TK__NOISE_TOO_BIG:
		return TK__DROP_TOO_BIG;
	default:
		return TK__DROP_MALFORMED;
	}
}

static void on_data(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf, size_t n,
		    struct tk__run *run)
{
	struct tk__v2 *v = t->v2;
	uint32_t receiver = tk__msg_receiver(buf, n);
	uint32_t i = tk__index_find(&v->idx, receiver);
	if (i == TK__INDEX_NONE || i >= t->npeers || !t->peers[i].v2) {
		tk__count_drop(t, NULL, TK__DROP_UNKNOWN_PEER);
		return;
	}
	struct tk__peer *p = &t->peers[i];
	struct tk__noise_peer *np = &p->v2->np;
	struct tk__keypair *kp = tk__keypairs_find(&np->kp, receiver);
	uint8_t *vx = t->open_buf + HEADROOM - TK__VXLAN_HLEN;
	size_t vlen = 0;
	enum tk__noise_result r =
		kp ? tk__transport_open(kp, buf, n, vx, BUF_SIZE - HEADROOM, &vlen, v->now)
		   : TK__NOISE_UNKNOWN_INDEX;
	if (r != TK__NOISE_OK) {
		tk__count_drop(t, kp ? p : NULL, kp ? data_drop(r) : TK__DROP_UNKNOWN_PEER);
		return;
	}
	roam(p, src);
	if (tk__keypairs_received_with(&np->kp, kp)) {
		handshake_done(p);
		tk__timers_handshake_complete(&np->timers);
		index_sync(t);
		flush_queue(t, p);
	}
	tk__timers_any_received(&np->timers, v->now);
	if (tk__timers_want_rekey_on_receive(&np->timers, &np->kp, v->now))
		initiate(t, p, false);
	if (vlen == 0) {
		p->st.keepalives_rx++;
		p->st.last_seen_ns = t->batch_realtime;
		note(t, p);
		return;
	}
	tk__timers_data_received(&np->timers, v->now);
	note(t, p);
	if (run && run->idx != i) {
		run->idx = i; /* what the run learned was from another peer */
		run->learned = false;
	}
	tk__deliver(t, p, i, vx, vlen, run);
}

/* One sealed datagram from src, by its message type. */
void tk__v2_from_peer(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		      size_t n, struct tk__run *run)
{
	if (!t->v2) {
		tk__count_drop(t, NULL, TK__DROP_NO_SESSION);
		return;
	}
	switch (tk__msg_type(buf, n)) {
	case TK__MSG_DATA:
		on_data(t, src, buf, n, run);
		return;
	case TK__MSG_INITIATION:
		on_initiation(t, src, buf, n);
		return;
	case TK__MSG_RESPONSE:
		on_response(t, src, buf, n);
		return;
	case TK__MSG_COOKIE:
		on_cookie(t, src, buf, n);
		return;
	default:
		break;
	}
	if (!tk__msg_is_v1(buf, n)) {
		tk__count_drop(t, NULL, TK__DROP_MALFORMED);
		return;
	}
	uint64_t skipped = 0;
	tk__count_drop(t, NULL, TK__DROP_V1);
	if (tk__log_due(&t->v2->v1_log, &skipped)) {
		char a[64];
		fmt_src(src, a, sizeof(a));
		tk__tunnel_log(t, TK_LOG_WARN,
			       "datagram from %s is sealed mode version 1 (an older tapkit): "
			       "refused, this tunnel speaks version 2; upgrade both ends "
			       "together (docs/tunnel.md, \"Upgrading\") (counted as v1; %llu "
			       "earlier one(s) not logged)",
			       a, (unsigned long long)skipped);
	}
}
