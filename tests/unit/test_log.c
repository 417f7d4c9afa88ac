/* SPDX-License-Identifier: MIT */
/*
 * Logging and tracing: level filtering, errno preservation, the record's contents, trace ids
 * (fresh per call, shared by nested calls, carried by log records), and the two stderr sinks
 * (exact text lines; JSON lines checked by a small validator and by exact strings).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "core/core_internal.h"

struct sink {
	int count;
	int levels[5];
	char message[2048];
	char subsystem[64];
	char trace_id[TK_TRACE_ID_MAX];
	uint64_t time_ns;
	size_t nfields;
};

static void capture(void *user, const tk_log_record *rec)
{
	struct sink *s = user;
	s->count++;
	s->levels[rec->level]++;
	tk__strlcpy(s->message, rec->message, sizeof(s->message));
	tk__strlcpy(s->subsystem, rec->subsystem, sizeof(s->subsystem));
	tk__strlcpy(s->trace_id, rec->trace_id, sizeof(s->trace_id));
	s->time_ns = rec->time_ns;
	s->nfields = rec->nfields;
	errno = 0; /* a careless callback: the library must hide this from its caller */
}

static tk_ctx *new_ctx(struct sink *s, tk_log_level level)
{
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	if (s)
		tk_ctx_set_logger(ctx, capture, s, level);
	return ctx;
}

static void test_records_above_the_level_are_not_delivered(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_WARN);
	for (int l = TK_LOG_ERROR; l <= TK_LOG_TRACE; l++) {
		tk_log(ctx, (tk_log_level)l, "test", NULL, 0, "public");
		tk__log(ctx, (tk_log_level)l, "test", NULL, 0, "internal %d", l);
	}
	assert_int_equal(s.count, 4);
	assert_int_equal(s.levels[TK_LOG_ERROR], 2);
	assert_int_equal(s.levels[TK_LOG_WARN], 2);
	assert_int_equal(s.levels[TK_LOG_INFO], 0);
	assert_int_equal(s.levels[TK_LOG_DEBUG], 0);
	assert_int_equal(s.levels[TK_LOG_TRACE], 0);
	assert_true(tk__log_enabled(ctx, TK_LOG_WARN));
	assert_false(tk__log_enabled(ctx, TK_LOG_INFO));
	tk_ctx_free(ctx);
}

static void test_no_logger_means_nothing_enabled(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_TRACE);
	tk_ctx_set_logger(ctx, NULL, &s, TK_LOG_TRACE);
	assert_false(tk__log_enabled(ctx, TK_LOG_ERROR));
	tk_log(ctx, TK_LOG_ERROR, "test", NULL, 0, "dropped");
	assert_int_equal(s.count, 0);
	assert_false(tk__log_enabled(NULL, TK_LOG_ERROR));
	tk_log(NULL, TK_LOG_ERROR, "test", NULL, 0, "no crash");
	tk_ctx_free(ctx);
}

static void test_logging_never_changes_errno(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_TRACE);
	errno = EBUSY;
	tk__log(ctx, TK_LOG_INFO, "test", NULL, 0, "x");
	assert_int_equal(errno, EBUSY);
	tk_log(ctx, TK_LOG_INFO, "test", NULL, 0, "x");
	assert_int_equal(errno, EBUSY);
	tk_error err = { 0 };
	tk__error_set(ctx, &err, TK_E_IO, "write", "tap0", TK_OS_ERRNO, EIO, "x");
	assert_int_equal(errno, EBUSY);
	assert_int_equal(s.count, 3);
	tk_ctx_free(ctx);
}

static void test_record_carries_message_subsystem_and_time(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_DEBUG);
	tk_log_field f[] = { { "k", "v" }, { "k2", "v2" } };
	tk__log(ctx, TK_LOG_DEBUG, "linux.tun", f, 2, "opened %s in %d ms", "tap0", 3);
	assert_string_equal(s.message, "opened tap0 in 3 ms");
	assert_string_equal(s.subsystem, "linux.tun");
	assert_int_equal(s.nfields, 2);
	assert_true(s.time_ns > 1700000000ull * 1000000000ull); /* realtime, not monotonic */
	tk_ctx_free(ctx);
}

