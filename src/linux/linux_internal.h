/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of the Linux backend. Each function is named after the file that
 * defines it (tk__netlink_* in netlink.c, tk__procfs_* in procfs.c, ...). The *_parse_* helpers
 * are pure (they take text, not paths) so that unit tests can feed them strings.
 */
#ifndef TK_LINUX_INTERNAL_H
#define TK_LINUX_INTERNAL_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TK__TUN_PATH	  "/dev/net/tun"
#define TK__LINUX_IFNAMSZ 16 /* IFNAMSIZ, including the final NUL */
#define TK__ETH_HLEN	  14
#define TK__PI_LEN	  4
#define TK__MAX_QUEUES	  256 /* MAX_TAP_QUEUES in drivers/net/tun.c */

/* The backend's half of an open tk_dev. */
struct tk__os_dev {
	int fd;
	uint16_t ifflags; /* IFF_* as given to TUNSETIFF */
	size_t hdr_len;	  /* bytes before the frame: PI (4) and/or virtio-net header (10) */
	int wake_fd;	  /* eventfd written by tk_dev_wake, polled by tk_dev_wait */
};

/* ---- errmap.c: (operation, errno, facts) -> cause, message and a specific remedy ---- */

enum tk__errmap_op {
	TK__ERRMAP_DEVNODE_OPEN,     /* open("/dev/net/tun") */
	TK__ERRMAP_TUNSETIFF,	     /* attach (or create on the fly) for tk_dev_open */
	TK__ERRMAP_TUNSETIFF_CREATE, /* create with IFF_TUN_EXCL for tk_adapter_create */
	TK__ERRMAP_TUN_IOCTL, /* any other ioctl/fcntl on an attached fd; facts.op names it */
	TK__ERRMAP_READ,
	TK__ERRMAP_WRITE,
	TK__ERRMAP_POLL,
	TK__ERRMAP_LINK_SET, /* RTM_NEWLINK on an existing link; facts.attr says what */
	TK__ERRMAP_LINK_DEL, /* RTM_DELLINK */
	TK__ERRMAP_ADDR,     /* RTM_NEWADDR / RTM_DELADDR; facts.add says which */
	TK__ERRMAP_NETLINK,  /* socket, bind, dumps: the generic netlink plumbing */
	TK__ERRMAP_PROCFS,   /* reading /proc or /sys */
};

enum tk__errmap_attr {
	TK__ATTR_NONE,
	TK__ATTR_UP,
	TK__ATTR_MTU,
	TK__ATTR_MAC,
	TK__ATTR_MASTER,
};

/* What the caller found out around the failure; zero means "unknown" unless stated. */
struct tk__errmap_facts {
	const char *op;	    /* err->op; NULL: the operation's usual name */
	const char *object; /* adapter name (or path) */

	/* TUNSETIFF: the existing device, if any (from netlink or sysfs) */
	bool dev_exists;
	bool dev_is_tun;    /* exists and is a TUN/TAP device */
	uint32_t dev_flags; /* IFF_TUN/IFF_TAP/IFF_MULTI_QUEUE/... of the existing device */
	int64_t dev_owner;  /* -1: none */
	int64_t dev_group;  /* -1: none */
	char dev_owner_name[64];
	char dev_group_name[64];
	uint32_t req_flags; /* IFF_* we asked for */
	/* the caller */
	uint32_t caller_uid;  /* effective */
	bool caller_in_group; /* dev_group is among the caller's groups */
	bool cap_net_admin;
	int in_userns; /* 1 yes, 0 no, -1 unknown */
	/* holders found (TUNSETIFF EBUSY) */
	const tk_holder *holders;
	size_t nholders;
	uint32_t self_pid;

	/* open /dev/net/tun: the node as stat(2) saw it */
	bool node_stat_ok;
	uint32_t node_mode; /* st_mode */
	uint32_t node_uid;
	uint32_t node_gid;
	bool node_is_chr;
	uint32_t node_major, node_minor;

	/* read/write */
	size_t len;
	size_t hdr_len;

	/* netlink */
	enum tk__errmap_attr attr;
	uint32_t mtu;
	const char *mac_text;
	const char *master; /* bridge name, NULL when releasing */
	const char *addr_text;
	bool add;
	const char *extack; /* the kernel's message, NULL or "" if none */
};

