/* SPDX-License-Identifier: MIT */
/*
 * The text parsers of the Linux backend, fed the text the kernel writes: fdinfo "iff:" lines
 * (holders), comm, sysfs tun_flags/owner/group, /proc/self/status CapEff and uid_map.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "linux/linux_internal.h"

/* As measured on kernel 6.18: an attached tun fd's fdinfo. */
static const char fdinfo_attached[] = "pos:\t0\nflags:\t02000002\nmnt_id:\t26\nino:\t1063\n"
				      "iff:\ttbusy0\n";
static const char fdinfo_detached[] = "pos:\t0\nflags:\t02000002\nmnt_id:\t26\nino:\t1063\n"
				      "iff:\t\n";

static void test_fdinfo_iff_attached(void **state)
{
	(void)state;
	char name[TK__LINUX_IFNAMSZ];
	assert_true(tk__procfs_parse_iff(fdinfo_attached, name, sizeof(name)));
	assert_string_equal(name, "tbusy0");
}

static void test_fdinfo_iff_empty_means_not_attached(void **state)
{
	(void)state;
	char name[TK__LINUX_IFNAMSZ] = "x";
	assert_false(tk__procfs_parse_iff(fdinfo_detached, name, sizeof(name)));
	assert_false(tk__procfs_parse_iff("pos:\t0\nflags:\t02\n", name, sizeof(name)));
	assert_false(tk__procfs_parse_iff("", name, sizeof(name)));
}

static void test_fdinfo_iff_name_too_long_is_refused(void **state)
{
	(void)state;
	char name[4];
	assert_false(tk__procfs_parse_iff("iff:\ttap12345\n", name, sizeof(name)));
}

static void test_fdinfo_iff_without_trailing_newline(void **state)
{
	(void)state;
	char name[TK__LINUX_IFNAMSZ];
	assert_true(tk__procfs_parse_iff("pos:\t0\niff:\ttap0", name, sizeof(name)));
	assert_string_equal(name, "tap0");
}

static void test_comm_first_line(void **state)
{
	(void)state;
	char comm[TK_PROC_NAME_MAX], small[4];
	tk__procfs_parse_comm("openvpn\n", comm, sizeof(comm));
	assert_string_equal(comm, "openvpn");
	tk__procfs_parse_comm("openvpn\n", small, sizeof(small));
	assert_string_equal(small, "ope");
}

static void test_filter_holders_by_name_and_exclusion(void **state)
{
	(void)state;
	struct tk__procfs_holder all[] = {
		{ 10, "tap0", "openvpn" },
		{ 11, "tap1", "tinc" },
		{ 12, "tap0", "tapkit" },
	};
	tk_holder out[2];
	assert_int_equal(tk__procfs_filter(all, 3, "tap0", 0, out, 2), 2);
	assert_int_equal(out[0].pid, 10);
	assert_string_equal(out[0].name, "openvpn");
	assert_int_equal(out[1].pid, 12);
	assert_int_equal(tk__procfs_filter(all, 3, "tap0", 12, out, 2), 1);
	assert_int_equal(tk__procfs_filter(all, 3, "tap0", 0, out, 1), 2); /* counts beyond cap */
	assert_int_equal(tk__procfs_filter(all, 3, "tap9", 0, out, 2), 0);
}

static void test_sysfs_tun_flags_hex(void **state)
{
	(void)state;
	uint32_t v = 0;
	assert_true(tk__sysfs_parse_hex("0x1802\n", &v));
	assert_int_equal(v, 0x1802);
	assert_true(tk__sysfs_parse_hex("0x5102", &v));
	assert_int_equal(v, 0x5102);
	assert_false(tk__sysfs_parse_hex("", &v));
	assert_false(tk__sysfs_parse_hex("0x12zz", &v));
}

static void test_sysfs_owner_minus_one_means_none(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_true(tk__sysfs_parse_int("-1\n", &v));
	assert_int_equal(v, -1);
	assert_true(tk__sysfs_parse_int("1000\n", &v));
	assert_int_equal(v, 1000);
	assert_false(tk__sysfs_parse_int("abc", &v));
	assert_false(tk__sysfs_parse_int("12 34", &v));
}

