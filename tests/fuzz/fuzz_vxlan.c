/* SPDX-License-Identifier: MIT */
/*
 * The VXLAN decoder (src/tunnel/vxlan.c) on any datagram. Properties: a datagram passes only
 * with the I flag, the VNI asked for and room for an Ethernet header, and the frame it gives is
 * the rest of the buffer; a header made by tk__vxlan_encode in front of any frame of at least an
 * Ethernet header decodes back to that frame.
 */
#include "fuzz.h"
#include "tunnel/tunnel_internal.h"

#include <string.h>

static void check_decode(const uint8_t *buf, size_t len, uint32_t vni)
{
	const uint8_t *frame = NULL;
	size_t frame_len = 0;
	enum tk__drop d = tk__vxlan_decode(buf, len, vni, &frame, &frame_len);

	FUZZ_CHECK(d == TK__PASS || d == TK__DROP_MALFORMED || d == TK__DROP_BAD_VNI);
	if (len < TK__VXLAN_HLEN + TK__ETH_HLEN || !(buf[0] & 0x08))
		FUZZ_CHECK(d == TK__DROP_MALFORMED);
	if (d != TK__PASS)
		return;
	uint32_t got = (uint32_t)buf[4] << 16 | (uint32_t)buf[5] << 8 | buf[6];
	FUZZ_CHECK(got == vni);
	FUZZ_CHECK(frame == buf + TK__VXLAN_HLEN);
	FUZZ_CHECK(frame_len == len - TK__VXLAN_HLEN && frame_len >= TK__ETH_HLEN);
	FUZZ_CHECK(strcmp(tk__drop_key(d), "pass") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the VNI the datagram names (it passes if the flag and length allow), and VNI 1 */
	uint32_t own = size >= 7 ? ((uint32_t)data[4] << 16 | (uint32_t)data[5] << 8 | data[6]) : 1;
	check_decode(data, size, own);
	check_decode(data, size, 1);
	check_decode(data, size, TK__VNI_MAX);

	/* round trip: our header in front of the input as the frame */
	uint8_t *buf = malloc(size + TK__VXLAN_HLEN);
	if (!buf)
		return 0;
	uint32_t vni = (uint32_t)(size * 2654435761u) & TK__VNI_MAX;
	tk__vxlan_encode(buf, vni);
	if (size)
		memcpy(buf + TK__VXLAN_HLEN, data, size);
	const uint8_t *frame = NULL;
	size_t frame_len = 0;
	enum tk__drop d = tk__vxlan_decode(buf, size + TK__VXLAN_HLEN, vni, &frame, &frame_len);
	if (size >= TK__ETH_HLEN) {
		FUZZ_CHECK(d == TK__PASS);
		FUZZ_CHECK(frame_len == size && memcmp(frame, data, size) == 0);
		FUZZ_CHECK(tk__vxlan_decode(buf, size + TK__VXLAN_HLEN, vni ^ 1u, &frame,
					    &frame_len) == TK__DROP_BAD_VNI);
	} else {
		FUZZ_CHECK(d == TK__DROP_MALFORMED);
	}
	free(buf);
	return 0;
}
