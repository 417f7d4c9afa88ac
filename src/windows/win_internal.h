/* SPDX-License-Identifier: MIT */
/*
 * What the files of the Windows backend share. Each file is named after the Windows facility it
 * wraps (registry.c, setupapi.c, cfgmgr.c, service.c, tapioctl.c, iphlp.c, ...); the functions
 * it offers the others are declared here as tk__<file>_<verb>.
 */
#ifndef TK_WIN_INTERNAL_H
#define TK_WIN_INTERNAL_H

/* Order matters: winsock2 before windows.h, initguid before the GUID headers. */
#include <winsock2.h>
#include <windows.h>

#include "backend.h"
#include "recorded.h"
#include "siglogic.h"
#include "winlogic.h"

#include <stdbool.h>
#include <stdint.h>

#define TK_WIN_NET_CLASS_W    L"{4D36E972-E325-11CE-BFC1-08002BE10318}"
#define TK_WIN_CLASS_KEY_W    L"SYSTEM\\CurrentControlSet\\Control\\Class\\" TK_WIN_NET_CLASS_W
#define TK_WIN_NETWORK_KEY_W  L"SYSTEM\\CurrentControlSet\\Control\\Network\\" TK_WIN_NET_CLASS_W
#define TK_WIN_SERVICE_NAME_W L"tap0901"

/* Longest value we accept from the registry: far above any valid one, bounded all the same. */
#define TK_WIN_REG_MAX_BYTES (64u * 1024u)
/* Connection names: tapctl's and netsh's limit. */
#define TK_WIN_NAME_MAX_UNITS 255u

/* ---- errmap.c ---- */
/* The OS's own text for a Win32 code (SetupAPI codes via HRESULT_FROM_SETUPAPI), UTF-8. */
void tk__errmap_os_text(DWORD code, char *buf, size_t size);
/*
 * Fills err (first failure only) from a Win32 code met in operation `op`: the cause, message
 * "<what>: <why>", the specific remedy and the OS text. Logs it once at error level unless
 * quiet. Returns the status.
 */
tk_status tk__errmap_win32(tk_ctx *ctx, tk_error *err, enum tk_win_op op, const char *opname,
			   const char *object, DWORD code, const char *what);
tk_status tk__errmap_win32_quiet(tk_error *err, enum tk_win_op op, const char *opname,
				 const char *object, DWORD code, const char *what);

/* ---- utf.c-like helpers (in errmap.c): UTF-8 <-> UTF-16 on Windows' WCHAR ---- */
/* Heap UTF-16 copy of s (free()), NULL if s is not valid UTF-8 or memory ran out. */
wchar_t *tk__errmap_wide(const char *s);
/* UTF-8 of w into buf; returns false if it did not fit (buf then holds a truncated copy). */
bool tk__errmap_narrow(const wchar_t *w, char *buf, size_t size);

/* ---- registry.c ---- */
/*
 * Reads value `name` of key (any type) with the call-twice helper: *data is a heap buffer
 * (free()) with 4 zero bytes after *size. Returns a Win32 code.
 */
DWORD tk__registry_query(HKEY key, const wchar_t *name, DWORD *type, void **data, DWORD *size);
/*
 * Reads a REG_SZ (or REG_EXPAND_SZ when allow_expand) into UTF-8 out. A missing value gives
 * TK_E_ADAPTER_NOT_FOUND with os code 2; the wrong type, a length above max_units or an odd size
 * gives TK_E_CONFIG naming the value, its key (`where`) and what is wrong. Never logs.
 */
tk_status tk__registry_get_sz(HKEY key, const wchar_t *name, const char *where, size_t max_units,
			      bool allow_expand, char *out, size_t size, tk_error *err);
/* Reads a REG_DWORD; same reporting. */
tk_status tk__registry_get_dword(HKEY key, const wchar_t *name, const char *where, DWORD *out,
				 tk_error *err);

