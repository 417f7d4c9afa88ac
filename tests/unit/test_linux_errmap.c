/* SPDX-License-Identifier: MIT */
/*
 * The Linux error mapping, row by row: (operation, errno, facts) gives the cause, the OS code
 * kept raw, a message naming the object and values, and the specific remedy. Also the name
 * checks (the kernel silently truncates long names, so tapkit refuses them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/if_tun.h>
#include <string.h>

#include "linux/linux_internal.h"

static tk_status map(tk_error *err, enum tk__errmap_op op, int errnum,
		     const struct tk__errmap_facts *f)
{
	memset(err, 0, sizeof(*err));
	return tk__errmap_fill(err, op, errnum, f);
}

#define assert_has(hay, needle)                                                      \
	do {                                                                         \
		if (!strstr((hay), (needle)))                                        \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

static void test_open_enoent_is_tun_missing_with_mknod_remedy(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	assert_int_equal(map(&err, TK__ERRMAP_DEVNODE_OPEN, ENOENT, &f), TK_E_TUN_MISSING);
	assert_int_equal(err.status, TK_E_TUN_MISSING);
	assert_string_equal(err.op, "open /dev/net/tun");
	assert_string_equal(err.object, "tap0");
	assert_int_equal(err.os_kind, TK_OS_ERRNO);
	assert_int_equal(err.os_code, ENOENT);
	assert_string_equal(err.os_text, "No such file or directory");
	assert_has(err.remedy, "modprobe tun");
	assert_has(err.remedy, "mknod /dev/net/tun c 10 200");
	assert_has(err.remedy, "--device /dev/net/tun --cap-add NET_ADMIN");
}

static void test_open_enodev_names_the_wrong_node(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.node_stat_ok = true;
	f.node_is_chr = true;
	f.node_major = 10;
	f.node_minor = 201;
	assert_int_equal(map(&err, TK__ERRMAP_DEVNODE_OPEN, ENODEV, &f), TK_E_TUN_MISSING);
	assert_has(err.message, "10:201");
	assert_has(err.remedy, "CONFIG_TUN");
	assert_int_equal(map(&err, TK__ERRMAP_DEVNODE_OPEN, ENXIO, &f), TK_E_TUN_MISSING);
}

static void test_open_eacces_names_mode_and_owner(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.node_stat_ok = true;
	f.node_mode = 020600;
	f.node_uid = 0;
	f.caller_uid = 1234;
	assert_int_equal(map(&err, TK__ERRMAP_DEVNODE_OPEN, EACCES, &f), TK_E_NO_PRIVILEGE);
	assert_has(err.message, "mode 0600");
	assert_has(err.message, "owner uid 0");
	assert_has(err.message, "uid 1234");
	assert_has(err.remedy, "chmod 0666 /dev/net/tun");
}

static void test_tunsetiff_eperm_foreign_owner_is_owner_mismatch(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.dev_exists = true;
	f.dev_is_tun = true;
	f.dev_owner = 1000;
	tk__strlcpy(f.dev_owner_name, "alice", sizeof(f.dev_owner_name));
	f.caller_uid = 1234;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EPERM, &f), TK_E_OWNER_MISMATCH);
	assert_string_equal(err.op, "TUNSETIFF");
	assert_int_equal(err.os_code, EPERM);
	assert_has(err.message, "uid 1000 (alice)");
	assert_has(err.message, "uid 1234");
	assert_has(err.remedy, "run as uid 1000");
	assert_has(err.remedy, "tapkit create tap0 --owner 1234");
}

static void test_tunsetiff_eperm_group_member_is_not_owner_mismatch(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.dev_exists = true;
	f.dev_is_tun = true;
	f.dev_owner = 1000;
	f.dev_group = 100;
	f.caller_uid = 1234;
	f.caller_in_group = true; /* the kernel lets either match: EPERM is about something else */
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EPERM, &f), TK_E_NO_PRIVILEGE);
}

