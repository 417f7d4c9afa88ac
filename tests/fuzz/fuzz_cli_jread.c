/* SPDX-License-Identifier: MIT */
/*
 * The CLI's strict JSON reader (cli/json_read.c) and the status renderer above it
 * (cli/tunnel_status.c) on any bytes. Properties:
 *
 * - a refusal names an offset within the input (at most its length) and a message;
 * - an accepted document is within the depth bound, its strings are NUL-free UTF-8 of the
 *   stated length, and written back with the CLI's own writer (cli/output.c) it reads again to
 *   the same tree (types, keys, values, order);
 * - the renderer refuses or prints text with no control character but the newline.
 */
#include "fuzz.h"
#include "cli.h"
#include "json_read.h"
#include "tunnel_status.h"

#include <string.h>

static void write_val(struct cli_json *j, const struct cli_jval *v)
{
	switch (v->type) {
	case CLI_J_NULL:
		cli_json_null(j, v->key);
		break;
	case CLI_J_BOOL:
		cli_json_bool(j, v->key, v->b);
		break;
	case CLI_J_INT:
		cli_json_int(j, v->key, v->i);
		break;
	case CLI_J_STRING:
		cli_json_string(j, v->key, v->s);
		break;
	case CLI_J_ARRAY:
	case CLI_J_OBJECT:
		if (v->type == CLI_J_ARRAY)
			cli_json_array_begin(j, v->key);
		else
			cli_json_object_begin(j, v->key);
		for (const struct cli_jval *m = v->first; m; m = m->next)
			write_val(j, m);
		if (v->type == CLI_J_ARRAY)
			cli_json_array_end(j);
		else
			cli_json_object_end(j);
		break;
	}
}

static int depth_of(const struct cli_jval *v)
{
	int d = 0;
	for (const struct cli_jval *m = v->first; m; m = m->next) {
		int k = depth_of(m);
		d = k > d ? k : d;
	}
	return v->type == CLI_J_ARRAY || v->type == CLI_J_OBJECT ? d + 1 : 0;
}

static void same(const struct cli_jval *a, const struct cli_jval *b)
{
	FUZZ_CHECK(a->type == b->type);
	FUZZ_CHECK((a->key == NULL) == (b->key == NULL));
	FUZZ_CHECK(!a->key || strcmp(a->key, b->key) == 0);
	switch (a->type) {
	case CLI_J_BOOL:
		FUZZ_CHECK(a->b == b->b);
		break;
	case CLI_J_INT:
		FUZZ_CHECK(a->i == b->i);
		break;
	case CLI_J_STRING:
		FUZZ_CHECK(a->n == b->n && memcmp(a->s, b->s, a->n) == 0);
		FUZZ_CHECK(strlen(a->s) == a->n);
		break;
	case CLI_J_ARRAY:
	case CLI_J_OBJECT: {
		FUZZ_CHECK(a->n == b->n);
		const struct cli_jval *x = a->first, *y = b->first;
		size_t n = 0;
		for (; x && y; x = x->next, y = y->next, n++)
			same(x, y);
		FUZZ_CHECK(!x && !y && n == a->n);
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_jdoc d, d2;
	struct cli_jerr e;
	const char *text = (const char *)data;

	if (!cli_jread(text, size, &d, &e)) {
		FUZZ_CHECK(e.offset <= size);
		FUZZ_CHECK(e.msg[0] != '\0');
		FUZZ_CHECK(d.root == NULL);
	} else {
		FUZZ_CHECK(depth_of(d.root) <= CLI_JREAD_DEPTH);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		FUZZ_CHECK(f != NULL);
		struct cli_json j;
		cli_json_init(&j, f);
		write_val(&j, d.root);
		fclose(f);
		FUZZ_CHECK(cli_jread(buf, len, &d2, &e));
		same(d.root, d2.root);
		cli_jdoc_free(&d2);
		free(buf);
		cli_jdoc_free(&d);
	}

	char *out = NULL;
	size_t olen = 0;
	tk_error err = { 0 };
	FILE *f = open_memstream(&out, &olen);
	FUZZ_CHECK(f != NULL);
	tk_status st = cli_tunnel_status_text(f, text, size, "@fuzz", &err);
	fclose(f);
	if (st != TK_OK) {
		FUZZ_CHECK(st == TK_E_IO && err.message[0] && olen == 0);
	} else {
		for (size_t i = 0; i < olen; i++)
			FUZZ_CHECK(out[i] == '\n' ||
				   ((unsigned char)out[i] >= 0x20 && out[i] != 0x7f));
	}
	free(out);
	return 0;
}
