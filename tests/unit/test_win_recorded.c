/* SPDX-License-Identifier: MIT */
/*
 * What Windows recorded about the driver (src/windows/recorded.c), on fixtures in the formats
 * Windows writes (tests/unit/fixtures/windows/README.md): CodeIntegrity and Defender events as
 * EvtRender's XML, setupapi.dev.log sections, and the tap0901 service's last exit code. Runs on
 * Linux and, cross-built, under Wine (whose event log is a stub) from the source tree's root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows/recorded.h"
#include "windows/winlogic.h"

#define MAX_EVENTS 8

/* The fixture's text (heap, NUL-terminated) or NULL. */
static char *fixture(const char *name, size_t *len)
{
	const char *root = getenv("TK_SOURCE_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s%stests/unit/fixtures/windows/%s", root ? root : "",
		 root ? "/" : "", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		return NULL;
	}
	char *buf = calloc(1, 256 * 1024);
	size_t n = buf ? fread(buf, 1, 256 * 1024 - 1, f) : 0;
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

/* Splits a fixture into its events (one <Event> each). */
static size_t events(const char *name, struct tk_win_event *ev)
{
	size_t len = 0, n = 0;
	char *text = fixture(name, &len);
	assert_non_null(text);
	const char *p = text, *end = text + len;
	while (p < end && n < MAX_EVENTS) {
		const char *close = strstr(p, "</Event>");
		if (!close)
			break;
		close += strlen("</Event>");
		assert_true(tk__recorded_event_parse(p, (size_t)(close - p), &ev[n]));
		n++;
		p = close;
	}
	free(text);
	return n;
}

static void test_event_xml_is_parsed(void **state)
{
	(void)state;
	struct tk_win_event ev[MAX_EVENTS];
	assert_int_equal(events("ci-3033-3089.xml", ev), 3);
	assert_int_equal(ev[0].id, 3089);
	assert_string_equal(ev[0].publisher, "OpenVPN Technologies, Inc.");
	assert_string_equal(ev[0].issuer, "DigiCert EV Code Signing CA (SHA2)");
	assert_int_equal(ev[1].id, 3033);
	assert_string_equal(ev[1].provider, "Microsoft-Windows-CodeIntegrity");
	assert_string_equal(ev[1].time, "2024-03-11T09:14:52.1234567Z");
	assert_string_equal(ev[1].activity, "{6f3a1c52-8d1e-4b7a-9c0e-2f1d3b4a5c6e}");
	assert_string_equal(ev[1].file,
			    "\\Device\\HarddiskVolume3\\Windows\\System32\\drivers\\tap0901.sys");
	assert_string_equal(ev[1].process, "System");
	assert_string_equal(ev[1].status, "0xc0000428");
	assert_int_equal(ev[1].requested, 12);
	assert_int_equal(ev[1].validated, 1);
	/* entities decoded */
	assert_int_equal(events("ci-3004.xml", ev), 1);
	assert_non_null(strstr(ev[0].file, "Tap & Co"));
	/* no EventID: refused */
	struct tk_win_event e;
	const char *bad = "<Event><System><Provider Name=\"x\"/></System></Event>";
	assert_false(tk__recorded_event_parse(bad, strlen(bad), &e));
	assert_false(tk__recorded_event_parse("<EventID>", 9, &e));
	/* a truncated event never reads past its length */
	size_t len = 0;
	char *text = fixture("ci-3033-3089.xml", &len);
	assert_non_null(text);
	for (size_t n = 0; n < 700 && n < len; n++) {
		char *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, text, n);
		(void)tk__recorded_event_parse(copy, n, &e);
		free(copy);
	}
	free(text);
}

static void test_codeintegrity_verdicts(void **state)
{
	(void)state;
	struct tk_win_event ev[MAX_EVENTS];
	struct tk_log_verdict v;
	size_t n = events("ci-3033-3089.xml", ev);
	tk__recorded_ci_verdict(ev, n, "tap0901.sys", &v);
	assert_int_equal(v.status, TK_E_DRIVER_UNSIGNED);
	assert_int_equal(v.id, 3033);
	assert_int_equal(v.matches, 1);
	assert_string_equal(
		v.signer,
		"OpenVPN Technologies, Inc. (issued by DigiCert EV Code Signing CA (SHA2))");
	assert_non_null(strstr(v.summary, "Microsoft signing level"));
	assert_non_null(strstr(v.remedy, "signed by Microsoft"));

	n = events("ci-3004.xml", ev);
	tk__recorded_ci_verdict(ev, n, "tap0901.sys", &v); /* TAP0901.SYS: case-insensitive */
	assert_int_equal(v.status, TK_E_DRIVER_UNSIGNED);
	assert_int_equal(v.id, 3004);
	assert_string_equal(v.signer, "");

	n = events("ci-3077.xml", ev);
	tk__recorded_ci_verdict(ev, n, "tap0901.sys", &v);
	assert_int_equal(v.status, TK_E_DRIVER_BLOCKED);
	assert_non_null(strstr(v.summary, "code integrity policy"));
	assert_non_null(strstr(v.remedy, "WDAC"));

	n = events("ci-other.xml", ev);
	tk__recorded_ci_verdict(ev, n, "tap0901.sys", &v);
	assert_int_equal(v.status, TK_OK);
	assert_int_equal(v.matches, 0);
	tk__recorded_ci_verdict(ev, 0, "tap0901.sys", &v);
	assert_int_equal(v.status, TK_OK);
}

