/* SPDX-License-Identifier: MIT */
/*
 * The CLI's printers (cli/output.c): JSON string escaping of odd adapter names, the exit code of
 * every cause, the adapter and error documents byte for byte, the text error block and the
 * aligned `list` text, and the strict number parsers of cli/args.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- helpers ---- */

#define SET(dst, src) snprintf(dst, sizeof(dst), "%s", src)

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
	assert_non_null(m->f);
	return m->f;
}

/* Closes the stream; the text stays in m->data until mem_free. */
static const char *mem_text(struct mem *m)
{
	assert_int_equal(fclose(m->f), 0);
	m->f = NULL;
	return m->data;
}

static void mem_free(struct mem *m)
{
	free(m->data);
	m->data = NULL;
}

static void expect_json_string(const char *in, const char *want)
{
	struct mem m;

	cli_json_write_string(mem_open(&m), in);
	assert_string_equal(mem_text(&m), want);
	mem_free(&m);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	fail_msg("bad hex digit '%c'", c);
	return 0;
}

/* Appends code point cp (BMP only: the writer never emits pairs) as UTF-8. */
static char *put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * An independent JSON string decoder (RFC 8259 section 7) to parse the writer's output back:
 * fails the test on a raw control character or an unknown escape. Returns the end of the literal.
 */
static const char *json_decode_string(const char *in, char *out)
{
	assert_int_equal(*in, '"');
	for (in++; *in != '"'; in++) {
		assert_true(*in != '\0');
		assert_true((unsigned char)*in >= 0x20);
		if (*in != '\\') {
			*out++ = *in;
			continue;
		}
		in++;
		switch (*in) {
		case '"':
		case '\\':
		case '/':
			*out++ = *in;
			break;
		case 'b':
			*out++ = '\b';
			break;
		case 'f':
			*out++ = '\f';
			break;
		case 'n':
			*out++ = '\n';
			break;
		case 'r':
			*out++ = '\r';
			break;
		case 't':
			*out++ = '\t';
			break;
		case 'u': {
			unsigned int cp = 0;

			for (int i = 1; i <= 4; i++)
				cp = cp << 4 | (unsigned int)hex_digit(in[i]);
			in += 4;
			out = put_utf8(out, cp);
			break;
		}
		default:
			fail_msg("unknown escape \\%c", *in);
		}
	}
	*out = '\0';
	return in + 1;
}

static void expect_round_trip(const char *in)
{
	struct mem m;
	char back[1024];
	const char *end;

	cli_json_write_string(mem_open(&m), in);
	end = json_decode_string(mem_text(&m), back);
	assert_string_equal(end, "");
	assert_string_equal(back, in);
	mem_free(&m);
}

