/* SPDX-License-Identifier: MIT */
/*
 * The VXLAN wire format (RFC 7348 section 5): an 8-byte header before the Ethernet frame,
 *
 *   byte 0     flags: 0x08 (the I flag: the VNI is valid); the other bits reserved
 *   bytes 1-3  reserved
 *   bytes 4-6  VNI, 24 bits, network order
 *   byte 7     reserved
 *
 * Reserved bits are sent as zero and ignored on receipt, as the RFC says, so extensions the
 * Linux kernel may set (GBP, GPE) do not make a frame fail here.
 */
#include "tunnel_internal.h"

#include <errno.h>

#include <string.h>

#define VXLAN_FLAG_I 0x08u

static const char *const drop_keys[] = { "pass",
#define TK__DROP_KEY(name, key, desc) key,
					 TK__DROP_MAP(TK__DROP_KEY)
#undef TK__DROP_KEY
};

const char *tk__drop_key(enum tk__drop d)
{
	if ((unsigned)d >= TK__DROP__COUNT)
		return "unknown";
	return drop_keys[d];
}

void tk__vxlan_encode(uint8_t hdr[TK__VXLAN_HLEN], uint32_t vni)
{
	hdr[0] = VXLAN_FLAG_I;
	hdr[1] = 0;
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = (uint8_t)(vni >> 16);
	hdr[5] = (uint8_t)(vni >> 8);
	hdr[6] = (uint8_t)vni;
	hdr[7] = 0;
}

enum tk__drop tk__vxlan_decode(const uint8_t *buf, size_t len, uint32_t vni, const uint8_t **frame,
			       size_t *frame_len)
{
	if (len < TK__VXLAN_HLEN + TK__ETH_HLEN)
		return TK__DROP_MALFORMED;
	if (!(buf[0] & VXLAN_FLAG_I))
		return TK__DROP_MALFORMED;
	uint32_t got = (uint32_t)buf[4] << 16 | (uint32_t)buf[5] << 8 | buf[6];
	if (got != vni)
		return TK__DROP_BAD_VNI;
	*frame = buf + TK__VXLAN_HLEN;
	*frame_len = len - TK__VXLAN_HLEN;
	return TK__PASS;
}

const char *tk__errno_text(int e, char *buf, size_t size)
{
#ifdef _WIN32
	if (strerror_s(buf, size, e) != 0)
		tk__snprintf(buf, size, "error %d", e);
	return buf;
#else
	return strerror_r(e, buf, size); /* _GNU_SOURCE: returns the text, maybe not in buf */
#endif
}

tk_status tk__tunnel_os_error(tk_error *err, const char *op, const char *object, int e,
			      const char *what)
{
	tk_status st;
	if (e == EMFILE || e == ENFILE) {
		st = tk__error_set_quiet(err, TK_E_NO_MEMORY, op, object, TK_OS_ERRNO, e,
					 "%s: out of file descriptors", what);
		tk__error_remedy(err, e == EMFILE
					      ? "raise the limit (ulimit -n, LimitNOFILE=)"
					      : "the system's file table is full (fs.file-max)");
	} else if (e == ENOMEM || e == ENOBUFS) {
		st = tk__error_set_quiet(err, TK_E_NO_MEMORY, op, object, TK_OS_ERRNO, e,
					 "%s: out of memory", what);
		tk__error_remedy(err, "free memory or raise the limit (ulimit -v, MemoryMax=)");
	} else {
		st = tk__error_set_quiet(err, TK_E_IO, op, object, TK_OS_ERRNO, e, "%s", what);
	}
	return st;
}