static const char status_root[] = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\n"
				  "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
				  "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n";
static const char status_user[] = "Name:\tcat\nCapInh:\t0000000000000000\n"
				  "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n";
static const char status_setcap[] = "Name:\tprog\nCapEff:\t0000000000001000\n";

static void test_capeff(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_true(tk__caps_parse_capeff(status_root, &v));
	assert_int_equal(v, 0x1ffffffffffULL);
	assert_true((v >> 12) & 1);
	assert_true(tk__caps_parse_capeff(status_user, &v));
	assert_int_equal(v, 0);
	assert_true(tk__caps_parse_capeff(status_setcap, &v));
	assert_int_equal(v, 1u << 12); /* CAP_NET_ADMIN alone, as `setcap cap_net_admin+ep` gives */
	assert_false(tk__caps_parse_capeff("Name:\tx\n", &v));
}

static void test_uid_map(void **state)
{
	(void)state;
	assert_int_equal(tk__caps_parse_uid_map("         0          0 4294967295\n"), 1);
	assert_int_equal(tk__caps_parse_uid_map("         0       1000          1\n"), 0);
	assert_int_equal(tk__caps_parse_uid_map("0 100000 65536\n"), 0);
	assert_int_equal(tk__caps_parse_uid_map("0 0 4294967295\n1 1 1\n"), 0);
	assert_int_equal(tk__caps_parse_uid_map(""), -1);
}

static void test_operstate_names(void **state)
{
	(void)state;
	assert_string_equal(tk__netlink_operstate_name(6), "up");
	assert_string_equal(tk__netlink_operstate_name(2), "down");
	assert_string_equal(tk__netlink_operstate_name(3), "lowerlayerdown");
	assert_string_equal(tk__netlink_operstate_name(0), "unknown");
}

static void test_info_from_link(void **state)
{
	(void)state;
	struct tk__netlink_link l;
	tk_adapter_info info;
	memset(&l, 0, sizeof(l));
	tk__strlcpy(l.name, "tap0", sizeof(l.name));
	l.ifindex = 7;
	l.ifi_flags = 0x1 | 0x40; /* IFF_UP | IFF_RUNNING */
	l.carrier = 1;
	l.operstate = 6;
	l.is_tun = true;
	l.tun_type = 2;
	l.persist = true;
	l.multi_queue = true;
	l.owner = 1000;
	l.group = -1;
	l.num_queues = 2;
	l.mtu = 1500;
	tk__netlink_info_from_link(&l, &info);
	assert_string_equal(info.name, "tap0");
	assert_string_equal(info.id, "7");
	assert_int_equal(info.mode, TK_MODE_TAP);
	assert_int_equal(info.flags, TK_ADAPTER_UP | TK_ADAPTER_CARRIER | TK_ADAPTER_RUNNING |
					     TK_ADAPTER_PERSIST | TK_ADAPTER_MULTI_QUEUE);
	assert_int_equal(info.owner, 1000);
	assert_int_equal(info.group, -1);
	assert_int_equal(info.num_queues, 2);
	assert_string_equal(info.operstate, "up");
	assert_string_equal(info.driver, "tun");
	l.tun_type = 1;
	l.pi = true;
	tk__netlink_info_from_link(&l, &info);
	assert_int_equal(info.mode, TK_MODE_TUN);
	assert_true(info.flags & TK_ADAPTER_PI);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdinfo_iff_attached),
		cmocka_unit_test(test_fdinfo_iff_empty_means_not_attached),
		cmocka_unit_test(test_fdinfo_iff_name_too_long_is_refused),
		cmocka_unit_test(test_fdinfo_iff_without_trailing_newline),
		cmocka_unit_test(test_comm_first_line),
		cmocka_unit_test(test_filter_holders_by_name_and_exclusion),
		cmocka_unit_test(test_sysfs_tun_flags_hex),
		cmocka_unit_test(test_sysfs_owner_minus_one_means_none),
		cmocka_unit_test(test_capeff),
		cmocka_unit_test(test_uid_map),
		cmocka_unit_test(test_operstate_names),
		cmocka_unit_test(test_info_from_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