static void fill_adapter(tk_adapter_info *a)
{
	static const uint8_t mac[TK_MAC_LEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

	memset(a, 0, sizeof(*a));
	SET(a->name, "tap0");
	SET(a->id, "7");
	a->ifindex = 7;
	a->mode = TK_MODE_TAP;
	a->flags = TK_ADAPTER_UP | TK_ADAPTER_CARRIER | TK_ADAPTER_RUNNING | TK_ADAPTER_PERSIST |
		   TK_ADAPTER_MULTI_QUEUE;
	memcpy(a->mac, mac, sizeof(mac));
	a->mtu = 1500;
	a->owner = 1000;
	a->group = 100;
	a->num_queues = 2;
	SET(a->master, "br0");
	SET(a->operstate, "up");
	assert_int_equal(tk_ip_addr_parse("10.0.0.1/30", &a->addrs[0]), TK_OK);
	assert_int_equal(tk_ip_addr_parse("fd00::1/64", &a->addrs[1]), TK_OK);
	a->naddrs = 2;
	a->holders[0].pid = 123;
	SET(a->holders[0].name, "tapkit");
	a->holders[1].pid = 456;
	SET(a->holders[1].name, "qemu-system-x86");
	a->nholders = 2;
	SET(a->driver, "tun");
}

static void fill_bare_tun(tk_adapter_info *a)
{
	memset(a, 0, sizeof(*a));
	SET(a->name, "longtun12");
	SET(a->id, "12");
	a->ifindex = 12;
	a->mode = TK_MODE_TUN;
	a->flags = TK_ADAPTER_PERSIST;
	a->mtu = 65535;
	a->owner = -1;
	a->group = -1;
	SET(a->operstate, "down");
	SET(a->driver, "tun");
}

static const char *adapter_json(struct mem *m, const tk_adapter_info *a)
{
	struct cli_json j;

	cli_json_init(&j, mem_open(m));
	cli_adapter_json(&j, NULL, a);
	return mem_text(m);
}

static void fill_busy_error(tk_error *e)
{
	memset(e, 0, sizeof(*e));
	e->status = TK_E_ADAPTER_BUSY;
	e->os_kind = TK_OS_ERRNO;
	e->os_code = 16;
	SET(e->op, "TUNSETIFF");
	SET(e->object, "tap0");
	SET(e->message, "tap0 is held open by another process");
	SET(e->remedy, "stop openvpn (pid 4242) or use another adapter");
	SET(e->os_text, "Device or resource busy");
	SET(e->trace_id, "abcd1234");
	e->holder_pid = 4242;
	SET(e->holder_name, "openvpn");
}

/* ---- JSON strings ---- */

static void test_json_escapes_quote_and_backslash(void **state)
{
	(void)state;
	expect_json_string("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_json_string("\"\"", "\"\\\"\\\"\"");
	expect_json_string("", "\"\"");
}

static void test_json_escapes_control_characters(void **state)
{
	(void)state;
	expect_json_string("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	expect_json_string("a\001b\037c\177", "\"a\\u0001b\\u001fc\\u007f\"");
	expect_json_string("\033[31mred", "\"\\u001b[31mred\"");
}

static void test_json_passes_utf8_through(void **state)
{
	(void)state;
	expect_json_string("tap-\xc3\xa9", "\"tap-\xc3\xa9\""); /* é */
	expect_json_string("\xe3\x82\xbf\xe3\x83\x83\xe3\x83\x97",
			   "\"\xe3\x82\xbf\xe3\x83\x83\xe3\x83\x97\"");
	expect_json_string("\xf0\x9f\xa6\x8a", "\"\xf0\x9f\xa6\x8a\""); /* U+1F98A */
	expect_json_string("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	expect_json_string("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF */
}

static void test_json_replaces_invalid_utf8(void **state)
{
	(void)state;
	expect_json_string("\xff", "\"\\ufffd\"");
	expect_json_string("a\x80z", "\"a\\ufffdz\"");	      /* lone continuation byte */
	expect_json_string("\xc0\xaf", "\"\\ufffd\\ufffd\""); /* overlong '/' */
	expect_json_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate U+D800 */
	expect_json_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	expect_json_string("x\xe2\x82", "\"x\\ufffd\\ufffd\""); /* cut short by the end */
	expect_json_string("\xe2\x82z", "\"\\ufffd\\ufffdz\""); /* cut short by ASCII */
}

static void test_json_round_trips_every_ascii_byte(void **state)
{
	char all[128];

	(void)state;
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	expect_round_trip(all);
	expect_round_trip("quote\" back\\slash \xc3\xa9\xe3\x82\xbf\xf0\x9f\xa6\x8a\nnew");
}

static void test_json_writer_separates_members_and_elements(void **state)
{
	struct cli_json j;
	struct mem m;

	(void)state;
	cli_json_init(&j, mem_open(&m));
	cli_json_object_begin(&j, NULL);
	cli_json_int(&j, "a", -5);
	cli_json_array_begin(&j, "b");
	cli_json_object_begin(&j, NULL);
	cli_json_bool(&j, "t", true);
	cli_json_object_end(&j);
	cli_json_object_begin(&j, NULL);
	cli_json_object_end(&j);
	cli_json_array_end(&j);
	cli_json_array_begin(&j, "c");
	cli_json_array_end(&j);
	cli_json_string(&j, "d", NULL);
	cli_json_null(&j, "e");
	cli_json_object_end(&j);
	assert_string_equal(mem_text(&m),
			    "{\"a\":-5,\"b\":[{\"t\":true},{}],\"c\":[],\"d\":null,\"e\":null}\n");
	mem_free(&m);
}

/* ---- exit codes ---- */

static void test_exit_code_of_every_cause(void **state)
{
	(void)state;
	for (int i = 0; i < TK_STATUS__COUNT; i++) {
		tk_status st = (tk_status)i;
		int want;

		switch (st) {
		case TK_E_OK:
			want = 0;
			break;
		case TK_E_BAD_ARGUMENT:
		case TK_E_NAME_INVALID:
		case TK_E_ADDRESS_INVALID:
		case TK_E_CONFIG:
			want = 2;
			break;
		case TK_E_NO_PRIVILEGE:
		case TK_E_OWNER_MISMATCH:
			want = 3;
			break;
		case TK_E_ADAPTER_NOT_FOUND:
		case TK_E_TUN_MISSING:
		case TK_E_NOT_TAP:
		case TK_E_DRIVER_NOT_INSTALLED:
			want = 4;
			break;
		case TK_E_ADAPTER_BUSY:
		case TK_E_EXISTS:
			want = 5;
			break;
		default:
			want = 1;
			break;
		}
		if (cli_exit_code(st) != want)
			fail_msg("%s: exit %d, expected %d", tk_status_name(st), cli_exit_code(st),
				 want);
	}
	/* A value from a newer library is still a failure, never success. */
	assert_int_equal(cli_exit_code((tk_status)999), 1);
}

/* ---- adapters ---- */

static void test_adapter_json_filled_exact(void **state)
{
	tk_adapter_info a;
	struct mem m;

	(void)state;
	fill_adapter(&a);
	assert_string_equal(
		adapter_json(&m, &a),
		"{\"name\":\"tap0\",\"id\":\"7\",\"ifindex\":7,\"kind\":\"tap\","
		"\"mac\":\"02:00:5e:10:00:01\",\"mtu\":1500,\"up\":true,\"carrier\":true,"
		"\"running\":true,\"operstate\":\"up\",\"persist\":true,\"multi_queue\":true,"
		"\"vnet_hdr\":false,\"pi\":false,\"owner\":1000,\"group\":100,\"num_queues\":2,"
		"\"master\":\"br0\",\"addresses\":[\"10.0.0.1/30\",\"fd00::1/64\"],"
		"\"holders\":[{\"pid\":123,\"name\":\"tapkit\"},"
		"{\"pid\":456,\"name\":\"qemu-system-x86\"}],\"driver\":\"tun\"}\n");
	mem_free(&m);
}

static void test_adapter_json_absent_values_are_null(void **state)
{
	tk_adapter_info a;
	struct mem m;

	(void)state;
	fill_bare_tun(&a);
	assert_string_equal(
		adapter_json(&m, &a),
		"{\"name\":\"longtun12\",\"id\":\"12\",\"ifindex\":12,\"kind\":\"tun\","
		"\"mac\":null,\"mtu\":65535,\"up\":false,\"carrier\":false,\"running\":false,"
		"\"operstate\":\"down\",\"persist\":true,\"multi_queue\":false,\"vnet_hdr\":false,"
		"\"pi\":false,\"owner\":null,\"group\":null,\"num_queues\":0,\"master\":null,"
		"\"addresses\":[],\"holders\":[],\"driver\":\"tun\"}\n");
	mem_free(&m);
}

static void test_adapter_json_odd_name_parses_back(void **state)
{
	static const char odd[] = "t\"a\\p\n\t\001\xc3\xa9";
	char back[64];
	tk_adapter_info a;
	struct mem m;
	const char *doc;

	(void)state;
	fill_adapter(&a);
	SET(a.name, odd);
	SET(a.holders[0].name, odd);
	doc = adapter_json(&m, &a);
	assert_memory_equal(doc, "{\"name\":", 8);
	json_decode_string(doc + 8, back);
	assert_string_equal(back, odd);
	assert_non_null(strstr(doc, "{\"pid\":123,\"name\":\"t\\\"a\\\\p\\n\\t\\u0001\xc3\xa9\"}"));
	mem_free(&m);
}

static void test_adapter_json_caps_holders_at_array_size(void **state)
{
	tk_adapter_info a;
	struct mem m;
	const char *doc, *p;
	int n = 0;

	(void)state;
	fill_adapter(&a);
	for (size_t i = 0; i < TK_MAX_HOLDERS; i++) {
		a.holders[i].pid = (uint32_t)(100 + i);
		SET(a.holders[i].name, "x");
	}
	a.nholders = TK_MAX_HOLDERS + 5; /* more were found than the array holds */
	doc = adapter_json(&m, &a);
	for (p = doc; (p = strstr(p, "\"pid\":")) != NULL; p++)
		n++;
	assert_int_equal(n, TK_MAX_HOLDERS);
	mem_free(&m);
}

static void test_list_text_is_aligned(void **state)
{
	tk_adapter_info list[2];
	struct mem m;

	(void)state;
	fill_adapter(&list[0]);
	list[0].owner = 0; /* root exists everywhere, so its name is known */
	list[0].group = -1;
	list[0].naddrs = 1;
	list[0].nholders = 1;
	fill_bare_tun(&list[1]);
	list[1].owner = 4000000000; /* no such user: the number alone */
	list[1].group = 0;
	cli_adapters_text(mem_open(&m), list, 2, false);
	assert_string_equal(
		mem_text(&m),
		"tap0       tap  index 7   UP,CARRIER  mtu 1500   mac 02:00:5e:10:00:01  "
		"persist  owner root(0)  multi-queue\n"
		"    addr 10.0.0.1/30\n"
		"    master br0\n"
		"    held by tapkit (pid 123)\n"
		"longtun12  tun  index 12  DOWN        mtu 65535                         "
		"persist  owner 4000000000  group root(0)\n");
	mem_free(&m);
}

static void test_list_text_empty(void **state)
{
	struct mem m;

	(void)state;
	cli_adapters_text(mem_open(&m), NULL, 0, false);
	assert_string_equal(mem_text(&m), "no TUN/TAP adapters\n");
	mem_free(&m);
}

static void test_list_text_escapes_control_characters_in_names(void **state)
{
	tk_adapter_info a;
	struct mem m;

	(void)state;
	fill_bare_tun(&a);
	SET(a.name, "a\nb");
	a.flags = 0;
	cli_adapters_text(mem_open(&m), &a, 1, false);
	assert_string_equal(mem_text(&m), "a\\x0ab  tun  index 12  DOWN  mtu 65535\n");
	mem_free(&m);
}

static void test_show_text_has_every_field(void **state)
{
	static const char *const keys[] = {
		"name:",      "id:",	    "index:", "kind:",	"up:",	    "carrier:",
		"running:",   "operstate:", "mac:",   "mtu:",	"persist:", "multi-queue:",
		"vnet-hdr:",  "pi:",	    "owner:", "group:", "queues:",  "master:",
		"addresses:", "holders:",   "driver:"
	};
	tk_adapter_info a;
	struct mem m;
	const char *text;

	(void)state;
	fill_adapter(&a);
	cli_adapter_show_text(mem_open(&m), &a, false);
	text = mem_text(&m);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char line[32];

		snprintf(line, sizeof(line), "\n%s", keys[i]);
		if (i > 0 && !strstr(text, line))
			fail_msg("no \"%s\" line in:\n%s", keys[i], text);
	}
	assert_memory_equal(text, "name:        tap0\n", 18);
	assert_non_null(strstr(text, "\naddresses:   10.0.0.1/30\n             fd00::1/64\n"));
	assert_non_null(strstr(text, "\nholders:     tapkit (pid 123)\n"
				     "             qemu-system-x86 (pid 456)\n"));
	assert_non_null(strstr(text, "\nmaster:      br0\n"));
	mem_free(&m);
}

/* ---- errors ---- */

static void test_error_text_block_exact(void **state)
{
	char want[1024];
	tk_error e;
	struct mem m;

	(void)state;
	fill_busy_error(&e);
	snprintf(want, sizeof(want),
		 "tapkit: TUNSETIFF \"tap0\": tap0 is held open by another process\n"
		 "  cause:  TK_E_ADAPTER_BUSY (%s)\n"
		 "  os:     errno 16 EBUSY (Device or resource busy) from TUNSETIFF\n"
		 "  held:   openvpn (pid 4242)\n"
		 "  fix:    stop openvpn (pid 4242) or use another adapter\n"
		 "  trace:  abcd1234\n",
		 tk_status_message(TK_E_ADAPTER_BUSY));
	cli_error_text(mem_open(&m), &e, false);
	assert_string_equal(mem_text(&m), want);
	mem_free(&m);
}

static void test_error_text_leaves_out_empty_lines(void **state)
{
	char want[512];
	tk_error e;
	struct mem m;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.status = TK_E_ADAPTER_NOT_FOUND;
	SET(e.op, "show");
	SET(e.message, "no adapter here");
	snprintf(want, sizeof(want),
		 "tapkit: show: no adapter here\n"
		 "  cause:  TK_E_ADAPTER_NOT_FOUND (%s)\n",
		 tk_status_message(TK_E_ADAPTER_NOT_FOUND));
	cli_error_text(mem_open(&m), &e, false);
	assert_string_equal(mem_text(&m), want);
	mem_free(&m);
}

static void test_error_json_exact(void **state)
{
	tk_error e;
	struct mem m;

	(void)state;
	fill_busy_error(&e);
	cli_error_json(mem_open(&m), &e);
	assert_string_equal(
		mem_text(&m),
		"{\"version\":1,\"error\":{\"cause\":\"TK_E_ADAPTER_BUSY\",\"code\":10,"
		"\"op\":\"TUNSETIFF\",\"object\":\"tap0\","
		"\"message\":\"tap0 is held open by another process\","
		"\"remedy\":\"stop openvpn (pid 4242) or use another adapter\","
		"\"os_kind\":\"errno\",\"os_code\":16,\"os_name\":\"EBUSY\","
		"\"os_text\":\"Device or resource busy\",\"transient\":false,"
		"\"trace_id\":\"abcd1234\",\"holder\":{\"pid\":4242,\"name\":\"openvpn\"}}}\n");
	mem_free(&m);
}

static void test_error_json_without_os_or_holder(void **state)
{
	char want[1024];
	tk_error e;
	struct mem m;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.status = TK_E_NAME_INVALID;
	e.transient = true;
	SET(e.object, "a\"b");
	snprintf(want, sizeof(want),
		 "{\"version\":1,\"error\":{\"cause\":\"TK_E_NAME_INVALID\",\"code\":21,"
		 "\"op\":\"\",\"object\":\"a\\\"b\",\"message\":\"%s\",\"remedy\":\"\","
		 "\"os_kind\":\"none\",\"os_code\":0,\"os_name\":null,\"os_text\":\"\","
		 "\"transient\":true,\"trace_id\":\"\",\"holder\":null}}\n",
		 tk_status_message(TK_E_NAME_INVALID));
	cli_error_json(mem_open(&m), &e);
	assert_string_equal(mem_text(&m), want);
	mem_free(&m);
}

/* ---- argument parsers ---- */

static void test_parse_u32_is_strict(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_true(cli_parse_u32("1500", 68, 65535, &v));
	assert_int_equal(v, 1500);
	assert_true(cli_parse_u32("4294967295", 0, UINT32_MAX, &v));
	assert_int_equal(v, UINT32_MAX);
	v = 7;
	assert_false(cli_parse_u32("4294967296", 0, UINT32_MAX, &v));
	assert_false(cli_parse_u32("12x", 0, UINT32_MAX, &v));
	assert_false(cli_parse_u32("", 0, UINT32_MAX, &v));
	assert_false(cli_parse_u32("-1", 0, UINT32_MAX, &v));
	assert_false(cli_parse_u32(" 1", 0, UINT32_MAX, &v));
	assert_false(cli_parse_u32("+1", 0, UINT32_MAX, &v));
	assert_false(cli_parse_u32("67", 68, 65535, &v));
	assert_false(cli_parse_u32("99999999999", 0, UINT32_MAX, &v));
	assert_int_equal(v, 7); /* untouched on failure */
}

static void test_parse_seconds(void **state)
{
	uint64_t ms = 0;

	(void)state;
	assert_true(cli_parse_seconds("5", &ms));
	assert_int_equal(ms, 5000);
	assert_true(cli_parse_seconds("0.25", &ms));
	assert_int_equal(ms, 250);
	assert_true(cli_parse_seconds("1.5", &ms));
	assert_int_equal(ms, 1500);
	assert_true(cli_parse_seconds("0", &ms));
	assert_int_equal(ms, 0);
	assert_false(cli_parse_seconds("1.2345", &ms));
	assert_false(cli_parse_seconds("1.", &ms));
	assert_false(cli_parse_seconds(".5", &ms));
	assert_false(cli_parse_seconds("-1", &ms));
	assert_false(cli_parse_seconds("1s", &ms));
	assert_false(cli_parse_seconds("", &ms));
	assert_false(cli_parse_seconds("99999999999", &ms));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes_quote_and_backslash),
		cmocka_unit_test(test_json_escapes_control_characters),
		cmocka_unit_test(test_json_passes_utf8_through),
		cmocka_unit_test(test_json_replaces_invalid_utf8),
		cmocka_unit_test(test_json_round_trips_every_ascii_byte),
		cmocka_unit_test(test_json_writer_separates_members_and_elements),
		cmocka_unit_test(test_exit_code_of_every_cause),
		cmocka_unit_test(test_adapter_json_filled_exact),
		cmocka_unit_test(test_adapter_json_absent_values_are_null),
		cmocka_unit_test(test_adapter_json_odd_name_parses_back),
		cmocka_unit_test(test_adapter_json_caps_holders_at_array_size),
		cmocka_unit_test(test_list_text_is_aligned),
		cmocka_unit_test(test_list_text_empty),
		cmocka_unit_test(test_list_text_escapes_control_characters_in_names),
		cmocka_unit_test(test_show_text_has_every_field),
		cmocka_unit_test(test_error_text_block_exact),
		cmocka_unit_test(test_error_text_leaves_out_empty_lines),
		cmocka_unit_test(test_error_json_exact),
		cmocka_unit_test(test_error_json_without_os_or_holder),
		cmocka_unit_test(test_parse_u32_is_strict),
		cmocka_unit_test(test_parse_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
