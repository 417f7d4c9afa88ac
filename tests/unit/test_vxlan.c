/* SPDX-License-Identifier: MIT */
/* The VXLAN header (RFC 7348): encoding, and every way a datagram is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tunnel/tunnel_internal.h"

static size_t make(uint8_t *buf, uint32_t vni, size_t frame_len)
{
	tk__vxlan_encode(buf, vni);
	memset(buf + TK__VXLAN_HLEN, 0xab, frame_len);
	return TK__VXLAN_HLEN + frame_len;
}

static void encode_is_rfc7348(void **state)
{
	uint8_t h[8];
	(void)state;
	tk__vxlan_encode(h, 0x123456);
	const uint8_t want[8] = { 0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0 };
	assert_memory_equal(h, want, 8);
}

static void decode_passes_the_frame(void **state)
{
	uint8_t buf[100];
	const uint8_t *f = NULL;
	size_t fl = 0;
	(void)state;
	size_t n = make(buf, 42, 60);
	assert_int_equal(tk__vxlan_decode(buf, n, 42, &f, &fl), TK__PASS);
	assert_ptr_equal(f, buf + 8);
	assert_int_equal(fl, 60);
}

static void wrong_vni_is_bad_vni(void **state)
{
	uint8_t buf[100];
	const uint8_t *f = NULL;
	size_t fl = 0;
	(void)state;
	size_t n = make(buf, 43, 60);
	assert_int_equal(tk__vxlan_decode(buf, n, 42, &f, &fl), TK__DROP_BAD_VNI);
	n = make(buf, 42 | 0x100000, 60); /* high bits of the 24 count */
	assert_int_equal(tk__vxlan_decode(buf, n, 42, &f, &fl), TK__DROP_BAD_VNI);
}

static void short_or_without_i_flag_is_malformed(void **state)
{
	uint8_t buf[100];
	const uint8_t *f = NULL;
	size_t fl = 0;
	(void)state;
	size_t n = make(buf, 42, 13); /* one byte short of an Ethernet header */
	assert_int_equal(tk__vxlan_decode(buf, n, 42, &f, &fl), TK__DROP_MALFORMED);
	for (size_t len = 0; len < 8 + 14; len++)
		assert_int_equal(tk__vxlan_decode(buf, len, 42, &f, &fl), TK__DROP_MALFORMED);
	n = make(buf, 42, 60);
	buf[0] = 0x00;
	assert_int_equal(tk__vxlan_decode(buf, n, 42, &f, &fl), TK__DROP_MALFORMED);
}

static void reserved_bits_are_ignored(void **state)
{
	uint8_t buf[100];
	const uint8_t *f = NULL;
	size_t fl = 0;
	(void)state;
	size_t n = make(buf, 42, 60);
	buf[0] |= 0x80; /* GBP's G bit, as the kernel may set it */
	buf[1] = 0xff;
	buf[7] = 0xff;
	assert_int_equal(tk__vxlan_decode(buf, n, 42, &f, &fl), TK__PASS);
}

static void drop_keys_are_named(void **state)
{
	(void)state;
	assert_string_equal(tk__drop_key(TK__DROP_BAD_VNI), "bad_vni");
	assert_string_equal(tk__drop_key(TK__DROP_QUEUE_FULL), "queue_full");
	assert_string_equal(tk__drop_key(TK__PASS), "pass");
	assert_string_equal(tk__drop_key((enum tk__drop)999), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_is_rfc7348),
		cmocka_unit_test(decode_passes_the_frame),
		cmocka_unit_test(wrong_vni_is_bad_vni),
		cmocka_unit_test(short_or_without_i_flag_is_malformed),
		cmocka_unit_test(reserved_bits_are_ignored),
		cmocka_unit_test(drop_keys_are_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
