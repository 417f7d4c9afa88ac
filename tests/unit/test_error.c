/* SPDX-License-Identifier: MIT */
/* Filling tk_error: set once, the catalogue's defaults, the trace id, formatting, truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/core_internal.h"

struct sink {
	int count;
	tk_log_level level;
	char message[512];
	char trace_id[TK_TRACE_ID_MAX];
	char fields[1024]; /* "k=v;k=v;" */
};

static void capture(void *user, const tk_log_record *rec)
{
	struct sink *s = user;
	s->count++;
	s->level = rec->level;
	tk__strlcpy(s->message, rec->message, sizeof(s->message));
	tk__strlcpy(s->trace_id, rec->trace_id, sizeof(s->trace_id));
	s->fields[0] = '\0';
	for (size_t i = 0; i < rec->nfields; i++) {
		size_t len = strlen(s->fields);
		tk__snprintf(s->fields + len, sizeof(s->fields) - len, "%s=%s;", rec->fields[i].key,
			     rec->fields[i].value);
	}
}

static tk_ctx *new_ctx(struct sink *s)
{
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	if (s)
		tk_ctx_set_logger(ctx, capture, s, TK_LOG_TRACE);
	return ctx;
}

static void test_first_failure_is_kept(void **state)
{
	(void)state;
	tk_error err = { 0 };
	assert_int_equal(tk__error_set_quiet(&err, TK_E_ADAPTER_BUSY, "TUNSETIFF", "tap0",
					     TK_OS_ERRNO, EBUSY, "held by pid %d", 4242),
			 TK_E_ADAPTER_BUSY);
	/* An outer layer reporting its own view must not overwrite the cause or the OS code. */
	tk_status st = tk__error_set_quiet(&err, TK_E_IO, "open", "tap0", TK_OS_NONE, 0, "wrapped");
	assert_int_equal(st, TK_E_ADAPTER_BUSY);
	assert_int_equal(err.status, TK_E_ADAPTER_BUSY);
	assert_int_equal(err.os_kind, TK_OS_ERRNO);
	assert_int_equal(err.os_code, EBUSY);
	assert_string_equal(err.op, "TUNSETIFF");
	assert_string_equal(err.message, "held by pid 4242");
}

static void test_set_fills_catalogue_remedy_and_transient(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_TIMEOUT, "wait", "tap0", TK_OS_NONE, 0, "no frame in %d ms",
			    100);
	assert_true(err.transient);
	assert_string_equal(err.remedy, tk_status_remedy(TK_E_TIMEOUT));
	memset(&err, 0, sizeof(err));
	tk__error_set_quiet(&err, TK_E_ADAPTER_BUSY, "open", "tap0", TK_OS_NONE, 0, "busy");
	assert_false(err.transient);
}

static void test_empty_format_takes_the_catalogue_message(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_LINK_DOWN, "write", "tap0", TK_OS_ERRNO, EIO, "%s", "");
	assert_string_equal(err.message, tk_status_message(TK_E_LINK_DOWN));
}

static void test_specific_remedy_replaces_the_general_one(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_ADAPTER_BUSY, "open", "tap0", TK_OS_ERRNO, EBUSY, "busy");
	tk__error_remedy(&err, "stop %s (pid %d), or use another adapter", "openvpn", 4242);
	assert_string_equal(err.remedy, "stop openvpn (pid 4242), or use another adapter");
	tk__error_os_text(&err, "Device or resource busy");
	assert_string_equal(err.os_text, "Device or resource busy");
}

static void test_remedy_on_a_clear_record_is_ignored(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_remedy(&err, "should not appear");
	assert_string_equal(err.remedy, "");
	tk__error_remedy(NULL, "no crash");
	tk__error_os_text(NULL, "no crash");
}

static void test_long_message_is_truncated_with_marker(void **state)
{
	(void)state;
	tk_error err = { 0 };
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tk__error_set_quiet(&err, TK_E_IO, "write", big, TK_OS_NONE, 0, "%s", big);
	assert_int_equal(strlen(err.message), TK_ERROR_TEXT_MAX - 1);
	assert_string_equal(err.message + TK_ERROR_TEXT_MAX - 4, "...");
	assert_int_equal(strlen(err.object), TK_ERROR_OBJECT_MAX - 1);
	assert_string_equal(err.object + TK_ERROR_OBJECT_MAX - 4, "...");
}

