/* SPDX-License-Identifier: MIT */
/*
 * The tunnel's offloads (src/tunnel/offload.c), checked against independent, obviously correct
 * code: the checksum against a byte-by-byte RFC 1071 sum; the TSO split against what the
 * kernel's tcp_gso_segment makes (lengths, IP ids, sequence numbers, flags, valid IP and TCP
 * checksums, the payload in order), the UDP GSO split against datagrams built one by one; the
 * merge as the split's inverse, with its refusals (a damaged segment, a gap, a state-changing
 * flag) and the order of frames within a flow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel_internal.h"

/* RFC 1071, one 16-bit big-endian word at a time. */
static uint16_t naive_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The checksum a TCP or UDP header at l4 (n bytes to the end) must carry under the IP header
 * ip: ~(pseudo header + those bytes), so 0 when the checksum field in them is already right.
 */
static uint16_t l4_csum(const uint8_t *ip, bool v6, uint8_t proto, const uint8_t *l4, size_t n)
{
	uint8_t ph[40];
	size_t pl = v6 ? 32 : 8;
	memcpy(ph, ip + (v6 ? 8 : 12), pl);
	ph[pl++] = 0;
	ph[pl++] = proto;
	ph[pl++] = (uint8_t)(n >> 8);
	ph[pl++] = (uint8_t)n;
	return (uint16_t)~naive_sum(l4, n, naive_sum(ph, pl, 0));
}

/* true if the TCP checksum of the segment at l4 (IP header at l3, v6 or not) is right. */
static bool tcp_ok(const uint8_t *f, size_t l3, size_t l4, size_t end, bool v6)
{
	return l4_csum(f + l3, v6, 6, f + l4, end - l4) == 0;
}

/* The IPv4 header's checksum, computed anew. */
static void ip4_csum(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	uint16_t c = (uint16_t)~naive_sum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* Ours, read as the big-endian value it stands for in memory. */
static uint16_t ours(const uint8_t *p, size_t n)
{
	uint16_t h = tk__csum_fold(tk__csum_add(p, n, 0));
	uint8_t b[2];
	memcpy(b, &h, 2);
	return be16(b);
}

static void checksum_matches_rfc1071(void **state)
{
	uint8_t buf[3001];
	(void)state;
	uint32_t x = 7; /* a fixed LCG: the same bytes on every run */
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t n = 0; n < 300; n++) {
		/* any alignment of the pointer, any length */
		for (size_t a = 0; a < 8; a++)
			assert_int_equal(ours(buf + a, n), naive_sum(buf + a, n, 0));
	}
	/* pieces at even offsets add up to the whole */
	uint64_t acc = tk__csum_add(buf, 1000, 0);
	acc = tk__csum_add(buf + 1000, 2001, acc);
	uint16_t h = tk__csum_fold(acc);
	assert_int_equal(h, tk__csum_fold(tk__csum_add(buf, 3001, 0)));
	assert_int_equal(ours(buf, 3001), naive_sum(buf, 3001, 0));
	/* all ones stays all ones (no carry lost) */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(ours(buf, 3000), 0xffff);
}

/* ---- frames ---- */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };

/*
 * The Ethernet header (vlan: with one 802.1Q tag) and an IPv4 (DF, the given id) or IPv6
 * header from 10.0.0.1 / fd00::1 to 10.0.0.2 / fd00::2 for l4len bytes of proto; returns where
 * the TCP or UDP header goes.
 */
static size_t make_eth_ip(uint8_t *f, bool v6, bool vlan, uint8_t proto, uint16_t id, size_t l4len)
{
	size_t o = 12;
	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	if (vlan) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = 0x00;
		f[15] = 0x07;
		o = 16;
	}
	f[o] = v6 ? 0x86 : 0x08;
	f[o + 1] = v6 ? 0xdd : 0x00;
	size_t l3 = o + 2;
	uint8_t *ip = f + l3;
	if (v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[4] = (uint8_t)(l4len >> 8);
		ip[5] = (uint8_t)l4len;
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		return l3 + 40;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8);
	ip[3] = (uint8_t)(20 + l4len);
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10;
	ip[15] = 1;
	ip[16] = 10;
	ip[19] = 2;
	ip4_csum(ip);
	return l3 + 20;
}