static void test_tunsetiff_eperm_without_owner_is_no_privilege(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.caller_uid = 1234;
	f.in_userns = 1;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EPERM, &f), TK_E_NO_PRIVILEGE);
	assert_has(err.message, "creating adapter tap0 needs CAP_NET_ADMIN");
	assert_has(err.message, "user namespace");
	assert_has(err.remedy, "setcap cap_net_admin+ep");
	assert_has(err.remedy, "tapkit create tap0 --owner $USER");
	assert_has(err.remedy, "--cap-add NET_ADMIN");

	f.dev_exists = true;
	f.dev_is_tun = true;
	f.in_userns = 0;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EPERM, &f), TK_E_NO_PRIVILEGE);
	assert_has(err.message, "attaching to adapter tap0");
	assert_null(strstr(err.remedy, "--cap-add"));
}

static void test_tunsetiff_ebusy_names_the_holder(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk_holder h[2] = { { 4242, "openvpn" }, { 4243, "tinc" } };
	tk__errmap_facts_init(&f, "tap0");
	f.dev_exists = true;
	f.dev_is_tun = true;
	f.holders = h;
	f.nholders = 1;
	f.self_pid = 1;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EBUSY, &f), TK_E_ADAPTER_BUSY);
	assert_int_equal(err.holder_pid, 4242);
	assert_string_equal(err.holder_name, "openvpn");
	assert_has(err.message, "held by openvpn (pid 4242)");
	assert_has(err.remedy, "stop openvpn (pid 4242) (`kill 4242`)");
	assert_has(err.remedy, "--multi-queue");

	f.nholders = 2;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EBUSY, &f), TK_E_ADAPTER_BUSY);
	assert_has(err.message, "and 1 other process");
}

static void test_tunsetiff_ebusy_without_visible_holder_mentions_namespaces(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.dev_exists = true;
	f.dev_is_tun = true;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EBUSY, &f), TK_E_ADAPTER_BUSY);
	assert_int_equal(err.holder_pid, 0);
	assert_has(err.message, "PID namespace");
}

static void test_tunsetiff_ebusy_on_create_is_exists(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF_CREATE, EBUSY, &f), TK_E_EXISTS);
	assert_has(err.message, "tap0 already exists");
}

static void test_tunsetiff_einval_names_the_differing_flag(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.dev_exists = true;
	f.dev_is_tun = true;

	f.dev_flags = IFF_TAP | IFF_NO_PI | IFF_PERSIST;
	f.req_flags = IFF_TUN | IFF_NO_PI;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EINVAL, &f), TK_E_FLAGS_MISMATCH);
	assert_has(err.message, "is TAP, not TUN");

	f.dev_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	f.req_flags = IFF_TAP | IFF_NO_PI;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EINVAL, &f), TK_E_FLAGS_MISMATCH);
	assert_has(err.message, "is multi-queue");
	assert_has(err.remedy, "open it with multi-queue");

	f.dev_flags = IFF_TAP | IFF_NO_PI;
	f.req_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EINVAL, &f), TK_E_FLAGS_MISMATCH);
	assert_has(err.message, "single-queue");
}

static void test_tunsetiff_einval_on_other_interface_is_not_tap(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "lo");
	f.dev_exists = true;
	f.dev_is_tun = false;
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, EINVAL, &f), TK_E_NOT_TAP);
}

static void test_tunsetiff_e2big_is_queue_limit(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "mq0");
	assert_int_equal(map(&err, TK__ERRMAP_TUNSETIFF, E2BIG, &f), TK_E_UNSUPPORTED);
	assert_has(err.message, "at most 256 queues");
}

