/* SPDX-License-Identifier: MIT */
/*
 * Peers: building them from a configuration (state kept across reloads), their key-holding pages,
 * and finding the peer of a datagram's source.
 */
#include "engine.h"

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

bool tk__addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
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

/* The key of an address in the socket's family: its bytes, and the port when with_port. */
static uint32_t peer_hash(const struct tk_tunnel *t, const struct sockaddr_storage *a,
			  bool with_port)
{
	uint8_t key[18], out[crypto_shorthash_BYTES];
	size_t n;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;
		memcpy(key, &s4->sin_addr, 4);
		memcpy(key + 4, &s4->sin_port, 2);
		n = 4;
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;
		memcpy(key, &s6->sin6_addr, 16);
		memcpy(key + 16, &s6->sin6_port, 2);
		n = 16;
	}
	/* keyed (SipHash): the source address and port of a datagram are the sender's choice */
	crypto_shorthash(out, key, n + (with_port ? 2 : 0), t->peer_hash_key);
	uint32_t h;
	memcpy(&h, out, sizeof(h));
	return h & (t->peer_nbuckets - 1);
}

void tk__peers_index_free(struct tk_tunnel *t)
{
	free(t->by_exact);
	free(t->by_addr);
	t->by_exact = t->by_addr = NULL;
	t->peer_nbuckets = 0;
}

bool tk__peers_index(struct tk_tunnel *t)
{
	uint32_t nb = 1, nmacs = 0;
	while (nb < t->npeers * 2u)
		nb <<= 1;
	uint32_t *ex = malloc((size_t)nb * sizeof(*ex)), *ad = malloc((size_t)nb * sizeof(*ad));
	for (size_t i = 0; i < t->npeers; i++)
		nmacs += (uint32_t)t->peers[i].conf.nmacs;
	if (!ex || !ad || !tk__mac_statics_reset(&t->macs, nmacs)) {
		free(ex);
		free(ad);
		return false;
	}
	tk__peers_index_free(t);
	t->by_exact = ex;
	t->by_addr = ad;
	t->peer_nbuckets = nb;
	for (uint32_t i = 0; i < nb; i++)
		ex[i] = ad[i] = UINT32_MAX;
	/* from the last peer to the first, pushing at the heads: an earlier peer is found first */
	for (size_t i = t->npeers; i-- > 0;) {
		struct tk__peer *p = &t->peers[i];
		uint32_t he = peer_hash(t, &p->addr, true), ha = peer_hash(t, &p->addr, false);
		p->next_exact = ex[he];
		ex[he] = (uint32_t)i;
		p->next_addr = ad[ha];
		ad[ha] = (uint32_t)i;
	}
	for (size_t i = 0; i < t->npeers; i++)
		for (size_t m = 0; m < t->peers[i].conf.nmacs; m++)
			tk__mac_add_static(&t->macs, t->peers[i].conf.macs[m], (uint32_t)i);
	return true;
}

/*
 * The peer a datagram came from: the exact address and port first; failing that the address
 * alone, because a VXLAN sender may pick any source port (the kernel's vxlan hashes flows over
 * a port range, RFC 7348 section 5) so only the address identifies it. Two hash lookups at
 * most, whatever the number of peers.
 */
struct tk__peer *tk__peer_find(struct tk_tunnel *t, const struct sockaddr_storage *src,
			       uint32_t *index)
{
	if (!t->peer_nbuckets || (src->ss_family != AF_INET && src->ss_family != AF_INET6))
		return NULL;
	for (uint32_t i = t->by_exact[peer_hash(t, src, true)]; i != UINT32_MAX;
	     i = t->peers[i].next_exact) {
		if (tk__addr_equal(&t->peers[i].addr, src, true)) {
			*index = i;
			return &t->peers[i];
		}
	}
	for (uint32_t i = t->by_addr[peer_hash(t, src, false)]; i != UINT32_MAX;
	     i = t->peers[i].next_addr) {
		if (tk__addr_equal(&t->peers[i].addr, src, false)) {
			*index = i;
			return &t->peers[i];
		}
	}
	return NULL;
}

static void peer_init(struct tk_tunnel *t, struct tk__peer *p, const struct tk__peer_conf *pc)
{
	memset(p, 0, sizeof(*p));
	p->conf = *pc;
	/* sealed mode's protocol state comes with tk__v2_attach, once the peers are built */
	peer_addr(t->family, &pc->ep, &p->addr, &p->addr_len);
}

/*
 * The peers hold their direction keys: the array has pages of its own, so locking it in memory
 * (privilege.c at start, reload_apply after a reload) and unlocking it when it is freed touch
 * nothing else (mlock is per page and not counted: unlocking a page shared with the private
 * key would unlock that too).
 */
static size_t page_size(void)
{
#ifdef _WIN32
	SYSTEM_INFO si;
	GetSystemInfo(&si);
	return si.dwPageSize;
#else
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (size_t)pg : 4096;
#endif
}

size_t tk__peers_bytes(size_t n)
{
	size_t page = page_size(), b = (n ? n : 1) * sizeof(struct tk__peer);
	return (b + page - 1) / page * page;
}

static struct tk__peer *peers_alloc(size_t n)
{
#ifdef _WIN32
	struct tk__peer *p =
		VirtualAlloc(NULL, tk__peers_bytes(n), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
#else
	struct tk__peer *p = aligned_alloc(page_size(), tk__peers_bytes(n));
#endif
	if (p)
		memset(p, 0, tk__peers_bytes(n));
	return p;
}

void tk__peers_free(struct tk__peer *peers, size_t n)
{
	if (!peers)
		return;
	for (size_t i = 0; i < n; i++)
		tk__v2_peer_free(&peers[i]);
	(void)sodium_munlock(peers, tk__peers_bytes(n)); /* wipes; unlocked memory is fine too */
#ifdef _WIN32
	VirtualFree(peers, 0, MEM_RELEASE);
#else
	free(peers);
#endif
}

/* Builds the peers of conf; a peer of old (same endpoint and key) keeps its state. */
struct tk__peer *tk__peers_build(struct tk_tunnel *t, const struct tk__tunnel_conf *conf,
				 struct tk__peer *old, size_t nold, bool same_mode)
{
	struct tk__peer *peers = peers_alloc(conf->npeers);
	if (!peers)
		return NULL;
	for (size_t i = 0; i < conf->npeers; i++) {
		const struct tk__peer_conf *pc = &conf->peers[i];
		struct tk__peer *keep = NULL;
		for (size_t j = 0; same_mode && j < nold; j++) {
			if (tk__addr_equal(&old[j].conf.ep, &pc->ep, true) &&
			    old[j].conf.has_key == pc->has_key &&
			    (!pc->has_key || memcmp(old[j].conf.pk, pc->pk, TK__KEY_LEN) == 0) &&
			    old[j].conf.has_psk == pc->has_psk &&
			    sodium_memcmp(old[j].conf.psk, pc->psk, TK__KEY_LEN) == 0)
				keep = &old[j];
		}
		if (keep) {
			peers[i] = *keep;
			peers[i].conf = *pc; /* AllowedMACs may have changed */
			keep->v2 = NULL;     /* moved: the old array is freed */
		} else {
			peer_init(t, &peers[i], pc);
		}
	}
	return peers;
}