/*
 * An Ethernet (vlan: with one 802.1Q tag) + IPv4/IPv6 + TCP (12 bytes of options) frame with
 * `payload` bytes of a counting pattern starting at `first`; returns its length.
 */
static size_t make_tcp(uint8_t *f, bool v6, bool vlan, uint32_t seq, size_t payload, unsigned first,
		       uint8_t flags, uint16_t sport)
{
	size_t tcplen = 32 + payload;
	size_t l4 = make_eth_ip(f, v6, vlan, 6, 0x1234, tcplen);
	uint8_t *th = f + l4;
	memset(th, 0, 32);
	th[0] = (uint8_t)(sport >> 8);
	th[1] = (uint8_t)sport;
	th[2] = 0x13;
	th[3] = 0x89;
	th[4] = (uint8_t)(seq >> 24);
	th[5] = (uint8_t)(seq >> 16);
	th[6] = (uint8_t)(seq >> 8);
	th[7] = (uint8_t)seq;
	th[8] = 0xaa; /* ack */
	th[11] = 0x01;
	th[12] = 8 << 4;
	th[13] = flags;
	th[14] = 0x01; /* window */
	th[20] = 1;    /* options: NOP NOP timestamp */
	th[21] = 1;
	th[22] = 8;
	th[23] = 10;
	th[27] = 0x42;
	for (size_t i = 0; i < payload; i++)
		th[32 + i] = (uint8_t)(first + i);
	/* a valid checksum, as a real sender's */
	uint16_t c = l4_csum(f + l4 - (v6 ? 40 : 20), v6, 6, th, tcplen);
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
	return l4 + tcplen;
}

static uint8_t super[70000], seg[64][2000];
static size_t seg_len[64];

static size_t split_all(const uint8_t *f, size_t len, const struct tk__vnet *v)
{
	struct tk__tso s;
	assert_int_equal(tk__tso_begin(&s, f, len, v), TK__PASS);
	size_t n = 0, left = tk__tso_left(&s);
	while ((seg_len[n] = tk__tso_next(&s, seg[n], sizeof(seg[n]))) != 0) {
		assert_true(seg_len[n] <= tk__tso_seg_len(&s));
		n++;
	}
	assert_int_equal(n, left);
	assert_int_equal(tk__tso_left(&s), 0);
	return n;
}

static void check_split(bool v6, bool vlan)
{
	const size_t payload = 5000, mss = 1400;
	size_t len = make_tcp(super, v6, vlan, 0xfffff000u, payload, 0,
			      0x10 | 0x08 | 0x01 | 0x80 /* ACK PSH FIN CWR */, 1000);
	struct tk__vnet v = { .flags = TK__VNET_F_NEEDS_CSUM,
			      .gso_type = (uint8_t)(v6 ? TK__VNET_GSO_TCPV6 : TK__VNET_GSO_TCPV4),
			      .gso_size = (uint16_t)mss };
	size_t l3 = vlan ? 18 : 14, l4 = l3 + (v6 ? 40 : 20), hlen = l4 + 32;
	/* the stack leaves a partial checksum: the split must not depend on it */
	super[l4 + 16] = 0x55;
	size_t n = split_all(super, len, &v);
	assert_int_equal(n, 4);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = seg[i];
		size_t pl = i < 3 ? mss : payload - 3 * mss;
		assert_int_equal(seg_len[i], hlen + pl);
		assert_memory_equal(s, super, l3); /* Ethernet (and VLAN) header */
		if (v6) {
			assert_int_equal(be16(s + l3 + 4), 32 + pl);
		} else {
			assert_int_equal(be16(s + l3 + 2), 20 + 32 + pl);
			assert_int_equal(be16(s + l3 + 4), 0x1234 + i); /* one IP id each */
			assert_int_equal(naive_sum(s + l3, 20, 0), 0xffff);
		}
		assert_int_equal(be32(s + l4 + 4), (uint32_t)(0xfffff000u + off)); /* wraps */
		uint8_t fl = s[l4 + 13];
		assert_int_equal(fl & 0x10, 0x10);
		assert_int_equal(!!(fl & 0x08), i == n - 1); /* PSH, FIN: the last only */
		assert_int_equal(!!(fl & 0x01), i == n - 1);
		assert_int_equal(!!(fl & 0x80), i == 0);	       /* CWR: the first only */
		assert_memory_equal(s + l4 + 20, super + l4 + 20, 12); /* options */
		assert_memory_equal(s + hlen, super + hlen + off, pl);
		assert_true(tcp_ok(s, l3, l4, seg_len[i], v6));
		off += pl;
	}
}

