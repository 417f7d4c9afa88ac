/* SPDX-License-Identifier: MIT */
/*
 * The part of cmocka's API that tests/unit/test_win_*.c use, for the mingw-w64 build run under
 * Wine: Debian packages cmocka for Linux only. Same names and semantics (a failed assertion
 * ends the test, the runner counts failures and returns their number), so one test source builds
 * against the real cmocka on Linux and against this header for Windows.
 */
#ifndef TK_CMOCKA_SHIM_H
#define TK_CMOCKA_SHIM_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
	const char *name;
	CMUnitTestFunction test_func;
};

#define cmocka_unit_test(f) \
	{                   \
#f, f       \
	}

static jmp_buf tk_shim_jmp;
static int tk_shim_failed;

static inline void tk_shim_fail(const char *file, int line, const char *what)
{
	printf("[  ERROR   ] %s:%d: %s\n", file, line, what);
	tk_shim_failed = 1;
	longjmp(tk_shim_jmp, 1);
}

#define tk_shim_check(cond, what)                               \
	do {                                                    \
		if (!(cond))                                    \
			tk_shim_fail(__FILE__, __LINE__, what); \
	} while (0)

#define assert_true(c)	   tk_shim_check((c), "assert_true(" #c ")")
#define assert_false(c)	   tk_shim_check(!(c), "assert_false(" #c ")")
#define assert_non_null(p) tk_shim_check((p) != NULL, "assert_non_null(" #p ")")
#define assert_null(p)	   tk_shim_check((p) == NULL, "assert_null(" #p ")")
#define assert_int_equal(a, b) \
	tk_shim_check((intmax_t)(a) == (intmax_t)(b), "assert_int_equal(" #a ", " #b ")")
#define assert_int_not_equal(a, b) \
	tk_shim_check((intmax_t)(a) != (intmax_t)(b), "assert_int_not_equal(" #a ", " #b ")")
#define assert_string_equal(a, b) \
	tk_shim_check(strcmp((a), (b)) == 0, "assert_string_equal(" #a ", " #b ")")
#define assert_memory_equal(a, b, n) \
	tk_shim_check(memcmp((a), (b), (n)) == 0, "assert_memory_equal(" #a ", " #b ")")

static inline int tk_shim_run(const char *group, const struct CMUnitTest *tests, size_t n)
{
	volatile int failures = 0; /* volatile: live across setjmp/longjmp */
	printf("[==========] %s: Running %zu test(s).\n", group, n);
	for (volatile size_t i = 0; i < n; i++) {
		void *state = NULL;
		tk_shim_failed = 0;
		printf("[ RUN      ] %s\n", tests[i].name);
		if (setjmp(tk_shim_jmp) == 0)
			tests[i].test_func(&state);
		if (tk_shim_failed) {
			failures++;
			printf("[  FAILED  ] %s\n", tests[i].name);
		} else {
			printf("[       OK ] %s\n", tests[i].name);
		}
	}
	printf("[==========] %s: %zu test(s) run, %d failed.\n", group, n, failures);
	fflush(stdout);
	return failures;
}

#define cmocka_run_group_tests(tests, setup, teardown) \
	tk_shim_run(#tests, (tests), sizeof(tests) / sizeof((tests)[0]))

#endif /* TK_CMOCKA_SHIM_H */