static void test_io_errors(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");

	assert_int_equal(map(&err, TK__ERRMAP_READ, EBADFD, &f), TK_E_DEVICE_VANISHED);
	assert_true(err.transient);
	assert_has(err.message, "tap0 was deleted while open");
	assert_has(err.remedy, "reopen");
	assert_int_equal(map(&err, TK__ERRMAP_WRITE, EBADFD, &f), TK_E_DEVICE_VANISHED);

	assert_int_equal(map(&err, TK__ERRMAP_WRITE, EIO, &f), TK_E_LINK_DOWN);
	assert_has(err.remedy, "tapkit up tap0");

	f.len = 10;
	assert_int_equal(map(&err, TK__ERRMAP_WRITE, EINVAL, &f), TK_E_BAD_ARGUMENT);
	assert_has(err.message, "10 bytes");
	f.len = 1514;
	assert_int_equal(map(&err, TK__ERRMAP_WRITE, EINVAL, &f), TK_E_BAD_ARGUMENT);
	assert_null(strstr(err.message, "too short"));

	assert_int_equal(map(&err, TK__ERRMAP_READ, EAGAIN, &f), TK_E_AGAIN);
	assert_int_equal(map(&err, TK__ERRMAP_READ, EWOULDBLOCK, &f), TK_E_AGAIN);
	assert_int_equal(map(&err, TK__ERRMAP_READ, EINTR, &f), TK_E_INTERRUPTED);
	assert_int_equal(map(&err, TK__ERRMAP_READ, EIO, &f), TK_E_IO);
}

static void test_ioctl_errors(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.op = "TUNSETOFFLOAD";
	f.req_flags = 0x20;
	assert_int_equal(map(&err, TK__ERRMAP_TUN_IOCTL, EINVAL, &f), TK_E_UNSUPPORTED);
	assert_string_equal(err.op, "TUNSETOFFLOAD");
	assert_has(err.message, "0x20");
	f.op = "TUNSETQUEUE";
	assert_int_equal(map(&err, TK__ERRMAP_TUN_IOCTL, EINVAL, &f), TK_E_BAD_ARGUMENT);
	f.op = "TUNSETPERSIST";
	assert_int_equal(map(&err, TK__ERRMAP_TUN_IOCTL, EBADFD, &f), TK_E_DEVICE_VANISHED);
	f.op = "eventfd";
	assert_int_equal(map(&err, TK__ERRMAP_TUN_IOCTL, EMFILE, &f), TK_E_NO_MEMORY);
	assert_has(err.remedy, "ulimit -n");
}

static void test_netlink_errors_keep_the_extack(void **state)
{
	(void)state;
	struct tk__errmap_facts f;
	tk_error err;
	tk__errmap_facts_init(&f, "tap0");
	f.attr = TK__ATTR_MTU;
	f.mtu = 70000;
	f.extack = "mtu greater than device maximum";
	assert_int_equal(map(&err, TK__ERRMAP_LINK_SET, EINVAL, &f), TK_E_BAD_ARGUMENT);
	assert_int_equal(err.os_kind, TK_OS_NETLINK);
	assert_int_equal(err.os_code, EINVAL);
	assert_string_equal(err.op, "RTM_NEWLINK");
	assert_string_equal(err.os_text,
			    "Invalid argument; kernel says: mtu greater than device maximum");
	assert_has(err.message, "MTU 70000");
	assert_has(err.message, "mtu greater than device maximum");

	tk__errmap_facts_init(&f, "tap0");
	f.attr = TK__ATTR_MAC;
	f.mac_text = "01:00:5e:00:00:01";
	assert_int_equal(map(&err, TK__ERRMAP_LINK_SET, EADDRNOTAVAIL, &f), TK_E_ADDRESS_INVALID);
	assert_string_equal(err.os_text, "Cannot assign requested address");

	tk__errmap_facts_init(&f, "tap0");
	f.attr = TK__ATTR_MASTER;
	f.master = "lo";
	assert_int_equal(map(&err, TK__ERRMAP_LINK_SET, EOPNOTSUPP, &f), TK_E_BAD_ARGUMENT);
	assert_has(err.message, "lo is not a bridge");

	tk__errmap_facts_init(&f, "tap0");
	f.add = true;
	f.addr_text = "10.0.0.1/24";
	assert_int_equal(map(&err, TK__ERRMAP_ADDR, EEXIST, &f), TK_E_EXISTS);
	assert_string_equal(err.op, "RTM_NEWADDR");
	assert_has(err.message, "10.0.0.1/24 is already assigned");
	f.add = false;
	assert_int_equal(map(&err, TK__ERRMAP_ADDR, EADDRNOTAVAIL, &f), TK_E_ADDRESS_INVALID);
	assert_string_equal(err.op, "RTM_DELADDR");

	assert_int_equal(map(&err, TK__ERRMAP_LINK_SET, EPERM, &f), TK_E_NO_PRIVILEGE);
	assert_int_equal(map(&err, TK__ERRMAP_LINK_SET, ENODEV, &f), TK_E_ADAPTER_NOT_FOUND);
	assert_int_equal(map(&err, TK__ERRMAP_LINK_DEL, EPERM, &f), TK_E_NO_PRIVILEGE);
	assert_string_equal(err.op, "RTM_DELLINK");
}

