/* SPDX-License-Identifier: MIT */
/*
 * The CLI's printers (cli/output.c) given adapter names made of any bytes. Properties:
 *
 * - the JSON string of a name, the adapter document and the error document are valid JSON
 *   (checked by the strict validator below: RFC 8259 grammar, UTF-8 text, no raw control
 *   characters) with no raw DEL either, and the name decodes back to its bytes with every byte
 *   that does not start a well-formed UTF-8 sequence (RFC 3629) replaced by U+FFFD, as
 *   cli/cli.h documents;
 * - the text printers write no control character but the newline, and cli_text_write shows each
 *   control character as \xNN and every other byte as itself.
 */
#include "fuzz.h"
#include "cli.h"

#include <string.h>

/* ---- the reference: RFC 3629 by code point, independent of output.c's byte tables ---- */

/* Length of the well-formed sequence at s[0..n), 0 if none. */
static size_t ref_utf8(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1fu, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0fu, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* name with each byte that starts no sequence replaced by U+FFFD (EF BF BD). */
static size_t ref_expected(const char *name, unsigned char *out)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), o = 0;
	for (size_t i = 0; i < n;) {
		size_t k = ref_utf8(s + i, n - i);
		if (k == 0) {
			static const unsigned char fffd[3] = { 0xef, 0xbf, 0xbd };
			memcpy(out + o, fffd, sizeof(fffd));
			o += sizeof(fffd);
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	return o;
}

/* ---- a strict JSON validator that decodes one member's string ---- */

struct json_p {
	const unsigned char *p, *end;
	int depth;
	const char *want; /* the member of the top-level object to capture */
	unsigned char *cap;
	size_t cap_len;
	bool captured;
};

static void ws(struct json_p *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(const unsigned char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static size_t put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The XXXX of \\uXXXX (j->p after the u), a surrogate pair joined; false if malformed. */
static bool json_escape_u(struct json_p *j, uint32_t *out)
{
	if (j->end - j->p < 4)
		return false;
	int v = hex4(j->p);
	if (v < 0)
		return false;
	j->p += 4;
	uint32_t cp = (uint32_t)v;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return false; /* a lone low surrogate */
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
			return false;
		int lo = hex4(j->p + 2);
		if (lo < 0xdc00 || lo > 0xdfff)
			return false;
		j->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
	}
	*out = cp;
	return true;
}

/* A string literal; decoded into out (room for the input's length times 2) when out is set. */
static bool json_string(struct json_p *j, unsigned char *out, size_t *out_len)
{
	size_t o = 0;
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	for (;;) {
		if (j->p >= j->end)
			return false;
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			break;
		}
		if (c < 0x20 || c == 0x7f) /* DEL is legal JSON but the writer promises \u007f */
			return false;
		if (c != '\\') {
			size_t k = ref_utf8(j->p, (size_t)(j->end - j->p));
			if (k == 0)
				return false;
			if (out)
				memcpy(out + o, j->p, k);
			o += k;
			j->p += k;
			continue;
		}
		if (j->end - j->p < 2)
			return false;
		unsigned char e = j->p[1];
		j->p += 2;
		uint32_t cp;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			cp = e;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (!json_escape_u(j, &cp))
				return false;
			break;
		default:
			return false;
		}
		if (out)
			o += put_utf8(out + o, cp);
		else
			o += 4;
	}
	if (out_len)
		*out_len = o;
	return true;
}

static bool json_number(struct json_p *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return false;
	if (*j->p == '0') {
		j->p++;
	} else if (*j->p >= '1' && *j->p <= '9') {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	} else {
		return false;
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return true;
}

static bool json_word(struct json_p *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool json_value(struct json_p *j);

static bool json_object(struct json_p *j)
{
	j->p++; /* '{' */
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		unsigned char key[1024];
		size_t klen = 0;
		ws(j);
		const unsigned char *kstart = j->p;
		size_t bound = 0;
		if (!json_string(j, NULL, &bound))
			return false;
		if (bound < sizeof(key)) {
			/* decoded only when it fits: the keys we look for are short */
			j->p = kstart;
			if (!json_string(j, key, &klen))
				return false;
		}
		ws(j);
		if (j->p >= j->end || *j->p != ':')
			return false;
		j->p++;
		ws(j);
		bool want = j->depth == 1 && j->want && klen == strlen(j->want) &&
			    memcmp(key, j->want, klen) == 0;
		if (want) {
			if (!json_string(j, j->cap, &j->cap_len))
				return false;
			j->captured = true;
		} else if (!json_value(j)) {
			return false;
		}
		ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == '}') {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return false;
		j->p++;
	}
}

static bool json_array(struct json_p *j)
{
	j->p++; /* '[' */
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		ws(j);
		if (!json_value(j))
			return false;
		ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		if (*j->p != ',')
			return false;
		j->p++;
	}
}

