/* SPDX-License-Identifier: MIT */
/*
 * Misuse caught at the boundary: a NULL, freed-looking, closed or foreign context or device
 * gives TK_E_INVALID_HANDLE (or TK_E_BAD_ARGUMENT for a missing pointer), never a crash and
 * never a call into the OS. None of these reach the backend, so no privilege is needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backend.h"

struct sink {
	int errors;
	char cause[64];
};

static void capture(void *user, const tk_log_record *rec)
{
	struct sink *s = user;
	if (rec->level != TK_LOG_ERROR)
		return;
	s->errors++;
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].key, "cause") == 0)
			tk__strlcpy(s->cause, rec->fields[i].value, sizeof(s->cause));
}

static void expect(tk_status st, const tk_error *err, tk_status want)
{
	if (st != want || err->status != want)
		fail_msg("got %s (record %s), want %s", tk_status_name(st),
			 tk_status_name(err->status), tk_status_name(want));
	assert_true(strlen(err->message) > 0);
	assert_int_equal(err->os_kind, TK_OS_NONE); /* nothing was asked of the OS */
}

static void test_null_ctx_is_an_invalid_handle(void **state)
{
	(void)state;
	tk_error err;
	tk_adapter_info info;
	tk_adapter_info *list = NULL;
	size_t count = 0;
	tk_dev *dev = NULL;
	tk_open_opts oo = { .name = "tap0" };
	tk_create_opts co = { .name = "tap0" };
	tk_ip_addr addr = { .family = 4, .prefix = 24 };
	uint8_t mac[TK_MAC_LEN] = { 2, 0, 0, 0, 0, 1 };
	tk_holder holders[2];

	expect(tk_adapter_list(NULL, &list, &count, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_get(NULL, "tap0", &info, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_create(NULL, &co, NULL, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_delete(NULL, "tap0", &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_set_up(NULL, "tap0", true, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_set_mtu(NULL, "tap0", 1400, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_set_mac(NULL, "tap0", mac, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_set_master(NULL, "tap0", "br0", &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_addr_add(NULL, "tap0", &addr, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_addr_del(NULL, "tap0", &addr, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_adapter_holders(NULL, "tap0", holders, 2, &count, &err), &err,
	       TK_E_INVALID_HANDLE);
	expect(tk_dev_open(NULL, &oo, &dev, &err), &err, TK_E_INVALID_HANDLE);
	assert_null(dev);
	assert_null(list);
}

static void test_null_ctx_with_null_error_does_not_crash(void **state)
{
	(void)state;
	tk_dev *dev = NULL;
	tk_open_opts oo = { 0 };
	assert_int_equal(tk_dev_open(NULL, &oo, &dev, NULL), TK_E_INVALID_HANDLE);
	assert_int_equal(tk_adapter_delete(NULL, "tap0", NULL), TK_E_INVALID_HANDLE);
	tk_ctx_set_logger(NULL, capture, NULL, TK_LOG_TRACE);
	tk_ctx_set_retry(NULL, NULL);
	tk_ctx_set_clock(NULL, NULL);
	tk_retry_policy p;
	tk_ctx_get_retry(NULL, &p);
	assert_int_equal(p.attempts, 4); /* the defaults */
	tk_log(NULL, TK_LOG_ERROR, "x", NULL, 0, "x");
	tk_ctx_free(NULL);
}

/* A context whose magic word is gone, as after tk_ctx_free (checked without a use after free). */
static void test_dead_or_foreign_ctx_is_an_invalid_handle(void **state)
{
	(void)state;
	struct tk_ctx dead;
	memset(&dead, 0, sizeof(dead));
	dead.magic = 0xdeadc7c7u;
	tk_error err;
	tk_adapter_info info;
	expect(tk_adapter_get(&dead, "tap0", &info, &err), &err, TK_E_INVALID_HANDLE);
	unsigned char junk[sizeof(struct tk_ctx)];
	memset(junk, 0x41, sizeof(junk));
	expect(tk_adapter_get((tk_ctx *)(void *)junk, "tap0", &info, &err), &err,
	       TK_E_INVALID_HANDLE);
	tk_ctx_free(&dead); /* refused: not ours, so not freed (this is a stack object) */
	tk_ctx_free((tk_ctx *)(void *)junk);
}

static void test_missing_arguments_are_bad_arguments_and_logged(void **state)
{
	(void)state;
	struct sink s = { 0 };
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	tk_ctx_set_logger(ctx, capture, &s, TK_LOG_ERROR);
	tk_error err;
	tk_adapter_info info;
	size_t count;
	tk_dev *dev = NULL;
	expect(tk_adapter_get(ctx, NULL, &info, &err), &err, TK_E_BAD_ARGUMENT);
	expect(tk_adapter_get(ctx, "", &info, &err), &err, TK_E_BAD_ARGUMENT);
	expect(tk_adapter_list(ctx, NULL, &count, &err), &err, TK_E_BAD_ARGUMENT);
	expect(tk_dev_open(ctx, NULL, &dev, &err), &err, TK_E_BAD_ARGUMENT);
	tk_open_opts bad_mode = { .name = NULL, .mode = (tk_mode)7 };
	expect(tk_dev_open(ctx, &bad_mode, &dev, &err), &err, TK_E_BAD_ARGUMENT);
	assert_null(dev);
	assert_int_equal(s.errors, 5); /* each misuse logged once */
	assert_string_equal(s.cause, "TK_E_BAD_ARGUMENT");
	assert_true(strlen(err.trace_id) == 16);
	tk_ctx_free(ctx);
}

static void check_dev_calls(tk_dev *dev)
{
	tk_error err;
	unsigned char buf[64];
	size_t len = 123;
	expect(tk_dev_read(dev, buf, sizeof(buf), &len, &err), &err, TK_E_INVALID_HANDLE);
	assert_int_equal(len, 123);
	expect(tk_dev_write(dev, buf, sizeof(buf), &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_wait(dev, 0, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_set_nonblocking(dev, true, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_set_offload(dev, TK_OFFLOAD_CSUM, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_set_carrier(dev, true, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_set_queue_enabled(dev, true, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_set_persist(dev, true, &err), &err, TK_E_INVALID_HANDLE);
	expect(tk_dev_wake(dev, &err), &err, TK_E_INVALID_HANDLE);
	assert_int_equal(tk_dev_read(dev, buf, sizeof(buf), &len, NULL), TK_E_INVALID_HANDLE);
	assert_string_equal(tk_dev_name(dev), "");
	assert_true(tk_dev_handle(dev) == TK_OS_HANDLE_INVALID);
	tk_dev_close(dev); /* refused quietly */
}

static void test_null_dev_is_an_invalid_handle(void **state)
{
	(void)state;
	check_dev_calls(NULL);
}

/* What a handle looks like after tk_dev_close (magic dead) or after a failed open (no os). */
static void test_closed_or_half_open_dev_is_an_invalid_handle(void **state)
{
	(void)state;
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	struct tk_dev dev;
	memset(&dev, 0, sizeof(dev));
	dev.magic = TK__DEV_DEAD;
	dev.ctx = ctx;
	check_dev_calls(&dev);
	dev.magic = TK__DEV_MAGIC;
	dev.os = NULL;
	check_dev_calls(&dev);
	tk_ctx_free(ctx);
}

static void test_foreign_pointer_is_an_invalid_handle(void **state)
{
	(void)state;
	unsigned char junk[sizeof(struct tk_dev)];
	memset(junk, 0x41, sizeof(junk));
	check_dev_calls((tk_dev *)(void *)junk);
}

static void test_ctx_new_without_out_is_bad_argument(void **state)
{
	(void)state;
	tk_error err;
	assert_int_equal(tk_ctx_new(NULL, &err), TK_E_BAD_ARGUMENT);
	assert_int_equal(err.status, TK_E_BAD_ARGUMENT);
	assert_int_equal(tk_ctx_new(NULL, NULL), TK_E_BAD_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_ctx_is_an_invalid_handle),
		cmocka_unit_test(test_null_ctx_with_null_error_does_not_crash),
		cmocka_unit_test(test_dead_or_foreign_ctx_is_an_invalid_handle),
		cmocka_unit_test(test_missing_arguments_are_bad_arguments_and_logged),
		cmocka_unit_test(test_null_dev_is_an_invalid_handle),
		cmocka_unit_test(test_closed_or_half_open_dev_is_an_invalid_handle),
		cmocka_unit_test(test_foreign_pointer_is_an_invalid_handle),
		cmocka_unit_test(test_ctx_new_without_out_is_bad_argument),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
