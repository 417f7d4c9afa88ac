/* SPDX-License-Identifier: MIT */
/*
 * Everything the `tapkit` command prints: a small JSON writer (the one place strings are
 * escaped), adapters as text and JSON, failures as the text block of docs/cli.md and the JSON
 * error of docs/json.md, and the mapping from a cause to an exit code.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define COLOR_GREEN "\033[32m"
#define COLOR_RED   "\033[31m"
#define COLOR_BOLD  "\033[1m"
#define COLOR_RESET "\033[0m"

/* ---- JSON ---- */

void cli_json_init(struct cli_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void cli_json_doc_begin(struct cli_json *j, FILE *f)
{
	cli_json_init(j, f);
	cli_json_object_begin(j, NULL);
	cli_json_int(j, "version", CLI_JSON_VERSION);
}

size_t cli_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

static void json_escape_byte(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\b':
		fputs("\\b", f);
		break;
	case '\f':
		fputs("\\f", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		/* DEL is legal JSON but escaped too: the output may end up on a terminal. */
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", (unsigned int)c);
		else
			fputc(c, f);
		break;
	}
}

void cli_json_write_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n = cli_utf8_len(p, SIZE_MAX); /* the NUL stops it */

		if (n == 0) {
			/* Linux names are bytes, not text: keep the document valid JSON. */
			fputs("\\ufffd", f);
			p++;
		} else if (n == 1) {
			json_escape_byte(f, *p++);
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('"', f);
}

static void json_member(struct cli_json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			fputc(',', j->f);
		j->need_comma[j->depth] = true;
	}
	if (key) {
		cli_json_write_string(j->f, key);
		fputc(':', j->f);
	}
}

