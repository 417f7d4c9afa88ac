/* SPDX-License-Identifier: MIT */
/*
 * The offloads (src/tunnel/offload.c) on any virtio-net header and frame, as the adapter or a
 * peer could hand them over. Byte 0 picks the mode:
 *   even: raw. Bytes 1..10 are the virtio-net header, the rest the frame: the checksum
 *         completion, the TSO split and the merge must refuse or handle it without touching
 *         memory outside the frame (ASan), and a split that starts must end.
 *   odd:  built. The next bytes choose a well-formed TCP super-frame or UDP GSO datagram
 *         (IPv4/IPv6, VLAN or not, payload size, segment size, flags, sequence number): every
 *         segment of its split must carry a valid TCP or UDP checksum and its own lengths, the
 *         payload must come out whole and in order, and the merge must give back every
 *         segment exactly once.
 */
#include "fuzz.h"
#include "tunnel/tunnel_internal.h"

#include <string.h>

static uint8_t frame[70000], seg[70000], gso[70000];
static unsigned emitted_segs;
static size_t emitted_payload;

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool l4_ok(const uint8_t *f, size_t l3, size_t l4, size_t end, bool v6, uint8_t proto)
{
	uint8_t tail[4] = { 0, proto, (uint8_t)((end - l4) >> 8), (uint8_t)(end - l4) };
	uint64_t acc = tk__csum_add(f + l3 + (v6 ? 8 : 12), v6 ? 32 : 8, 0);
	acc = tk__csum_add(tail, 4, acc);
	return tk__csum_fold(tk__csum_add(f + l4, end - l4, acc)) == 0xffff;
}

static void count(void *user, uint8_t *buf, size_t len, unsigned nsegs, uint32_t tag)
{
	size_t *hlen = user;
	(void)tag;
	FUZZ_CHECK(len >= TK_VNET_HDR_LEN && len <= TK__GRO_BUF);
	FUZZ_CHECK(nsegs >= 1 && nsegs <= TK__GRO_SEGS);
	emitted_segs += nsegs;
	if (hlen && *hlen)
		emitted_payload += len - TK_VNET_HDR_LEN - *hlen;
	struct tk__vnet v;
	tk__vnet_read(buf, &v);
	if (nsegs > 1) {
		/* what the kernel requires of a GSO write (virtio_net_hdr_to_skb) */
		FUZZ_CHECK(v.flags == TK__VNET_F_NEEDS_CSUM);
		FUZZ_CHECK(v.gso_size > 0 && v.csum_offset == 16);
		FUZZ_CHECK((size_t)v.csum_start + 20 <= len - TK_VNET_HDR_LEN);
		FUZZ_CHECK(v.hdr_len <= len - TK_VNET_HDR_LEN);
	}
}

static void raw(const uint8_t *data, size_t size)
{
	if (size < 1 + TK_VNET_HDR_LEN)
		return;
	struct tk__vnet v;
	tk__vnet_read(data + 1, &v);
	size_t len = size - 1 - TK_VNET_HDR_LEN;
	if (len > sizeof(frame))
		return;
	memcpy(frame, data + 1 + TK_VNET_HDR_LEN, len);
	enum tk__drop d = tk__csum_complete(frame, len, &v);
	FUZZ_CHECK(d == TK__PASS || d == TK__DROP_MALFORMED);

	memcpy(frame, data + 1 + TK_VNET_HDR_LEN, len);
	struct tk__tso s;
	if (tk__tso_begin(&s, frame, len, &v) == TK__PASS) {
		size_t n = tk__tso_left(&s), got = 0, l;
		FUZZ_CHECK(n >= 1);
		while ((l = tk__tso_next(&s, seg, sizeof(seg))) != 0) {
			FUZZ_CHECK(l <= tk__tso_seg_len(&s));
			got++;
		}
		FUZZ_CHECK(got == n);
	}

	struct tk__gro g;
	if (!tk__gro_init(&g, count, NULL, true))
		return;
	emitted_segs = 0;
	tk__gro_add(&g, frame, len, 0);
	tk__gro_add(&g, frame, len, 0);
	tk__gro_flush(&g);
	FUZZ_CHECK(emitted_segs == 2);
	tk__gro_free(&g);
}