static bool json_value(struct json_p *j)
{
	bool ok;
	ws(j);
	if (j->p >= j->end || j->depth > 32)
		return false;
	j->depth++;
	switch (*j->p) {
	case '{':
		ok = json_object(j);
		break;
	case '[':
		ok = json_array(j);
		break;
	case '"':
		ok = json_string(j, NULL, NULL);
		break;
	case 't':
		ok = json_word(j, "true");
		break;
	case 'f':
		ok = json_word(j, "false");
		break;
	case 'n':
		ok = json_word(j, "null");
		break;
	default:
		ok = json_number(j);
		break;
	}
	j->depth--;
	return ok;
}

/* One JSON document (and only whitespace after it); captures member `want` of the top object. */
/* NOLINTNEXTLINE(readability-non-const-parameter): written through j.cap */
static bool json_valid(const char *text, size_t len, const char *want, unsigned char *cap,
		       size_t *cap_len)
{
	struct json_p j = { (const unsigned char *)text,
			    (const unsigned char *)text + len,
			    0,
			    want,
			    cap,
			    0,
			    false };
	if (!json_value(&j))
		return false;
	ws(&j);
	if (j.p != j.end)
		return false;
	if (want) {
		if (!j.captured)
			return false;
		*cap_len = j.cap_len;
	}
	return true;
}

/* ---- the target ---- */

struct mem {
	char *data;
	size_t size;
	FILE *f;
};

static FILE *mem_open(struct mem *m)
{
	m->data = NULL;
	m->size = 0;
	m->f = open_memstream(&m->data, &m->size);
	FUZZ_CHECK(m->f);
	return m->f;
}

static void mem_close(struct mem *m)
{
	FUZZ_CHECK(fclose(m->f) == 0);
	m->f = NULL;
}

static void copy_name(char *dst, size_t size, const uint8_t *data, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, data, n);
	dst[n] = '\0';
}

static void no_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		FUZZ_CHECK(c == '\n' || (c >= 0x20 && c != 0x7f));
	}
}

