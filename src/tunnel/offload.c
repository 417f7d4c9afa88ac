/* SPDX-License-Identifier: MIT */
/*
 * Offloads on the tunnel's fast path (pure functions, no I/O): the virtio-net header, the
 * Internet checksum, the TSO split of a TCP super-frame read from the TAP into wire-sized
 * frames, and the reverse on the way back, merging a flow's segments into one super-frame that
 * the kernel segments again (or delivers whole) when we write it with a GSO header.
 *
 * Each rule here follows the kernel's own code so that what leaves the tunnel is what the
 * kernel would have sent: tcp_gso_segment (sequence numbers, flags, checksums) for the split,
 * tcp_gro_receive (what may merge) and virtio_net_hdr_to_skb (what a GSO write must carry) for
 * the merge. The frames come from the adapter (split) or from the network (merge): every
 * offset is checked against the frame before it is used.
 */
#include "tunnel_internal.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define ETH_P_IPV4   0x0800u
#define ETH_P_IPV6   0x86ddu
#define ETH_P_VLAN   0x8100u
#define ETH_P_QINQ   0x88a8u
#define IPPROTO_TCP_ 6u
#define IPPROTO_UDP_ 17u
#define TCP_HLEN     20u
#define TCP_CSUM_OFF 16u
#define UDP_HLEN     8u
#define UDP_CSUM_OFF 6u

#define TH_FIN 0x01u
#define TH_SYN 0x02u
#define TH_RST 0x04u
#define TH_PSH 0x08u
#define TH_ACK 0x10u
#define TH_URG 0x20u
#define TH_ECE 0x40u
#define TH_CWR 0x80u

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- the virtio-net header ---- */

void tk__vnet_read(const uint8_t p[TK_VNET_HDR_LEN], struct tk__vnet *v)
{
	v->flags = p[0];
	v->gso_type = p[1];
	memcpy(&v->hdr_len, p + 2, 2);
	memcpy(&v->gso_size, p + 4, 2);
	memcpy(&v->csum_start, p + 6, 2);
	memcpy(&v->csum_offset, p + 8, 2);
}

void tk__vnet_write(uint8_t p[TK_VNET_HDR_LEN], const struct tk__vnet *v)
{
	p[0] = v->flags;
	p[1] = v->gso_type;
	memcpy(p + 2, &v->hdr_len, 2);
	memcpy(p + 4, &v->gso_size, 2);
	memcpy(p + 6, &v->csum_start, 2);
	memcpy(p + 8, &v->csum_offset, 2);
}

/* ---- the Internet checksum ---- */

/*
 * Ones' complement addition is the same in any word size and byte order (RFC 1071 2.(B)), so
 * 64-bit host-order words with the end-around carry give the 16-bit sum after folding.
 */
static uint64_t add_carry(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TK_CSUM_AVX2 1
/*
 * The bulk of the sum with AVX2, 64 bytes a step: each 32-bit word zero-extended into one of
 * eight 64-bit lanes (unpack with zero), so no carry is ever lost for inputs under 2^34 bytes.
 * The checksum is most of the tunnel's own CPU time on TCP (every segment is summed once on
 * the way out and verified once on the way in): this is 2-3 times the scalar loop below.
 * Returns the bytes consumed (a multiple of 64) and their sum of words in *sum.
 */
__attribute__((target("avx2"))) static size_t sum_avx2(const uint8_t *p, size_t n, uint64_t *sum)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i a = zero, b = zero;
	size_t i = 0;

	for (; i + 64 <= n; i += 64) {
		__m256i v = _mm256_loadu_si256((const __m256i_u *)(const void *)(p + i));
		__m256i w = _mm256_loadu_si256((const __m256i_u *)(const void *)(p + i + 32));
		a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(v, zero));
		b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(v, zero));
		a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(w, zero));
		b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(w, zero));
	}
	uint64_t l[4];
	_mm256_storeu_si256((__m256i_u *)(void *)l, _mm256_add_epi64(a, b));
	*sum = l[0] + l[1] + l[2] + l[3];
	return i;
}
#endif

