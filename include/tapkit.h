/* SPDX-License-Identifier: MIT */
/*
 * tapkit: find, create, open, configure and diagnose TAP (and TUN) adapters.
 *
 * This is the whole public API. Conventions, as a contract:
 *  - Every call that can fail returns a tk_status (TK_OK = 0) and, where the caller passes a
 *    tk_error, fills it with the detail of this one failure: the cause, the operation, the object,
 *    the raw OS error and its kind, a message, a remedy and whether retrying may help. `err` may
 *    always be NULL. Outputs are untouched on failure.
 *  - Handles are opaque. Every type has one release function that accepts NULL. A NULL, closed
 *    or foreign handle is caught at the API boundary and reported as TK_E_INVALID_HANDLE, never
 *    passed to the OS.
 *  - All-zero option structs mean "defaults", so `{ 0 }` is always valid.
 *  - The library never prints: it reports through the log callback of its tk_ctx.
 *  - Threads: a tk_ctx may be shared by threads once configured (set logger, retry policy and
 *    clock before sharing). A tk_dev may be read by one thread while another writes it; other
 *    calls on one tk_dev must not run concurrently. Log callbacks may be called from any thread
 *    that calls into the library; serialising output is the callback's job.
 */
#ifndef TAPKIT_H
#define TAPKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TK_VERSION_MAJOR  0
#define TK_VERSION_MINOR  1
#define TK_VERSION_PATCH  0
#define TK_VERSION_STRING "0.1.0"

#if defined(_WIN32)
#if defined(TK_BUILDING_DLL)
#define TK_API __declspec(dllexport)
#else
#define TK_API
#endif
#elif defined(__GNUC__)
#define TK_API __attribute__((visibility("default")))
#else
#define TK_API
#endif

#if defined(__GNUC__)
#define TK_NODISCARD __attribute__((warn_unused_result))
#else
#define TK_NODISCARD
#endif

/* The OS object behind an open adapter that an event loop can wait on. */
#if defined(_WIN32)
typedef void *tk_os_handle; /* a Windows event HANDLE, signalled when a read completes */
#define TK_OS_HANDLE_INVALID ((tk_os_handle)0)
#else
typedef int tk_os_handle; /* a pollable file descriptor */
#define TK_OS_HANDLE_INVALID (-1)
#endif

/* ------------------------------------------------------------------------------------------ */
/* Causes                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/*
 * The stable cause enum. Values are append-only: a value is never renumbered, removed or
 * reused. Message, remedy and the default "transient" flag of each cause live in
 * src/core/status.c; docs/errors.md lists them with the OS codes that map to each.
 * X(value, NAME, short description)
 */
#define TK_STATUS_MAP(X)                                                                      \
	X(0, OK, "success")                                                                   \
	X(1, NO_PRIVILEGE, "not enough privilege (CAP_NET_ADMIN or elevation)")               \
	X(2, DRIVER_NOT_INSTALLED, "the TAP driver is not installed")                         \
	X(3, DRIVER_FILES_MISSING, "the TAP driver's files are missing")                      \
	X(4, DRIVER_UNSIGNED, "the TAP driver's signature is not accepted")                   \
	X(5, DRIVER_BLOCKED, "the TAP driver is blocked from loading")                        \
	X(6, DRIVER_SERVICE_STOPPED, "the TAP driver service is stopped")                     \
	X(7, DRIVER_START_FAILED, "the TAP driver failed to start")                           \
	X(8, ADAPTER_NOT_FOUND, "no such adapter")                                            \
	X(9, ADAPTER_DISABLED, "the adapter is disabled")                                     \
	X(10, ADAPTER_BUSY, "the adapter is in use by another process")                       \
	X(11, INVALID_GUID, "invalid or wrong adapter GUID")                                  \
	X(12, INVALID_HANDLE, "invalid handle (closed, never opened or not a tapkit handle)") \
	X(13, MISSING_DEPENDENCY, "a runtime library is missing")                             \
	X(14, SECURITY_SOFTWARE, "blocked by security software")                              \
	X(15, TUN_MISSING, "/dev/net/tun or the tun driver is missing")                       \
	X(16, OWNER_MISMATCH, "the adapter belongs to another user")                          \
	X(17, FLAGS_MISMATCH, "requested flags do not match the existing adapter")            \
	X(18, LINK_DOWN, "the adapter's link is down")                                        \
	X(19, NO_CARRIER, "the adapter has no carrier")                                       \
	X(20, BAD_ARGUMENT, "invalid argument")                                               \
	X(21, NAME_INVALID, "invalid adapter name")                                           \
	X(22, IO, "input/output error")                                                       \
	X(23, TIMEOUT, "timed out")                                                           \
	X(24, DEVICE_VANISHED, "the adapter disappeared while in use")                        \
	X(25, EXISTS, "already exists")                                                       \
	X(26, NO_MEMORY, "out of memory or buffer space")                                     \
	X(27, UNSUPPORTED, "not supported by this system")                                    \
	X(28, AGAIN, "no frame ready (non-blocking)")                                         \
	X(29, NOT_TAP, "not a TUN/TAP adapter")                                               \
	X(30, ADAPTER_PROBLEM, "the adapter reports a device problem")                        \
	X(31, ADDRESS_INVALID, "address not accepted")                                        \
	X(32, FRAME_TOO_BIG, "frame larger than the buffer or the MTU")                       \
	X(33, REBOOT_REQUIRED, "a reboot is required to complete the operation")              \
	X(34, WOW64, "a 32-bit process cannot manage adapters on 64-bit Windows")             \
	X(35, CONFIG, "invalid configuration")                                                \
	X(36, INTERNAL, "internal error (a bug in tapkit)")                                   \
	X(37, INTERRUPTED, "interrupted")

typedef enum tk_status {
#define TK__STATUS_ENUM(v, name, desc) TK_E_##name = (v),
	TK_STATUS_MAP(TK__STATUS_ENUM)
#undef TK__STATUS_ENUM
		TK_STATUS__COUNT
} tk_status;

#define TK_OK TK_E_OK

/* "TK_E_ADAPTER_BUSY"; "TK_E_UNKNOWN" for a value outside the enum. Never NULL. */
TK_API const char *tk_status_name(tk_status st);
/* One line, lower case, no final period: "the adapter is in use by another process". */
TK_API const char *tk_status_message(tk_status st);
/* What to do in general about this cause; a tk_error carries the specific remedy. */
TK_API const char *tk_status_remedy(tk_status st);
/* Whether retrying the same call may succeed (the default; a tk_error may say otherwise). */
TK_API bool tk_status_transient(tk_status st);

