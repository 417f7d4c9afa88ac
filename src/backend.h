/* SPDX-License-Identifier: MIT */
/*
 * The one internal interface each OS directory implements (src/linux/, src/windows/).
 *
 * src/api.c owns the public entry points: it checks the context, the handles and the pointer
 * arguments, starts the call's trace, applies the retry policy, and only then calls the
 * tk__backend_* function. So a backend may assume: ctx is valid, err is non-NULL and cleared,
 * names passed the backend's own tk__backend_name_check, pointers the header marks as required
 * are non-NULL, and a tk_dev passed in is live. A backend fills err with tk__error_set at the
 * place a failure is first seen, with the OS code, and returns the status.
 */
#ifndef TK_BACKEND_H
#define TK_BACKEND_H

#include "tapkit.h"
#include "core/core_internal.h"

#define TK__DEV_MAGIC 0x746b6476u /* "tkdv" */
#define TK__DEV_DEAD  0xdeadd0d0u

struct tk__os_dev; /* defined by the backend */

struct tk_dev {
	uint32_t magic;
	tk_ctx *ctx;
	tk_mode mode;
	uint32_t flags;		/* TK_OPEN_* as opened */
	char name[TK_NAME_MAX]; /* as the OS reports it */
	struct tk__os_dev *os;	/* backend state; NULL until open succeeds */
};

/* Names */
tk_status tk__backend_name_check(const char *name, tk_error *err);
/* The symbolic name of a code of this OS ("EBUSY"), "" if unknown; see tk_os_code_name. */
const char *tk__backend_os_code_name(tk_os_kind kind, int64_t code);

/* Adapters by name */
tk_status tk__backend_adapter_list(tk_ctx *ctx, tk_adapter_info **out, size_t *count,
				   tk_error *err);
tk_status tk__backend_adapter_get(tk_ctx *ctx, const char *name, tk_adapter_info *out,
				  tk_error *err);
tk_status tk__backend_adapter_create(tk_ctx *ctx, const tk_create_opts *opts, tk_adapter_info *info,
				     tk_error *err);
tk_status tk__backend_adapter_delete(tk_ctx *ctx, const char *name, tk_error *err);
tk_status tk__backend_adapter_set_up(tk_ctx *ctx, const char *name, bool up, tk_error *err);
tk_status tk__backend_adapter_set_mtu(tk_ctx *ctx, const char *name, uint32_t mtu, tk_error *err);
tk_status tk__backend_adapter_set_mac(tk_ctx *ctx, const char *name, const uint8_t mac[TK_MAC_LEN],
				      tk_error *err);
tk_status tk__backend_adapter_set_master(tk_ctx *ctx, const char *name, const char *master,
					 tk_error *err);
tk_status tk__backend_adapter_addr(tk_ctx *ctx, const char *name, const tk_ip_addr *addr, bool add,
				   tk_error *err);
tk_status tk__backend_adapter_holders(tk_ctx *ctx, const char *name, tk_holder *out, size_t cap,
				      size_t *count, tk_error *err);
/* The device's enabled state (Windows); a backend without one says TK_E_UNSUPPORTED. */
tk_status tk__backend_adapter_set_enabled(tk_ctx *ctx, const char *name, bool on, tk_error *err);

/* The driver. out is zeroed by api.c; inf is non-empty; reboot is never NULL. */
tk_status tk__backend_driver_status(tk_ctx *ctx, tk_driver_info *out, tk_error *err);
tk_status tk__backend_driver_install(tk_ctx *ctx, const char *inf, bool *reboot, tk_error *err);

/*
 * Open adapters. dev is allocated and zeroed by api.c with magic, ctx, mode and flags set; the
 * backend sets dev->name and dev->os on success and leaves dev->os NULL on failure.
 */
