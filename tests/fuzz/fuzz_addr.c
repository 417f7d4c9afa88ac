/* SPDX-License-Identifier: MIT */
/*
 * The address parsers (src/core/ether.c, the tunnel's endpoints in tunnel_config.c and its
 * base64 keys in seal.c) on any text. Round trips: what parses formats to text that parses to
 * the same value, and formatting is stable (format, parse, format gives the same text). A MAC
 * accepted for an adapter (any = false) is accepted as any MAC too, and is unicast and not zero.
 * A key is accepted only in its one canonical spelling (plus the spaces and newline allowed
 * around it).
 */
#include "fuzz.h"
#include "tunnel/tunnel_internal.h"

#include <netinet/in.h>
#include <string.h>

static void check_ip(const char *text)
{
	tk_ip_addr a, b;
	char t1[80], t2[80];

	if (tk_ip_addr_parse(text, &a) != TK_OK)
		return;
	FUZZ_CHECK(a.family == 4 || a.family == 6);
	FUZZ_CHECK(a.prefix <= (a.family == 4 ? 32 : 128));
	tk_ip_addr_format(&a, t1, sizeof(t1));
	FUZZ_CHECK(tk_ip_addr_parse(t1, &b) == TK_OK);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	tk_ip_addr_format(&b, t2, sizeof(t2));
	FUZZ_CHECK(strcmp(t1, t2) == 0);
	/* a short buffer truncates, always terminated */
	char small[8];
	tk_ip_addr_format(&a, small, sizeof(small));
	FUZZ_CHECK(memchr(small, '\0', sizeof(small)));
}

static void check_mac(const char *text)
{
	uint8_t m[TK_MAC_LEN], m2[TK_MAC_LEN], any[TK_MAC_LEN];
	char t[32];

	bool ok_any = tk_mac_parse(text, true, any) == TK_OK;
	if (tk_mac_parse(text, false, m) == TK_OK) {
		FUZZ_CHECK(ok_any && memcmp(m, any, sizeof(m)) == 0);
		FUZZ_CHECK(!(m[0] & 1));
	}
	if (!ok_any)
		return;
	tk_mac_format(any, t, sizeof(t));
	FUZZ_CHECK(strlen(t) == 17);
	FUZZ_CHECK(tk_mac_parse(t, true, m2) == TK_OK && memcmp(any, m2, sizeof(m2)) == 0);
	/* the same text but for case, and ':' for '-' */
	char norm[32];
	snprintf(norm, sizeof(norm), "%s", text);
	for (char *p = norm; *p; p++)
		if (*p == '-')
			*p = ':';
	FUZZ_CHECK(strcasecmp(t, norm) == 0);
}

static void check_endpoint(const char *text)
{
	struct sockaddr_storage a, b;
	socklen_t la = 0, lb = 0;
	char t1[80], t2[80];

	if (!tk__endpoint_parse(text, TK__VXLAN_PORT, &a, &la))
		return;
	FUZZ_CHECK(a.ss_family == AF_INET || a.ss_family == AF_INET6);
	FUZZ_CHECK(la == (a.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						 : sizeof(struct sockaddr_in6)));
	tk__endpoint_format((const struct sockaddr *)&a, t1, sizeof(t1));
	FUZZ_CHECK(tk__endpoint_parse(t1, 1, &b, &lb));
	tk__endpoint_format((const struct sockaddr *)&b, t2, sizeof(t2));
	FUZZ_CHECK(strcmp(t1, t2) == 0);
}

static void check_key(const char *text, size_t len)
{
	uint8_t k[TK__KEY_LEN], k2[TK__KEY_LEN];
	char b64[TK__KEY_B64_LEN + 1];

	if (!tk__key_from_base64(text, len, k))
		return;
	tk__key_to_base64(k, b64);
	FUZZ_CHECK(strlen(b64) == TK__KEY_B64_LEN);
	FUZZ_CHECK(tk__key_from_base64(b64, TK__KEY_B64_LEN, k2) && memcmp(k, k2, sizeof(k)) == 0);
	/* the input is that text with at most blanks before and blanks or a newline after */
	const char *at = memmem(text, len, b64, TK__KEY_B64_LEN);
	FUZZ_CHECK(at != NULL);
	for (const char *p = text; p < at; p++)
		FUZZ_CHECK(*p == ' ' || *p == '\t');
	for (const char *p = at + TK__KEY_B64_LEN; p < text + len; p++)
		FUZZ_CHECK(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r');
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!tk__seal_init())
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	check_ip(text);
	check_mac(text);
	check_endpoint(text);
	check_key((const char *)data, size);
	free(text);
	return 0;
}