uint64_t tk__csum_add(const void *data, size_t n, uint64_t acc)
{
	const uint8_t *p = data;
	/*
	 * 32-bit words into four 64-bit sums: no carry chain between additions, so the CPU (and
	 * the vectoriser) runs them in parallel; 2^32 words before a sum could overflow.
	 */
	uint64_t s[4] = { 0, 0, 0, 0 };
	uint32_t w[8];

#ifdef TK_CSUM_AVX2
	if (n >= 128 && __builtin_cpu_supports("avx2")) {
		size_t done = sum_avx2(p, n, &s[0]);
		p += done;
		n -= done;
	}
#endif
	while (n >= 32) {
		memcpy(w, p, 32);
		s[0] += (uint64_t)w[0] + w[4];
		s[1] += (uint64_t)w[1] + w[5];
		s[2] += (uint64_t)w[2] + w[6];
		s[3] += (uint64_t)w[3] + w[7];
		p += 32;
		n -= 32;
	}
	while (n >= 4) {
		memcpy(w, p, 4);
		s[0] += w[0];
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		s[1] += v;
		p += 2;
		n -= 2;
	}
	if (n) {
		/* the odd byte is the high half of a last word padded with zero */
		uint8_t last[2] = { p[0], 0 };
		uint16_t v;
		memcpy(&v, last, 2);
		s[2] += v;
	}
	acc = add_carry(acc, s[0]);
	acc = add_carry(acc, s[1]);
	acc = add_carry(acc, s[2]);
	return add_carry(acc, s[3]);
}

uint16_t tk__csum_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint16_t)acc;
}

static void csum_store(uint8_t *p, uint16_t host_sum)
{
	memcpy(p, &host_sum, 2);
}

/*
 * The sum of a header of n bytes (a multiple of 4, 60 at most) as 32-bit words: tk__csum_add's
 * arithmetic without its set-up and tail loops, inline, since the headers of every segment are
 * summed once per segment each way. No carry can be lost in 64 bits.
 */
static uint64_t sum_words(const uint8_t *p, size_t n, uint64_t acc)
{
	uint32_t w;

	for (size_t i = 0; i < n; i += 4) {
		memcpy(&w, p + i, 4);
		acc += w;
	}
	return acc;
}

/* The TCP or UDP pseudo header's sum: both addresses (as they lie in the IP header), protocol,
 * length. */
static uint64_t pseudo_sum(const uint8_t *ip, bool v6, unsigned proto, size_t l4_len)
{
	uint8_t tail[4] = { 0, (uint8_t)proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len };
	return sum_words(ip + (v6 ? 8 : 12), v6 ? 32 : 8, sum_words(tail, sizeof(tail), 0));
}

static void ipv4_csum(uint8_t *ip, size_t ihl)
{
	ip[10] = ip[11] = 0;
	csum_store(ip + 10, (uint16_t)~tk__csum_fold(sum_words(ip, ihl, 0)));
}

/*
 * Stores the checksum of a TCP or UDP header whose sum (pseudo header included, the field
 * itself 0) is acc. UDP says "no checksum" with 0: a computed 0 is sent as all ones (RFC 768).
 */
static void l4_csum_finish(uint8_t *field, uint64_t acc, bool udp)
{
	uint16_t sum = tk__csum_fold(acc);
	csum_store(field, udp && sum == 0xffff ? 0xffff : (uint16_t)~sum);
}

enum tk__drop tk__csum_complete(uint8_t *frame, size_t len, const struct tk__vnet *v)
{
	if (!(v->flags & TK__VNET_F_NEEDS_CSUM))
		return TK__PASS;
	size_t start = v->csum_start, off = v->csum_offset;
	if (start >= len || off + 2 > len - start)
		return TK__DROP_MALFORMED;
	/* the field at offset 6 is UDP's */
	l4_csum_finish(frame + start + off, tk__csum_add(frame + start, len - start, 0), off == 6);
	return TK__PASS;
}

/* ---- parsing Ethernet / IP / TCP ---- */

struct l34 {
	size_t l3, l4, hlen; /* network header, TCP or UDP header, payload */
	size_t end;	     /* the IP packet's end (the frame may carry Ethernet padding) */
	bool v6;
	bool udp; /* a UDP datagram (its length field checked), else a TCP segment */
};

/*
 * Finds the TCP segment or UDP datagram inside an Ethernet frame (one VLAN tag at most; IPv4
 * without options check, unfragmented; IPv6 with TCP or UDP as the first next header). false
 * when it is anything else.
 */