/* The kind of the raw OS code kept in a tk_error. Values are append-only. */
typedef enum tk_os_kind {
	TK_OS_NONE = 0,
	TK_OS_ERRNO = 1,      /* errno */
	TK_OS_WIN32 = 2,      /* GetLastError() */
	TK_OS_NTSTATUS = 3,   /* NTSTATUS */
	TK_OS_HRESULT = 4,    /* HRESULT, including SetupAPI codes via HRESULT_FROM_SETUPAPI */
	TK_OS_CONFIGRET = 5,  /* CfgMgr32 CONFIGRET */
	TK_OS_CM_PROBLEM = 6, /* device problem code, CM_PROB_* */
	TK_OS_NETLINK = 7, /* a netlink error: os_code is the errno, os_text the kernel's extack */
} tk_os_kind;

/* "errno", "win32", ... Never NULL. */
TK_API const char *tk_os_kind_name(tk_os_kind kind);
/* The symbolic name of an OS code: "EBUSY", "ERROR_FILE_NOT_FOUND"; "" if unknown. Never NULL. */
TK_API const char *tk_os_code_name(tk_os_kind kind, int64_t code);

#define TK_ERROR_OP_MAX	     48
#define TK_ERROR_OBJECT_MAX  128
#define TK_ERROR_TEXT_MAX    320
#define TK_ERROR_OS_TEXT_MAX 160
#define TK_TRACE_ID_MAX	     24
#define TK_PROC_NAME_MAX     64

/*
 * The detail of one failure. Owned by the caller; the library fills it on failure and clears it
 * (status TK_OK) on success. The first place that sees a failure fills cause and OS code; outer
 * layers never overwrite them.
 */
typedef struct tk_error {
	tk_status status;
	tk_os_kind os_kind;
	int64_t os_code;		  /* the raw code; 0 with TK_OS_NONE */
	bool transient;			  /* retrying may succeed */
	char op[TK_ERROR_OP_MAX];	  /* what was done: "open", "TUNSETIFF", "RTM_NEWADDR" */
	char object[TK_ERROR_OBJECT_MAX]; /* on what: adapter name, GUID, path */
	char message[TK_ERROR_TEXT_MAX];  /* what failed, on what, why */
	char remedy[TK_ERROR_TEXT_MAX];	  /* the concrete fix */
	char os_text
		[TK_ERROR_OS_TEXT_MAX]; /* the OS's own text (strerror, FormatMessage, extack) */
	char trace_id[TK_TRACE_ID_MAX]; /* the trace of the call that failed */
	uint32_t holder_pid;		/* TK_E_ADAPTER_BUSY: a process holding it, 0 if unknown */
	char holder_name[TK_PROC_NAME_MAX]; /* its name */
} tk_error;

/* Formats "op object: message (os kind code: os text)" into buf; returns buf. */
TK_API char *tk_error_format(const tk_error *err, char *buf, size_t size);

/* ------------------------------------------------------------------------------------------ */
/* Context, logging, tracing                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct tk_ctx tk_ctx;

typedef enum tk_log_level {
	TK_LOG_ERROR = 0,
	TK_LOG_WARN = 1,
	TK_LOG_INFO = 2,
	TK_LOG_DEBUG = 3,
	TK_LOG_TRACE = 4,
} tk_log_level;

typedef struct tk_log_field {
	const char *key;
	const char *value;
} tk_log_field;

/* One log line. Every pointer is valid only during the callback. */
typedef struct tk_log_record {
	tk_log_level level;
	uint64_t time_ns;      /* CLOCK_REALTIME, nanoseconds since the epoch */
	const char *trace_id;  /* the trace of the top-level call that caused this line */
	const char *subsystem; /* "linux.tun", "linux.netlink", "core.retry", ... */
	const char *message;   /* one line, no final newline */
	const tk_log_field *fields;
	size_t nfields;
} tk_log_record;

typedef void tk_log_fn(void *user, const tk_log_record *rec);

/* Ready-made sinks writing one line per record to stderr: human text, or JSON lines. */
TK_API void tk_log_stderr_text(void *user, const tk_log_record *rec);
TK_API void tk_log_stderr_json(void *user, const tk_log_record *rec);
/* "error", "warn", ... ; tk_log_level_parse returns false for an unknown word. */
TK_API const char *tk_log_level_name(tk_log_level level);
TK_API bool tk_log_level_parse(const char *word, tk_log_level *out);

/* A retry policy, applied only to failures marked transient. Zero fields take the defaults. */
typedef struct tk_retry_policy {
	uint32_t attempts;    /* total attempts including the first; default 4; 1 = no retry */
	uint32_t base_ms;     /* first backoff ceiling; default 50 */
	uint32_t cap_ms;      /* largest backoff ceiling; default 2000 */
	uint32_t deadline_ms; /* overall budget from the first attempt; default 10000 */
} tk_retry_policy;

/* A clock the library uses for delays and jitter; tests inject one to check delays exactly. */
typedef struct tk_clock {
	uint64_t (*now_ns)(void *user);		   /* monotonic */
	void (*sleep_ns)(void *user, uint64_t ns); /* sleeps (or pretends to) */
	uint32_t (*random_u32)(void *user);	   /* uniform random, for full jitter */
	void *user;
} tk_clock;

/* Creates a context: logging off, the default retry policy, the system clock. */
TK_API TK_NODISCARD tk_status tk_ctx_new(tk_ctx **out, tk_error *err);
TK_API void tk_ctx_free(tk_ctx *ctx);
/* fn NULL turns logging off. Records above `level` are not formatted at all. */
TK_API void tk_ctx_set_logger(tk_ctx *ctx, tk_log_fn *fn, void *user, tk_log_level level);
TK_API void tk_ctx_set_retry(tk_ctx *ctx, const tk_retry_policy *policy);
TK_API void tk_ctx_get_retry(const tk_ctx *ctx, tk_retry_policy *out);
/* clock NULL restores the system clock. */
TK_API void tk_ctx_set_clock(tk_ctx *ctx, const tk_clock *clock);
/*
 * Whether a create, delete, enable/disable or driver install made through this context succeeded
 * but needs a restart of Windows to complete (SetupAPI's DI_NEEDREBOOT/DI_NEEDRESTART, the
 * driver install's reboot flag), as tapctl reports it. It stays true until read with clear =
 * true. Always false on Linux.
 */
TK_API bool tk_ctx_reboot_required(tk_ctx *ctx, bool clear);

