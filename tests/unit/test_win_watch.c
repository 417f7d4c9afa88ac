/* SPDX-License-Identifier: MIT */
/*
 * `tapkit watch` on Windows, its pure decisions (src/core/watchlogic.c): an adapter's state from
 * CfgMgr and its device link, which events two scans mean (new, re-created, re-enabled, came
 * back, renamed, gone, disabled), what a section does to a disabled adapter, and the Windows
 * keys of the configuration (Enable, ConnectionName). Runs on Linux and, cross-built, under Wine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/watchlogic.h"

#define G1 "{7A3E5C01-0D1B-4C2A-9E11-5A1F00000001}"
#define G2 "{7B4F6D02-0D1B-4C2A-9E11-5A1F00000002}"
#define G3 "{7C5A7E03-0D1B-4C2A-9E11-5A1F00000003}"

struct seen_events {
	size_t n;
	char line[16][320];
};

static void record(void *user, const struct tk_watch_change *c)
{
	struct seen_events *s = user;
	if (s->n < 16)
		snprintf(s->line[s->n++], sizeof(s->line[0]), "%s %s %s%s", c->removed ? "-" : "+",
			 c->a->name, c->why, c->disabled ? " (disabled)" : "");
}

static struct tk_watch_snap snap(const char *id, const char *name, enum tk_watch_state st)
{
	struct tk_watch_snap s;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.state = st;
	return s;
}

static void test_state(void **state)
{
	(void)state;
	assert_int_equal(tk__watchlogic_state(false, 0, false), TK_WATCH_GONE);
	assert_int_equal(tk__watchlogic_state(false, 0, true), TK_WATCH_GONE);
	assert_int_equal(tk__watchlogic_state(true, 22, false), TK_WATCH_DISABLED);
	/* a disabled device never serves its link; if it did, disabled still wins */
	assert_int_equal(tk__watchlogic_state(true, 22, true), TK_WATCH_DISABLED);
	assert_int_equal(tk__watchlogic_state(true, 10, false), TK_WATCH_NOT_STARTED);
	assert_int_equal(tk__watchlogic_state(true, 0, false), TK_WATCH_NOT_STARTED);
	assert_int_equal(tk__watchlogic_state(true, 0, true), TK_WATCH_UP);
	assert_string_equal(tk__watchlogic_state_name(TK_WATCH_NOT_STARTED), "not started");
}

static void test_no_change_no_event(void **state)
{
	(void)state;
	struct tk_watch_snap a[] = { snap(G1, "emu one", TK_WATCH_UP),
				     snap(G2, "emu two", TK_WATCH_DISABLED) };
	struct tk_watch_snap b[] = { snap(G2, "emu two", TK_WATCH_DISABLED),
				     snap("{7a3e5c01-0d1b-4c2a-9e11-5a1f00000001}", "emu one",
					  TK_WATCH_UP) };
	struct seen_events s = { 0 };
	/* order and the GUID's case do not matter */
	assert_int_equal(tk__watchlogic_diff(a, 2, b, 2, record, &s), 0);
}

static void test_new_and_gone(void **state)
{
	(void)state;
	struct tk_watch_snap a[] = { snap(G1, "emu one", TK_WATCH_UP) };
	struct tk_watch_snap b[] = { snap(G2, "emu two", TK_WATCH_UP) };
	struct seen_events s = { 0 };
	assert_int_equal(tk__watchlogic_diff(a, 1, b, 1, record, &s), 2);
	assert_string_equal(s.line[0], "- emu one gone"); /* removals first */
	assert_string_equal(s.line[1], "+ emu two new");
}

static void test_recreated_same_name_new_guid(void **state)
{
	(void)state;
	struct tk_watch_snap a[] = { snap(G1, "vpn", TK_WATCH_UP) };
	struct tk_watch_snap b[] = { snap(G3, "vpn", TK_WATCH_UP) };
	struct seen_events s = { 0 };
	assert_int_equal(tk__watchlogic_diff(a, 1, b, 1, record, &s), 2);
	assert_string_equal(s.line[0], "- vpn gone");
	assert_string_equal(s.line[1], "+ vpn re-created");
}