static void json_open(struct cli_json *j, const char *key, char c)
{
	json_member(j, key);
	fputc(c, j->f);
	if (j->depth < CLI_JSON_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct cli_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

void cli_json_object_begin(struct cli_json *j, const char *key)
{
	json_open(j, key, '{');
}

void cli_json_object_end(struct cli_json *j)
{
	json_close(j, '}');
}

void cli_json_array_begin(struct cli_json *j, const char *key)
{
	json_open(j, key, '[');
}

void cli_json_array_end(struct cli_json *j)
{
	json_close(j, ']');
}

void cli_json_string(struct cli_json *j, const char *key, const char *value)
{
	json_member(j, key);
	if (value)
		cli_json_write_string(j->f, value);
	else
		fputs("null", j->f);
}

void cli_json_int(struct cli_json *j, const char *key, int64_t value)
{
	json_member(j, key);
	fprintf(j->f, "%" PRId64, value);
}

void cli_json_bool(struct cli_json *j, const char *key, bool value)
{
	json_member(j, key);
	fputs(value ? "true" : "false", j->f);
}

void cli_json_null(struct cli_json *j, const char *key)
{
	json_member(j, key);
	fputs("null", j->f);
}

/* ---- text ---- */

void cli_text_write(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", (unsigned int)*p);
		else
			fputc(*p, f);
	}
}

/* Columns s takes as cli_text_write prints it: escapes take 4, a UTF-8 sequence 1. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			w += 4;
		else if ((*p & 0xc0) != 0x80)
			w++;
	}
	return w;
}

static void pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static void colored(FILE *f, bool color, const char *code, const char *s)
{
	if (color)
		fprintf(f, "%s%s%s", code, s, COLOR_RESET);
	else
		fputs(s, f);
}

/* ---- causes and exit codes ---- */

int cli_exit_code(tk_status st)
{
	switch (st) {
	case TK_E_OK:
		return CLI_EXIT_OK;
	case TK_E_BAD_ARGUMENT:
	case TK_E_NAME_INVALID:
	case TK_E_ADDRESS_INVALID:
	case TK_E_CONFIG:
		return CLI_EXIT_USAGE;
	case TK_E_NO_PRIVILEGE:
	case TK_E_OWNER_MISMATCH:
		return CLI_EXIT_PERM;
	case TK_E_ADAPTER_NOT_FOUND:
	case TK_E_TUN_MISSING:
	case TK_E_NOT_TAP:
	case TK_E_DRIVER_NOT_INSTALLED:
		return CLI_EXIT_NOT_FOUND;
	case TK_E_ADAPTER_BUSY:
	case TK_E_EXISTS:
		return CLI_EXIT_BUSY;
	default:
		return CLI_EXIT_FAILURE;
	}
}

/* ---- adapters ---- */

static bool mac_is_zero(const uint8_t mac[TK_MAC_LEN])
{
	for (size_t i = 0; i < TK_MAC_LEN; i++) {
		if (mac[i])
			return false;
	}
	return true;
}

static const char *mode_name(tk_mode mode)
{
	return mode == TK_MODE_TUN ? "tun" : "tap";
}

static bool has(const tk_adapter_info *a, uint32_t flag)
{
	return (a->flags & flag) != 0;
}

static size_t holders_stored(const tk_adapter_info *a)
{
	return a->nholders < TK_MAX_HOLDERS ? a->nholders : TK_MAX_HOLDERS;
}

static size_t addrs_stored(const tk_adapter_info *a)
{
	return a->naddrs < TK_MAX_ADDRS ? a->naddrs : TK_MAX_ADDRS;
}

static void adapter_json_lists(struct cli_json *j, const tk_adapter_info *a)
{
	char buf[64];

	cli_json_array_begin(j, "addresses");
	for (size_t i = 0; i < addrs_stored(a); i++)
		cli_json_string(j, NULL, tk_ip_addr_format(&a->addrs[i], buf, sizeof(buf)));
	cli_json_array_end(j);
	cli_json_array_begin(j, "holders");
	for (size_t i = 0; i < holders_stored(a); i++) {
		cli_json_object_begin(j, NULL);
		cli_json_int(j, "pid", a->holders[i].pid);
		cli_json_string(j, "name", a->holders[i].name);
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
}

void cli_adapter_json(struct cli_json *j, const char *key, const tk_adapter_info *a)
{
	char mac[32];

	cli_json_object_begin(j, key);
	cli_json_string(j, "name", a->name);
	cli_json_string(j, "id", a->id);
	cli_json_int(j, "ifindex", a->ifindex);
	cli_json_string(j, "kind", mode_name(a->mode));
	cli_json_string(j, "mac",
			mac_is_zero(a->mac) ? NULL : tk_mac_format(a->mac, mac, sizeof(mac)));
	cli_json_int(j, "mtu", a->mtu);
	cli_json_bool(j, "up", has(a, TK_ADAPTER_UP));
	cli_json_bool(j, "carrier", has(a, TK_ADAPTER_CARRIER));
	cli_json_bool(j, "running", has(a, TK_ADAPTER_RUNNING));
	cli_json_string(j, "operstate", a->operstate);
	cli_json_bool(j, "persist", has(a, TK_ADAPTER_PERSIST));
	cli_json_bool(j, "multi_queue", has(a, TK_ADAPTER_MULTI_QUEUE));
	cli_json_bool(j, "vnet_hdr", has(a, TK_ADAPTER_VNET_HDR));
	cli_json_bool(j, "pi", has(a, TK_ADAPTER_PI));
	if (a->owner < 0)
		cli_json_null(j, "owner");
	else
		cli_json_int(j, "owner", a->owner);
	if (a->group < 0)
		cli_json_null(j, "group");
	else
		cli_json_int(j, "group", a->group);
	cli_json_int(j, "num_queues", a->num_queues);
	cli_json_string(j, "master", a->master[0] ? a->master : NULL);
	adapter_json_lists(j, a);
	cli_json_string(j, "driver", a->driver);
	cli_json_object_end(j);
}

void cli_adapter_doc(FILE *f, const tk_adapter_info *a)
{
	struct cli_json j;

	cli_json_doc_begin(&j, f);
	cli_adapter_json(&j, "adapter", a);
	cli_json_object_end(&j);
}

/* "UP,CARRIER", "UP", "DOWN", "DOWN,CARRIER", coloured when asked. Returns its width. */
static size_t state_write(FILE *f, const tk_adapter_info *a, bool color)
{
	bool up = has(a, TK_ADAPTER_UP);

	colored(f, color, up ? COLOR_GREEN : COLOR_RED, up ? "UP" : "DOWN");
	if (!has(a, TK_ADAPTER_CARRIER))
		return up ? 2 : 4;
	fputc(',', f);
	colored(f, color, COLOR_GREEN, "CARRIER");
	return (up ? 2 : 4) + 8;
}

/* "alice(1000)" or "1000" when the id has no name. */
static void id_format(char *buf, size_t size, const char *name, int64_t id)
{
	if (name[0])
		snprintf(buf, size, "%s(%" PRId64 ")", name, id);
	else
		snprintf(buf, size, "%" PRId64, id);
}

/* The words after the fixed columns of a `list` line. */
static void list_extras(char *buf, size_t size, const tk_adapter_info *a)
{
	char name[128], id[160];
	size_t len = 0;

	buf[0] = '\0';
#define LIST_WORD(...)                                                               \
	do {                                                                         \
		if (len < size)                                                      \
			len += (size_t)snprintf(buf + len, size - len, __VA_ARGS__); \
	} while (0)
	if (has(a, TK_ADAPTER_PERSIST))
		LIST_WORD("%spersist", len ? "  " : "");
	if (a->owner >= 0) {
		id_format(id, sizeof(id), cli_user_name(a->owner, name, sizeof(name)), a->owner);
		LIST_WORD("%sowner %s", len ? "  " : "", id);
	}
	if (a->group >= 0) {
		id_format(id, sizeof(id), cli_group_name(a->group, name, sizeof(name)), a->group);
		LIST_WORD("%sgroup %s", len ? "  " : "", id);
	}
	if (has(a, TK_ADAPTER_MULTI_QUEUE))
		LIST_WORD("%smulti-queue", len ? "  " : "");
	if (has(a, TK_ADAPTER_VNET_HDR))
		LIST_WORD("%svnet-hdr", len ? "  " : "");
	if (has(a, TK_ADAPTER_PI))
		LIST_WORD("%spi", len ? "  " : "");
#undef LIST_WORD
}

enum { COL_NAME, COL_KIND, COL_INDEX, COL_STATE, COL_MTU, COL_MAC, COL_EXTRA, COL__COUNT };

struct list_row {
	char text[COL__COUNT][512];
};

static void list_row_fill(struct list_row *r, const tk_adapter_info *a)
{
	snprintf(r->text[COL_NAME], sizeof(r->text[COL_NAME]), "%s", a->name);
	snprintf(r->text[COL_KIND], sizeof(r->text[COL_KIND]), "%s", mode_name(a->mode));
	snprintf(r->text[COL_INDEX], sizeof(r->text[COL_INDEX]), "index %" PRIu32, a->ifindex);
	/* The state column is written coloured; only its plain width is kept here. */
	snprintf(r->text[COL_STATE], sizeof(r->text[COL_STATE]), "%s%s",
		 has(a, TK_ADAPTER_UP) ? "UP" : "DOWN",
		 has(a, TK_ADAPTER_CARRIER) ? ",CARRIER" : "");
	snprintf(r->text[COL_MTU], sizeof(r->text[COL_MTU]), "mtu %" PRIu32, a->mtu);
	r->text[COL_MAC][0] = '\0';
	if (!mac_is_zero(a->mac)) {
		char mac[32];

		snprintf(r->text[COL_MAC], sizeof(r->text[COL_MAC]), "mac %s",
			 tk_mac_format(a->mac, mac, sizeof(mac)));
	}
	list_extras(r->text[COL_EXTRA], sizeof(r->text[COL_EXTRA]), a);
}

static void list_row_print(FILE *f, const struct list_row *r, const size_t width[COL__COUNT],
			   const tk_adapter_info *a, bool color)
{
	size_t last = 0;

	for (size_t c = 0; c < COL__COUNT; c++) {
		if (r->text[c][0])
			last = c;
	}
	for (size_t c = 0; c <= last; c++) {
		size_t w;

		if (c == COL_STATE) {
			w = state_write(f, a, color);
		} else {
			cli_text_write(f, r->text[c]);
			w = text_width(r->text[c]);
		}
		if (c < last)
			pad(f, width[c] - w + 2);
	}
	fputc('\n', f);
}

static void list_details(FILE *f, const tk_adapter_info *a)
{
	char buf[64];

	for (size_t i = 0; i < addrs_stored(a); i++)
		fprintf(f, "    addr %s\n", tk_ip_addr_format(&a->addrs[i], buf, sizeof(buf)));
	if (a->master[0]) {
		fputs("    master ", f);
		cli_text_write(f, a->master);
		fputc('\n', f);
	}
	for (size_t i = 0; i < holders_stored(a); i++) {
		fputs("    held by ", f);
		cli_text_write(f, a->holders[i].name);
		fprintf(f, " (pid %" PRIu32 ")\n", a->holders[i].pid);
	}
	if (a->nholders > TK_MAX_HOLDERS)
		fprintf(f, "    held by %zu more processes\n", a->nholders - TK_MAX_HOLDERS);
}

void cli_adapters_text(FILE *f, const tk_adapter_info *list, size_t count, bool color)
{
	size_t width[COL__COUNT] = { 0 };
	struct list_row row;

	if (count == 0) {
		fputs("no TUN/TAP adapters\n", f);
		return;
	}
	/* Two passes so that the columns line up without keeping every row in memory. */
	for (size_t i = 0; i < count; i++) {
		list_row_fill(&row, &list[i]);
		for (size_t c = 0; c < COL__COUNT; c++) {
			size_t w = text_width(row.text[c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t i = 0; i < count; i++) {
		list_row_fill(&row, &list[i]);
		list_row_print(f, &row, width, &list[i], color);
		list_details(f, &list[i]);
	}
}

static void show_key(FILE *f, const char *key)
{
	fprintf(f, "%-13s", key);
}

static void show_str(FILE *f, const char *key, const char *value)
{
	show_key(f, key);
	cli_text_write(f, value[0] ? value : "none");
	fputc('\n', f);
}

static void show_u64(FILE *f, const char *key, uint64_t value)
{
	show_key(f, key);
	fprintf(f, "%" PRIu64 "\n", value);
}

static void show_yes_no(FILE *f, const char *key, bool value, bool color)
{
	show_key(f, key);
	if (color)
		colored(f, true, value ? COLOR_GREEN : COLOR_RED, value ? "yes" : "no");
	else
		fputs(value ? "yes" : "no", f);
	fputc('\n', f);
}

static void show_id(FILE *f, const char *key, int64_t id, const char *name)
{
	show_key(f, key);
	if (id < 0)
		fputs("none", f);
	else if (name[0])
		fprintf(f, "%s (%" PRId64 ")", name, id);
	else
		fprintf(f, "%" PRId64, id);
	fputc('\n', f);
}

static void show_lists(FILE *f, const tk_adapter_info *a)
{
	char buf[64];

	show_key(f, "addresses:");
	if (addrs_stored(a) == 0)
		fputs("none\n", f);
	for (size_t i = 0; i < addrs_stored(a); i++) {
		if (i > 0)
			show_key(f, "");
		fprintf(f, "%s\n", tk_ip_addr_format(&a->addrs[i], buf, sizeof(buf)));
	}
	show_key(f, "holders:");
	if (holders_stored(a) == 0)
		fputs("none\n", f);
	for (size_t i = 0; i < holders_stored(a); i++) {
		if (i > 0)
			show_key(f, "");
		cli_text_write(f, a->holders[i].name);
		fprintf(f, " (pid %" PRIu32 ")\n", a->holders[i].pid);
	}
	if (a->nholders > TK_MAX_HOLDERS) {
		show_key(f, "");
		fprintf(f, "and %zu more\n", a->nholders - TK_MAX_HOLDERS);
	}
}

void cli_adapter_show_text(FILE *f, const tk_adapter_info *a, bool color)
{
	char buf[128];

	show_str(f, "name:", a->name);
	show_str(f, "id:", a->id);
	show_u64(f, "index:", a->ifindex);
	show_str(f, "kind:", mode_name(a->mode));
	show_yes_no(f, "up:", has(a, TK_ADAPTER_UP), color);
	show_yes_no(f, "carrier:", has(a, TK_ADAPTER_CARRIER), color);
	show_yes_no(f, "running:", has(a, TK_ADAPTER_RUNNING), color);
	show_str(f, "operstate:", a->operstate);
	show_str(f, "mac:", mac_is_zero(a->mac) ? "" : tk_mac_format(a->mac, buf, sizeof(buf)));
	show_u64(f, "mtu:", a->mtu);
	show_yes_no(f, "persist:", has(a, TK_ADAPTER_PERSIST), false);
	show_yes_no(f, "multi-queue:", has(a, TK_ADAPTER_MULTI_QUEUE), false);
	show_yes_no(f, "vnet-hdr:", has(a, TK_ADAPTER_VNET_HDR), false);
	show_yes_no(f, "pi:", has(a, TK_ADAPTER_PI), false);
	show_id(f, "owner:", a->owner,
		a->owner < 0 ? "" : cli_user_name(a->owner, buf, sizeof(buf)));
	show_id(f, "group:", a->group,
		a->group < 0 ? "" : cli_group_name(a->group, buf, sizeof(buf)));
	show_u64(f, "queues:", a->num_queues);
	show_str(f, "master:", a->master);
	show_lists(f, a);
	show_str(f, "driver:", a->driver);
	if (a->driver_version[0])
		show_str(f, "version:", a->driver_version);
	if (a->problem_code)
		show_u64(f, "problem:", a->problem_code);
}

/* ---- failures ---- */

/* "errno 16 EBUSY (Device or resource busy) from TUNSETIFF" */
static void error_os_line(FILE *f, const tk_error *err)
{
	fprintf(f, "  os:     %s ", tk_os_kind_name(err->os_kind));
	if (err->os_kind == TK_OS_NTSTATUS || err->os_kind == TK_OS_HRESULT)
		fprintf(f, "0x%08" PRIx32, (uint32_t)err->os_code);
	else
		fprintf(f, "%" PRId64, err->os_code);
	const char *name = tk_os_code_name(err->os_kind, err->os_code);
	if (name[0])
		fprintf(f, " %s", name);
	if (err->os_text[0]) {
		fputs(" (", f);
		cli_text_write(f, err->os_text);
		fputc(')', f);
	}
	if (err->op[0]) {
		fputs(" from ", f);
		cli_text_write(f, err->op);
	}
	fputc('\n', f);
}

static void error_headline(FILE *f, const tk_error *err, bool color)
{
	colored(f, color, COLOR_BOLD, "tapkit:");
	fputc(' ', f);
	if (err->op[0]) {
		cli_text_write(f, err->op);
		fputs(err->object[0] ? " " : ": ", f);
	}
	if (err->object[0]) {
		fputc('"', f);
		cli_text_write(f, err->object);
		fputs("\": ", f);
	}
	cli_text_write(f, err->message[0] ? err->message : tk_status_message(err->status));
	fputc('\n', f);
}

void cli_error_text(FILE *f, const tk_error *err, bool color)
{
	error_headline(f, err, color);
	fputs("  cause:  ", f);
	colored(f, color, COLOR_RED, tk_status_name(err->status));
	fprintf(f, " (%s)\n", tk_status_message(err->status));
	if (err->os_kind != TK_OS_NONE)
		error_os_line(f, err);
	if (err->holder_pid) {
		fputs("  held:   ", f);
		cli_text_write(f, err->holder_name[0] ? err->holder_name : "?");
		fprintf(f, " (pid %" PRIu32 ")\n", err->holder_pid);
	}
	if (err->remedy[0]) {
		fputs("  fix:    ", f);
		cli_text_write(f, err->remedy);
		fputc('\n', f);
	}
	if (err->trace_id[0]) {
		fputs("  trace:  ", f);
		cli_text_write(f, err->trace_id);
		fputc('\n', f);
	}
}

void cli_error_json(FILE *f, const tk_error *err)
{
	struct cli_json j;
	const char *os_name = tk_os_code_name(err->os_kind, err->os_code);

	cli_json_doc_begin(&j, f);
	cli_json_object_begin(&j, "error");
	cli_json_string(&j, "cause", tk_status_name(err->status));
	cli_json_int(&j, "code", (int64_t)err->status);
	cli_json_string(&j, "op", err->op);
	cli_json_string(&j, "object", err->object);
	cli_json_string(&j, "message",
			err->message[0] ? err->message : tk_status_message(err->status));
	cli_json_string(&j, "remedy", err->remedy);
	cli_json_string(&j, "os_kind", tk_os_kind_name(err->os_kind));
	cli_json_int(&j, "os_code", err->os_code);
	cli_json_string(&j, "os_name", os_name[0] ? os_name : NULL);
	cli_json_string(&j, "os_text", err->os_text);
	cli_json_bool(&j, "transient", err->transient);
	cli_json_string(&j, "trace_id", err->trace_id);
	if (err->holder_pid) {
		cli_json_object_begin(&j, "holder");
		cli_json_int(&j, "pid", err->holder_pid);
		cli_json_string(&j, "name", err->holder_name);
		cli_json_object_end(&j);
	} else {
		cli_json_null(&j, "holder");
	}
	cli_json_object_end(&j);
	cli_json_object_end(&j);
}

int cli_fail(struct cli *cli, tk_status st, tk_error *err)
{
	if (st == TK_OK)
		st = TK_E_INTERNAL; /* a caller bug: never report a failure as success */
	if (err->status == TK_OK) {
		err->status = st;
		err->transient = tk_status_transient(st);
		if (!err->remedy[0])
			snprintf(err->remedy, sizeof(err->remedy), "%s", tk_status_remedy(st));
	}
	fflush(stdout);
	cli_error_text(stderr, err, cli->color_err);
	if (cli->json) {
		cli_error_json(stdout, err);
		fflush(stdout);
	}
	return cli_exit_code(st);
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	const char *verb = cli->verb ? cli->verb->name : NULL;
	tk_error err = { 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	n = vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	if (n < 0)
		err.message[0] = '\0';
	snprintf(err.remedy, sizeof(err.remedy), "try `tapkit%s%s --help`", verb ? " " : "",
		 verb ? verb : "");
	fprintf(stderr, "tapkit%s%s: ", verb ? " " : "", verb ? verb : "");
	cli_text_write(stderr, err.message);
	fprintf(stderr, "\n%s\n", err.remedy);
	if (cli->json) {
		err.status = TK_E_BAD_ARGUMENT;
		snprintf(err.op, sizeof(err.op), "%s", verb ? verb : "tapkit");
		cli_error_json(stdout, &err);
		fflush(stdout);
	}
	return CLI_EXIT_USAGE;
}

int cli_done(struct cli *cli, const char *head, const char *name, const char *tail)
{
	bool reboot = tk_ctx_reboot_required(cli->ctx, true);
	if (cli->json) {
		if (reboot) {
			struct cli_json j;
			cli_json_doc_begin(&j, stdout);
			cli_json_bool(&j, "reboot_required", true);
			cli_json_object_end(&j);
		}
		return reboot ? CLI_EXIT_REBOOT : CLI_EXIT_OK;
	}
	fputs(head, stdout);
	cli_text_write(stdout, name);
	if (reboot)
		fputs(" (restart Windows to complete it)", stdout);
	fputs(tail, stdout);
	return reboot ? CLI_EXIT_REBOOT : CLI_EXIT_OK;
}