static void split_ipv4(void **state)
{
	(void)state;
	check_split(false, false);
}

static void split_ipv6_with_vlan(void **state)
{
	(void)state;
	check_split(true, true);
}

static void split_refuses_what_it_cannot_split(void **state)
{
	struct tk__tso s;
	struct tk__vnet v = { .gso_type = TK__VNET_GSO_TCPV4, .gso_size = 1000 };
	(void)state;
	size_t len = make_tcp(super, false, false, 1, 3000, 0, 0x10, 1000);
	assert_int_equal(tk__tso_begin(&s, super, len, &v), TK__PASS);
	/* each header cut short, and a length that disagrees with the IP header */
	for (size_t cut = 0; cut < 14 + 20 + 32; cut++)
		assert_int_equal(tk__tso_begin(&s, super, cut, &v), TK__DROP_MALFORMED);
	assert_int_equal(tk__tso_begin(&s, super, len - 1, &v), TK__DROP_MALFORMED);
	struct tk__vnet bad = v;
	bad.gso_size = 0;
	assert_int_equal(tk__tso_begin(&s, super, len, &bad), TK__DROP_MALFORMED);
	bad = v;
	bad.gso_type = TK__VNET_GSO_UDP_L4;
	assert_int_equal(tk__tso_begin(&s, super, len, &bad), TK__DROP_MALFORMED);
	bad.gso_type = TK__VNET_GSO_TCPV6; /* says IPv6, is IPv4 */
	assert_int_equal(tk__tso_begin(&s, super, len, &bad), TK__DROP_MALFORMED);
	super[14 + 9] = 17; /* UDP, not TCP */
	assert_int_equal(tk__tso_begin(&s, super, len, &v), TK__DROP_MALFORMED);
	super[14 + 9] = 6;
	super[14 + 20 + 12] = 4 << 4; /* data offset below 20 bytes */
	assert_int_equal(tk__tso_begin(&s, super, len, &v), TK__DROP_MALFORMED);
	/* a segment size of 1 byte: 3000 segments, each written on demand, never beyond cap */
	len = make_tcp(super, false, false, 1, 3000, 0, 0x10, 1000);
	bad = v;
	bad.gso_size = 1;
	assert_int_equal(tk__tso_begin(&s, super, len, &bad), TK__PASS);
	assert_int_equal(tk__tso_left(&s), 3000);
	assert_int_equal(tk__tso_next(&s, seg[0], 14 + 20 + 32), 0); /* cap too small */
	assert_int_equal(tk__tso_next(&s, seg[0], sizeof(seg[0])), 14 + 20 + 32 + 1);
}

static void partial_checksum_completed(void **state)
{
	(void)state;
	size_t len = make_tcp(super, false, false, 1, 333, 0, 0x18, 1000);
	/* as the stack leaves it: the pseudo header's sum, not inverted */
	uint8_t ph[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, (uint8_t)(32 + 333) };
	ph[10] = (uint8_t)((32 + 333) >> 8);
	uint16_t p = naive_sum(ph, 12, 0);
	super[34 + 16] = (uint8_t)(p >> 8);
	super[34 + 17] = (uint8_t)p;
	struct tk__vnet v = { .flags = TK__VNET_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 };
	assert_int_equal(tk__csum_complete(super, len, &v), TK__PASS);
	assert_true(tcp_ok(super, 14, 34, len, false));
	v.csum_start = (uint16_t)len;
	assert_int_equal(tk__csum_complete(super, len, &v), TK__DROP_MALFORMED);
	v.csum_start = (uint16_t)(len - 1);
	v.csum_offset = 0;
	assert_int_equal(tk__csum_complete(super, len, &v), TK__DROP_MALFORMED);
}

/* ---- merging ---- */

struct emitted {
	uint8_t buf[TK__GRO_BUF];
	size_t len;
	unsigned nsegs;
	uint32_t tag;
};

static struct emitted em[200];
static size_t nem;