/* The name: any bytes up to the first NUL; the first byte also picks the other fields. */
static void make_adapter(tk_adapter_info *ap, const uint8_t *data, size_t size)
{
	tk_adapter_info a;
	memset(&a, 0, sizeof(a));
	copy_name(a.name, sizeof(a.name), data, size);
	uint8_t sel = size ? data[0] : 0;
	copy_name(a.master, sizeof(a.master), data, (sel & 1) ? size : 0);
	copy_name(a.id, sizeof(a.id), data, size);
	copy_name(a.operstate, sizeof(a.operstate), data, size);
	copy_name(a.driver, sizeof(a.driver), data, size);
	a.mode = (sel & 2) ? TK_MODE_TUN : TK_MODE_TAP;
	a.flags = sel;
	a.ifindex = sel;
	a.mtu = 1500;
	a.owner = (sel & 0x44) == 0x44 ? 0 : -1; /* a user lookup per run is slow */
	a.group = (sel & 0x48) == 0x48 ? 0 : -1;
	static const uint8_t mac[TK_MAC_LEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	memcpy(a.mac, mac, TK_MAC_LEN);
	a.naddrs = sel % 3;
	for (size_t i = 0; i < a.naddrs; i++) {
		a.addrs[i].family = 4;
		a.addrs[i].prefix = 24;
		a.addrs[i].bytes[0] = 10;
		a.addrs[i].bytes[3] = (uint8_t)i;
	}
	a.nholders = sel % 20; /* more than TK_MAX_HOLDERS: only those stored are printed */
	for (size_t i = 0; i < TK_MAX_HOLDERS; i++) {
		a.holders[i].pid = (uint32_t)(100 + i);
		copy_name(a.holders[i].name, sizeof(a.holders[i].name), data, size);
	}
	*ap = a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tk_adapter_info a;
	static unsigned char want[TK_NAME_MAX * 3], got[TK_NAME_MAX * 4];
	struct mem m;
	size_t got_len = 0;
	uint8_t sel = size ? data[0] : 0;

	make_adapter(&a, data, size);

	/* the string alone */
	size_t want_len = ref_expected(a.name, want);
	cli_json_write_string(mem_open(&m), a.name);
	mem_close(&m);
	FUZZ_CHECK(json_valid(m.data, m.size, NULL, NULL, NULL));
	{
		struct json_p j = { (const unsigned char *)m.data,
				    (const unsigned char *)m.data + m.size,
				    0,
				    NULL,
				    NULL,
				    0,
				    false };
		FUZZ_CHECK(json_string(&j, got, &got_len) && j.p == j.end);
		FUZZ_CHECK(got_len == want_len && memcmp(got, want, want_len) == 0);
	}
	free(m.data);

	/* the adapter document: valid, and "name" decodes to the expected text */
	struct cli_json j;
	cli_json_init(&j, mem_open(&m));
	cli_adapter_json(&j, NULL, &a);
	mem_close(&m);
	FUZZ_CHECK(json_valid(m.data, m.size, "name", got, &got_len));
	FUZZ_CHECK(got_len == want_len && memcmp(got, want, want_len) == 0);
	free(m.data);

	/* a list of two inside an object, as `tapkit list --json` nests it */
	cli_json_init(&j, mem_open(&m));
	cli_json_object_begin(&j, NULL);
	cli_json_int(&j, "version", 1);
	cli_json_array_begin(&j, "adapters");
	cli_adapter_json(&j, NULL, &a);
	cli_adapter_json(&j, NULL, &a);
	cli_json_array_end(&j);
	cli_json_string(&j, "name", a.name);
	cli_json_object_end(&j);
	mem_close(&m);
	FUZZ_CHECK(json_valid(m.data, m.size, "name", got, &got_len));
	FUZZ_CHECK(got_len == want_len && memcmp(got, want, want_len) == 0);
	free(m.data);

	/* the error document and text block with the name as object and message */
	tk_error err;
	memset(&err, 0, sizeof(err));
	err.status = (tk_status)(sel % (TK_STATUS__COUNT + 1)); /* and one past the end */
	copy_name(err.op, sizeof(err.op), data, size);
	copy_name(err.object, sizeof(err.object), data, size);
	copy_name(err.message, sizeof(err.message), data, size);
	copy_name(err.remedy, sizeof(err.remedy), data, size);
	copy_name(err.os_text, sizeof(err.os_text), data, size);
	copy_name(err.holder_name, sizeof(err.holder_name), data, size);
	err.os_kind = (tk_os_kind)(sel % 3);
	err.holder_pid = sel;
	cli_error_json(mem_open(&m), &err);
	mem_close(&m);
	FUZZ_CHECK(json_valid(m.data, m.size, NULL, NULL, NULL));
	free(m.data);
	cli_error_text(mem_open(&m), &err, false);
	mem_close(&m);
	no_controls(m.data, m.size);
	free(m.data);

	/* text: no control character reaches the terminal */
	cli_adapters_text(mem_open(&m), &a, 1, false);
	mem_close(&m);
	no_controls(m.data, m.size);
	free(m.data);
	cli_adapter_show_text(mem_open(&m), &a, false);
	mem_close(&m);
	no_controls(m.data, m.size);
	free(m.data);

	cli_text_write(mem_open(&m), a.name);
	mem_close(&m);
	{
		size_t o = 0;
		for (const unsigned char *p = (const unsigned char *)a.name; *p; p++) {
			char esc[8];
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)*p);
				FUZZ_CHECK(o + 4 <= m.size && memcmp(m.data + o, esc, 4) == 0);
				o += 4;
			} else {
				FUZZ_CHECK(o < m.size && (unsigned char)m.data[o] == *p);
				o++;
			}
		}
		FUZZ_CHECK(o == m.size);
	}
	free(m.data);
	return 0;
}