static bool parse_l4(const uint8_t *f, size_t len, struct l34 *o)
{
	if (len < TK__ETH_HLEN)
		return false;
	size_t l3 = TK__ETH_HLEN;
	unsigned type = get16(f + 12);
	if (type == ETH_P_VLAN || type == ETH_P_QINQ) {
		if (len < TK__ETH_HLEN + 4)
			return false;
		type = get16(f + 16);
		l3 += 4;
	}
	const uint8_t *ip = f + l3;
	if (type == ETH_P_IPV4) {
		if (len < l3 + 20 || (ip[0] >> 4) != 4)
			return false;
		size_t ihl = (size_t)(ip[0] & 0xfu) * 4;
		size_t tot = get16(ip + 2);
		if (ihl < 20 || (ip[9] != IPPROTO_TCP_ && ip[9] != IPPROTO_UDP_) ||
		    (get16(ip + 6) & 0x3fffu) != 0 || tot < ihl || l3 + tot > len)
			return false;
		o->udp = ip[9] == IPPROTO_UDP_;
		o->l4 = l3 + ihl;
		o->end = l3 + tot;
		o->v6 = false;
	} else if (type == ETH_P_IPV6) {
		if (len < l3 + 40 || (ip[0] >> 4) != 6 ||
		    (ip[6] != IPPROTO_TCP_ && ip[6] != IPPROTO_UDP_))
			return false;
		o->udp = ip[6] == IPPROTO_UDP_;
		o->l4 = l3 + 40;
		o->end = o->l4 + get16(ip + 4);
		if (o->end > len)
			return false;
		o->v6 = true;
	} else {
		return false;
	}
	o->l3 = l3;
	if (o->udp) {
		/* a UDP length that disagrees with IP's: left alone for the stack to judge */
		if (o->end < o->l4 + UDP_HLEN || get16(f + o->l4 + 4) != o->end - o->l4)
			return false;
		o->hlen = o->l4 + UDP_HLEN;
		return true;
	}
	if (o->end < o->l4 + TCP_HLEN)
		return false;
	size_t doff = (size_t)(f[o->l4 + 12] >> 4) * 4;
	if (doff < TCP_HLEN || o->l4 + doff > o->end)
		return false;
	o->l3 = l3;
	o->hlen = o->l4 + doff;
	return true;
}

/* ---- TSO split ---- */

enum tk__drop tk__tso_begin(struct tk__tso *s, const uint8_t *frame, size_t len,
			    const struct tk__vnet *v)
{
	unsigned type = v->gso_type & (unsigned)~TK__VNET_GSO_ECN;
	struct l34 p;

	memset(s, 0, sizeof(*s));
	if ((type != TK__VNET_GSO_TCPV4 && type != TK__VNET_GSO_TCPV6 &&
	     type != TK__VNET_GSO_UDP_L4) ||
	    v->gso_size == 0 || !parse_l4(frame, len, &p))
		return TK__DROP_MALFORMED;
	/* TCP: the type says the IP version; UDP_L4 (TUN_F_USO4/6) serves both */
	if (type == TK__VNET_GSO_UDP_L4 ? !p.udp : p.udp || p.v6 != (type == TK__VNET_GSO_TCPV6))
		return TK__DROP_MALFORMED;
	/* the IP length of a super-frame is the whole of it (IPv4 caps it at 64 KiB) */
	if (p.end != len)
		return TK__DROP_MALFORMED;
	s->frame = frame;
	s->len = len;
	s->l3 = p.l3;
	s->l4 = p.l4;
	s->hlen = p.hlen;
	s->mss = v->gso_size;
	s->v6 = p.v6;
	s->udp = p.udp;
	return TK__PASS;
}

size_t tk__tso_seg_len(const struct tk__tso *s)
{
	size_t payload = s->len - s->hlen;
	return s->hlen + (payload < s->mss ? payload : s->mss);
}

size_t tk__tso_left(const struct tk__tso *s)
{
	size_t payload = s->len - s->hlen;
	if (payload == 0)
		return s->idx == 0 ? 1 : 0;
	if (s->off >= payload)
		return 0;
	return (payload - s->off + s->mss - 1) / s->mss;
}

