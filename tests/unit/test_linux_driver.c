/* SPDX-License-Identifier: MIT */
/*
 * What the facts about the tun driver mean (src/linux/driver.c): the verdict the doctor's
 * linux.driver check and `tapkit driver status` share, for every combination the kernel can
 * show (built in with or without /sys/module/tun, a loaded or loadable module, missing, a
 * container that shows nothing), and the tk_driver_info made of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "linux/linux_internal.h"

static struct tk__tun_facts facts(void)
{
	struct tk__tun_facts f;
	memset(&f, 0, sizeof(f));
	snprintf(f.release, sizeof(f.release), "6.1.0-28-amd64");
	return f;
}

static void test_classify(void **state)
{
	(void)state;
	struct tk__tun_facts f = facts();

	/* Nothing readable at all: a container without /lib/modules and /boot. */
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_UNKNOWN);
	/* A modules directory without tun.ko: the kernel has none. */
	f.modules_dir = true;
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_MISSING);
	f.modules_dir = false;
	f.config = 'n';
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_MISSING);
	/* A module on disk (or CONFIG_TUN=m) not loaded yet. */
	f.config = 'm';
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_MODULE);
	f.config = 0;
	f.module_file = true;
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_MODULE);
	/* Registered and loaded as a module. */
	f.registered = true;
	f.module_loaded = true;
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_LOADED_MODULE);
	/* Registered without /sys/module/tun: built in, said by modules.builtin or inferred. */
	f = facts();
	f.registered = true;
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_LOADED);
	f.builtin_listed = true;
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_LOADED_BUILTIN);
	f.builtin_listed = false;
	f.config = 'y';
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_LOADED_BUILTIN);
	/* Built in but not (yet) registered. */
	f.registered = false;
	assert_int_equal(tk__driver_tun_classify(&f), TK__TUN_BUILTIN);
}

static void test_info_builtin(void **state)
{
	(void)state;
	struct tk__tun_facts f = facts();
	tk_driver_info d;

	f.registered = true;
	tk__driver_tun_info(&f, &d);
	assert_int_equal(d.status, TK_OK);
	assert_string_equal(d.name, "tun");
	assert_string_equal(d.state, "builtin");
	assert_true(d.installed);
	assert_true(d.loaded);
	assert_true(d.builtin);
	assert_true(d.file_present);
	assert_string_equal(d.version, "6.1.0-28-amd64");
	assert_string_equal(d.file, "");
	assert_string_equal(d.remedy, "");
	assert_non_null(strstr(d.message, "built into kernel 6.1.0-28-amd64"));
}

static void test_info_module(void **state)
{
	(void)state;
	struct tk__tun_facts f = facts();
	tk_driver_info d;

	f.module_file = true;
	snprintf(f.module_path, sizeof(f.module_path),
		 "/lib/modules/6.1.0-28-amd64/kernel/drivers/net/tun.ko.xz");
	tk__driver_tun_info(&f, &d);
	assert_int_equal(d.status, TK_OK);
	assert_string_equal(d.state, "not_loaded");
	assert_true(d.installed);
	assert_false(d.loaded);
	assert_false(d.builtin);
	assert_true(d.file_present);
	assert_string_equal(d.file, f.module_path);
	assert_non_null(strstr(d.remedy, "modprobe tun"));

	f.registered = true;
	f.module_loaded = true;
	snprintf(f.initstate, sizeof(f.initstate), "live");
	tk__driver_tun_info(&f, &d);
	assert_int_equal(d.status, TK_OK);
	assert_string_equal(d.state, "loaded");
	assert_true(d.loaded);
	assert_false(d.builtin);
	assert_non_null(strstr(d.message, "module (live)"));
}

static void test_info_missing_and_unknown(void **state)
{
	(void)state;
	struct tk__tun_facts f = facts();
	tk_driver_info d;

	f.modules_dir = true;
	tk__driver_tun_info(&f, &d);
	assert_int_equal(d.status, TK_E_TUN_MISSING);
	assert_string_equal(d.state, "missing");
	assert_false(d.installed);
	assert_false(d.file_present);
	assert_non_null(strstr(d.remedy, "modprobe tun"));

	f.modules_dir = false;
	tk__driver_tun_info(&f, &d);
	assert_int_equal(d.status, TK_E_TUN_MISSING);
	assert_string_equal(d.state, "unknown");
	assert_non_null(strstr(d.remedy, "--device /dev/net/tun"));
}

/* The real machine: whatever it has, the probe and the verdict agree with /sys. */
static void test_probe_agrees_with_sysfs(void **state)
{
	(void)state;
	struct tk__tun_facts f;
	tk_driver_info d;
	struct stat sb;
	bool misc = stat("/sys/class/misc/tun", &sb) == 0;

	tk__driver_tun_probe(&f);
	assert_int_equal(f.registered, misc);
	tk__driver_tun_info(&f, &d);
	assert_int_equal(d.loaded, f.registered);
	if (f.registered)
		assert_int_equal(d.status, TK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_info_builtin),
		cmocka_unit_test(test_info_module),
		cmocka_unit_test(test_info_missing_and_unknown),
		cmocka_unit_test(test_probe_agrees_with_sysfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