/*
 * Tracing. Every top-level call gets a fresh trace id that appears on every log line it causes
 * and in its tk_error. To follow a sequence of calls under one id (a recovery, a reload), begin a
 * trace: calls on this thread then use it until tk_trace_end. `id` NULL makes a fresh one. The
 * id in use is copied to `out` (size at least TK_TRACE_ID_MAX) when out is not NULL.
 */
TK_API void tk_trace_begin(tk_ctx *ctx, const char *id, char *out, size_t size);
TK_API void tk_trace_end(tk_ctx *ctx);

/* Writes a log line through the context's logger (for programs built on tapkit). */
TK_API void tk_log(tk_ctx *ctx, tk_log_level level, const char *subsystem,
		   const tk_log_field *fields, size_t nfields, const char *message);

/*
 * Runs fn until it succeeds, fails with a non-transient error, runs out of attempts, or would
 * pass the deadline. Delay before attempt n (n >= 1) is full jitter: uniform in
 * [0, min(cap, base * 2^(n-1))] ms, drawn from the context's clock. Each retry is logged.
 * Returns fn's last status; err holds its last error.
 */
typedef tk_status tk_retry_fn(void *user, tk_error *err);
TK_API TK_NODISCARD tk_status tk_retry_run(tk_ctx *ctx, const tk_retry_policy *policy,
					   const char *what, tk_retry_fn *fn, void *user,
					   tk_error *err);
/* The delay ceiling before attempt n (n >= 1) of a policy, in ms (defaults applied). */
TK_API uint32_t tk_retry_ceiling_ms(const tk_retry_policy *policy, uint32_t n);

/* ------------------------------------------------------------------------------------------ */
/* Addresses                                                                                  */
/* ------------------------------------------------------------------------------------------ */

#define TK_MAC_LEN 6

typedef struct tk_ip_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* prefix length */
	uint8_t bytes[16];
} tk_ip_addr;

/* "10.0.0.1/30", "fd00::1/64"; a missing prefix means a host address (/32, /128). */
TK_API TK_NODISCARD tk_status tk_ip_addr_parse(const char *text, tk_ip_addr *out);
TK_API char *tk_ip_addr_format(const tk_ip_addr *addr, char *buf, size_t size);
/* "02:00:5e:10:00:01" (also with '-'); rejects multicast and all-zero unless `any` is true. */
TK_API TK_NODISCARD tk_status tk_mac_parse(const char *text, bool any, uint8_t out[TK_MAC_LEN]);
TK_API char *tk_mac_format(const uint8_t mac[TK_MAC_LEN], char *buf, size_t size);

/* ------------------------------------------------------------------------------------------ */
/* Adapters                                                                                   */
/* ------------------------------------------------------------------------------------------ */

#define TK_NAME_MAX    256 /* adapter names: Linux ones are at most 15 bytes, Windows ones longer */
#define TK_ID_MAX      64  /* ifindex as text, or a {GUID} */
#define TK_MAX_ADDRS   16
#define TK_MAX_HOLDERS 8

typedef enum tk_mode {
	TK_MODE_TAP = 0, /* Ethernet frames */
	TK_MODE_TUN = 1, /* IP packets */
} tk_mode;

/* Adapter state flags in tk_adapter_info.flags. */
#define TK_ADAPTER_UP	       0x0001u /* administratively up */
#define TK_ADAPTER_CARRIER     0x0002u /* carrier on (a process has it open / media connected) */
#define TK_ADAPTER_RUNNING     0x0004u /* up and carrier */
#define TK_ADAPTER_PERSIST     0x0008u /* survives its last close */
#define TK_ADAPTER_MULTI_QUEUE 0x0010u
#define TK_ADAPTER_VNET_HDR    0x0020u
#define TK_ADAPTER_PI	       0x0040u /* packet information header (not IFF_NO_PI) */
#define TK_ADAPTER_ENABLED     0x0080u /* Windows: the device is enabled */
#define TK_ADAPTER_PRESENT     0x0100u /* Windows: the device is present and started */

typedef struct tk_holder {
	uint32_t pid;
	char name[TK_PROC_NAME_MAX]; /* process name (comm) */
} tk_holder;

/* What the OS knows about one adapter. */
typedef struct tk_adapter_info {
	char name[TK_NAME_MAX]; /* interface name (Linux) or connection name (Windows), UTF-8 */
	char id[TK_ID_MAX];	/* Linux: ifindex as text; Windows: the {GUID} */
	uint32_t ifindex;	/* 0 if none */
	tk_mode mode;
	uint32_t flags; /* TK_ADAPTER_* */
	uint8_t mac[TK_MAC_LEN];
	uint32_t mtu;
	int64_t owner;		  /* uid, -1 if none (Linux) */
	int64_t group;		  /* gid, -1 if none (Linux) */
	uint32_t num_queues;	  /* attached queues (single-queue: 1 while held) */
	char master[TK_NAME_MAX]; /* bridge master, "" if none */
	char operstate[16];	  /* "up", "down", "lowerlayerdown", "unknown", ... */
	size_t naddrs;
	tk_ip_addr addrs[TK_MAX_ADDRS];
	size_t nholders; /* holders found; may exceed TK_MAX_HOLDERS */
	tk_holder holders[TK_MAX_HOLDERS];
	char driver[64];	 /* Linux: "tun"; Windows: component id */
	char driver_version[32]; /* Windows: "9.27.0"; "" if unknown */
	uint32_t problem_code;	 /* Windows: CM_PROB_*, 0 if none */
} tk_adapter_info;

/*
 * Lists every TUN/TAP adapter. *out is an array of *count entries to release with
 * tk_adapter_list_free. Holders need permission to read other users' /proc entries; those not
 * readable are left out silently.
 */
TK_API TK_NODISCARD tk_status tk_adapter_list(tk_ctx *ctx, tk_adapter_info **out, size_t *count,
					      tk_error *err);
TK_API void tk_adapter_list_free(tk_adapter_info *list);
/* One adapter by name (or {GUID} on Windows). TK_E_ADAPTER_NOT_FOUND, TK_E_NOT_TAP. */
TK_API TK_NODISCARD tk_status tk_adapter_get(tk_ctx *ctx, const char *name, tk_adapter_info *out,
					     tk_error *err);