size_t tk__tso_next(struct tk__tso *s, uint8_t *out, size_t cap)
{
	size_t payload = s->len - s->hlen;
	if (tk__tso_left(s) == 0)
		return 0;
	size_t n = payload - s->off < s->mss ? payload - s->off : s->mss;
	size_t seg = s->hlen + n;
	if (seg > cap)
		return 0;
	bool last = s->off + n >= payload;

	memcpy(out, s->frame, s->hlen);
	memcpy(out + s->hlen, s->frame + s->hlen + s->off, n);
	uint8_t *ip = out + s->l3;
	uint8_t *th = out + s->l4;
	if (s->v6) {
		put16(ip + 4, (uint32_t)(seg - s->l3 - 40));
	} else {
		put16(ip + 2, (uint32_t)(seg - s->l3));
		put16(ip + 4, get16(s->frame + s->l3 + 4) + s->idx); /* IP id: one per segment */
		ipv4_csum(ip, s->l4 - s->l3);
	}
	size_t csum_off = s->udp ? UDP_CSUM_OFF : TCP_CSUM_OFF;
	if (s->udp) {
		/* a UDP GSO datagram: each segment a datagram of its own, with its own length
		 * (the kernel's __udp_gso_segment) */
		put16(th + 4, (uint32_t)(seg - s->l4));
	} else {
		put32(th + 4, get32(s->frame + s->l4 + 4) + (uint32_t)s->off);
		if (!last)
			th[13] &= (uint8_t) ~(TH_FIN | TH_PSH);
		if (s->idx > 0)
			th[13] &= (uint8_t)~TH_CWR;
	}
	th[csum_off] = th[csum_off + 1] = 0;
	uint64_t acc = pseudo_sum(ip, s->v6, s->udp ? IPPROTO_UDP_ : IPPROTO_TCP_, seg - s->l4);
	l4_csum_finish(th + csum_off, tk__csum_add(th, seg - s->l4, acc), s->udp);
	s->off += n;
	s->idx++;
	return seg;
}

/* ---- coalescing (GRO) ---- */

bool tk__gro_init(struct tk__gro *g, tk__gro_emit_fn *emit, void *user, bool verify)
{
	memset(g, 0, sizeof(*g));
	g->emit = emit;
	g->user = user;
	g->verify = verify;
	g->single = malloc(TK__GRO_BUF);
	bool ok = g->single != NULL;
	for (size_t i = 0; i < TK__GRO_SLOTS; i++) {
		g->slot[i].buf = malloc(TK__GRO_BUF);
		ok = ok && g->slot[i].buf;
	}
	if (!ok)
		tk__gro_free(g);
	return ok;
}

void tk__gro_free(struct tk__gro *g)
{
	/* the buffers held frames in the clear: wiped like the tunnel's own */
	if (g->single)
		memset(g->single, 0, TK__GRO_BUF);
	free(g->single);
	g->single = NULL;
	for (size_t i = 0; i < TK__GRO_SLOTS; i++) {
		if (g->slot[i].buf)
			memset(g->slot[i].buf, 0, TK__GRO_BUF);
		free(g->slot[i].buf);
		g->slot[i].buf = NULL;
	}
}

static void slot_emit(struct tk__gro *g, struct tk__gro_slot *sl)
{
	uint8_t *f = sl->buf + TK_VNET_HDR_LEN;
	struct tk__vnet v = { 0 };

	if (!sl->used)
		return;
	if (sl->nsegs > 1) {
		uint8_t *ip = f + sl->l3;
		size_t l4_len = sl->len - sl->l4;
		if (sl->v6) {
			put16(ip + 4, (uint32_t)(sl->len - sl->l3 - 40));
		} else {
			put16(ip + 2, (uint32_t)(sl->len - sl->l3));
			ipv4_csum(ip, sl->l4 - sl->l3);
		}
		/*
		 * NEEDS_CSUM with the pseudo header's sum in place, as the stack itself leaves a
		 * TSO (or UDP GSO) packet: the kernel completes the checksum of each segment it
		 * makes, and gives each UDP datagram its own length.
		 */
		size_t csum_off = sl->udp ? UDP_CSUM_OFF : TCP_CSUM_OFF;
		unsigned proto = sl->udp ? IPPROTO_UDP_ : IPPROTO_TCP_;
		if (sl->udp)
			put16(f + sl->l4 + 4, (uint32_t)l4_len);
		csum_store(f + sl->l4 + csum_off,
			   tk__csum_fold(pseudo_sum(ip, sl->v6, proto, l4_len)));
		v.flags = TK__VNET_F_NEEDS_CSUM;
		v.gso_type = (uint8_t)(sl->udp	? TK__VNET_GSO_UDP_L4
				       : sl->v6 ? TK__VNET_GSO_TCPV6
						: TK__VNET_GSO_TCPV4);
		v.hdr_len = (uint16_t)sl->hlen;
		v.gso_size = sl->mss;
		v.csum_start = (uint16_t)sl->l4;
		v.csum_offset = (uint16_t)csum_off;
		g->merged += sl->nsegs;
	}
	tk__vnet_write(sl->buf, &v);
	sl->used = false;
	g->emit(g->user, sl->buf, TK_VNET_HDR_LEN + sl->len, sl->nsegs, sl->tag);
}