static void record(void *user, uint8_t *buf, size_t len, unsigned nsegs, uint32_t tag)
{
	(void)user;
	assert_true(nem < 200);
	memcpy(em[nem].buf, buf, len);
	em[nem].len = len;
	em[nem].nsegs = nsegs;
	em[nem].tag = tag;
	nem++;
}

/* The merged frame of em[i] is what the split came from: headers, payload, GSO header. */
static void check_merged(const struct emitted *e, bool v6, size_t payload, size_t mss)
{
	struct tk__vnet v;
	tk__vnet_read(e->buf, &v);
	const uint8_t *f = e->buf + TK_VNET_HDR_LEN;
	size_t len = e->len - TK_VNET_HDR_LEN, l4 = 14 + (v6 ? 40 : 20);
	assert_int_equal(len, l4 + 32 + payload);
	assert_int_equal(v.flags, TK__VNET_F_NEEDS_CSUM);
	assert_int_equal(v.gso_type, v6 ? TK__VNET_GSO_TCPV6 : TK__VNET_GSO_TCPV4);
	assert_int_equal(v.gso_size, mss);
	assert_int_equal(v.hdr_len, l4 + 32);
	assert_int_equal(v.csum_start, l4);
	assert_int_equal(v.csum_offset, 16);
	if (!v6) {
		assert_int_equal(be16(f + 16), len - 14);
		assert_int_equal(naive_sum(f + 14, 20, 0), 0xffff);
	} else {
		assert_int_equal(be16(f + 18), len - 14 - 40);
	}
	for (size_t i = 0; i < payload; i++)
		assert_int_equal(f[l4 + 32 + i], (uint8_t)i);
	/* completing the partial checksum as the kernel will gives a valid segment */
	uint8_t copy[70000];
	memcpy(copy, f, len);
	assert_int_equal(tk__csum_complete(copy, len, &v), TK__PASS);
	assert_true(tcp_ok(copy, 14, l4, len, v6));
}

static void merge_undoes_the_split(void **state)
{
	struct tk__gro g;
	(void)state;
	for (int v6 = 0; v6 <= 1; v6++) {
		size_t len = make_tcp(super, v6, false, 5, 20000, 0, 0x18, 1000);
		struct tk__vnet v = { .gso_type = (uint8_t)(v6 ? TK__VNET_GSO_TCPV6
							       : TK__VNET_GSO_TCPV4),
				      .gso_size = 1400 };
		size_t n = split_all(super, len, &v);
		assert_true(tk__gro_init(&g, record, NULL, true));
		nem = 0;
		for (size_t i = 0; i < n; i++)
			tk__gro_add(&g, seg[i], seg_len[i], 3);
		assert_int_equal(nem, 0); /* held until the flush */
		tk__gro_flush(&g);
		assert_int_equal(nem, 1);
		assert_int_equal(em[0].nsegs, n);
		assert_int_equal(em[0].tag, 3);
		check_merged(&em[0], v6, 20000, 1400);
		assert_int_equal(g.merged, n);
		tk__gro_free(&g);
	}
}

