/* SPDX-License-Identifier: MIT */
/*
 * docs/errors.md against the catalogue: every cause has a summary row with its value, name,
 * message and transient flag exactly as the code has them, and a section headed by its name
 * whose remedy line is the code's remedy. A cause added without documentation, or a message
 * changed in one place only, fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"

static char *doc;

static int load_doc(void **state)
{
	(void)state;
	const char *src = getenv("TK_SOURCE_DIR"); /* NOLINT(concurrency-mt-unsafe): one thread */
	char path[4096];
	tk__snprintf(path, sizeof(path), "%s/docs/errors.md", src ? src : ".");
	FILE *f = fopen(path, "rb");
	if (!f) {
		print_error("cannot open %s (set TK_SOURCE_DIR to the source tree)\n", path);
		return -1;
	}
	size_t cap = 1 << 20, len = 0;
	doc = malloc(cap + 1);
	if (!doc) {
		fclose(f);
		return -1;
	}
	len = fread(doc, 1, cap, f);
	doc[len] = '\0';
	fclose(f);
	return 0;
}

static int free_doc(void **state)
{
	(void)state;
	free(doc);
	return 0;
}

/* True if the document has a line that is exactly `line`. */
static bool has_line(const char *line)
{
	size_t n = strlen(line);
	for (const char *p = doc; (p = strstr(p, line)) != NULL; p += n)
		if ((p == doc || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void test_every_cause_has_a_summary_row(void **state)
{
	(void)state;
	for (int v = 0; v < TK_STATUS__COUNT; v++) {
		tk_status st = (tk_status)v;
		char row[1024];
		tk__snprintf(row, sizeof(row), "| %d | `%s` | %s | %s |", v, tk_status_name(st),
			     tk_status_message(st), tk_status_transient(st) ? "yes" : "no");
		if (!has_line(row))
			fail_msg("docs/errors.md lacks the row: %s", row);
	}
}

static void test_every_cause_has_a_section_with_its_remedy(void **state)
{
	(void)state;
	for (int v = 0; v < TK_STATUS__COUNT; v++) {
		tk_status st = (tk_status)v;
		char heading[128], remedy[1024], message[1024];
		tk__snprintf(heading, sizeof(heading), "### %s (%d)", tk_status_name(st), v);
		tk__snprintf(message, sizeof(message), "- **Message:** %s", tk_status_message(st));
		tk__snprintf(remedy, sizeof(remedy), "- **Remedy:** %s", tk_status_remedy(st));
		if (!has_line(heading))
			fail_msg("docs/errors.md lacks the heading: %s", heading);
		/* the message and remedy lines belong to this section: before the next heading */
		const char *sec = strstr(doc, heading);
		const char *next = strstr(sec + 1, "\n### ");
		const char *m = strstr(sec, message), *r = strstr(sec, remedy);
		if (!m || !r || (next && (m > next || r > next)))
			fail_msg("section %s lacks the catalogue's message or remedy", heading);
	}
}

static void test_every_failure_cause_lists_os_codes_for_both_systems(void **state)
{
	(void)state;
	for (int v = 1; v < TK_STATUS__COUNT; v++) {
		char heading[128];
		tk__snprintf(heading, sizeof(heading), "### %s (%d)", tk_status_name((tk_status)v),
			     v);
		const char *sec = strstr(doc, heading);
		assert_non_null(sec);
		const char *next = strstr(sec + 1, "\n### ");
		const char *lin = strstr(sec, "- **Linux:**"), *win = strstr(sec, "- **Windows:**");
		if (!lin || !win || (next && (lin > next || win > next)))
			fail_msg("section %s lacks its Linux or Windows OS codes", heading);
	}
}

static void test_no_unknown_cause_is_documented(void **state)
{
	(void)state;
	/* every "### TK_..." heading names a cause the code knows */
	int headings = 0;
	for (const char *p = doc; (p = strstr(p, "\n### TK_")) != NULL; p++) {
		char name[64];
		size_t n = strcspn(p + 5, " \n");
		assert_true(n < sizeof(name));
		memcpy(name, p + 5, n);
		name[n] = '\0';
		bool known = false;
		for (int v = 0; v < TK_STATUS__COUNT; v++)
			known = known || strcmp(name, tk_status_name((tk_status)v)) == 0;
		if (!known)
			fail_msg("docs/errors.md documents %s, which is not a cause", name);
		headings++;
	}
	assert_int_equal(headings, TK_STATUS__COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cause_has_a_summary_row),
		cmocka_unit_test(test_every_cause_has_a_section_with_its_remedy),
		cmocka_unit_test(test_every_failure_cause_lists_os_codes_for_both_systems),
		cmocka_unit_test(test_no_unknown_cause_is_documented),
	};
	return cmocka_run_group_tests(tests, load_doc, free_doc);
}