/* Zeroes facts and sets the "unknown" values (-1 owner/group/userns). */
void tk__errmap_facts_init(struct tk__errmap_facts *f, const char *object);
/*
 * Fills err (without logging: the caller logs once with tk__error_log) from the failed operation,
 * the errno and the facts. Returns the cause.
 */
tk_status tk__errmap_fill(tk_error *err, enum tk__errmap_op op, int errnum,
			  const struct tk__errmap_facts *f);
/* "Device or resource busy" (thread-safe strerror). */
void tk__errmap_os_text(int errnum, char *buf, size_t size);
/* Describes IFF_TUN/TAP/MULTI_QUEUE/VNET_HDR/NO_PI/PERSIST bits: "tap no_pi persist". */
void tk__errmap_flags_text(uint32_t flags, char *buf, size_t size);

/* ---- caps.c ---- */

/* Whether CAP_NET_ADMIN is in this process's effective set (false if unknown). */
bool tk__caps_net_admin(void);
/* 1 in a non-initial user namespace, 0 in the initial one, -1 unknown. */
int tk__caps_in_userns(void);
/* Parses the "CapEff:\t<hex>" line of /proc/PID/status text. */
bool tk__caps_parse_capeff(const char *status, uint64_t *out);
/* 1 if uid_map text is the initial namespace's identity map, 0 if not, -1 if unparsable. */
int tk__caps_parse_uid_map(const char *text);

/* ---- sysfs.c: /sys/class/net/NAME/ ---- */

/* Reads one attribute into buf (NUL-terminated, trailing newline removed); 0 or -errno. */
int tk__sysfs_read(const char *ifname, const char *attr, char *buf, size_t size);
/* Whether /sys/class/net/NAME exists; a hint only: sysfs shows the netns it was mounted in. */
bool tk__sysfs_exists(const char *ifname);
/* tun_flags as IFF_* bits; 0 or -errno (-ENOENT: not a tun/tap device or absent). */
int tk__sysfs_tun_flags(const char *ifname, uint32_t *flags);
/* owner / group: -1 when unset; 0 or -errno. */
int tk__sysfs_owner(const char *ifname, int64_t *owner);
int tk__sysfs_group(const char *ifname, int64_t *group);
/* type: 1 (Ethernet, TAP) or 65534 (none, TUN); 0 or -errno. */
int tk__sysfs_type(const char *ifname, uint32_t *type);
bool tk__sysfs_parse_hex(const char *text, uint32_t *out);
bool tk__sysfs_parse_int(const char *text, int64_t *out);

/* ---- procfs.c: who holds a TUN/TAP device; small text files ---- */

/* Reads a small text file whole into buf (NUL-terminated); bytes read or -errno. */
ssize_t tk__procfs_read_file(const char *path, char *buf, size_t size);

struct tk__procfs_holder {
	uint32_t pid;
	char ifname[TK__LINUX_IFNAMSZ];
	char comm[TK_PROC_NAME_MAX];
};

/*
 * Scans /proc/[0-9]* for fds open on /dev/net/tun and attached to a device (fdinfo "iff:").
 * One entry per (pid, device). Unreadable processes are skipped silently. *out is malloc'd
 * (NULL when none). Returns 0 or -ENOMEM.
 */
int tk__procfs_scan(struct tk__procfs_holder **out, size_t *count);
/*
 * The holders of one device: up to cap into out, returns how many there are. exclude_pid (0:
 * none) is left out.
 */
size_t tk__procfs_holders(const char *ifname, uint32_t exclude_pid, tk_holder *out, size_t cap);
/* Copies the holders of ifname from a scan into out (cap entries); returns how many there are. */
size_t tk__procfs_filter(const struct tk__procfs_holder *all, size_t n, const char *ifname,
			 uint32_t exclude_pid, tk_holder *out, size_t cap);
/* Finds the "iff:\tNAME" line of fdinfo text; false if absent or empty (not attached). */
bool tk__procfs_parse_iff(const char *fdinfo, char *name, size_t size);
/* Copies the first line of comm text (without the newline). */
void tk__procfs_parse_comm(const char *text, char *out, size_t size);

/* ---- netlink.c: rtnetlink with libmnl ---- */