static void test_vanish_and_come_back(void **state)
{
	(void)state;
	/* the emulated driver's remove request: the device link goes, the device node stays */
	struct tk_watch_snap up[] = { snap(G2, "emu two", TK_WATCH_UP) };
	struct tk_watch_snap gone[] = { snap(G2, "emu two", TK_WATCH_NOT_STARTED) };
	struct seen_events s = { 0 };
	assert_int_equal(tk__watchlogic_diff(up, 1, gone, 1, record, &s), 1);
	assert_string_equal(s.line[0], "- emu two stopped");
	/* while it stays gone, nothing */
	assert_int_equal(tk__watchlogic_diff(gone, 1, gone, 1, record, &s), 0);
	assert_int_equal(tk__watchlogic_diff(gone, 1, up, 1, record, &s), 1);
	assert_string_equal(s.line[1], "+ emu two came back");
	/* the device node removed entirely, then found again */
	struct seen_events t = { 0 };
	assert_int_equal(tk__watchlogic_diff(up, 1, NULL, 0, record, &t), 1);
	assert_string_equal(t.line[0], "- emu two gone");
}

static void test_disable_and_reenable(void **state)
{
	(void)state;
	struct tk_watch_snap up[] = { snap(G1, "emu one", TK_WATCH_UP) };
	struct tk_watch_snap off[] = { snap(G1, "emu one", TK_WATCH_DISABLED) };
	struct seen_events s = { 0 };
	/* gone as a working adapter, and reported disabled so Enable = true can act */
	assert_int_equal(tk__watchlogic_diff(up, 1, off, 1, record, &s), 2);
	assert_string_equal(s.line[0], "- emu one disabled");
	assert_string_equal(s.line[1], "+ emu one disabled (disabled)");
	/* once only while it stays disabled */
	assert_int_equal(tk__watchlogic_diff(off, 1, off, 1, record, &s), 0);
	assert_int_equal(tk__watchlogic_diff(off, 1, up, 1, record, &s), 1);
	assert_string_equal(s.line[2], "+ emu one re-enabled");
	/* first seen disabled */
	struct seen_events t = { 0 };
	assert_int_equal(tk__watchlogic_diff(NULL, 0, off, 1, record, &t), 1);
	assert_string_equal(t.line[0], "+ emu one found disabled (disabled)");
}

static void test_renamed(void **state)
{
	(void)state;
	struct tk_watch_snap a[] = { snap(G1, "Local Area Connection 2", TK_WATCH_UP) };
	struct tk_watch_snap b[] = { snap(G1, "vpn", TK_WATCH_UP) };
	struct seen_events s = { 0 };
	/* no removal: the same incarnation under a new name (the engine decides by name) */
	assert_int_equal(tk__watchlogic_diff(a, 1, b, 1, record, &s), 1);
	assert_string_equal(s.line[0], "+ vpn renamed");
}

static void test_not_started_is_not_new(void **state)
{
	(void)state;
	/* an adapter whose driver does not serve it is not applied to until it works */
	struct tk_watch_snap b[] = { snap(G1, "emu one", TK_WATCH_NOT_STARTED),
				     snap(G2, "emu two", TK_WATCH_GONE) };
	struct seen_events s = { 0 };
	assert_int_equal(tk__watchlogic_diff(NULL, 0, b, 2, record, &s), 0);
}

static void test_verdict(void **state)
{
	(void)state;
	/* disabled, has_enable, enable */
	assert_int_equal(tk__watchlogic_verdict(false, false, false), TK_WATCH_APPLY);
	assert_int_equal(tk__watchlogic_verdict(false, true, true), TK_WATCH_APPLY);
	assert_int_equal(tk__watchlogic_verdict(false, true, false), TK_WATCH_DISABLE_ONLY);
	assert_int_equal(tk__watchlogic_verdict(true, false, false), TK_WATCH_LEAVE_DISABLED);
	assert_int_equal(tk__watchlogic_verdict(true, true, true), TK_WATCH_ENABLE_AND_APPLY);
	assert_int_equal(tk__watchlogic_verdict(true, true, false), TK_WATCH_LEAVE_ALONE);
}