static void merge_keeps_order_and_refuses(void **state)
{
	struct tk__gro g;
	(void)state;
	size_t len = make_tcp(super, false, false, 5, 7000, 0, 0x10, 1000);
	struct tk__vnet v = { .gso_type = TK__VNET_GSO_TCPV4, .gso_size = 1400 };
	size_t n = split_all(super, len, &v);
	assert_int_equal(n, 5);
	assert_true(tk__gro_init(&g, record, NULL, true));

	/* a damaged third segment: the two before go out merged, it alone, the rest merged */
	nem = 0;
	seg[2][100] ^= 1;
	for (size_t i = 0; i < n; i++)
		tk__gro_add(&g, seg[i], seg_len[i], 1);
	tk__gro_flush(&g);
	assert_int_equal(nem, 3);
	assert_int_equal(em[0].nsegs, 2);
	assert_int_equal(em[1].nsegs, 1);
	assert_memory_equal(em[1].buf + TK_VNET_HDR_LEN, seg[2], seg_len[2]);
	seg[2][100] ^= 1;
	assert_int_equal(em[2].nsegs, 2);

	/* a gap (segment 1 lost): 0 alone, then 2..4 merged */
	nem = 0;
	for (size_t i = 0; i < n; i++)
		if (i != 1)
			tk__gro_add(&g, seg[i], seg_len[i], 1);
	tk__gro_flush(&g);
	assert_int_equal(nem, 2);
	assert_int_equal(em[0].nsegs, 1);
	assert_int_equal(em[1].nsegs, 3);

	/* another flow and a non-TCP frame in between: the ARP goes at once, flows stay whole */
	uint8_t other[2000], arp[60] = { 0 };
	arp[12] = 0x08;
	arp[13] = 0x06;
	nem = 0;
	for (size_t i = 0; i < n; i++) {
		tk__gro_add(&g, seg[i], seg_len[i], 1);
		size_t ol =
			make_tcp(other, false, false, 100 + (uint32_t)i * 500, 500, 0, 0x10, 2000);
		tk__gro_add(&g, other, ol, 2);
		if (i == 2)
			tk__gro_add(&g, arp, sizeof(arp), 2);
	}
	tk__gro_flush(&g);
	assert_int_equal(nem, 3);
	assert_int_equal(em[0].len, TK_VNET_HDR_LEN + sizeof(arp));
	assert_int_equal(em[1].nsegs, 5); /* flows flushed oldest first */
	assert_int_equal(em[1].tag, 1);
	assert_int_equal(em[2].nsegs, 5);
	assert_int_equal(em[2].tag, 2);

	/* a FIN ends the flow's merge: what came before goes first, then the FIN alone */
	nem = 0;
	tk__gro_add(&g, seg[0], seg_len[0], 1);
	tk__gro_add(&g, seg[1], seg_len[1], 1);
	seg[2][14 + 20 + 13] |= 0x01;
	tk__gro_add(&g, seg[2], seg_len[2], 1); /* its checksum is now wrong too: alone anyway */
	seg[2][14 + 20 + 13] &= (uint8_t)~0x01;
	tk__gro_flush(&g);
	assert_int_equal(nem, 2);
	assert_int_equal(em[0].nsegs, 2);
	assert_int_equal(em[1].nsegs, 1);

	/* more flows than slots: every segment still comes out exactly once */
	nem = 0;
	for (uint16_t f = 0; f < TK__GRO_SLOTS + 3; f++) {
		size_t ol = make_tcp(other, false, false, 1, 500, 0, 0x10, (uint16_t)(3000 + f));
		tk__gro_add(&g, other, ol, f);
	}
	tk__gro_flush(&g);
	assert_int_equal(nem, TK__GRO_SLOTS + 3);
	for (size_t i = 0; i < nem; i++)
		assert_int_equal(em[i].tag, i); /* and in the order they came */
	tk__gro_free(&g);
}

static void merge_stops_at_64k(void **state)
{
	struct tk__gro g;
	uint8_t f[2000];
	(void)state;
	assert_true(tk__gro_init(&g, record, NULL, false));
	nem = 0;
	unsigned total = 0;
	for (uint32_t i = 0; i < 100; i++) {
		size_t l = make_tcp(f, false, false, 1 + i * 1448, 1448, (unsigned)(i * 1448), 0x10,
				    1000);
		tk__gro_add(&g, f, l, 0);
	}
	tk__gro_flush(&g);
	for (size_t i = 0; i < nem; i++) {
		assert_true(em[i].len - TK_VNET_HDR_LEN - 14 <= TK__GRO_MAX);
		assert_true(em[i].nsegs <= TK__GRO_SEGS);
		total += em[i].nsegs;
	}
	assert_int_equal(total, 100);
	assert_true(nem >= 3); /* 45 x 1448 > 64 KiB */
	tk__gro_free(&g);
}

/* ---- merging UDP datagrams (UDP GSO, an adapter with uso) ---- */

/* The UDP checksum of the datagram at uh (n bytes) under the IP header ip; 0 goes as 0xffff. */
static void udp_csum_put(const uint8_t *ip, bool v6, uint8_t *uh, size_t n)
{
	uh[6] = uh[7] = 0;
	uint16_t c = l4_csum(ip, v6, 17, uh, n);
	if (c == 0)
		c = 0xffff;
	uh[6] = (uint8_t)(c >> 8);
	uh[7] = (uint8_t)c;
}

/*
 * One UDP datagram from a to b, port sport -> 4789: IPv4 (DF, the given id) or IPv6, payload
 * bytes first, first + 1...; its checksum right, or 0 (IPv4: "none") when csum is false.
 */
