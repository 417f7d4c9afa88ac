/* SPDX-License-Identifier: MIT */
/* Address text: strict IPv4/IPv6 parsing with prefixes, RFC 5952 output, MAC parse and format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tapkit.h"

/* Parses text and formats it back; the canonical form is what a user sees in `tapkit show`. */
static void round_trip(const char *text, const char *canonical)
{
	tk_ip_addr a;
	if (tk_ip_addr_parse(text, &a) != TK_OK)
		fail_msg("\"%s\" was rejected", text);
	char buf[64];
	assert_string_equal(tk_ip_addr_format(&a, buf, sizeof(buf)), canonical);
	/* and the canonical form parses to the same address */
	tk_ip_addr b;
	assert_int_equal(tk_ip_addr_parse(canonical, &b), TK_OK);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void rejected(const char *text)
{
	tk_ip_addr a;
	memset(&a, 0x5a, sizeof(a));
	tk_status st = tk_ip_addr_parse(text, &a);
	if (st != TK_E_ADDRESS_INVALID)
		fail_msg("\"%s\" gave %s, want TK_E_ADDRESS_INVALID", text, tk_status_name(st));
	for (size_t i = 0; i < sizeof(a.bytes); i++)
		assert_int_equal(a.bytes[i], 0x5a); /* output untouched on failure */
}

static void test_ipv4_with_and_without_prefix(void **state)
{
	(void)state;
	round_trip("10.0.0.1/30", "10.0.0.1/30");
	round_trip("10.0.0.1", "10.0.0.1/32");
	round_trip("0.0.0.0/0", "0.0.0.0/0");
	round_trip("255.255.255.255/32", "255.255.255.255/32");
	tk_ip_addr a;
	assert_int_equal(tk_ip_addr_parse("192.168.7.9/24", &a), TK_OK);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 24);
	assert_int_equal(a.bytes[0], 192);
	assert_int_equal(a.bytes[3], 9);
}

