/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend's pure logic: tables and parsers that need no Windows header, so that the
 * unit tests run on Linux as well as under Wine. Win32 codes, registry types and problem codes
 * are repeated here as numbers (values from winerror.h, winnt.h and cfg.h); the Windows files
 * include this header and pass the OS's numbers straight in.
 */
#ifndef TK_WINLOGIC_H
#define TK_WINLOGIC_H

#include "tapkit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Win32 error codes we interpret (winerror.h). */
#define TK_WIN_ERROR_SUCCESS		       0u
#define TK_WIN_ERROR_INVALID_FUNCTION	       1u
#define TK_WIN_ERROR_FILE_NOT_FOUND	       2u
#define TK_WIN_ERROR_PATH_NOT_FOUND	       3u
#define TK_WIN_ERROR_ACCESS_DENIED	       5u
#define TK_WIN_ERROR_INVALID_HANDLE	       6u
#define TK_WIN_ERROR_NOT_ENOUGH_MEMORY	       8u
#define TK_WIN_ERROR_INVALID_DATA	       13u
#define TK_WIN_ERROR_OUTOFMEMORY	       14u
#define TK_WIN_ERROR_GEN_FAILURE	       31u
#define TK_WIN_ERROR_SHARING_VIOLATION	       32u
#define TK_WIN_ERROR_NOT_SUPPORTED	       50u
#define TK_WIN_ERROR_DUP_NAME		       52u
#define TK_WIN_ERROR_DEV_NOT_EXIST	       55u
#define TK_WIN_ERROR_FILE_EXISTS	       80u
#define TK_WIN_ERROR_INVALID_PARAMETER	       87u
#define TK_WIN_ERROR_CALL_NOT_IMPLEMENTED      120u
#define TK_WIN_ERROR_INSUFFICIENT_BUFFER       122u
#define TK_WIN_ERROR_MOD_NOT_FOUND	       126u
#define TK_WIN_ERROR_PROC_NOT_FOUND	       127u
#define TK_WIN_ERROR_ALREADY_EXISTS	       183u
#define TK_WIN_ERROR_BAD_EXE_FORMAT	       193u
#define TK_WIN_ERROR_VIRUS_INFECTED	       225u
#define TK_WIN_ERROR_VIRUS_DELETED	       226u
#define TK_WIN_ERROR_MORE_DATA		       234u
#define TK_WIN_ERROR_NO_MORE_ITEMS	       259u
#define TK_WIN_ERROR_INVALID_IMAGE_HASH	       577u
#define TK_WIN_ERROR_ELEVATION_REQUIRED	       740u
#define TK_WIN_ERROR_OPERATION_ABORTED	       995u
#define TK_WIN_ERROR_IO_INCOMPLETE	       996u
#define TK_WIN_ERROR_IO_PENDING		       997u
#define TK_WIN_ERROR_SERVICE_REQUEST_TIMEOUT   1053u
#define TK_WIN_ERROR_SERVICE_ALREADY_RUNNING   1056u
#define TK_WIN_ERROR_SERVICE_DISABLED	       1058u
#define TK_WIN_ERROR_SERVICE_DOES_NOT_EXIST    1060u
#define TK_WIN_ERROR_SERVICE_NOT_ACTIVE	       1062u
#define TK_WIN_ERROR_SERVICE_MARKED_FOR_DELETE 1072u
#define TK_WIN_ERROR_SERVICE_NEVER_STARTED     1077u
#define TK_WIN_ERROR_DLL_INIT_FAILED	       1114u
#define TK_WIN_ERROR_DEVICE_NOT_CONNECTED      1167u
#define TK_WIN_ERROR_NOT_FOUND		       1168u
#define TK_WIN_ERROR_CANCELLED		       1223u
#define TK_WIN_ERROR_DRIVER_BLOCKED	       1275u
#define TK_WIN_ERROR_NO_SYSTEM_RESOURCES       1450u
#define TK_WIN_ERROR_TIMEOUT		       1460u
#define TK_WIN_ERROR_SUCCESS_REBOOT_REQUIRED   3010u
#define TK_WIN_ERROR_OBJECT_ALREADY_EXISTS     5010u
/* SetupAPI's own codes (setupapi.h: APPLICATION_ERROR_MASK | ERROR_SEVERITY_ERROR | n). */
#define TK_WIN_ERROR_NO_DRIVER_SELECTED	     0xE0000203u
#define TK_WIN_ERROR_NO_SUCH_DEVINST	     0xE000020Bu
#define TK_WIN_ERROR_NO_CATALOG_FOR_OEM_INF  0xE000022Fu
#define TK_WIN_ERROR_DRIVER_NONNATIVE	     0xE0000234u
#define TK_WIN_ERROR_IN_WOW64		     0xE0000235u
#define TK_WIN_ERROR_AUTHENTICODE_DISALLOWED 0xE0000240u
/* WinVerifyTrust's HRESULTs that SetupAPI passes through for a bad driver signature. */
#define TK_WIN_TRUST_E_NOSIGNATURE  0x800B0100u
#define TK_WIN_CERT_E_UNTRUSTEDROOT 0x800B0109u