static void test_rename_due(void **state)
{
	(void)state;
	assert_false(tk__watchlogic_rename_due("", "emu one"));
	assert_false(tk__watchlogic_rename_due(NULL, "emu one"));
	assert_false(tk__watchlogic_rename_due("vpn", "vpn"));
	assert_true(tk__watchlogic_rename_due("vpn", "emu one"));
	/* a change of case is a rename Windows performs */
	assert_true(tk__watchlogic_rename_due("VPN", "vpn"));
}

/* Parses text; returns the status and the error's message in msg. */
static tk_status parse(const char *text, char *msg, size_t size)
{
	tk_ctx *ctx = NULL;
	tk_error err = { 0 };
	tk_watch_config *cfg = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	tk_ctx_set_logger(ctx, NULL, NULL, TK_LOG_ERROR);
	tk_status st = tk_watch_config_parse(ctx, text, strlen(text), "w.conf", &cfg, &err);
	snprintf(msg, size, "%s: %s", err.object, err.message);
	tk_watch_config_free(cfg);
	tk_ctx_free(ctx);
	return st;
}

static void test_config_windows_keys(void **state)
{
	(void)state;
	char msg[TK_ERROR_TEXT_MAX + TK_ERROR_OBJECT_MAX + 4];
	assert_int_equal(
		parse("[Adapter tap1]\nEnable = true\nConnectionName = vpn\n", msg, sizeof(msg)),
		TK_OK);
	/* a section that only enables is a valid section */
	assert_int_equal(parse("[Adapter tap*]\nEnable = yes\n", msg, sizeof(msg)), TK_OK);
#if defined(_WIN32)
	/* an adapter named by its GUID (a Linux name is at most 15 bytes) */
	assert_int_equal(parse("[Adapter " G1 "]\nConnectionName = vpn\n", msg, sizeof(msg)),
			 TK_OK);
#endif
	assert_int_equal(parse("[Adapter tap1]\nEnable = maybe\n", msg, sizeof(msg)), TK_E_CONFIG);
	assert_non_null(strstr(msg, "w.conf:2: Enable must be true or false, not \"maybe\""));
	assert_int_equal(parse("[Adapter tap*]\nConnectionName = vpn\n", msg, sizeof(msg)),
			 TK_E_CONFIG);
	assert_non_null(strstr(msg, "w.conf:2: ConnectionName needs a section that names exactly "
				    "one adapter"));
	assert_int_equal(parse("[Adapter tap1]\nConnectionName = a/b\n", msg, sizeof(msg)),
			 TK_E_CONFIG);
	assert_non_null(strstr(msg, "ConnectionName \"a/b\" is not a valid connection name"));
	assert_int_equal(parse("[Adapter tap1]\nEnable = true\nEnable = false\n", msg, sizeof(msg)),
			 TK_E_CONFIG);
	assert_non_null(strstr(msg, "w.conf:3: Enable is set twice"));
	assert_int_equal(parse("[Adapter tap1]\nRename = x\n", msg, sizeof(msg)), TK_E_CONFIG);
	assert_non_null(strstr(msg, "Enable, ConnectionName)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_no_change_no_event),
		cmocka_unit_test(test_new_and_gone),
		cmocka_unit_test(test_recreated_same_name_new_guid),
		cmocka_unit_test(test_vanish_and_come_back),
		cmocka_unit_test(test_disable_and_reenable),
		cmocka_unit_test(test_renamed),
		cmocka_unit_test(test_not_started_is_not_new),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_rename_due),
		cmocka_unit_test(test_config_windows_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