/* One TAP adapter as the registry describes it, cross-checked with SetupAPI/CfgMgr. */
struct tk_win_adapter {
	char guid[TK_ID_MAX];	      /* NetCfgInstanceId, canonical upper case; "" if bad */
	char name[TK_NAME_MAX];	      /* Connection\Name; the GUID when unreadable */
	char component[64];	      /* ComponentId as found */
	char description[128];	      /* DriverDesc */
	char driver_version[32];      /* DriverVersion */
	char class_subkey[16];	      /* "0003" */
	char note[TK_ERROR_TEXT_MAX]; /* a registry problem found on the way, "" if none */
	tk_status note_status;	      /* its cause (TK_E_CONFIG, TK_E_INVALID_GUID) */
	bool name_from_registry;      /* false: the name is the GUID because Name was unreadable */
	int media_status;	      /* MediaStatus parameter: 0, 1, or -1 if absent */
	bool allow_nonadmin; /* the AllowNonAdmin parameter exists (driver: world access) */
	/* from SetupAPI/CfgMgr (setupapi.c) */
	bool devnode;	    /* a device instance has this GUID */
	bool present;	    /* CM_Get_DevNode_Status answered: the devnode is present */
	uint32_t dn_status; /* DN_* */
	uint32_t problem;   /* CM_PROB_*, 0 if none */
	char instance_id[200];
};

/*
 * Every TAP adapter under the network class key, component ids matched case-insensitively
 * (plus TAPKIT_TAP_IDS). Keys that cannot be opened are skipped; values that are unreadable are
 * recorded in note and logged at warn level. *out is calloc'd (free()).
 */
tk_status tk__registry_adapters(tk_ctx *ctx, struct tk_win_adapter **out, size_t *count,
				tk_error *err);
/*
 * Finds an adapter by connection name (case-insensitive) or {GUID}. TK_E_ADAPTER_NOT_FOUND
 * names what was searched; that failure is not logged (the caller decides: a probe is not an error).
 */
tk_status tk__registry_find(tk_ctx *ctx, const char *name, struct tk_win_adapter *out,
			    tk_error *err);

/* ---- setupapi.c / cfgmgr.c ---- */
/* Fills the devnode fields of each adapter (matching NetCfgInstanceId); never fails the list. */
void tk__setupapi_annotate(tk_ctx *ctx, struct tk_win_adapter *list, size_t count);
/* DN_* status and problem of a device instance; returns the CONFIGRET. */
uint32_t tk__cfgmgr_status(DWORD devinst, uint32_t *status, uint32_t *problem);
/* CM_Enable_DevNode / CM_Disable_DevNode; returns the CONFIGRET. */
uint32_t tk__cfgmgr_set_enabled(DWORD devinst, bool enable);
/* Create (hardware id root\tap0901), delete, enable/disable by GUID. Need elevation. */
tk_status tk__setupapi_create(tk_ctx *ctx, const char *hwid, char *guid_out, size_t size,
			      tk_error *err);
tk_status tk__setupapi_delete(tk_ctx *ctx, const char *guid, tk_error *err);
tk_status tk__setupapi_enable(tk_ctx *ctx, const char *guid, bool enable, tk_error *err);
/* Stages and installs a driver package from an INF path (newdev.dll DiInstallDriverW). */
tk_status tk__setupapi_install_inf(tk_ctx *ctx, const char *inf, bool *reboot, tk_error *err);

/* ---- service.c ---- */
struct tk_win_service {
	bool exists;
	DWORD state;	  /* SERVICE_* state */
	DWORD start;	  /* Start value: 3 demand, 4 disabled */
	DWORD exit_code;  /* Win32 exit code of the last start */
	char image[300];  /* ImagePath as stored */
	char file[300];	  /* ImagePath resolved to a file path */
	bool file_exists; /* that file exists */
};
/* Queries the tap0901 service (SCM and its registry key). Fails only on access problems. */
tk_status tk__service_query(tk_ctx *ctx, struct tk_win_service *out, tk_error *err);
tk_status tk__service_start(tk_ctx *ctx, tk_error *err);

/* ---- driver.c (shared with the doctor's checks.c) ---- */
/* A TAP package staged in the driver store: its folder name and DriverVer; "" when none. */
void tk__driver_staged_package(char *package, size_t psize, char *version, size_t vsize);
/* The installers' copy of OemVista.inf (under ProgramFiles); "" when none. */
void tk__driver_installer_copy(char *out, size_t size);

/* ---- elevation.c ---- */
/* True if the token is elevated; TAPKIT_TEST_FORCE_NOT_ELEVATED=1 (tests only) says false. */
bool tk__elevation_is_elevated(int *elevation_type);
/* TK_E_NO_PRIVILEGE for `what` if not elevated. */
tk_status tk__elevation_require(tk_ctx *ctx, const char *op, const char *object, tk_error *err);