void tk__gro_flush(struct tk__gro *g)
{
	/* oldest first: the order in which the flows' first segments arrived */
	for (;;) {
		struct tk__gro_slot *old = NULL;
		for (size_t i = 0; i < TK__GRO_SLOTS; i++)
			if (g->slot[i].used && (!old || g->slot[i].stamp < old->stamp))
				old = &g->slot[i];
		if (!old)
			return;
		slot_emit(g, old);
	}
}

void tk__gro_pass(struct tk__gro *g, const uint8_t *frame, size_t len, uint32_t tag)
{
	static const struct tk__vnet none;
	if (len > TK__GRO_BUF - TK_VNET_HDR_LEN)
		len = TK__GRO_BUF - TK_VNET_HDR_LEN; /* cannot happen: frames are MTU-checked */
	tk__vnet_write(g->single, &none);
	memcpy(g->single + TK_VNET_HDR_LEN, frame, len);
	g->emit(g->user, g->single, TK_VNET_HDR_LEN + len, 1, tag);
}

/* Same flow: Ethernet header, IP addresses, protocol and ports. */
static bool same_flow(const struct tk__gro_slot *sl, const uint8_t *f, const struct l34 *p)
{
	const uint8_t *h = sl->buf + TK_VNET_HDR_LEN;
	if (sl->v6 != p->v6 || sl->udp != p->udp || sl->l3 != p->l3 || memcmp(h, f, p->l3) != 0)
		return false;
	if (p->v6 ? memcmp(h + sl->l3 + 8, f + p->l3 + 8, 32) != 0
		  : memcmp(h + sl->l3 + 12, f + p->l3 + 12, 8) != 0)
		return false;
	return memcmp(h + sl->l4, f + p->l4, 4) == 0;
}

/* Whether segment f may be appended to sl (same flow already known). */
static bool can_merge(const struct tk__gro_slot *sl, const uint8_t *f, const struct l34 *p)
{
	const uint8_t *h = sl->buf + TK_VNET_HDR_LEN;
	size_t n = p->end - p->hlen;
	const uint8_t *ip = f + p->l3, *hip = h + sl->l3;

	if (sl->closed || sl->nsegs >= TK__GRO_SEGS || n > sl->mss || p->l4 != sl->l4 ||
	    p->hlen != sl->hlen)
		return false;
	/*
	 * TCP: the next sequence number. UDP (IPv4): the next IP id, since the kernel numbers
	 * the datagrams it makes of a super-frame one up from the first: a datagram with any
	 * other id would come out changed.
	 */
	if (sl->udp ? !p->v6 && get16(ip + 4) != (uint16_t)(sl->ip_id + sl->nsegs)
		    : get32(f + p->l4 + 4) != sl->next_seq)
		return false;
	if (sl->len + n > TK__GRO_MAX + sl->l3)
		return false;
	if (p->v6) {
		/* traffic class, flow label, hop limit */
		if (memcmp(ip, hip, 4) != 0 || ip[7] != hip[7])
			return false;
	} else {
		/* TOS, DF, TTL */
		if (ip[1] != hip[1] || (ip[6] & 0x40) != (hip[6] & 0x40) || ip[8] != hip[8])
			return false;
	}
	if (sl->udp)
		return true;
	/* the ack and the options (timestamps included) as tcp_gro_receive compares them */
	return memcmp(f + p->l4 + 8, h + sl->l4 + 8, 4) == 0 &&
	       memcmp(f + p->l4 + TCP_HLEN, h + sl->l4 + TCP_HLEN, p->hlen - p->l4 - TCP_HLEN) == 0;
}

/*
 * A segment worth merging: data, ACK set, no flag that changes the connection's state. A UDP
 * datagram: data, a checksum (an IPv4 one without cannot be given one by the kernel's split),
 * and an adapter that takes UDP GSO frames.
 */