static void test_ipv4_bad_inputs_rejected(void **state)
{
	(void)state;
	const char *bad[] = { "1.2.3",	    "1.2.3.4/33",   "1.2.3.4.5",  "256.1.1.1",
			      "1.2.3.4/",   "01.2.3.4",	    "1.2.3.04",	  "1..2.3",
			      " 1.2.3.4",   "1.2.3.4 ",	    "1.2.3.4/-1", "1.2.3.4/+8",
			      "1.2.3.4/08", "1.2.3.4/32/1", "a.b.c.d",	  "1.2.3.4%eth0",
			      "",	    "/24",	    "1.2.3.-4",	  "1.2.3.4/1000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejected(bad[i]);
}

static void test_ipv6_is_formatted_per_rfc5952(void **state)
{
	(void)state;
	round_trip("fd00::1/64", "fd00::1/64");
	round_trip("::1", "::1/128");
	round_trip("::", "::/128");
	round_trip("::/0", "::/0");
	round_trip("FD00:0000:0000:0000:0000:0000:0000:0001/64", "fd00::1/64");
	/* leading zeros dropped, the longest zero run shortened */
	round_trip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128");
	/* on a tie the first run is shortened */
	round_trip("2001:db8:0:0:1:1:0:0", "2001:db8::1:1:0:0/128");
	/* a single zero group is not shortened */
	round_trip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128");
	round_trip("2001:0db8:0000:0001:0000:0000:0000:0000", "2001:db8:0:1::/128");
	round_trip("fe80::", "fe80::/128");
	round_trip("1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7:8/128");
	round_trip("1::8", "1::8/128");
	round_trip("1:2:3:4:5:6::8", "1:2:3:4:5:6:0:8/128"); /* :: covering one group */
}

static void test_ipv6_with_ipv4_tail(void **state)
{
	(void)state;
	round_trip("::ffff:192.0.2.1", "::ffff:192.0.2.1/128");
	round_trip("::ffff:c000:0201/96", "::ffff:192.0.2.1/96");
	round_trip("64:ff9b::192.0.2.33", "64:ff9b::c000:221/128");
	round_trip("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304/128");
}

static void test_ipv6_bad_inputs_rejected(void **state)
{
	(void)state;
	const char *bad[] = { "::1::2",
			      "fd00::1/129",
			      "1:2:3:4:5:6:7",
			      "1:2:3:4:5:6:7:8:9",
			      "1:2:3:4:5:6:7:8::",
			      "::1:2:3:4:5:6:7:8",
			      ":1::2",
			      "1::2:",
			      "1:::2",
			      "12345::1",
			      "g::1",
			      "fe80::1%eth0",
			      "::ffff:1.2.3",
			      "::ffff:1.2.3.4:5",
			      "1:2:3:4:5:6:7:1.2.3.4",
			      "::1/",
			      "::1/0128",
			      ":",
			      "[::1]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejected(bad[i]);
}

static void test_parse_null_is_bad_argument(void **state)
{
	(void)state;
	tk_ip_addr a;
	assert_int_equal(tk_ip_addr_parse(NULL, &a), TK_E_BAD_ARGUMENT);
	assert_int_equal(tk_ip_addr_parse("1.2.3.4", NULL), TK_E_BAD_ARGUMENT);
}

static void test_format_small_buffer_and_invalid(void **state)
{
	(void)state;
	tk_ip_addr a;
	assert_int_equal(tk_ip_addr_parse("10.0.0.1/30", &a), TK_OK);
	char buf[8];
	assert_string_equal(tk_ip_addr_format(&a, buf, sizeof(buf)), "10.0...");
	tk_ip_addr bad = { .family = 5 };
	char big[64];
	assert_string_equal(tk_ip_addr_format(&bad, big, sizeof(big)), "invalid");
	assert_string_equal(tk_ip_addr_format(NULL, big, sizeof(big)), "invalid");
}

static void test_mac_parse_with_colons_or_dashes(void **state)
{
	(void)state;
	uint8_t mac[TK_MAC_LEN];
	static const uint8_t want[TK_MAC_LEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	assert_int_equal(tk_mac_parse("02:00:5e:10:00:01", false, mac), TK_OK);
	assert_memory_equal(mac, want, TK_MAC_LEN);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(tk_mac_parse("02-00-5E-10-00-01", false, mac), TK_OK);
	assert_memory_equal(mac, want, TK_MAC_LEN);
	char buf[18];
	assert_string_equal(tk_mac_format(mac, buf, sizeof(buf)), "02:00:5e:10:00:01");
}

static void test_mac_multicast_and_zero_need_any(void **state)
{
	(void)state;
	uint8_t mac[TK_MAC_LEN] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	assert_int_equal(tk_mac_parse("01:00:5e:00:00:01", false, mac), TK_E_ADDRESS_INVALID);
	assert_int_equal(tk_mac_parse("ff:ff:ff:ff:ff:ff", false, mac), TK_E_ADDRESS_INVALID);
	assert_int_equal(tk_mac_parse("00:00:00:00:00:00", false, mac), TK_E_ADDRESS_INVALID);
	assert_int_equal(mac[0], 0xaa); /* untouched */
	assert_int_equal(tk_mac_parse("01:00:5e:00:00:01", true, mac), TK_OK);
	assert_int_equal(mac[0], 0x01);
	assert_int_equal(tk_mac_parse("00:00:00:00:00:00", true, mac), TK_OK);
}

static void test_mac_bad_inputs_rejected(void **state)
{
	(void)state;
	const char *bad[] = { "02:00:5e:10:00",	    "02:00:5e:10:00:01:02", "02:00-5e:10:00:01",
			      "02:00:5e:10:00:0g",  "2:00:5e:10:00:01",	    "02:00:5e:10:00:1",
			      "020:0:5e:10:00:01",  "02.00.5e.10.00.01",    "",
			      "02:00:5e:10:00:01 ", "0200.5e10.0001" };
	uint8_t mac[TK_MAC_LEN];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tk_mac_parse(bad[i], true, mac) != TK_E_ADDRESS_INVALID)
			fail_msg("MAC \"%s\" was accepted", bad[i]);
	assert_int_equal(tk_mac_parse(NULL, true, mac), TK_E_BAD_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_with_and_without_prefix),
		cmocka_unit_test(test_ipv4_bad_inputs_rejected),
		cmocka_unit_test(test_ipv6_is_formatted_per_rfc5952),
		cmocka_unit_test(test_ipv6_with_ipv4_tail),
		cmocka_unit_test(test_ipv6_bad_inputs_rejected),
		cmocka_unit_test(test_parse_null_is_bad_argument),
		cmocka_unit_test(test_format_small_buffer_and_invalid),
		cmocka_unit_test(test_mac_parse_with_colons_or_dashes),
		cmocka_unit_test(test_mac_multicast_and_zero_need_any),
		cmocka_unit_test(test_mac_bad_inputs_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