static void test_long_message_is_cut_with_marker(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_DEBUG);
	char *big = malloc(5000);
	assert_non_null(big);
	memset(big, 'y', 4999);
	big[4999] = '\0';
	tk__log(ctx, TK_LOG_INFO, "test", NULL, 0, "%s", big);
	size_t n = strlen(s.message);
	assert_true(n < 2000);
	assert_string_equal(s.message + n - 3, "...");
	free(big);
	tk_ctx_free(ctx);
}

static void test_level_names_round_trip(void **state)
{
	(void)state;
	for (int l = TK_LOG_ERROR; l <= TK_LOG_TRACE; l++) {
		tk_log_level got;
		assert_true(tk_log_level_parse(tk_log_level_name((tk_log_level)l), &got));
		assert_int_equal(got, l);
	}
	assert_string_equal(tk_log_level_name(TK_LOG_WARN), "warn");
	tk_log_level got = TK_LOG_TRACE;
	assert_false(tk_log_level_parse("verbose", &got));
	assert_false(tk_log_level_parse("", &got));
	assert_false(tk_log_level_parse(NULL, &got));
	assert_false(tk_log_level_parse("WARN", &got));
	assert_int_equal(got, TK_LOG_TRACE); /* untouched on failure */
}

/* ---- traces ---- */

static bool is_trace_id(const char *id)
{
	if (strlen(id) != 16)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static void test_no_trace_outside_a_call(void **state)
{
	(void)state;
	assert_string_equal(tk__trace_current(), "");
}

static void test_call_has_a_16_hex_trace_id_in_its_log_lines(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_DEBUG);
	int tok = tk__call_begin(ctx, NULL);
	assert_true(is_trace_id(tk__trace_current()));
	tk__log(ctx, TK_LOG_INFO, "test", NULL, 0, "inside");
	assert_string_equal(s.trace_id, tk__trace_current());
	tk__call_end(ctx, tok);
	assert_string_equal(tk__trace_current(), "");
	tk__log(ctx, TK_LOG_INFO, "test", NULL, 0, "outside");
	assert_string_equal(s.trace_id, "");
	tk_ctx_free(ctx);
}

static void test_nested_calls_share_the_outer_id(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx(NULL, TK_LOG_ERROR);
	int outer = tk__call_begin(ctx, NULL);
	char id[TK_TRACE_ID_MAX];
	tk__strlcpy(id, tk__trace_current(), sizeof(id));
	int inner = tk__call_begin(ctx, NULL);
	assert_string_equal(tk__trace_current(), id);
	tk__call_end(ctx, inner);
	assert_string_equal(tk__trace_current(), id); /* the outer call is still running */
	tk__call_end(ctx, outer);
	assert_string_equal(tk__trace_current(), "");
	tk_ctx_free(ctx);
}

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_successive_calls_get_fresh_ids(void **state)
{
	(void)state;
	enum { N = 20000 };
	tk_ctx *a = new_ctx(NULL, TK_LOG_ERROR), *b = new_ctx(NULL, TK_LOG_ERROR);
	char(*ids)[TK_TRACE_ID_MAX] = calloc(N, TK_TRACE_ID_MAX);
	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		int tok = tk__call_begin(i % 2 ? a : b, NULL);
		tk__strlcpy(ids[i], tk__trace_current(), TK_TRACE_ID_MAX);
		tk__call_end(i % 2 ? a : b, tok);
		assert_true(is_trace_id(ids[i]));
	}
	qsort(ids, N, TK_TRACE_ID_MAX, cmp_ids);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	free(ids);
	tk_ctx_free(a);
	tk_ctx_free(b);
}

static void test_trace_begin_spans_calls_until_end(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s, TK_LOG_DEBUG);
	char id[TK_TRACE_ID_MAX];
	tk_trace_begin(ctx, NULL, id, sizeof(id));
	assert_true(is_trace_id(id));
	for (int i = 0; i < 3; i++) {
		tk_error err;
		int tok = tk__call_begin(ctx, &err);
		tk__error_set(ctx, &err, TK_E_IO, "write", "tap0", TK_OS_NONE, 0, "x");
		assert_string_equal(err.trace_id, id);
		assert_string_equal(s.trace_id, id);
		tk__call_end(ctx, tok);
	}
	tk_trace_end(ctx);
	assert_string_equal(tk__trace_current(), "");
	tk_ctx_free(ctx);
}