static size_t make_udp(uint8_t *f, bool v6, uint16_t id, size_t payload, unsigned first,
		       uint16_t sport, bool csum)
{
	size_t ulen = 8 + payload;
	size_t l4 = make_eth_ip(f, v6, false, 17, id, ulen);
	uint8_t *uh = f + l4;
	uh[0] = (uint8_t)(sport >> 8);
	uh[1] = (uint8_t)sport;
	uh[2] = 0x12;
	uh[3] = 0xb5;
	uh[4] = (uint8_t)(ulen >> 8);
	uh[5] = (uint8_t)ulen;
	uh[6] = uh[7] = 0;
	for (size_t i = 0; i < payload; i++)
		uh[8 + i] = (uint8_t)(first + i);
	if (csum)
		udp_csum_put(f + 14, v6, uh, ulen);
	return l4 + ulen;
}

/*
 * What the kernel makes of a UDP GSO super-frame (__udp_gso_segment, inet_gso_segment): every
 * mss bytes of payload behind a copy of the headers, with its own IP length, IPv4 id (one up
 * per datagram) and header checksum, UDP length and full UDP checksum. Written independently
 * of offload.c, from the frames' definition, with the RFC 1071 sum above.
 */
static size_t kernel_split_udp(const struct emitted *e, size_t k, uint8_t *out)
{
	struct tk__vnet v;
	tk__vnet_read(e->buf, &v);
	const uint8_t *f = e->buf + TK_VNET_HDR_LEN;
	size_t len = e->len - TK_VNET_HDR_LEN, hl = v.hdr_len, l4 = v.csum_start;
	size_t total = len - hl, off = k * v.gso_size;
	bool v6 = f[12] == 0x86;
	if (off >= total)
		return 0;
	size_t n = total - off < v.gso_size ? total - off : v.gso_size;
	memcpy(out, f, hl);
	memcpy(out + hl, f + hl + off, n);
	uint8_t *ip = out + 14, *uh = out + l4;
	size_t ulen = 8 + n;
	if (v6) {
		ip[4] = (uint8_t)(ulen >> 8);
		ip[5] = (uint8_t)ulen;
	} else {
		uint16_t id = (uint16_t)(be16(f + 14 + 4) + k);
		ip[2] = (uint8_t)((20 + ulen) >> 8);
		ip[3] = (uint8_t)(20 + ulen);
		ip[4] = (uint8_t)(id >> 8);
		ip[5] = (uint8_t)id;
		ip4_csum(ip);
	}
	uh[4] = (uint8_t)(ulen >> 8);
	uh[5] = (uint8_t)ulen;
	udp_csum_put(ip, v6, uh, ulen);
	return hl + n;
}

static void merge_udp_datagrams(void **state)
{
	struct tk__gro g;
	uint8_t out[2000];
	(void)state;
	for (int v6 = 0; v6 <= 1; v6++) {
		/* five datagrams of one flow, the last shorter: one super-frame */
		size_t sizes[5] = { 100, 100, 100, 100, 60 };
		assert_true(tk__gro_init(&g, record, NULL, true));
		g.uso = true;
		nem = 0;
		for (size_t i = 0; i < 5; i++) {
			seg_len[i] = make_udp(seg[i], v6, (uint16_t)(0xfffe + i), sizes[i],
					      (unsigned)i * 7, 5000, true);
			tk__gro_add(&g, seg[i], seg_len[i], 4);
		}
		assert_int_equal(nem, 0);
		tk__gro_flush(&g);
		assert_int_equal(nem, 1);
		assert_int_equal(em[0].nsegs, 5);
		assert_int_equal(em[0].tag, 4);
		struct tk__vnet v;
		tk__vnet_read(em[0].buf, &v);
		size_t l4 = 14 + (v6 ? 40 : 20);
		assert_int_equal(v.flags, TK__VNET_F_NEEDS_CSUM);
		assert_int_equal(v.gso_type, TK__VNET_GSO_UDP_L4);
		assert_int_equal(v.gso_size, 100);
		assert_int_equal(v.hdr_len, l4 + 8);
		assert_int_equal(v.csum_start, l4);
		assert_int_equal(v.csum_offset, 6);
		assert_int_equal(be16(em[0].buf + TK_VNET_HDR_LEN + l4 + 4), 8 + 460);
		/* the kernel's split gives back every datagram, byte for byte (the id wraps) */
		for (size_t i = 0; i < 5; i++) {
			size_t n = kernel_split_udp(&em[0], i, out);
			assert_int_equal(n, seg_len[i]);
			assert_memory_equal(out, seg[i], n);
		}
		assert_int_equal(kernel_split_udp(&em[0], 5, out), 0);
		tk__gro_free(&g);
	}
}