struct tk__netlink_link {
	uint32_t ifindex;
	char name[TK__LINUX_IFNAMSZ];
	uint32_t ifi_flags; /* IFF_UP, IFF_RUNNING, IFF_LOWER_UP ... */
	uint16_t ifi_type;  /* ARPHRD_* */
	uint8_t mac[TK_MAC_LEN];
	bool has_mac;
	uint32_t mtu;
	int carrier; /* IFLA_CARRIER, -1 if absent */
	uint8_t operstate;
	uint32_t master;
	bool is_tun; /* IFLA_INFO_KIND "tun" */
	/* IFLA_TUN_* (valid when is_tun) */
	uint8_t tun_type; /* 1 tun, 2 tap (IFF_TUN / IFF_TAP) */
	bool pi, vnet_hdr, persist, multi_queue;
	int64_t owner, group; /* -1 when absent */
	uint32_t num_queues;
	uint32_t num_disabled_queues;
};

/* Every link in this network namespace, sorted by ifindex. *out is malloc'd. */
tk_status tk__netlink_link_dump(tk_ctx *ctx, struct tk__netlink_link **out, size_t *count,
				tk_error *err);
/*
 * One link by name. Absent: TK_E_ADAPTER_NOT_FOUND, filled quietly (callers that probe decide
 * whether it is a failure) and returned.
 */
tk_status tk__netlink_link_get(tk_ctx *ctx, const char *name, struct tk__netlink_link *out,
			       tk_error *err);
/* Like link_get, but also TK_E_NOT_TAP (filled quietly) for a link that is not tun/tap. */
tk_status tk__netlink_tap_get(tk_ctx *ctx, const char *name, struct tk__netlink_link *out,
			      tk_error *err);
/* Addresses of ifindex (0: of every link) into a malloc'd array with their ifindex. */
struct tk__netlink_addr {
	uint32_t ifindex;
	tk_ip_addr addr;
};
tk_status tk__netlink_addr_dump(tk_ctx *ctx, uint32_t ifindex, struct tk__netlink_addr **out,
				size_t *count, tk_error *err);
/* Fills a tk_adapter_info from a link (no addresses, no holders). */
void tk__netlink_info_from_link(const struct tk__netlink_link *l, tk_adapter_info *out);
/* The operstate name: "up", "down", "lowerlayerdown", ... */
const char *tk__netlink_operstate_name(uint8_t operstate);

/* ---- driver.c: the tun driver ---- */

/* What the system says about the tun driver (read by tk__driver_tun_probe). */
struct tk__tun_facts {
	char release[65];	/* uname -r, "" if unknown */
	bool registered;	/* /sys/class/misc/tun: the misc device 10:200 is registered */
	bool module_loaded;	/* /sys/module/tun/initstate exists: tun is a loaded module */
	char initstate[16];	/* its content ("live"), "" if absent */
	bool builtin_listed;	/* modules.builtin lists kernel/drivers/net/tun.ko */
	char config;		/* CONFIG_TUN in /boot/config-R: 'y', 'm', 'n', or 0 (no file) */
	bool module_file;	/* a tun.ko[.xz|.zst|.gz] under /lib/modules/R */
	bool modules_dir;	/* /lib/modules/R exists */
	char builtin_path[300]; /* the modules.builtin read */
	char config_path[300];	/* the kernel config read */
	char module_path[300];	/* the tun.ko found, "" if none */
};

enum tk__tun_verdict {
	TK__TUN_LOADED_MODULE,	/* registered, a loaded module */
	TK__TUN_LOADED_BUILTIN, /* registered, modules.builtin or CONFIG_TUN=y says built in */
	TK__TUN_LOADED,		/* registered, no /sys/module/tun: built in by inference */
	TK__TUN_BUILTIN,	/* not registered (yet) but built in */
	TK__TUN_MODULE,		/* a module that is not loaded: the first open loads it */
	TK__TUN_MISSING,	/* the kernel has no tun driver */
	TK__TUN_UNKNOWN,	/* nothing readable (a container without /lib/modules, /boot) */
};

/* Reads /sys, /lib/modules and /boot (never fails: what is unreadable stays false/0). */
void tk__driver_tun_probe(struct tk__tun_facts *out);
/* What the facts mean; pure. */
enum tk__tun_verdict tk__driver_tun_classify(const struct tk__tun_facts *f);
/* The tk_driver_info of those facts; pure. */
void tk__driver_tun_info(const struct tk__tun_facts *f, tk_driver_info *out);

#endif /* TK_LINUX_INTERNAL_H */