static void test_errno_names_and_os_text(void **state)
{
	(void)state;
	char buf[TK_ERROR_OS_TEXT_MAX];
	assert_string_equal(tk_os_code_name(TK_OS_ERRNO, EBUSY), "EBUSY");
	assert_string_equal(tk_os_code_name(TK_OS_ERRNO, EBADFD), "EBADFD");
	assert_string_equal(tk_os_code_name(TK_OS_NETLINK, EOPNOTSUPP), "EOPNOTSUPP");
	assert_string_equal(tk_os_code_name(TK_OS_ERRNO, 99999), "");
	assert_string_equal(tk_os_code_name(TK_OS_ERRNO, 0), "");
	assert_string_equal(tk_os_code_name(TK_OS_WIN32, EBUSY), "");
	tk__errmap_os_text(EBUSY, buf, sizeof(buf));
	assert_string_equal(buf, "Device or resource busy");
	tk__errmap_flags_text(IFF_TAP | IFF_NO_PI | IFF_PERSIST, buf, sizeof(buf));
	assert_string_equal(buf, "tap no_pi persist");
}

static void name_is_invalid(const char *name, const char *why)
{
	tk_error err = { 0 };
	assert_int_equal(tk__backend_name_check(name, &err), TK_E_NAME_INVALID);
	assert_int_equal(err.status, TK_E_NAME_INVALID);
	assert_has(err.message, why);
	assert_has(err.remedy, "15 bytes");
}

static void test_name_checks(void **state)
{
	(void)state;
	tk_error err = { 0 };
	assert_int_equal(tk__backend_name_check("tap0", &err), TK_OK);
	assert_int_equal(tk__backend_name_check("123456789012345", &err), TK_OK); /* 15 bytes */
	assert_int_equal(tk__backend_name_check("tap%d", &err), TK_OK);
	name_is_invalid("", "empty");
	name_is_invalid("1234567890123456", "longer than 15 bytes");
	name_is_invalid("a/b", "'/'");
	name_is_invalid("a:b", "':'");
	name_is_invalid("a b", "white space");
	name_is_invalid("a\tb", "white space");
	name_is_invalid(".", "\".\"");
	name_is_invalid("..", "\"..\"");
	name_is_invalid("tap%d%d", "'%'");
	name_is_invalid("tap%s", "'%'");
	name_is_invalid("a\001b", "control character");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_enoent_is_tun_missing_with_mknod_remedy),
		cmocka_unit_test(test_open_enodev_names_the_wrong_node),
		cmocka_unit_test(test_open_eacces_names_mode_and_owner),
		cmocka_unit_test(test_tunsetiff_eperm_foreign_owner_is_owner_mismatch),
		cmocka_unit_test(test_tunsetiff_eperm_group_member_is_not_owner_mismatch),
		cmocka_unit_test(test_tunsetiff_eperm_without_owner_is_no_privilege),
		cmocka_unit_test(test_tunsetiff_ebusy_names_the_holder),
		cmocka_unit_test(test_tunsetiff_ebusy_without_visible_holder_mentions_namespaces),
		cmocka_unit_test(test_tunsetiff_ebusy_on_create_is_exists),
		cmocka_unit_test(test_tunsetiff_einval_names_the_differing_flag),
		cmocka_unit_test(test_tunsetiff_einval_on_other_interface_is_not_tap),
		cmocka_unit_test(test_tunsetiff_e2big_is_queue_limit),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_ioctl_errors),
		cmocka_unit_test(test_netlink_errors_keep_the_extack),
		cmocka_unit_test(test_errno_names_and_os_text),
		cmocka_unit_test(test_name_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
