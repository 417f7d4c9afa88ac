/* SPDX-License-Identifier: MIT */
/*
 * IPv4/IPv6 address and MAC address text, parsed strictly and formatted canonically. Written
 * here instead of calling inet_pton/inet_ntop because core includes no OS header (Windows has
 * them only behind Winsock) and because inet_pton accepts what an adapter configuration should
 * not: it has no prefix syntax and some libcs take leading zeros. IPv6 output follows RFC 5952
 * (lower case, no leading zeros, the longest run of two or more zero groups as "::", the first
 * such run on a tie, IPv4-mapped addresses with a dotted tail).
 */
#include "core_internal.h"

#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A decimal number of 1..3 digits without a leading zero ("0" itself is fine) and at most max.
 * Leading zeros are refused: inet_aton reads "010" as octal 8, people mean 10.
 */
static bool parse_dec(const char **pp, const char *end, unsigned max, unsigned *out)
{
	const char *p = *pp;
	unsigned v = 0;
	size_t n = 0;
	while (p < end && is_digit(*p) && n < 4) {
		v = v * 10 + (unsigned)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || n > 3 || (n > 1 && **pp == '0') || v > max)
		return false;
	*pp = p;
	*out = v;
	return true;
}

/* Exactly a dotted quad spanning [p, end). */
static bool parse_v4(const char *p, const char *end, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v;
		if (i > 0) {
			if (p >= end || *p != '.')
				return false;
			p++;
		}
		if (!parse_dec(&p, end, 255, &v))
			return false;
		out[i] = (uint8_t)v;
	}
	return p == end;
}

/* Exactly an IPv6 address spanning [p, end), with an optional dotted IPv4 tail. */
static bool parse_v6(const char *p, const char *end, uint8_t out[16])
{
	uint16_t words[8] = { 0 };
	int n = 0, gap = -1;

	if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
		gap = 0;
		p += 2;
	} else if (p < end && *p == ':') {
		return false; /* a single leading colon */
	}
	while (p < end) {
		/* A dotted IPv4 tail takes the last two groups. */
		const char *tok_end = p;
		while (tok_end < end && *tok_end != ':')
			tok_end++;
		if (memchr(p, '.', (size_t)(tok_end - p))) {
			uint8_t v4[4];
			if (tok_end != end || n > 6 || !parse_v4(p, end, v4))
				return false;
			words[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			words[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			break;
		}
		unsigned v = 0;
		int digits = 0;
		for (; p < end && tk__hex_value(*p) >= 0; p++, digits++) {
			if (digits == 4)
				return false;
			v = v << 4 | (unsigned)tk__hex_value(*p);
		}
		if (digits == 0 || n == 8)
			return false;
		words[n++] = (uint16_t)v;
		if (p == end)
			break;
		if (*p != ':')
			return false;
		p++;
		if (p < end && *p == ':') {
			if (gap >= 0)
				return false; /* a second "::" */
			gap = n;
			p++;
		} else if (p == end) {
			return false; /* a single trailing colon */
		}
	}
	if (gap < 0 && n != 8)
		return false;
	if (gap >= 0 && n > 7)
		return false; /* "::" stands for at least one zero group */
	uint16_t full[8] = { 0 };
	if (gap < 0) {
		memcpy(full, words, sizeof(full));
	} else {
		int tail = n - gap;
		memcpy(full, words, (size_t)gap * sizeof(words[0]));
		memcpy(full + 8 - tail, words + gap, (size_t)tail * sizeof(words[0]));
	}
	for (size_t i = 0; i < 8; i++) {
		out[2 * i] = (uint8_t)(full[i] >> 8);
		out[2 * i + 1] = (uint8_t)full[i];
	}
	return true;
}

tk_status tk_ip_addr_parse(const char *text, tk_ip_addr *out)
{
	if (!text || !out)
		return TK_E_BAD_ARGUMENT;
	size_t len = strlen(text);
	if (len == 0 || len > 64)
		return TK_E_ADDRESS_INVALID;
	const char *end = text + len;
	const char *slash = memchr(text, '/', len);
	const char *addr_end = slash ? slash : end;
	tk_ip_addr a;
	memset(&a, 0, sizeof(a));
	if (memchr(text, ':', (size_t)(addr_end - text))) {
		a.family = 6;
		a.prefix = 128;
		if (!parse_v6(text, addr_end, a.bytes))
			return TK_E_ADDRESS_INVALID;
	} else {
		a.family = 4;
		a.prefix = 32;
		if (!parse_v4(text, addr_end, a.bytes))
			return TK_E_ADDRESS_INVALID;
	}
	if (slash) {
		const char *p = slash + 1;
		unsigned prefix;
		if (!parse_dec(&p, end, a.prefix, &prefix) || p != end)
			return TK_E_ADDRESS_INVALID;
		a.prefix = (uint8_t)prefix;
	}
	*out = a;
	return TK_OK;
}

static void format_v6(const uint8_t b[16], char *out, size_t size)
{
	uint16_t w[8];
	for (size_t i = 0; i < 8; i++)
		w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);

	/* ::ffff:a.b.c.d, RFC 5952 section 5 */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(b, mapped, sizeof(mapped)) == 0) {
		tk__snprintf(out, size, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
		return;
	}

	int best = -1, best_len = 1; /* a single zero group is not shortened */
	for (int i = 0; i < 8;) {
		if (w[i] != 0) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	char buf[48];
	size_t len = 0;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			buf[len++] = ':';
			if (i == 0)
				buf[len++] = ':';
			i += best_len - 1;
			continue;
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%x%s", (unsigned)w[i],
					i < 7 ? ":" : "");
	}
	buf[len] = '\0';
	tk__strlcpy(out, buf, size);
}