/*
 * Our own code for "the buffer the OS asked for is larger than we accept". Bit 29 marks
 * application-defined codes (winerror.h), so it can never collide with a system code.
 */
#define TK_WIN_ERROR_TK_TOO_LARGE 0x20000001u

/* Registry value types (winnt.h). */
#define TK_WIN_REG_SZ	     1u
#define TK_WIN_REG_EXPAND_SZ 2u
#define TK_WIN_REG_BINARY    3u
#define TK_WIN_REG_DWORD     4u
#define TK_WIN_REG_MULTI_SZ  7u
#define TK_WIN_REG_QWORD     11u

/* What an operation was, for mapping a Win32 code to a cause: the same code means different
 * things from CreateFile on the TAP device, from ReadFile, from the SCM or from SetupAPI. */
enum tk_win_op {
	TK_WIN_OP_GENERIC = 0,
	TK_WIN_OP_OPEN,	    /* CreateFile of \\.\Global\{GUID}.tap */
	TK_WIN_OP_IO,	    /* ReadFile, WriteFile, GetOverlappedResult */
	TK_WIN_OP_IOCTL,    /* DeviceIoControl on the TAP device */
	TK_WIN_OP_REGISTRY, /* Reg* */
	TK_WIN_OP_SERVICE,  /* the SCM: OpenService, QueryServiceStatus, StartService */
	TK_WIN_OP_MANAGE,   /* SetupAPI/newdev: create, delete, enable, disable, install */
	TK_WIN_OP_IPHLP,    /* IP Helper: addresses, MTU, interface lookups */
	TK_WIN_OP_LOAD,	    /* LoadLibrary, GetProcAddress */
};

/* The meaning of one (operation, code) pair. Strings are static. */
struct tk_win_cause {
	tk_status status;
	bool transient;
	const char *why;    /* what the code means here, lower case, no final period */
	const char *remedy; /* what to do */
};

void tk__winlogic_map_win32(enum tk_win_op op, uint32_t code, struct tk_win_cause *out);

/* HRESULT_FROM_SETUPAPI: the form FormatMessage understands for SetupAPI's 0xE000xxxx codes. */
uint32_t tk__winlogic_hresult_from_setupapi(uint32_t code);

/* ---- device problem codes (CM_PROB_*, cfg.h) ---- */
#define TK_CM_PROB_NONE			      0u
#define TK_CM_PROB_NOT_CONFIGURED	      1u
#define TK_CM_PROB_FAILED_START		      10u
#define TK_CM_PROB_NEED_RESTART		      14u
#define TK_CM_PROB_REINSTALL		      18u
#define TK_CM_PROB_REGISTRY		      19u
#define TK_CM_PROB_WILL_BE_REMOVED	      21u
#define TK_CM_PROB_DISABLED		      22u
#define TK_CM_PROB_DEVICE_NOT_THERE	      24u
#define TK_CM_PROB_FAILED_INSTALL	      28u
#define TK_CM_PROB_HARDWARE_DISABLED	      29u
#define TK_CM_PROB_FAILED_ADD		      31u
#define TK_CM_PROB_DISABLED_SERVICE	      32u
#define TK_CM_PROB_FAILED_DRIVER_ENTRY	      37u
#define TK_CM_PROB_DRIVER_FAILED_LOAD	      39u
#define TK_CM_PROB_DRIVER_SERVICE_KEY_INVALID 40u
#define TK_CM_PROB_FAILED_POST_START	      43u
#define TK_CM_PROB_PHANTOM		      45u
#define TK_CM_PROB_DRIVER_BLOCKED	      48u
#define TK_CM_PROB_UNSIGNED_DRIVER	      52u
#define TK_CM_PROB_NEED_CLASS_CONFIG	      56u

/* DevNode status bits (cfg.h). */
#define TK_DN_DRIVER_LOADED 0x00000002u
#define TK_DN_STARTED	    0x00000008u
#define TK_DN_HAS_PROBLEM   0x00000400u
#define TK_DN_DISABLEABLE   0x00002000u