static void test_trace_begin_with_an_id_uses_it_and_nests(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx(NULL, TK_LOG_ERROR);
	char out[TK_TRACE_ID_MAX];
	tk_trace_begin(ctx, "reload-42", out, sizeof(out));
	assert_string_equal(out, "reload-42");
	/* an inner trace (the tunnel's recovery inside the CLI's command) keeps the outer id */
	tk_trace_begin(ctx, NULL, out, sizeof(out));
	assert_string_equal(out, "reload-42");
	tk_trace_end(ctx);
	assert_string_equal(tk__trace_current(), "reload-42");
	tk_trace_end(ctx);
	assert_string_equal(tk__trace_current(), "");
	tk_trace_end(ctx); /* unbalanced: harmless */
	assert_string_equal(tk__trace_current(), "");
	tk_ctx_free(ctx);
}

static void test_call_end_closes_a_trace_left_open_inside(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx(NULL, TK_LOG_ERROR);
	int tok = tk__call_begin(ctx, NULL);
	tk_trace_begin(ctx, NULL, NULL, 0); /* never ended */
	tk__call_end(ctx, tok);
	assert_string_equal(tk__trace_current(), "");
	tk_ctx_free(ctx);
}

struct thread_view {
	tk_ctx *ctx;
	char before[TK_TRACE_ID_MAX];
	char own[TK_TRACE_ID_MAX];
};

static void *other_thread(void *arg)
{
	struct thread_view *v = arg;
	tk__strlcpy(v->before, tk__trace_current(), sizeof(v->before));
	int tok = tk__call_begin(v->ctx, NULL);
	tk__strlcpy(v->own, tk__trace_current(), sizeof(v->own));
	tk__call_end(v->ctx, tok);
	return NULL;
}

static void test_traces_are_per_thread(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx(NULL, TK_LOG_ERROR);
	int tok = tk__call_begin(ctx, NULL);
	struct thread_view v = { .ctx = ctx };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_thread, &v), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* a call running on this thread is not another thread's trace */
	assert_string_equal(v.before, "");
	assert_true(is_trace_id(v.own));
	assert_string_not_equal(v.own, tk__trace_current());
	tk__call_end(ctx, tok);
	tk_ctx_free(ctx);
}

/* ---- the stderr sinks ---- */

/* Runs a sink with stderr redirected to a file and returns what it wrote. */
static char *sink_output(tk_log_fn *fn, const tk_log_record *rec)
{
	static char out[16384];
	FILE *t = tmpfile();
	assert_non_null(t);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(t), 2) >= 0);
	fn(NULL, rec);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(t);
	size_t n = fread(out, 1, sizeof(out) - 1, t);
	out[n] = '\0';
	fclose(t);
	return out;
}

#define T_2026 (1795651200ull * 1000000000ull + 123456789ull)

static void test_text_sink_line_shape(void **state)
{
	(void)state;
	tk_log_field f[] = { { "key", "value" }, { "key2", "quoted value" }, { "empty", "" } };
	tk_log_record rec = { .level = TK_LOG_WARN,
			      .time_ns = T_2026,
			      .trace_id = "1a2b3c4d5e6f7a8b",
			      .subsystem = "linux.tun",
			      .message = "message",
			      .fields = f,
			      .nfields = 3 };
	assert_string_equal(sink_output(tk_log_stderr_text, &rec),
			    "2026-11-26T00:00:00.123Z warn  linux.tun [trace 1a2b3c4d5e6f7a8b] "
			    "message key=value key2=\"quoted value\" empty=\"\"\n");
}

static void test_text_sink_keeps_one_line(void **state)
{
	(void)state;
	tk_log_field f[] = { { "k", "a\"b\\c\nd" } };
	tk_log_record rec = { .level = TK_LOG_ERROR,
			      .time_ns = 951868799ull * 1000000000ull,
			      .trace_id = "",
			      .subsystem = "",
			      .message = "two\nlines\x01",
			      .fields = f,
			      .nfields = 1 };
	assert_string_equal(
		sink_output(tk_log_stderr_text, &rec),
		"2000-02-29T23:59:59.000Z error two\\nlines\\x01 k=\"a\\\"b\\\\c\\nd\"\n");
}