char *tk_ip_addr_format(const tk_ip_addr *addr, char *buf, size_t size)
{
	if (!buf || size == 0)
		return buf;
	char a[48];
	if (!addr || (addr->family != 4 && addr->family != 6)) {
		tk__strlcpy(buf, "invalid", size);
		return buf;
	}
	if (addr->family == 4)
		tk__snprintf(a, sizeof(a), "%u.%u.%u.%u", addr->bytes[0], addr->bytes[1],
			     addr->bytes[2], addr->bytes[3]);
	else
		format_v6(addr->bytes, a, sizeof(a));
	tk__snprintf(buf, size, "%s/%u", a, (unsigned)addr->prefix);
	return buf;
}

tk_status tk_mac_parse(const char *text, bool any, uint8_t out[TK_MAC_LEN])
{
	if (!text || !out)
		return TK_E_BAD_ARGUMENT;
	if (strlen(text) != 3 * TK_MAC_LEN - 1)
		return TK_E_ADDRESS_INVALID;
	char sep = text[2];
	if (sep != ':' && sep != '-')
		return TK_E_ADDRESS_INVALID;
	uint8_t mac[TK_MAC_LEN];
	for (size_t i = 0; i < TK_MAC_LEN; i++) {
		const char *p = text + 3 * i;
		int hi = tk__hex_value(p[0]), lo = tk__hex_value(p[1]);
		if (hi < 0 || lo < 0)
			return TK_E_ADDRESS_INVALID;
		if (i + 1 < TK_MAC_LEN && p[2] != sep)
			return TK_E_ADDRESS_INVALID; /* one separator throughout */
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!any) {
		static const uint8_t zero[TK_MAC_LEN] = { 0 };
		if ((mac[0] & 0x01u) || memcmp(mac, zero, sizeof(zero)) == 0)
			return TK_E_ADDRESS_INVALID; /* an adapter needs a unicast address */
	}
	memcpy(out, mac, sizeof(mac));
	return TK_OK;
}

char *tk_mac_format(const uint8_t mac[TK_MAC_LEN], char *buf, size_t size)
{
	if (!buf || size == 0)
		return buf;
	if (!mac) {
		buf[0] = '\0';
		return buf;
	}
	tk__snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		     mac[4], mac[5]);
	return buf;
}