static void test_truncation_never_splits_a_utf8_character(void **state)
{
	(void)state;
	char buf[8];
	/* "abcdé..." : the cut would fall inside the 2-byte é */
	tk__strlcpy(buf, "abcd\xc3\xa9zzzz", sizeof(buf));
	assert_string_equal(buf, "abcd...");
	tk__strlcpy(buf, "ab\xc3\xa9xyzzzz", sizeof(buf));
	assert_string_equal(buf, "ab\xc3\xa9...");
	tk__snprintf(buf, sizeof(buf), "%d", 1234567);
	assert_string_equal(buf, "1234567");
	tk__snprintf(buf, sizeof(buf), "%d", 12345678);
	assert_string_equal(buf, "1234...");
	tk__strlcpy(buf, NULL, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_set_logs_once_at_error_with_fields(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s);
	tk_error err;
	int tok = tk__call_begin(ctx, &err);
	tk__error_set(ctx, &err, TK_E_ADAPTER_BUSY, "TUNSETIFF", "tap0", TK_OS_ERRNO, EBUSY,
		      "another process holds %s", "tap0");
	tk__error_set(ctx, &err, TK_E_IO, "open", "tap0", TK_OS_NONE, 0, "outer");
	assert_int_equal(s.count, 1);
	assert_int_equal(s.level, TK_LOG_ERROR);
	assert_string_equal(s.message, "another process holds tap0");
	assert_string_equal(s.fields, "cause=TK_E_ADAPTER_BUSY;op=TUNSETIFF;object=tap0;"
				      "os_kind=errno;os_code=16;");
	assert_string_equal(s.trace_id, tk__trace_current());
	tk__call_end(ctx, tok);
	tk_ctx_free(ctx);
}

static void test_quiet_set_does_not_log_until_asked(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s);
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_NOT_TAP, "show", "eth0", TK_OS_NONE, 0, "not tun");
	assert_int_equal(s.count, 0);
	tk__error_log(ctx, &err);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.fields, "cause=TK_E_NOT_TAP;op=show;object=eth0;");
	tk_ctx_free(ctx);
}

static void test_set_without_record_still_logs(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = new_ctx(&s);
	assert_int_equal(tk__error_set(ctx, NULL, TK_E_IO, "write", "tap0", TK_OS_ERRNO, EIO, "x"),
			 TK_E_IO);
	assert_int_equal(s.count, 1);
	tk_ctx_free(ctx);
}

static void test_error_carries_the_trace_id_of_its_call(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx(NULL);
	tk_error err;
	int tok = tk__call_begin(ctx, &err);
	char id[TK_TRACE_ID_MAX];
	tk__strlcpy(id, tk__trace_current(), sizeof(id));
	tk__error_set_quiet(&err, TK_E_IO, "write", "tap0", TK_OS_NONE, 0, "x");
	tk__call_end(ctx, tok);
	assert_int_equal(strlen(id), 16);
	assert_string_equal(err.trace_id, id);
	tk_ctx_free(ctx);
}

static void test_call_begin_clears_the_record(void **state)
{
	(void)state;
	tk_ctx *ctx = new_ctx(NULL);
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_IO, "write", "tap0", TK_OS_ERRNO, EIO, "x");
	tk__error_os_text(&err, "Input/output error");
	int tok = tk__call_begin(ctx, &err);
	tk__call_end(ctx, tok);
	assert_int_equal(err.status, TK_OK);
	assert_int_equal(err.os_kind, TK_OS_NONE);
	assert_int_equal(err.os_code, 0);
	assert_string_equal(err.message, "");
	assert_string_equal(err.os_text, "");
	tk_ctx_free(ctx);
}

static void test_format_errno_with_text(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_ADAPTER_BUSY, "open", "tap0", TK_OS_ERRNO, 16,
			    "the adapter is in use by another process");
	tk__error_os_text(&err, "Device or resource busy");
	char buf[512];
	assert_ptr_equal(tk_error_format(&err, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "open \"tap0\": the adapter is in use by another process "
				 "(errno 16: Device or resource busy)");
}

static void test_format_hresult_in_hex_and_no_object(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_WOW64, "create adapter", "", TK_OS_HRESULT,
			    (int64_t)0xE0000235u, "32-bit process");
	char buf[512];
	tk_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "create adapter: 32-bit process (hresult 0xe0000235)");
}

static void test_format_small_buffer_and_null(void **state)
{
	(void)state;
	tk_error err = { 0 };
	tk__error_set_quiet(&err, TK_E_IO, "write", "tap0", TK_OS_NONE, 0, "failed");
	char buf[12];
	tk_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "write \"t...");
	tk_error_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_null(tk_error_format(&err, NULL, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_failure_is_kept),
		cmocka_unit_test(test_set_fills_catalogue_remedy_and_transient),
		cmocka_unit_test(test_empty_format_takes_the_catalogue_message),
		cmocka_unit_test(test_specific_remedy_replaces_the_general_one),
		cmocka_unit_test(test_remedy_on_a_clear_record_is_ignored),
		cmocka_unit_test(test_long_message_is_truncated_with_marker),
		cmocka_unit_test(test_truncation_never_splits_a_utf8_character),
		cmocka_unit_test(test_set_logs_once_at_error_with_fields),
		cmocka_unit_test(test_quiet_set_does_not_log_until_asked),
		cmocka_unit_test(test_set_without_record_still_logs),
		cmocka_unit_test(test_error_carries_the_trace_id_of_its_call),
		cmocka_unit_test(test_call_begin_clears_the_record),
		cmocka_unit_test(test_format_errno_with_text),
		cmocka_unit_test(test_format_hresult_in_hex_and_no_object),
		cmocka_unit_test(test_format_small_buffer_and_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