static void test_json_sink_exact_line(void **state)
{
	(void)state;
	tk_log_field f[] = { { "cause", "TK_E_ADAPTER_BUSY" }, { "os_code", "16" } };
	tk_log_record rec = { .level = TK_LOG_INFO,
			      .time_ns = T_2026,
			      .trace_id = "1a2b3c4d5e6f7a8b",
			      .subsystem = "core.retry",
			      .message = "retry 1",
			      .fields = f,
			      .nfields = 2 };
	assert_string_equal(
		sink_output(tk_log_stderr_json, &rec),
		"{\"time\":\"2026-11-26T00:00:00.123Z\",\"level\":\"info\","
		"\"trace_id\":\"1a2b3c4d5e6f7a8b\",\"subsystem\":\"core.retry\","
		"\"msg\":\"retry 1\",\"cause\":\"TK_E_ADAPTER_BUSY\",\"os_code\":\"16\"}\n");
}

static void test_json_sink_escapes_quotes_controls_and_backslash(void **state)
{
	(void)state;
	tk_log_field f[] = { { "path", "C:\\tap \"0\"" }, { "k\"ey", "\t\r\b\f\x1f\x7f" } };
	tk_log_record rec = { .level = TK_LOG_ERROR,
			      .time_ns = 0,
			      .trace_id = "",
			      .subsystem = "s",
			      .message = "line1\nline2",
			      .fields = f,
			      .nfields = 2 };
	assert_string_equal(
		sink_output(tk_log_stderr_json, &rec),
		"{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\","
		"\"trace_id\":\"\",\"subsystem\":\"s\",\"msg\":\"line1\\nline2\","
		"\"path\":\"C:\\\\tap \\\"0\\\"\",\"k\\\"ey\":\"\\t\\r\\b\\f\\u001f\\u007f\"}\n");
}

static void test_json_sink_keeps_utf8_and_replaces_invalid_bytes(void **state)
{
	(void)state;
	/* é, €, 😀 are valid; a lone 0xff, an overlong '/', a surrogate and a cut-off é are not */
	tk_log_record rec = {
		.level = TK_LOG_WARN,
		.time_ns = 0,
		.trace_id = "",
		.subsystem = "s",
		.message = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xff|\xc0\xaf|\xed\xa0\x80|\xc3",
		.fields = NULL,
		.nfields = 0
	};
	const char *want = "\"msg\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd|\\ufffd\\ufffd|"
			   "\\ufffd\\ufffd\\ufffd|\\ufffd\"}\n";
	const char *got = sink_output(tk_log_stderr_json, &rec);
	assert_non_null(strstr(got, want));
}

/*
 * A JSON validator for what the sink may produce: one object of string members, then "\n".
 * Checks escapes, that no raw control character appears, and that the bytes are valid UTF-8.
 */
static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		int n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (n == 0)
			return NULL;
		for (int i = 1; i < n; i++)
			if (((unsigned char)p[i] & 0xc0) != 0x80)
				return NULL;
		p += n;
	}
	return *p == '"' ? p + 1 : NULL;
}

static bool json_line_valid(const char *p, size_t *members)
{
	*members = 0;
	if (*p++ != '{')
		return false;
	for (;;) {
		if (!(p = json_string(p)) || *p++ != ':' || !(p = json_string(p)))
			return false;
		(*members)++;
		if (*p == ',') {
			p++;
			continue;
		}
		return p[0] == '}' && p[1] == '\n' && p[2] == '\0';
	}
}

static void test_json_validator_rejects_broken_lines(void **state)
{
	(void)state;
	size_t n;
	assert_true(json_line_valid("{\"a\":\"b\",\"c\":\"\\u00e9\"}\n", &n));
	assert_int_equal(n, 2);
	assert_false(json_line_valid("{\"a\":\"b\"}", &n));
	assert_false(json_line_valid("{\"a\":\"b\n\"}\n", &n));
	assert_false(json_line_valid("{\"a\":\"b\\x\"}\n", &n));
	assert_false(json_line_valid("{\"a\":\"b\",\"c\"}\n", &n));
	assert_false(json_line_valid("{\"a\":\"\xff\"}\n", &n));
}