static bool mergeable(struct tk__gro *g, const uint8_t *f, const struct l34 *p)
{
	if (p->end == p->hlen)
		return false;
	if (p->udp) {
		if (!g->uso || (!p->v6 && get16(f + p->l4 + UDP_CSUM_OFF) == 0))
			return false;
	} else {
		unsigned flags = f[p->l4 + 13];
		if (!(flags & TH_ACK) ||
		    (flags & (TH_SYN | TH_FIN | TH_RST | TH_URG | TH_ECE | TH_CWR)))
			return false;
	}
	if (!p->v6 && p->l4 - p->l3 != 20)
		return false; /* IP options: not merged, as the kernel does not */
	if (g->verify) {
		/* a damaged segment must reach the stack as it is, to be dropped there */
		uint64_t acc = pseudo_sum(f + p->l3, p->v6, p->udp ? IPPROTO_UDP_ : IPPROTO_TCP_,
					  p->end - p->l4);
		if (tk__csum_fold(tk__csum_add(f + p->l4, p->end - p->l4, acc)) != 0xffff)
			return false;
	}
	return true;
}

static void slot_start(struct tk__gro *g, struct tk__gro_slot *sl, const uint8_t *f,
		       const struct l34 *p, uint32_t tag)
{
	memcpy(sl->buf + TK_VNET_HDR_LEN, f, p->end);
	sl->len = p->end;
	sl->l3 = p->l3;
	sl->l4 = p->l4;
	sl->hlen = p->hlen;
	sl->v6 = p->v6;
	sl->udp = p->udp;
	sl->ip_id = p->v6 ? 0 : get16(f + p->l3 + 4);
	sl->mss = (uint16_t)(p->end - p->hlen);
	sl->next_seq = get32(f + p->l4 + 4) + (uint32_t)(p->end - p->hlen);
	sl->nsegs = 1;
	sl->tag = tag;
	sl->stamp = ++g->stamp;
	g->last = sl;
	sl->closed = !p->udp && (f[p->l4 + 13] & TH_PSH) != 0;
	sl->used = true;
}

void tk__gro_add(struct tk__gro *g, const uint8_t *frame, size_t len, uint32_t tag)
{
	struct l34 p;
	struct tk__gro_slot *mine = NULL, *free_slot = NULL, *oldest = NULL;

	if (!parse_l4(frame, len, &p)) {
		tk__gro_pass(g, frame, len, tag);
		return;
	}
	/* a flow has one slot at most: most often the one the frame before went to */
	if (g->last && g->last->used && same_flow(g->last, frame, &p))
		mine = g->last;
	for (size_t i = 0; i < TK__GRO_SLOTS && !mine; i++) {
		struct tk__gro_slot *sl = &g->slot[i];
		if (!sl->used) {
			free_slot = free_slot ? free_slot : sl;
			continue;
		}
		if (!oldest || sl->stamp < oldest->stamp)
			oldest = sl;
		if (same_flow(sl, frame, &p))
			mine = sl;
	}
	bool ok = mergeable(g, frame, &p);
	if (mine && ok && can_merge(mine, frame, &p)) {
		size_t n = p.end - p.hlen;
		uint8_t *h = mine->buf + TK_VNET_HDR_LEN;
		memcpy(h + mine->len, frame + p.hlen, n);
		mine->len += n;
		mine->next_seq += (uint32_t)n;
		mine->nsegs++;
		if (mine->udp) {
			mine->closed = n < mine->mss; /* a shorter datagram ends the super-frame */
			return;
		}
		/* the window is the newest one; PSH (or a short segment) ends the super-frame */
		memcpy(h + mine->l4 + 14, frame + p.l4 + 14, 2);
		if ((frame[p.l4 + 13] & TH_PSH) || n < mine->mss) {
			h[mine->l4 + 13] |= TH_PSH & frame[p.l4 + 13];
			mine->closed = true;
		}
		return;
	}
	if (mine)
		slot_emit(g, mine); /* the flow's earlier segments go first */
	if (!ok) {
		tk__gro_pass(g, frame, len, tag);
		return;
	}
	if (!mine && !free_slot) {
		slot_emit(g, oldest);
		free_slot = oldest;
	}
	slot_start(g, mine ? mine : free_slot, frame, &p, tag);
}