struct tk_cm_problem {
	uint32_t code;
	tk_status status;    /* the cause it stands for */
	const char *name;    /* "CM_PROB_DISABLED" */
	const char *meaning; /* for a TAP adapter, lower case */
	const char *remedy;
};

/* Never NULL: unknown codes get a generic entry (name "CM_PROB_UNKNOWN"). */
const struct tk_cm_problem *tk__winlogic_cm_problem(uint32_t code);

/* ---- code integrity (SystemCodeIntegrityInformation options, ntddk/winternl) ---- */
#define TK_CI_ENABLED	       0x0001u
#define TK_CI_TESTSIGN	       0x0002u
#define TK_CI_UMCI	       0x0004u
#define TK_CI_DEBUGMODE	       0x0080u
#define TK_CI_HVCI_KMCI	       0x0400u
#define TK_CI_HVCI_KMCI_AUDIT  0x0800u
#define TK_CI_HVCI_KMCI_STRICT 0x1000u
#define TK_CI_WHQL_ENFORCEMENT 0x4000u

/* A three-valued fact read from the system: -1 when it could not be read. */
struct tk_ci_facts {
	bool options_known;  /* NtQuerySystemInformation(103) answered */
	uint32_t options;    /* its CodeIntegrityOptions */
	int secure_boot;     /* UEFISecureBootEnabled: 1, 0, or -1 (key absent: BIOS or unknown) */
	int hvci_configured; /* DeviceGuard ...\HypervisorEnforcedCodeIntegrity\Enabled */
	uint32_t problem;    /* the TAP adapter's problem code, 0 if none/unknown */
};

struct tk_ci_verdict {
	tk_status status; /* TK_OK, TK_E_DRIVER_UNSIGNED or TK_E_DRIVER_BLOCKED */
	bool testsign, hvci_running, debug, secure_boot_on, whql_only;
	char summary[TK_ERROR_TEXT_MAX]; /* what the system accepts, in words */
	char remedy[TK_ERROR_TEXT_MAX];	 /* "" when nothing to do */
};

/* Interprets the facts; pure. */
void tk__winlogic_ci_interpret(const struct tk_ci_facts *f, struct tk_ci_verdict *out);

/* ---- GUIDs ---- */
struct tk_guid {
	uint32_t data1;
	uint16_t data2, data3;
	uint8_t data4[8];
};
#define TK_GUID_TEXT_LEN 38 /* "{8-4-4-4-12}" without the NUL */

/* Parses "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (braces required, any case). */
bool tk__winlogic_guid_parse(const char *text, struct tk_guid *out);
/* Canonical upper-case form with braces into buf (at least TK_GUID_TEXT_LEN + 1 bytes). */
void tk__winlogic_guid_format(const struct tk_guid *g, char *buf, size_t size);

/* ---- component ids ---- */
/*
 * True if id (a registry ComponentId or a hardware id) is a TAP-Windows one: the built-in list
 * (tap0901, root\tap0901, tap0801, tapoas, tap_ovpnconnect and their root\ forms), or any
 * entry of `extra`, a comma-separated list (TAPKIT_TAP_IDS), compared case-insensitively.
 */
bool tk__winlogic_component_is_tap(const char *id, const char *extra);

/*
 * The driver behind a network adapter's ComponentId, for people: "a Wintun (WireGuard)",
 * "an OpenVPN DCO (ovpn-dco)", "a TAP-Windows6", or "another driver's" for ids we do not know.
 */
const char *tk__winlogic_driver_kind(const char *component);

/* ---- names ---- */
/*
 * Checks a connection name or a {GUID} given by the user. Names: valid UTF-8, 1..255 bytes,
 * no control characters and none of \ / : * ? " < > | (the rules Windows' netsh and OpenVPN's
 * tapctl apply). Text starting with '{' must be a well-formed GUID. On failure returns the
 * status and a static reason.
 */
tk_status tk__winlogic_name_check(const char *name, const char **reason);

/* ---- UTF-16 and UTF-8 ---- */
/*
 * Converts n UTF-16 units (stopping early at a NUL) to UTF-8 into out (size bytes, always
 * NUL-terminated when size > 0). Unpaired surrogates become U+FFFD. Returns the bytes the whole
 * text needs, without the NUL: the output was complete when that is < size.
 */
size_t tk__winlogic_utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size);
/*
 * Converts NUL-terminated UTF-8 to UTF-16 into out (cap units, NUL-terminated when cap > 0).
 * Returns the units needed without the NUL, or SIZE_MAX if the input is not valid UTF-8.
 */