static void test_json_sink_output_parses_for_hostile_input(void **state)
{
	(void)state;
	char msg[256];
	for (int i = 0; i < 255; i++)
		msg[i] = (char)(i + 1); /* every byte value but NUL */
	msg[255] = '\0';
	tk_log_field f[] = { { msg, msg }, { "", "" } };
	tk_log_record rec = { .level = TK_LOG_TRACE,
			      .time_ns = T_2026,
			      .trace_id = msg,
			      .subsystem = msg,
			      .message = msg,
			      .fields = f,
			      .nfields = 2 };
	size_t n;
	assert_true(json_line_valid(sink_output(tk_log_stderr_json, &rec), &n));
	assert_int_equal(n, 7);
}

static void test_json_sink_cuts_huge_records_into_valid_json(void **state)
{
	(void)state;
	size_t big_len = 20000;
	char *big = malloc(big_len + 1);
	assert_non_null(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = i % 7 == 0 ? '"' : 'z'; /* escapes double the size */
	big[big_len] = '\0';
	tk_log_field f[] = { { "a", big }, { big, "b" }, { "c", "d" } };
	tk_log_record rec = { .level = TK_LOG_INFO,
			      .time_ns = 0,
			      .trace_id = "",
			      .subsystem = "s",
			      .message = "short",
			      .fields = f,
			      .nfields = 3 };
	const char *out = sink_output(tk_log_stderr_json, &rec);
	size_t n;
	assert_true(json_line_valid(out, &n));
	assert_true(strlen(out) <= 8192);
	assert_non_null(strstr(out, "...\"}\n")); /* the cut is marked */
	/* the message itself too */
	rec.message = big;
	rec.nfields = 0;
	out = sink_output(tk_log_stderr_json, &rec);
	assert_true(json_line_valid(out, &n));
	free(big);
}

static void test_text_sink_cuts_huge_records_into_one_line(void **state)
{
	(void)state;
	size_t big_len = 20000;
	char *big = malloc(big_len + 1);
	assert_non_null(big);
	memset(big, 'q', big_len);
	big[big_len] = '\0';
	tk_log_record rec = { .level = TK_LOG_INFO,
			      .time_ns = 0,
			      .trace_id = "",
			      .subsystem = "s",
			      .message = big,
			      .fields = NULL,
			      .nfields = 0 };
	const char *out = sink_output(tk_log_stderr_text, &rec);
	size_t len = strlen(out);
	assert_true(len <= 8192);
	assert_string_equal(out + len - 4, "...\n");
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_above_the_level_are_not_delivered),
		cmocka_unit_test(test_no_logger_means_nothing_enabled),
		cmocka_unit_test(test_logging_never_changes_errno),
		cmocka_unit_test(test_record_carries_message_subsystem_and_time),
		cmocka_unit_test(test_long_message_is_cut_with_marker),
		cmocka_unit_test(test_level_names_round_trip),
		cmocka_unit_test(test_no_trace_outside_a_call),
		cmocka_unit_test(test_call_has_a_16_hex_trace_id_in_its_log_lines),
		cmocka_unit_test(test_nested_calls_share_the_outer_id),
		cmocka_unit_test(test_successive_calls_get_fresh_ids),
		cmocka_unit_test(test_trace_begin_spans_calls_until_end),
		cmocka_unit_test(test_trace_begin_with_an_id_uses_it_and_nests),
		cmocka_unit_test(test_traces_are_per_thread),
		cmocka_unit_test(test_call_end_closes_a_trace_left_open_inside),
		cmocka_unit_test(test_text_sink_line_shape),
		cmocka_unit_test(test_text_sink_keeps_one_line),
		cmocka_unit_test(test_json_sink_exact_line),
		cmocka_unit_test(test_json_sink_escapes_quotes_controls_and_backslash),
		cmocka_unit_test(test_json_sink_keeps_utf8_and_replaces_invalid_bytes),
		cmocka_unit_test(test_json_validator_rejects_broken_lines),
		cmocka_unit_test(test_json_sink_output_parses_for_hostile_input),
		cmocka_unit_test(test_json_sink_cuts_huge_records_into_valid_json),
		cmocka_unit_test(test_text_sink_cuts_huge_records_into_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