tk_status tk__backend_dev_open(tk_ctx *ctx, const tk_open_opts *opts, tk_dev *dev, tk_error *err);
void tk__backend_dev_close(tk_dev *dev); /* releases dev->os; api.c frees dev */
tk_os_handle tk__backend_dev_handle(const tk_dev *dev);
tk_status tk__backend_dev_read(tk_dev *dev, void *buf, size_t cap, size_t *len, tk_error *err);
tk_status tk__backend_dev_write(tk_dev *dev, const void *frame, size_t len, tk_error *err);
tk_status tk__backend_dev_wait(tk_dev *dev, int timeout_ms, tk_error *err);
tk_status tk__backend_dev_set_nonblocking(tk_dev *dev, bool on, tk_error *err);
tk_status tk__backend_dev_set_offload(tk_dev *dev, uint32_t offloads, tk_error *err);
tk_status tk__backend_dev_set_carrier(tk_dev *dev, bool on, tk_error *err);
tk_status tk__backend_dev_set_queue_enabled(tk_dev *dev, bool on, tk_error *err);
tk_status tk__backend_dev_set_persist(tk_dev *dev, bool on, tk_error *err);
tk_status tk__backend_dev_wake(tk_dev *dev, tk_error *err); /* any thread, no logging */

/*
 * Doctor: adds the platform's checks, in order, to d (see tk__doctor_* in core_internal.h).
 * opts is never NULL. Returns TK_OK unless the checks themselves could not run; a failing check
 * is a result, not an error.
 */
tk_status tk__backend_doctor(tk_ctx *ctx, const tk_doctor_opts *opts, struct tk__doctor *d,
			     tk_error *err);

/*
 * doctor --program: the Windows loader's DLL search (src/windows/loader.c). find looks `dll` up
 * for an image of `bits` bits whose folder is appdir, in the loader's order; it returns true with
 * the file's path and where it was found ("KnownDLLs", "application directory", "system
 * directory", "API set", "Windows directory", "PATH"), *system true when it is part of Windows.
 * Elsewhere the backend leaves `available` false: the search needs Windows.
 */
struct tk__loader {
	bool available;
	unsigned os_bits;    /* 32 or 64; 0 when unknown */
	uint16_t os_machine; /* TK_PE_MACHINE_* of the OS; 0 when unknown */
	bool no_32bit;	     /* 64-bit Windows without a SysWOW64 folder: no 32-bit programs */
	char order[TK_ERROR_TEXT_MAX];
	bool (*find)(void *user, const char *dll, unsigned bits, const char *appdir, char *path,
		     size_t size, const char **where, bool *system);
	void *user;
};
void tk__backend_loader(struct tk__loader *out);
/* tk__doctor_program with a given loader (unit tests pass their own). */
void tk__doctor_program_with(const char *path, struct tk__doctor *d, const struct tk__loader *ld);

/*
 * Watch: a subscription to link events (Linux: rtnetlink RTNLGRP_LINK). Only TUN/TAP adapters
 * are reported. read waits up to timeout_ms (-1: forever), then hands every pending event to fn;
 * TK_E_TIMEOUT if none came, TK_E_INTERRUPTED on a signal. *lost is set when the OS dropped
 * events (socket overrun): the caller then rescans the adapters that exist.
 */
struct tk__watch_os;
struct tk__link_event {
	const char *name;
	uint32_t ifindex;
	bool removed;	 /* RTM_DELLINK */
	const char *id;	 /* Windows: the adapter's {GUID}, one per incarnation; NULL elsewhere */
	bool disabled;	 /* Windows: there but disabled: applied only where Enable = true */
	const char *why; /* Windows: what changed, for the log ("re-enabled"); NULL elsewhere */
};
typedef void tk__link_event_fn(void *user, const struct tk__link_event *ev);
tk_status tk__backend_watch_open(tk_ctx *ctx, struct tk__watch_os **out, tk_error *err);
void tk__backend_watch_close(struct tk__watch_os *os);
tk_os_handle tk__backend_watch_handle(const struct tk__watch_os *os);
tk_status tk__backend_watch_read(tk_ctx *ctx, struct tk__watch_os *os, int timeout_ms,
				 tk__link_event_fn *fn, void *user, bool *lost, tk_error *err);
/* Renames the adapter's connection (Windows: ConnectionName); TK_E_UNSUPPORTED elsewhere. */
tk_status tk__backend_watch_rename(tk_ctx *ctx, const char *name, const char *new_name,
				   tk_error *err);

#endif /* TK_BACKEND_H */