/* Options for tk_adapter_create. */
#define TK_CREATE_MULTI_QUEUE 0x1u
#define TK_CREATE_VNET_HDR    0x2u
#define TK_CREATE_PI	      0x4u /* keep the packet-information header */
typedef struct tk_create_opts {
	const char
		*name; /* required on Linux; Windows: the connection name, NULL for the default */
	tk_mode mode;
	uint32_t flags; /* TK_CREATE_* */
	int64_t owner;	/* uid allowed to open it without CAP_NET_ADMIN; 0 and -1 mean none */
	int64_t group;	/* gid likewise; 0 and -1 mean none */
	bool owner_set; /* set owner even if it is 0 (root) */
	bool group_set;
} tk_create_opts;

/*
 * Creates a persistent adapter (it stays when the call returns). On Linux an existing name gives
 * TK_E_EXISTS. The new adapter is DOWN; `info` (may be NULL) receives its description.
 */
TK_API TK_NODISCARD tk_status tk_adapter_create(tk_ctx *ctx, const tk_create_opts *opts,
						tk_adapter_info *info, tk_error *err);
/* Deletes a TUN/TAP adapter; refuses anything else with TK_E_NOT_TAP. */
TK_API TK_NODISCARD tk_status tk_adapter_delete(tk_ctx *ctx, const char *name, tk_error *err);
TK_API TK_NODISCARD tk_status tk_adapter_set_up(tk_ctx *ctx, const char *name, bool up,
						tk_error *err);
/*
 * The one MTU rule (configuration files, flags, the tunnel, Windows): TK_MTU_MIN..TK_MTU_MAX,
 * at least TK_MTU_MIN_IPV6 for an adapter with IPv6 (flag TK_MTU_IPV6), and at most
 * TK_MTU_TUNNEL_MAX for the tunnel's adapter (TK_MTU_TUNNEL: a frame and its headers go in one
 * datagram). TK_E_BAD_ARGUMENT naming the range otherwise. On Linux tk_adapter_set_mtu leaves
 * the device's own limits to the kernel (a TAP takes at most 65521), which says them.
 */
#define TK_MTU_MIN	  68	/* RFC 791: every IPv4 host must take 68 bytes */
#define TK_MTU_MIN_IPV6	  1280	/* RFC 8200 */
#define TK_MTU_MAX	  65535 /* the largest IP packet */
#define TK_MTU_TUNNEL_MAX 9000	/* jumbo frames: the tunnel's datagram buffers */
#define TK_MTU_IPV6	  0x01u
#define TK_MTU_TUNNEL	  0x02u
TK_API TK_NODISCARD tk_status tk_mtu_check(uint32_t mtu, uint32_t flags, tk_error *err);
TK_API TK_NODISCARD tk_status tk_adapter_set_mtu(tk_ctx *ctx, const char *name, uint32_t mtu,
						 tk_error *err);
TK_API TK_NODISCARD tk_status tk_adapter_set_mac(tk_ctx *ctx, const char *name,
						 const uint8_t mac[TK_MAC_LEN], tk_error *err);
/* master NULL or "" releases the adapter from its bridge. */
TK_API TK_NODISCARD tk_status tk_adapter_set_master(tk_ctx *ctx, const char *name,
						    const char *master, tk_error *err);
TK_API TK_NODISCARD tk_status tk_adapter_addr_add(tk_ctx *ctx, const char *name,
						  const tk_ip_addr *addr, tk_error *err);
TK_API TK_NODISCARD tk_status tk_adapter_addr_del(tk_ctx *ctx, const char *name,
						  const tk_ip_addr *addr, tk_error *err);
/* Processes holding the adapter open: up to `cap` into out, *count gets how many were found. */
TK_API TK_NODISCARD tk_status tk_adapter_holders(tk_ctx *ctx, const char *name, tk_holder *out,
						 size_t cap, size_t *count, tk_error *err);