/* ---- codeintegrity.c ---- */
void tk__codeintegrity_read(struct tk_ci_facts *out);

/* ---- iphlp.c ---- */
/* Fills ifindex, MAC, MTU, operstate and addresses of info for the adapter's GUID. */
void tk__iphlp_annotate(const char *guid, tk_adapter_info *info);
tk_status tk__iphlp_set_mtu(tk_ctx *ctx, const char *guid, const char *object, uint32_t mtu,
			    tk_error *err);
tk_status tk__iphlp_addr(tk_ctx *ctx, const char *guid, const char *object, const tk_ip_addr *addr,
			 bool add, tk_error *err);

/* ---- tapioctl.c ---- */
#define TK_TAP_IOCTL(n)		      ((DWORD)((0x22u << 16) | ((n) << 2)))
#define TK_TAP_IOCTL_GET_MAC	      TK_TAP_IOCTL(1u)
#define TK_TAP_IOCTL_GET_VERSION      TK_TAP_IOCTL(2u)
#define TK_TAP_IOCTL_GET_MTU	      TK_TAP_IOCTL(3u)
#define TK_TAP_IOCTL_SET_MEDIA_STATUS TK_TAP_IOCTL(6u)
#define TK_TAP_IOCTL_CONFIG_TUN	      TK_TAP_IOCTL(10u)
/* One ioctl; returns the Win32 code. out may be NULL (the input is passed back as OpenVPN does). */
DWORD tk__tapioctl_call(HANDLE h, DWORD code, const void *in, DWORD inlen, void *out, DWORD outlen,
			DWORD *got);
/* The device path \\.\Global\{GUID}.tap in UTF-16. */
void tk__tapioctl_path(const char *guid, wchar_t *buf, size_t units);

/* ---- security.c ---- */
struct tk_win_product {
	char name[96];
	char kind[16];	/* "antivirus", "firewall" */
	uint32_t state; /* productState */
};
struct tk_win_security {
	bool available; /* Security Center answered (client Windows) */
	uint32_t hr;	/* the HRESULT when it did not */
	size_t count;
	struct tk_win_product products[8];
};
void tk__security_products(struct tk_win_security *out);

/* ---- nci.c ---- */
/* Renames the connection of the adapter with this GUID (nci.dll, looked up at run time). */
tk_status tk__nci_set_name(tk_ctx *ctx, const char *guid, const char *name, tk_error *err);

/* ---- device.c ---- */
/* Explains a failed CreateFile of adapter a (code) in err, refined with its device problem,
 * without logging. */
tk_status tk__device_explain(const struct tk_win_adapter *a, DWORD code, tk_error *err);
/* One CreateFile of the adapter's device, as doctor does it: returns the Win32 code (0 = opened
 * and closed again); after an open, *ioctl is TAP_IOCTL_GET_VERSION's code and version its
 * answer (major, minor, debug). */
DWORD tk__device_probe(const char *guid, uint32_t version[3], DWORD *ioctl);

/* ---- eventlog.c ---- */
/*
 * The newest events (at most cap) of a channel that match xpath, parsed; returns a Win32 code
 * (the query's failure: 15007 no such channel, 5 not allowed; Wine's stub fails too).
 */
DWORD tk__eventlog_read(const wchar_t *channel, const wchar_t *xpath, struct tk_win_event *out,
			size_t cap, size_t *count);
/* True under Wine (ntdll exports wine_get_version), its version into version. */
bool tk__eventlog_wine(char *version, size_t size);

/* ---- wintrust.c ---- */
struct tk_win_sig_one {
	bool done;	 /* WinVerifyTrust was called */
	uint32_t result; /* its HRESULT, 0 = trusted */
	char signer[128], root[128];
	char chain[TK_ERROR_TEXT_MAX]; /* "signer > CA > root" */
};
struct tk_win_sig {
	struct tk_win_sig_one file; /* the embedded signature */
	struct tk_win_sig_one
		catalog; /* the catalog listing the file's hash, or the package's .cat */
	char catalog_path[300];
};
/* Verifies file (and its catalog; package_cat, may be NULL, when no installed catalog lists
 * it). Never fails: what could not be checked has done = false. */
void tk__wintrust_check(const char *file, const char *package_cat, struct tk_win_sig *out);

#endif /* TK_WIN_INTERNAL_H */