/* emits the frames of seg[0..n) through a fresh merger; what came out in em[0..nem) */
static void udp_run(bool uso, size_t n)
{
	struct tk__gro g;
	assert_true(tk__gro_init(&g, record, NULL, true));
	g.uso = uso;
	nem = 0;
	for (size_t i = 0; i < n; i++)
		tk__gro_add(&g, seg[i], seg_len[i], (uint32_t)i);
	tk__gro_flush(&g);
	tk__gro_free(&g);
}

static void merge_udp_refuses(void **state)
{
	(void)state;
	/* an adapter without UDP GSO: every datagram alone, unchanged */
	for (size_t i = 0; i < 4; i++)
		seg_len[i] = make_udp(seg[i], false, (uint16_t)(100 + i), 100, 0, 5000, true);
	udp_run(false, 4);
	assert_int_equal(nem, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(em[i].nsegs, 1);
		assert_int_equal(em[i].buf[1], TK__VNET_GSO_NONE);
		assert_memory_equal(em[i].buf + TK_VNET_HDR_LEN, seg[i], seg_len[i]);
	}

	/* a gap in the IPv4 ids (a datagram lost, or another sender's): no merge across it */
	seg_len[2] = make_udp(seg[2], false, 103, 100, 0, 5000, true);
	seg_len[3] = make_udp(seg[3], false, 104, 100, 0, 5000, true);
	udp_run(true, 4);
	assert_int_equal(nem, 2);
	assert_int_equal(em[0].nsegs, 2);
	assert_int_equal(em[1].nsegs, 2);

	/* no checksum (IPv4's 0), then a damaged one: each alone, as it came */
	seg_len[1] = make_udp(seg[1], false, 101, 100, 0, 5000, false);
	seg_len[2] = make_udp(seg[2], false, 102, 100, 0, 5000, true);
	seg[2][60] ^= 1;
	seg_len[3] = make_udp(seg[3], false, 103, 100, 0, 5000, true);
	udp_run(true, 4);
	assert_int_equal(nem, 4);
	for (size_t i = 0; i < 4; i++)
		assert_memory_equal(em[i].buf + TK_VNET_HDR_LEN, seg[i], seg_len[i]);

	/* a shorter datagram ends a super-frame; a longer one never joins */
	seg_len[0] = make_udp(seg[0], false, 100, 100, 0, 5000, true);
	seg_len[1] = make_udp(seg[1], false, 101, 60, 0, 5000, true);
	seg_len[2] = make_udp(seg[2], false, 102, 100, 0, 5000, true);
	seg_len[3] = make_udp(seg[3], false, 103, 200, 0, 5000, true);
	udp_run(true, 4);
	assert_int_equal(nem, 3);
	assert_int_equal(em[0].nsegs, 2);
	assert_int_equal(em[1].nsegs, 1);
	assert_int_equal(em[2].nsegs, 1);

	/* another source port is another flow, and a TCP segment another protocol */
	seg_len[0] = make_udp(seg[0], false, 100, 100, 0, 5000, true);
	seg_len[1] = make_udp(seg[1], false, 101, 100, 0, 5001, true);
	seg_len[2] = make_udp(seg[2], false, 101, 100, 0, 5000, true);
	seg_len[3] = make_tcp(seg[3], false, false, 1, 100, 0, 0x10, 5000);
	udp_run(true, 4);
	assert_int_equal(nem, 3);
	assert_int_equal(em[0].nsegs, 2); /* 5000: ids 100, 101 */
	assert_int_equal(em[0].tag, 0);
	assert_int_equal(em[1].tag, 1);
	assert_int_equal(em[2].tag, 3);
}