static void built(const uint8_t *data, size_t size)
{
	if (size < 12)
		return;
	bool v6 = data[1] & 1, vlan = data[1] & 2, udp = data[1] & 4;
	uint8_t proto = udp ? 17 : 6;
	uint8_t flags = (uint8_t)(0x10 | (data[2] & 0xe9)); /* ACK + any of FIN PSH URG ECE CWR */
	size_t payload = ((size_t)data[3] << 8 | data[4]) % 60000;
	size_t mss = ((size_t)data[5] << 8 | data[6]) % 9000 + 1;
	size_t l3 = vlan ? 18 : 14, l4 = l3 + (v6 ? 40 : 20), hlen = l4 + (udp ? 8 : 20);

	if (payload / mss > 2000)
		mss = payload / 2000 + 1; /* bounded work per input */
	memset(frame, 0, hlen);
	frame[0] = 2;
	frame[6] = 2;
	frame[11] = 1;
	if (vlan) {
		frame[12] = 0x81;
		frame[15] = 5;
	}
	frame[l3 - 2] = v6 ? 0x86 : 0x08;
	frame[l3 - 1] = v6 ? 0xdd : 0x00;
	uint8_t *ip = frame + l3;
	size_t tcplen = hlen - l4 + payload; /* the TCP or UDP header and the payload */
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(tcplen >> 8);
		ip[5] = (uint8_t)tcplen;
		ip[6] = proto;
		ip[7] = 64;
		ip[23] = 1;
		ip[39] = 2;
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)((20 + tcplen) >> 8);
		ip[3] = (uint8_t)(20 + tcplen);
		ip[8] = 64;
		ip[9] = proto;
		ip[15] = 1;
		ip[19] = 2;
	}
	uint8_t *th = frame + l4;
	th[1] = 80;
	th[3] = 81;
	if (udp) {
		th[4] = (uint8_t)(tcplen >> 8);
		th[5] = (uint8_t)tcplen;
	} else {
		memcpy(th + 4, data + 7, 4); /* any sequence number: the split must wrap it */
		th[12] = 5 << 4;
		th[13] = flags;
	}
	for (size_t i = 0; i < payload; i++)
		frame[hlen + i] = data[11 + i % (size - 11)];
	size_t len = hlen + payload;
	if (len - l3 > 65535 || (udp && tcplen > 65535))
		return;

	struct tk__vnet v = { .gso_type = (uint8_t)(udp	 ? TK__VNET_GSO_UDP_L4
						    : v6 ? TK__VNET_GSO_TCPV6
							 : TK__VNET_GSO_TCPV4),
			      .gso_size = (uint16_t)mss };
	struct tk__tso s;
	FUZZ_CHECK(tk__tso_begin(&s, frame, len, &v) == TK__PASS);
	size_t n = tk__tso_left(&s), off = 0, l, k = 0;
	struct tk__gro g;
	if (!tk__gro_init(&g, count, &hlen, true))
		return;
	emitted_segs = 0;
	emitted_payload = 0;
	while ((l = tk__tso_next(&s, seg, sizeof(seg))) != 0) {
		size_t pl = l - hlen;
		FUZZ_CHECK(l <= tk__tso_seg_len(&s));
		FUZZ_CHECK(l4_ok(seg, l3, l4, l, v6, proto));
		FUZZ_CHECK(!udp || be16(seg + l4 + 4) == l - l4);
		FUZZ_CHECK(memcmp(seg + hlen, frame + hlen + off, pl) == 0);
		FUZZ_CHECK(v6 ? be16(seg + l3 + 4) == l - l4 : be16(seg + l3 + 2) == l - l3);
		off += pl;
		k++;
		if (!udp && k > 1 && (flags & 0x80))
			FUZZ_CHECK(!(seg[l4 + 13] & 0x80)); /* CWR on the first only */
		memcpy(gso, seg, l);
		tk__gro_add(&g, gso, l, 0);
	}
	tk__gro_flush(&g);
	FUZZ_CHECK(k == n && off == payload);
	FUZZ_CHECK(emitted_segs == n);
	FUZZ_CHECK(emitted_payload == payload);
	tk__gro_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		built(data, size);
	else
		raw(data, size);
	return 0;
}