/* Checks an adapter name without touching the OS: TK_E_NAME_INVALID with the reason. */
TK_API TK_NODISCARD tk_status tk_adapter_name_check(const char *name, tk_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Open adapters and frame I/O                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct tk_dev tk_dev;

#define TK_OPEN_MULTI_QUEUE 0x01u /* attach one more queue of a multi-queue adapter */
#define TK_OPEN_VNET_HDR    0x02u /* frames carry a 10-byte virtio-net header first */
#define TK_OPEN_NONBLOCK    0x04u /* reads and writes return TK_E_AGAIN instead of waiting */
#define TK_OPEN_NO_CREATE   0x08u /* Linux: fail with TK_E_ADAPTER_NOT_FOUND if absent */
#define TK_OPEN_PI	    0x10u /* Linux: keep the 4-byte packet-information header */
#define TK_OPEN_RETRY	    0x20u /* retry transient failures with the context's policy */

/* Offloads for tk_dev_set_offload (need TK_OPEN_VNET_HDR); values are TUN_F_* on Linux. */
#define TK_OFFLOAD_CSUM 0x01u
#define TK_OFFLOAD_TSO4 0x02u
#define TK_OFFLOAD_TSO6 0x04u
#define TK_OFFLOAD_ECN	0x08u
#define TK_OFFLOAD_USO4 0x20u
#define TK_OFFLOAD_USO6 0x40u

typedef struct tk_open_opts {
	const char *name; /* Linux: interface name (NULL: kernel picks tapN); Windows: connection
			     name or {GUID}, NULL: the first free adapter */
	tk_mode mode;
	uint32_t flags; /* TK_OPEN_* */
} tk_open_opts;

/* Size of the virtio-net header with TK_OPEN_VNET_HDR (struct virtio_net_hdr). */
#define TK_VNET_HDR_LEN 10
/* A read buffer of this size holds any frame, offloaded super-frames included. */
#define TK_FRAME_BUF_MAX (65536 + TK_VNET_HDR_LEN + 4)

/*
 * Opens an adapter for frame I/O. On Linux an absent name is created as a non-persistent adapter
 * (it goes away on the last close) unless TK_OPEN_NO_CREATE. Causes: TK_E_TUN_MISSING,
 * TK_E_NO_PRIVILEGE, TK_E_OWNER_MISMATCH, TK_E_ADAPTER_BUSY (with the holder in err),
 * TK_E_FLAGS_MISMATCH (naming the flag), TK_E_NAME_INVALID, TK_E_ADAPTER_NOT_FOUND, ...
 */
TK_API TK_NODISCARD tk_status tk_dev_open(tk_ctx *ctx, const tk_open_opts *opts, tk_dev **out,
					  tk_error *err);
/* Closes the handle (NULL is fine). A non-persistent Linux adapter goes away with its last fd. */
TK_API void tk_dev_close(tk_dev *dev);
/* The adapter's name as the OS reports it (valid until close); "" for an invalid handle. */
TK_API const char *tk_dev_name(const tk_dev *dev);
TK_API tk_mode tk_dev_mode(const tk_dev *dev);
/* The pollable fd (Linux) or waitable event (Windows); TK_OS_HANDLE_INVALID if invalid. */
TK_API tk_os_handle tk_dev_handle(const tk_dev *dev);

/*
 * Reads one frame into buf (cap bytes; use TK_FRAME_BUF_MAX, or at least MTU + 14 plus the
 * vnet/PI header: the OS truncates silently otherwise). Blocks unless opened non-blocking or
 * set so, then TK_E_AGAIN. TK_E_DEVICE_VANISHED when the adapter was deleted under us,
 * TK_E_INTERRUPTED when a signal interrupted the wait.
 */
TK_API TK_NODISCARD tk_status tk_dev_read(tk_dev *dev, void *buf, size_t cap, size_t *len,
					  tk_error *err);
/* Writes one frame. TK_E_LINK_DOWN when the adapter is down, TK_E_BAD_ARGUMENT for a runt. */
TK_API TK_NODISCARD tk_status tk_dev_write(tk_dev *dev, const void *frame, size_t len,
					   tk_error *err);
/* Waits until a frame can be read, up to timeout_ms (-1: forever). TK_E_TIMEOUT if none. */
TK_API TK_NODISCARD tk_status tk_dev_wait(tk_dev *dev, int timeout_ms, tk_error *err);
TK_API TK_NODISCARD tk_status tk_dev_set_nonblocking(tk_dev *dev, bool on, tk_error *err);
/* Enables offloads (TK_OFFLOAD_*); needs TK_OPEN_VNET_HDR. */
TK_API TK_NODISCARD tk_status tk_dev_set_offload(tk_dev *dev, uint32_t offloads, tk_error *err);
/* Linux: carrier on/off (TUNSETCARRIER); Windows: media status connected/disconnected. */
TK_API TK_NODISCARD tk_status tk_dev_set_carrier(tk_dev *dev, bool on, tk_error *err);
/* Multi-queue: take this queue out of (false) or back into (true) the device's rotation. */
TK_API TK_NODISCARD tk_status tk_dev_set_queue_enabled(tk_dev *dev, bool on, tk_error *err);
/* Makes the adapter outlive its last close (or not). */
TK_API TK_NODISCARD tk_status tk_dev_set_persist(tk_dev *dev, bool on, tk_error *err);
/*
 * Wakes a tk_dev_wait in progress on another thread (or the next one to start, if none waits),
 * which then returns TK_E_INTERRUPTED; on Windows a blocking tk_dev_read waits the same way and
 * is woken too. The one call that may run concurrently with every other call on the same handle
 * (but not with tk_dev_close): for a binding's Close or deadline change to end a wait.
 */
TK_API TK_NODISCARD tk_status tk_dev_wake(tk_dev *dev, tk_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Windows driver and device management (the calls exist on every platform)                   */
/* ------------------------------------------------------------------------------------------ */

#define TK_DRIVER_PATH_MAX 300

/*
 * The TUN/TAP driver as the OS sees it: Windows the tap0901 service (and its .sys file and the
 * driver store package), Linux the tun driver (built in, a module loaded or loadable, missing).
 * Strings are "" when not applicable or unknown.
 */
typedef struct tk_driver_info {
	char name[64];	  /* "tap0901" (Windows service), "tun" (Linux) */
	tk_status status; /* TK_OK if adapters can work; else why not: TK_E_DRIVER_NOT_INSTALLED,
			     TK_E_DRIVER_FILES_MISSING, TK_E_DRIVER_SERVICE_STOPPED, TK_E_TUN_MISSING */
	bool installed; /* Windows: the service is registered; Linux: built in or a module exists */
	bool loaded;	/* Windows: the service runs; Linux: registered (misc 10:200) */
	bool builtin;	/* Linux: built into the kernel */
	bool file_present; /* the driver's file exists (Windows .sys; Linux tun.ko, or built in) */
	char state[24];	   /* Windows: "not_installed", "stopped", "running", ...; Linux: "builtin",
			   "loaded", "not_loaded", "missing", "unknown" */
	char start_type[24];		     /* Windows: "demand", "disabled", "boot", ... */
	char image_path[TK_DRIVER_PATH_MAX]; /* Windows: ImagePath as stored */
	char file[TK_DRIVER_PATH_MAX];	     /* the driver file: resolved ImagePath, tun.ko path */
	char version[32];		     /* Windows: "9.24.2.601"; Linux: the kernel release */
	char package[TK_DRIVER_PATH_MAX];    /* Windows: the staged package in the driver store */
	char message[TK_ERROR_TEXT_MAX];     /* what was found, one line */
	char remedy[TK_ERROR_TEXT_MAX];	     /* what to do; "" when status is TK_OK */
} tk_driver_info;

/*
 * Reads the driver's state into out. A driver that is missing or broken is a result (in
 * out->status), not a failure: the call fails only when the state cannot be read.
 */
TK_API TK_NODISCARD tk_status tk_driver_status(tk_ctx *ctx, tk_driver_info *out, tk_error *err);
/*
 * Windows (elevated): stages and installs the driver package of an INF file (OemVista.inf).
 * *reboot (may be NULL) says whether Windows needs a restart to finish. Linux: TK_E_UNSUPPORTED
 * (the tun driver comes with the kernel: `modprobe tun`).
 */
TK_API TK_NODISCARD tk_status tk_driver_install(tk_ctx *ctx, const char *inf_path, bool *reboot,
						tk_error *err);
/*
 * Windows (elevated): enables or disables the adapter's device (Device Manager's Enable/Disable).
 * Linux: TK_E_UNSUPPORTED (an interface has no device to disable: tk_adapter_set_up).
 */
TK_API TK_NODISCARD tk_status tk_adapter_set_enabled(tk_ctx *ctx, const char *name, bool on,
						     tk_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Doctor: ordered checks that explain why an adapter does not work                           */
/* ------------------------------------------------------------------------------------------ */

typedef enum tk_check_status {
	TK_CHECK_OK = 0,
	TK_CHECK_WARN = 1,
	TK_CHECK_FAIL = 2,
	TK_CHECK_SKIPPED = 3,
} tk_check_status;

#define TK_CHECK_ID_MAX	      48
#define TK_CHECK_MAX_EVIDENCE 16

/* One thing a check read: "path" = "/dev/net/tun", "mode" = "0600", "errno" = "16". */
typedef struct tk_evidence {
	char key[32];
	char value[TK_ERROR_TEXT_MAX];
} tk_evidence;

typedef struct tk_check {
	char id[TK_CHECK_ID_MAX];	  /* stable: "linux.devnode", "linux.adapter.open" */
	char title[96];			  /* what is checked, for people */
	char object[TK_ERROR_OBJECT_MAX]; /* the adapter or path checked, "" if global */
	tk_check_status status;
	tk_status cause; /* TK_OK unless warn/fail */
	tk_os_kind os_kind;
	int64_t os_code;
	char summary[TK_ERROR_TEXT_MAX]; /* what was found */
	char remedy[TK_ERROR_TEXT_MAX];	 /* the command to run or setting to change; "" if ok */
	char skipped_because[TK_CHECK_ID_MAX]; /* id of the failed check this one depends on */
	size_t nevidence;
	tk_evidence evidence[TK_CHECK_MAX_EVIDENCE];
} tk_check;

typedef struct tk_report {
	size_t nchecks;
	tk_check *checks;
	size_t nok, nwarn, nfail, nskipped;
	char trace_id[TK_TRACE_ID_MAX];
} tk_report;

typedef struct tk_doctor_opts {
	const char *adapter; /* check this adapter (and try to open it); NULL: every adapter */
	uint32_t flags;	     /* reserved, 0 */
	/* A Windows program (.exe/.dll) to check instead of the system: its PE headers, bitness,
	 * manifest and, on Windows, every DLL it needs as the loader finds them (docs/doctor.md).
	 * NULL: the usual checks. */
	const char *program;
} tk_doctor_opts;

/* Runs the platform's checks in order. The report is allocated; free with tk_report_free. */
TK_API TK_NODISCARD tk_status tk_doctor_run(tk_ctx *ctx, const tk_doctor_opts *opts,
					    tk_report **out, tk_error *err);
TK_API void tk_report_free(tk_report *report);
TK_API const char *tk_check_status_name(tk_check_status st); /* "ok", "warn", "fail", "skipped" */

/* ------------------------------------------------------------------------------------------ */
/* Watch: apply a declared configuration to adapters as they appear                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct tk_watch tk_watch;
typedef struct tk_watch_config tk_watch_config;

/*
 * A watch configuration (docs/watch.md): INI sections, each naming the adapters it applies to by
 * name or glob pattern (`*`, `?`, `[a-z]`, `[!0-9]`) and what to set on them:
 *
 *     [Adapter tap*]          # or [Adapter] with Match = tap*  (Match may repeat)
 *     Up = true
 *     MTU = 1400
 *     Address = 10.250.1.1/30 # repeatable
 *     MAC = 02:00:00:00:00:01 # only in a section naming one adapter exactly
 *     Master = br0
 *
 * Only TUN/TAP adapters are ever touched, and the first section that matches a name wins.
 * Loading is strict: a bad line, an unknown section or key, a bad or repeated value fails with
 * TK_E_CONFIG, err->object "FILE:LINE" and a message naming the key and the value.
 */
TK_API TK_NODISCARD tk_status tk_watch_config_load(tk_ctx *ctx, const char *path,
						   tk_watch_config **out, tk_error *err);
/* The same from text in memory; origin names it in errors ("<stdin>"), may be NULL. */
TK_API TK_NODISCARD tk_status tk_watch_config_parse(tk_ctx *ctx, const char *text, size_t len,
						    const char *origin, tk_watch_config **out,
						    tk_error *err);
TK_API void tk_watch_config_free(tk_watch_config *cfg);
/* The number of sections, and the index of the first section matching name (-1: none). */
TK_API size_t tk_watch_config_count(const tk_watch_config *cfg);
TK_API int tk_watch_config_match(const tk_watch_config *cfg, const char *name);
/* Glob match used for adapter patterns: `*`, `?`, `[...]` with ranges and `!`/`^` negation. */
TK_API bool tk_pattern_match(const char *pattern, const char *name);

/*
 * A watcher applies a configuration to adapters as they appear. tk_watch_new takes ownership of
 * cfg (also on failure) and subscribes to the OS's link events (Linux: RTNLGRP_LINK) before
 * anything is applied, so an adapter created in between is not missed.
 * Each apply runs in its own trace (logged at info: one line per action, one per failure with
 * its cause), and each step is retried with the context's retry policy when its failure is
 * transient. An adapter is configured once per appearance: again only when it is re-created
 * (a new ifindex) or renamed into a pattern, not on every event.
 */
TK_API TK_NODISCARD tk_status tk_watch_new(tk_ctx *ctx, tk_watch_config *cfg, tk_watch **out,
					   tk_error *err);
TK_API void tk_watch_free(tk_watch *w);
/*
 * Applies the configuration to every matching adapter that exists now and was not configured
 * yet. *applied and *failed (may be NULL) count adapters; returns the first failure's status
 * (each failure is logged) or TK_OK.
 */
TK_API TK_NODISCARD tk_status tk_watch_apply_all(tk_watch *w, size_t *applied, size_t *failed,
						 tk_error *err);
/* Applies the configuration to one adapter now, whether or not it was configured before. */
TK_API TK_NODISCARD tk_status tk_watch_apply(tk_watch *w, const char *name, tk_error *err);
/*
 * Waits up to timeout_ms (-1: forever) for link events and applies the configuration to each
 * matching adapter that appeared. TK_OK after handling events, TK_E_TIMEOUT if none came,
 * TK_E_INTERRUPTED if a signal interrupted the wait (install handlers without SA_RESTART to
 * react to SIGHUP/SIGTERM at once). A failure to configure an adapter is logged, not returned.
 */
TK_API TK_NODISCARD tk_status tk_watch_dispatch(tk_watch *w, int timeout_ms, tk_error *err);
/* The pollable fd (Linux) of the event subscription, for an event loop; then call dispatch(0). */
TK_API tk_os_handle tk_watch_handle(const tk_watch *w);
/*
 * Replaces the configuration (ownership of cfg is taken, also on failure) and applies it to the
 * matching adapters that exist, as at start. Adapters already configured are configured again,
 * since what they should look like may have changed.
 */
TK_API TK_NODISCARD tk_status tk_watch_reload(tk_watch *w, tk_watch_config *cfg, tk_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Tunnel engine: the L2 tunnel (VXLAN, sealed) inside your own process (docs/tunnel.md)       */
/* ------------------------------------------------------------------------------------------ */

/*
 * API status: 0.x. These calls may change before tapkit 1.0; the rest of this header is stable.
 * Linux and Windows (TAP-Windows6): the same calls and configuration on both; where the two
 * differ (the waitable handle, the privilege drop, network namespaces) the call says so.
 *
 * The engine owns no process-wide state: it blocks no signal, ignores no SIGPIPE, changes no
 * user or capability, keeps no static descriptor. Signals, the privilege drop and the control
 * socket are the program's job (the `tapkit tunnel run` daemon does all three on top of this).
 * Threads: one tunnel is driven by one thread at a time; tk_tunnel_stop alone may be called from
 * any thread. Several tunnels may run in one process (each on its own adapter and port).
 * Errors: every call fills err (may be NULL) with the cause, the object and the fix.
 */
typedef struct tk_tunnel tk_tunnel;
typedef struct tk_tunnel_config tk_tunnel_config;

/*
 * A configuration: the file format of docs/tunnel.md ([Interface] and [Peer] sections), parsed
 * strictly (TK_E_CONFIG at FILE:LINE naming the key and what was expected), or built key by key
 * with the setters, which are what the file reader itself calls: a value means the same in a file
 * and from a program (or a command line). load/parse also run tk_tunnel_config_check.
 */
TK_API TK_NODISCARD tk_status tk_tunnel_config_new(tk_ctx *ctx, tk_tunnel_config **out,
						   tk_error *err);
TK_API TK_NODISCARD tk_status tk_tunnel_config_load(tk_ctx *ctx, const char *path,
						    tk_tunnel_config **out, tk_error *err);
/* From text in memory; origin names it in errors ("<stdin>"), may be NULL. */
TK_API TK_NODISCARD tk_status tk_tunnel_config_parse(tk_ctx *ctx, const char *text, size_t len,
						     const char *origin, tk_tunnel_config **out,
						     tk_error *err);
/*
 * Sets one [Interface] key ("Name", "Mode", "VNI", "ListenAddress", "ListenPort",
 * "PrivateKeyFile", "MTU", "Address" (adds one), "MACAddress", "MACTableSize", "MACAge",
 * "Forward", "ControlSocket", "User") from its text. TK_E_CONFIG with err->object = the key and
 * the expected form in err->message when the value is wrong; the configuration is unchanged then.
 */
TK_API TK_NODISCARD tk_status tk_tunnel_config_set(tk_tunnel_config *cfg, const char *key,
						   const char *value, tk_error *err);
/* Adds an empty [Peer]; *index (may be NULL) receives its index for tk_tunnel_config_peer_set. */
TK_API TK_NODISCARD tk_status tk_tunnel_config_add_peer(tk_tunnel_config *cfg, size_t *index,
							tk_error *err);
/* Sets one [Peer] key of peer `index`: "Endpoint", "PublicKey", "AllowedMACs" (adds). */
TK_API TK_NODISCARD tk_status tk_tunnel_config_peer_set(tk_tunnel_config *cfg, size_t index,
							const char *key, const char *value,
							tk_error *err);
/*
 * Checks what the keys mean together (sealed mode needs keys, families must meet, no peer twice)
 * and reads the private key file (refused when others may read it); fills the defaults that
 * depend on other keys (MTU). tk_tunnel_new calls it on a configuration not checked yet.
 */
TK_API TK_NODISCARD tk_status tk_tunnel_config_check(tk_tunnel_config *cfg, tk_error *err);
/* Wipes the private key and frees (NULL is fine). */
TK_API void tk_tunnel_config_free(tk_tunnel_config *cfg);
/* The adapter's name ("" until Name is set), the file it came from ("" when built). */
TK_API const char *tk_tunnel_config_name(const tk_tunnel_config *cfg);
TK_API const char *tk_tunnel_config_origin(const tk_tunnel_config *cfg);
/* ControlSocket as given ("": the program's default). The engine itself opens no socket. */
TK_API const char *tk_tunnel_config_control(const tk_tunnel_config *cfg);

/* User = USER[:GROUP], resolved at parse time; the engine does not act on it (the daemon does). */
typedef struct tk_tunnel_user {
	bool set;
	bool group_given; /* USER:GROUP: that group alone, no supplementary groups */
	uint32_t uid, gid;
	char name[64]; /* "" for a uid without a passwd entry */
} tk_tunnel_user;
TK_API void tk_tunnel_config_user(const tk_tunnel_config *cfg, tk_tunnel_user *out);

#if defined(_WIN32)
/*
 * Windows: the owner check of cfg's file and of the PrivateKeyFile it names as a tunnel running
 * as `account` (a SID string: "S-1-5-18" is LocalSystem) will make it, for a service's
 * installer. load and check trust this process's user's files; that account trusts
 * Administrators, SYSTEM, TrustedInstaller and its own, so a file the installing administrator's
 * own account owns passes here and is refused by the service. TK_OK, or TK_E_CONFIG naming the
 * first file refused, its owner (SID and account), the account and the fix (icacls /setowner);
 * also when an owner cannot be read (with the Windows code). TK_E_BAD_ARGUMENT when account is
 * not a SID.
 */
TK_API TK_NODISCARD tk_status tk_tunnel_config_check_owners_as(const tk_tunnel_config *cfg,
							       const char *account, tk_error *err);
#endif

/*
 * Starts a tunnel: opens (creating it when missing) and configures the adapter, binds the UDP
 * socket, sets the peers up. Takes ownership of cfg, also on failure. The private key and the
 * peers' keys are locked in memory (best effort). When the adapter vanishes later it is
 * reopened with the context's retry policy while the peers stay.
 */
TK_API TK_NODISCARD tk_status tk_tunnel_new(tk_ctx *ctx, tk_tunnel_config *cfg, tk_tunnel **out,
					    tk_error *err);
/*
 * Stops forwarding, closes the adapter (one the tunnel created goes away) and frees (NULL ok).
 * Call it on the thread that dispatched the tunnel: it also releases that thread's cipher
 * context (made again on the next use by any tunnel on it).
 */
TK_API void tk_tunnel_free(tk_tunnel *t);
/*
 * Linux: the pollable fd (an epoll fd) that is readable when tk_tunnel_dispatch has work; a loop
 * of your own polls it with its other fds and dispatches with timeout 0.
 * Windows: no one handle stands for the adapter, the socket and the timer together, so this is
 * the tunnel's wake-up event (auto-reset), which work does not signal: do not wait on it (a wait
 * consumes it). A loop of your own calls tk_tunnel_dispatch with its timeout (it waits on all of
 * them) and wakes it from any thread with SetEvent(tk_tunnel_handle(t)): that dispatch returns
 * TK_E_INTERRUPTED, having handled nothing, and the tunnel carries on (tk_tunnel_stop ends it
 * for good). The event lives as long as the tunnel: set it no more once tk_tunnel_free started.
 * The Go binding's Tunnel works this way (bindings/go/tunnel_windows.go).
 */
TK_API tk_os_handle tk_tunnel_handle(const tk_tunnel *t);
/*
 * Waits up to timeout_ms (-1: forever; 0: poll) and handles what is ready: frames, datagrams,
 * ICMP errors, an adapter to reopen. TK_OK after handling events, TK_E_TIMEOUT when none came,
 * TK_E_INTERRUPTED when a signal interrupted the wait or tk_tunnel_stop was called, any other
 * status for a failure the tunnel cannot carry on after (the program should exit non-zero).
 */
TK_API TK_NODISCARD tk_status tk_tunnel_dispatch(tk_tunnel *t, int timeout_ms, tk_error *err);
/* Dispatches until tk_tunnel_stop (TK_OK) or a fatal failure (its status). */
TK_API TK_NODISCARD tk_status tk_tunnel_run(tk_tunnel *t, tk_error *err);
/* Makes tk_tunnel_run return and wakes a waiting dispatch; safe from any thread or handler. */
TK_API void tk_tunnel_stop(tk_tunnel *t);
/*
 * Replaces the configuration (ownership of cfg taken, also on failure): peers that stay keep
 * their state, addresses and MTU are synchronised, the socket is rebound if the listen address
 * changed. Name, ControlSocket and User cannot change (TK_E_CONFIG). On failure the running
 * configuration stays.
 */
TK_API TK_NODISCARD tk_status tk_tunnel_reload(tk_tunnel *t, tk_tunnel_config *cfg, tk_error *err);
/*
 * Reads the file path (tk_tunnel_config_load) and applies it (tk_tunnel_reload); a refused file
 * counts as a failed reload. With User set, PrivateKeyFile is read at start only (the User may
 * not read it, tk_tunnel_config_load refuses a key it owns): the running key is kept while
 * PrivateKeyFile names the same file, and another file is refused (TK_E_CONFIG: restart).
 */
TK_API TK_NODISCARD tk_status tk_tunnel_reload_file(tk_tunnel *t, const char *path, tk_error *err);

/* ---- the tunnel's state as plain data ---- */

#define TK_TUNNEL_SNAPSHOT_VERSION 1
#define TK_TUNNEL_DROPS_MAX	   16 /* counters by reason; names: tk_tunnel_drop_name */
#define TK_TUNNEL_ALLOWED_MACS_MAX 64
#define TK_KEY_TEXT_MAX		   45 /* a base64 key (44 characters) and its NUL */

typedef struct tk_tunnel_peer_info {
	char endpoint[64];		  /* "10.0.0.2:4789", "[fd00::2]:4789" */
	char public_key[TK_KEY_TEXT_MAX]; /* "" in plain mode */
	size_t nallowed;
	uint8_t allowed_macs[TK_TUNNEL_ALLOWED_MACS_MAX][TK_MAC_LEN];
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t last_seen_ns; /* CLOCK_REALTIME of the last datagram accepted, 0: never */
	uint64_t sessions;     /* sealed: handshakes completed with the peer (= handshakes) */
	uint64_t drops[TK_TUNNEL_DROPS_MAX];
	/* sealed mode (v2) */
	uint64_t handshakes;	    /* completed, either side */
	uint64_t last_handshake_ns; /* CLOCK_REALTIME of the last one, 0: never */
	uint64_t keepalives_rx;	    /* empty transport messages received and authenticated */
	char current_endpoint
		[64]; /* where datagrams go now: the source of its last authenticated one */
} tk_tunnel_peer_info;

#define TK_TUNNEL_PORT_LOCAL (-1) /* a MAC learned behind our own adapter */

typedef struct tk_tunnel_mac_info {
	uint8_t mac[TK_MAC_LEN];
	int64_t peer;	 /* index in peers, or TK_TUNNEL_PORT_LOCAL */
	uint64_t age_ms; /* since the last frame from it */
} tk_tunnel_mac_info;

typedef struct tk_tunnel_snapshot {
	uint32_t version;	   /* TK_TUNNEL_SNAPSHOT_VERSION */
	char adapter[TK_NAME_MAX]; /* as configured */
	bool adapter_open;	   /* false while a vanished adapter is being reopened */
	char mode[8];		   /* "plain", "sealed" */
	uint32_t vni, mtu;
	bool forward;
	char listen[80];		  /* the bound UDP address */
	char config[256];		  /* the file, "" when built from setters */
	char public_key[TK_KEY_TEXT_MAX]; /* ours, "" without a key */
	uint64_t started_ns, now_ns;	  /* CLOCK_REALTIME */
	uint64_t adapter_reopens, reloads, reload_failures;
	size_t ndrops; /* entries of drops[] in use (index 0 is unused: "pass") */
	uint64_t drops[TK_TUNNEL_DROPS_MAX];
	size_t npeers;
	tk_tunnel_peer_info *peers;
	uint32_t mac_count, mac_capacity, mac_age_s;
	uint64_t mac_evictions;
	size_t nmacs; /* newest first */
	tk_tunnel_mac_info *macs;
} tk_tunnel_snapshot;

/* A copy of the tunnel's state (allocated; free with tk_tunnel_snapshot_free). */
TK_API TK_NODISCARD tk_status tk_tunnel_stats(tk_tunnel *t, tk_tunnel_snapshot **out,
					      tk_error *err);
TK_API void tk_tunnel_snapshot_free(tk_tunnel_snapshot *s);
/* "bad_vni", "replay", ... for a drop index from 1 to ndrops - 1; NULL beyond. */
TK_API const char *tk_tunnel_drop_name(size_t index);
/* One line describing a drop reason, for documentation and help; NULL beyond. */
TK_API const char *tk_tunnel_drop_description(size_t index);

/* ---- keys for sealed mode (X25519, base64 like `wg genkey`) ---- */

/* A new private key into out (44 characters and NUL). */
TK_API TK_NODISCARD tk_status tk_key_generate(char out[TK_KEY_TEXT_MAX], tk_error *err);
/* The public key of a private one given as text (spaces and a final newline allowed). */
TK_API TK_NODISCARD tk_status tk_key_public(const char *private_text, size_t len,
					    char out[TK_KEY_TEXT_MAX], tk_error *err);
/* Overwrites memory that held a key in a way the compiler cannot elide. */
TK_API void tk_key_wipe(void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TAPKIT_H */