/*
 * A UDP GSO datagram read from an adapter with TUN_F_USO4/6 (a UDP_SEGMENT sender's): split
 * into the datagrams the sender meant, each as make_udp builds it on its own (IP length and
 * id, UDP length, a whole UDP checksum); the short tail kept. The stack's partial checksum in
 * the super-frame must not matter.
 */
static void split_udp_gso(void **state)
{
	(void)state;
	for (int v6 = 0; v6 <= 1; v6++) {
		const size_t mss = 100, payload = 460;
		size_t len = make_udp(super, v6, 0xfffe, payload, 3, 5000, false);
		size_t l4 = 14 + (v6 ? 40 : 20);
		super[l4 + 6] = 0x55; /* a partial checksum */
		struct tk__vnet v = { .flags = TK__VNET_F_NEEDS_CSUM,
				      .gso_type = TK__VNET_GSO_UDP_L4,
				      .gso_size = (uint16_t)mss,
				      .hdr_len = (uint16_t)(l4 + 8),
				      .csum_start = (uint16_t)l4,
				      .csum_offset = 6 };
		size_t n = split_all(super, len, &v);
		assert_int_equal(n, 5);
		for (size_t i = 0; i < n; i++) {
			uint8_t want[2000];
			size_t pl = i < 4 ? mss : payload - 4 * mss;
			size_t wl = make_udp(want, v6, (uint16_t)(0xfffe + i), pl,
					     (unsigned)(3 + i * mss), 5000, true);
			assert_int_equal(seg_len[i], wl);
			assert_memory_equal(seg[i], want, wl);
		}
		/* a UDP GSO type on a TCP segment, a TCP type on a UDP datagram: refused */
		struct tk__tso s;
		struct tk__vnet bad = v;
		bad.gso_type = (uint8_t)(v6 ? TK__VNET_GSO_TCPV6 : TK__VNET_GSO_TCPV4);
		assert_int_equal(tk__tso_begin(&s, super, len, &bad), TK__DROP_MALFORMED);
		len = make_tcp(super, v6, false, 1, 3000, 0, 0x10, 1000);
		assert_int_equal(tk__tso_begin(&s, super, len, &v), TK__DROP_MALFORMED);
	}
}

/*
 * A split datagram whose checksum computes to 0 carries 0xffff (RFC 768: 0 means "none").
 * Two payload bytes of the first datagram are chosen (by trying every value) so that its sum
 * is all ones.
 */
static void split_udp_zero_checksum(void **state)
{
	(void)state;
	const size_t mss = 100, l4 = 14 + 20, at = l4 + 8 + 98; /* the first datagram's last word */
	size_t len = make_udp(super, false, 7, 150, 0, 5000, false);
	struct tk__vnet v = { .flags = TK__VNET_F_NEEDS_CSUM,
			      .gso_type = TK__VNET_GSO_UDP_L4,
			      .gso_size = (uint16_t)mss };
	uint8_t first[200];
	size_t fl = make_udp(first, false, 7, mss, 0, 5000, false);
	bool found = false;
	for (unsigned w = 0; w <= 0xffff && !found; w++) {
		first[at] = (uint8_t)(w >> 8);
		first[at + 1] = (uint8_t)w;
		found = l4_csum(first + 14, false, 17, first + l4, fl - l4) == 0;
	}
	assert_true(found);
	memcpy(super + at, first + at, 2);
	assert_int_equal(split_all(super, len, &v), 2);
	assert_int_equal(be16(seg[0] + l4 + 6), 0xffff);
	assert_memory_equal(seg[0] + l4 + 8, first + l4 + 8, mss);
	/* all ones is minus zero: the datagram checks */
	assert_int_equal(l4_csum(seg[0] + 14, false, 17, seg[0] + l4, seg_len[0] - l4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checksum_matches_rfc1071),
		cmocka_unit_test(split_ipv4),
		cmocka_unit_test(split_ipv6_with_vlan),
		cmocka_unit_test(split_refuses_what_it_cannot_split),
		cmocka_unit_test(partial_checksum_completed),
		cmocka_unit_test(merge_undoes_the_split),
		cmocka_unit_test(merge_keeps_order_and_refuses),
		cmocka_unit_test(merge_stops_at_64k),
		cmocka_unit_test(merge_udp_datagrams),
		cmocka_unit_test(merge_udp_refuses),
		cmocka_unit_test(split_udp_gso),
		cmocka_unit_test(split_udp_zero_checksum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