static void test_defender_verdicts(void **state)
{
	(void)state;
	struct tk_win_event ev[MAX_EVENTS];
	struct tk_log_verdict v;
	size_t n = events("defender-1116-1117.xml", ev);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].threat, "HackTool:Win64/Tapdrv.A");
	assert_string_equal(ev[0].action, "Quarantine");
	tk__recorded_defender_verdict(ev, n, "tap0901.sys", &v);
	assert_int_equal(v.status, TK_E_SECURITY_SOFTWARE);
	assert_int_equal(v.id, 1117);
	assert_int_equal(v.matches, 2);
	assert_non_null(strstr(v.summary, "HackTool:Win64/Tapdrv.A"));
	assert_non_null(strstr(v.summary, "action: Quarantine"));
	assert_non_null(strstr(v.remedy, "Protection history"));
	tk__recorded_defender_verdict(ev, n, "wintun.sys", &v);
	assert_int_equal(v.status, TK_OK);
	/* CodeIntegrity events are not Defender's */
	n = events("ci-3077.xml", ev);
	tk__recorded_defender_verdict(ev, n, "tap0901.sys", &v);
	assert_int_equal(v.status, TK_OK);
}

static const char *const needles[] = { "tap0901", "oemvista.inf" };

static void test_setupapi_sections(void **state)
{
	(void)state;
	struct tk_setupapi_section s;
	size_t len = 0;
	char *text = fixture("setupapi-success.log", &len);
	assert_non_null(text);
	assert_true(tk__recorded_setupapi_last(text, len, needles, 2, &s));
	assert_string_equal(s.header,
			    "Device Install (UpdateDriverForPlugAndPlayDevices) - tap0901");
	assert_string_equal(s.start, "2024/03/11 09:12:41.230");
	assert_string_equal(s.exit, "SUCCESS");
	assert_true(s.success);
	assert_int_equal(s.ncopied, 1);
	assert_string_equal(s.copied[0], "C:\\WINDOWS\\System32\\drivers\\tap0901.sys");
	assert_false(tk__recorded_setupapi_last(text, len, needles + 1, 0, &s));
	free(text);

	text = fixture("setupapi-failure.log", &len);
	assert_non_null(text);
	assert_true(tk__recorded_setupapi_last(text, len, needles, 2, &s));
	assert_non_null(strstr(s.header, "DiInstallDriver"));
	assert_false(s.success);
	assert_int_equal(s.error, 0x800b0109u);
	assert_string_equal(s.exit, "FAILURE(0x800b0109)");
	assert_non_null(strstr(s.first_error, "Verifying file against specific (valid) catalog"));
	struct tk_win_cause c;
	tk__winlogic_map_win32(TK_WIN_OP_MANAGE, s.error, &c);
	assert_int_equal(c.status, TK_E_DRIVER_UNSIGNED);
	/* every prefix: bounded, never past the length */
	for (size_t n = 0; n < len; n += 7)
		(void)tk__recorded_setupapi_last(text, n, needles, 2, &s);
	free(text);

	text = fixture("setupapi-cut.log", &len);
	assert_non_null(text);
	assert_true(tk__recorded_setupapi_last(text, len, needles, 2, &s));
	assert_non_null(strstr(s.header, "tap0901"));
	assert_string_equal(s.exit, "");
	assert_false(s.success);
	free(text);
	assert_false(tk__recorded_setupapi_last("", 0, needles, 2, &s));
}

static void test_service_exit_codes(void **state)
{
	(void)state;
	static const struct {
		uint32_t code;
		tk_status status;
	} cases[] = {
		{ 577, TK_E_DRIVER_UNSIGNED },	     { 1275, TK_E_DRIVER_BLOCKED },
		{ 1053, TK_E_DRIVER_START_FAILED },  { 2, TK_E_DRIVER_FILES_MISSING },
		{ 3, TK_E_DRIVER_FILES_MISSING },    { 193, TK_E_DRIVER_FILES_MISSING },
		{ 1114, TK_E_DRIVER_FILES_MISSING }, { 5, TK_E_SECURITY_SOFTWARE },
		{ 225, TK_E_SECURITY_SOFTWARE },     { 226, TK_E_SECURITY_SOFTWARE },
		{ 31, TK_E_DRIVER_START_FAILED },    { 1058, TK_E_DRIVER_SERVICE_STOPPED },
		{ 1072, TK_E_REBOOT_REQUIRED },
	};
	struct tk_win_cause c;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(tk__recorded_exit_cause(cases[i].code, &c));
		if (c.status != cases[i].status)
			fprintf(stderr, "exit code %u\n", (unsigned)cases[i].code);
		assert_int_equal(c.status, cases[i].status);
		assert_non_null(c.remedy);
		assert_true(c.remedy[0] != '\0');
		assert_null(strstr(c.remedy, "tapkit doctor"));
	}
	assert_false(tk__recorded_exit_cause(0, &c));
	assert_false(tk__recorded_exit_cause(1077, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_xml_is_parsed),
		cmocka_unit_test(test_codeintegrity_verdicts),
		cmocka_unit_test(test_defender_verdicts),
		cmocka_unit_test(test_setupapi_sections),
		cmocka_unit_test(test_service_exit_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