size_t tk__winlogic_utf8_to_utf16(const char *in, uint16_t *out, size_t cap);

/* ---- registry values ---- */
enum tk_regval_verdict {
	TK_REGVAL_OK = 0,
	TK_REGVAL_WRONG_TYPE,
	TK_REGVAL_TOO_LONG,
	TK_REGVAL_ODD_SIZE, /* a string of an odd number of bytes: not UTF-16 */
	TK_REGVAL_EMPTY,
};

/*
 * Checks a string value as read: its type must be REG_SZ (or REG_EXPAND_SZ when allowed), its
 * size even, and its length (trailing NULs excluded; the registry does not promise one) at most
 * max_units. *units receives that length.
 */
enum tk_regval_verdict tk__winlogic_regval_check_sz(uint32_t type, const uint16_t *data,
						    size_t bytes, size_t max_units,
						    bool allow_expand, size_t *units);
/* A DWORD value: type REG_DWORD and exactly 4 bytes. */
enum tk_regval_verdict tk__winlogic_regval_check_dword(uint32_t type, size_t bytes);
const char *tk__winlogic_regval_verdict_text(enum tk_regval_verdict v);
const char *tk__winlogic_regtype_name(uint32_t type);

/* ---- "call twice to learn the size" ---- */
/*
 * One call of a sized Windows API: fill buf (NULL on the first call) of *size bytes, set *size
 * to what is needed, return a Win32 code (MORE_DATA or INSUFFICIENT_BUFFER when too small).
 */
typedef uint32_t tk_win_sized_fn(void *user, void *buf, uint32_t *size);

/*
 * Calls fn until the buffer is big enough: the size the OS asks for is checked again on every
 * call (a value may grow between the calls), at most `tries` times, never above max bytes
 * (TK_WIN_ERROR_TK_TOO_LARGE). On success *out is a heap buffer (free() it) of *size bytes
 * followed by 4 zero bytes, so a string value without a terminator is still terminated.
 */
uint32_t tk__winlogic_sized_call(tk_win_sized_fn *fn, void *user, uint32_t max, unsigned tries,
				 void **out, uint32_t *size);

/* ---- CfgMgr32 CONFIGRET (cfgmgr32.h) ---- */
#define TK_CR_SUCCESS		   0x00u
#define TK_CR_OUT_OF_MEMORY	   0x02u
#define TK_CR_INVALID_DEVNODE	   0x05u
#define TK_CR_NO_SUCH_DEVNODE	   0x0Du
#define TK_CR_FAILURE		   0x13u
#define TK_CR_REMOVE_VETOED	   0x17u
#define TK_CR_NEED_RESTART	   0x22u
#define TK_CR_DEVICE_NOT_THERE	   0x24u
#define TK_CR_NOT_DISABLEABLE	   0x28u
#define TK_CR_ACCESS_DENIED	   0x33u
#define TK_CR_CALL_NOT_IMPLEMENTED 0x34u
/* "CR_NOT_DISABLEABLE"; "CR_UNKNOWN" for others. */
const char *tk__winlogic_configret_name(uint32_t cr);
/* What a CONFIGRET from enabling or disabling a device means. */
void tk__winlogic_map_configret(uint32_t cr, struct tk_win_cause *out);

/* TAP_IOCTL_GET_VERSION's answer is one tapkit and OpenVPN accept: 9.9 or later. */
bool tk__winlogic_tap_version_ok(uint32_t major, uint32_t minor);

/* ---- service state (winsvc.h) ---- */
#define TK_SVC_STOPPED	      1u
#define TK_SVC_START_PENDING  2u
#define TK_SVC_STOP_PENDING   3u
#define TK_SVC_RUNNING	      4u
#define TK_SVC_START_DISABLED 4u /* the Start value */
const char *tk__winlogic_service_state_name(uint32_t state);
/* "ERROR_FILE_NOT_FOUND" for the Win32 codes tapkit maps; "" for others. */
const char *tk__winlogic_win32_name(uint32_t code);
const char *tk__winlogic_service_start_name(uint32_t start);

/* ---- security products (WMI root\SecurityCenter2 AntiVirusProduct.productState) ---- */
/* The real-time scanner state in bits 12-15: "off", "on", "snoozed", "expired", "unknown". */
const char *tk__winlogic_av_state_name(uint32_t product_state);
/* Signatures up to date (bits 4-7 zero). */
bool tk__winlogic_av_up_to_date(uint32_t product_state);

#endif /* TK_WINLOGIC_H */
