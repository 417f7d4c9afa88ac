/* SPDX-License-Identifier: MIT */
/*
 * The public entry points for adapters and open devices. Each one checks what the caller handed
 * in (context, handle, required pointers, names), starts the call's trace, and dispatches to the
 * one backend the build selected. Misuse is caught here, so a backend never hands the OS a
 * closed or foreign handle (Windows' error 6 can never come from us).
 */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

static tk_status misuse(tk_ctx *ctx, tk_error *err, tk_status st, const char *op, const char *what)
{
	return tk__error_set(ctx, err, st, op, "", TK_OS_NONE, 0, "API misuse: %s", what);
}

/*
 * err may be NULL for the caller; inside, every call has a record so that the failure is still
 * filled once and logged once.
 */
#define TK__ERR_LOCAL(err)    \
	tk_error err##_local; \
	if (!(err))           \
	(err) = &err##_local

static bool dev_valid(const tk_dev *dev)
{
	return dev && dev->magic == TK__DEV_MAGIC && dev->os && tk__ctx_valid(dev->ctx);
}

static tk_status name_ok(tk_ctx *ctx, const char *name, tk_error *err, const char *op)
{
	if (!name || !*name)
		return misuse(ctx, err, TK_E_BAD_ARGUMENT, op, "an adapter name is required");
	tk_status st = tk__backend_name_check(name, err);
	if (st != TK_OK)
		tk__error_log(ctx, err);
	return st;
}

tk_status tk_adapter_name_check(const char *name, tk_error *err)
{
	TK__ERR_LOCAL(err);
	memset(err, 0, sizeof(*err));
	if (!name || !*name)
		return tk__error_set_quiet(err, TK_E_NAME_INVALID, "check name", "", TK_OS_NONE, 0,
					   "the adapter name is empty");
	return tk__backend_name_check(name, err);
}

const char *tk_os_code_name(tk_os_kind kind, int64_t code)
{
	return tk__backend_os_code_name(kind, code);
}

tk_status tk_adapter_list(tk_ctx *ctx, tk_adapter_info **out, size_t *count, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "list adapters"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st;
	if (!out || !count)
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "list adapters", "out and count required");
	else
		st = tk__backend_adapter_list(ctx, out, count, err);
	tk__call_end(ctx, tok);
	return st;
}

void tk_adapter_list_free(tk_adapter_info *list)
{
	free(list);
}

tk_status tk_adapter_get(tk_ctx *ctx, const char *name, tk_adapter_info *out, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "show adapter"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, "show adapter");
	if (st == TK_OK && !out)
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "show adapter", "out is required");
	if (st == TK_OK)
		st = tk__backend_adapter_get(ctx, name, out, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_create(tk_ctx *ctx, const tk_create_opts *opts, tk_adapter_info *info,
			    tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "create adapter"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = TK_OK;
	if (!opts)
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "create adapter", "opts is required");
	else if (opts->mode != TK_MODE_TAP && opts->mode != TK_MODE_TUN)
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "create adapter",
				   opts->name ? opts->name : "", TK_OS_NONE, 0, "unknown mode %d",
				   (int)opts->mode);
	else if (opts->name && *opts->name)
		st = name_ok(ctx, opts->name, err, "create adapter");
	if (st == TK_OK)
		st = tk__backend_adapter_create(ctx, opts, info, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_delete(tk_ctx *ctx, const char *name, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "delete adapter"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, "delete adapter");
	if (st == TK_OK)
		st = tk__backend_adapter_delete(ctx, name, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_set_up(tk_ctx *ctx, const char *name, bool up, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, up ? "set up" : "set down"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, up ? "set up" : "set down");
	if (st == TK_OK)
		st = tk__backend_adapter_set_up(ctx, name, up, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_mtu_check(uint32_t mtu, uint32_t flags, tk_error *err)
{
	uint32_t min = (flags & TK_MTU_IPV6) ? TK_MTU_MIN_IPV6 : TK_MTU_MIN;
	uint32_t max = (flags & TK_MTU_TUNNEL) ? TK_MTU_TUNNEL_MAX : TK_MTU_MAX;
	if (mtu >= min && mtu <= max)
		return TK_OK;
	tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "check mtu", "MTU", TK_OS_NONE, 0,
			    "MTU %u is outside %u..%u%s", (unsigned)mtu, (unsigned)min,
			    (unsigned)max,
			    (flags & TK_MTU_IPV6)     ? " (IPv6 needs 1280)"
			    : (flags & TK_MTU_TUNNEL) ? " (the tunnel's adapter)"
						      : "");
	if (err)
		tk__error_remedy(err, "use an MTU from %u to %u", (unsigned)min, (unsigned)max);
	return TK_E_BAD_ARGUMENT;
}

tk_status tk_adapter_set_mtu(tk_ctx *ctx, const char *name, uint32_t mtu, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "set mtu"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, "set mtu");
	if (st == TK_OK)
		st = tk__backend_adapter_set_mtu(ctx, name, mtu, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_set_mac(tk_ctx *ctx, const char *name, const uint8_t mac[TK_MAC_LEN],
			     tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "set mac"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, "set mac");
	if (st == TK_OK && !mac)
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "set mac", "mac is required");
	if (st == TK_OK)
		st = tk__backend_adapter_set_mac(ctx, name, mac, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_set_master(tk_ctx *ctx, const char *name, const char *master, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "set master"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, "set master");
	if (st == TK_OK)
		st = tk__backend_adapter_set_master(ctx, name, master && *master ? master : NULL,
						    err);
	tk__call_end(ctx, tok);
	return st;
}

static tk_status addr_change(tk_ctx *ctx, const char *name, const tk_ip_addr *addr, bool add,
			     tk_error *err)
{
	const char *op = add ? "add address" : "delete address";
	if (!tk__ctx_check(ctx, err, op))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, op);
	if (st == TK_OK && !addr)
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, op, "addr is required");
	else if (st == TK_OK && ((addr->family != 4 && addr->family != 6) ||
				 addr->prefix > (addr->family == 4 ? 32 : 128)))
		st = tk__error_set(ctx, err, TK_E_ADDRESS_INVALID, op, name, TK_OS_NONE, 0,
				   "address family %u with prefix /%u is not valid",
				   (unsigned)addr->family, (unsigned)addr->prefix);
	if (st == TK_OK)
		st = tk__backend_adapter_addr(ctx, name, addr, add, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_addr_add(tk_ctx *ctx, const char *name, const tk_ip_addr *addr, tk_error *err)
{
	TK__ERR_LOCAL(err);
	return addr_change(ctx, name, addr, true, err);
}

tk_status tk_adapter_addr_del(tk_ctx *ctx, const char *name, const tk_ip_addr *addr, tk_error *err)
{
	TK__ERR_LOCAL(err);
	return addr_change(ctx, name, addr, false, err);
}

tk_status tk_adapter_holders(tk_ctx *ctx, const char *name, tk_holder *out, size_t cap,
			     size_t *count, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "find holders"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, "find holders");
	if (st == TK_OK && (!count || (!out && cap)))
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "find holders", "count is required");
	if (st == TK_OK)
		st = tk__backend_adapter_holders(ctx, name, out, cap, count, err);
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_adapter_set_enabled(tk_ctx *ctx, const char *name, bool on, tk_error *err)
{
	const char *op = on ? "enable adapter" : "disable adapter";
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, op))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = name_ok(ctx, name, err, op);
	if (st == TK_OK)
		st = tk__backend_adapter_set_enabled(ctx, name, on, err);
	tk__call_end(ctx, tok);
	return st;
}

/* ---- the driver ---- */

tk_status tk_driver_status(tk_ctx *ctx, tk_driver_info *out, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "driver status"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st;
	if (!out) {
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "driver status", "out is required");
	} else {
		/* Filled in a copy: outputs stay untouched on failure. */
		tk_driver_info info;
		memset(&info, 0, sizeof(info));
		st = tk__backend_driver_status(ctx, &info, err);
		if (st == TK_OK)
			*out = info;
	}
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_driver_install(tk_ctx *ctx, const char *inf_path, bool *reboot, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "install driver"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st;
	bool rb = false;
	if (!inf_path || !*inf_path)
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "install driver",
			    "the path of an INF file is required");
	else
		st = tk__backend_driver_install(ctx, inf_path, &rb, err);
	if (st == TK_OK && reboot)
		*reboot = rb;
	tk__call_end(ctx, tok);
	return st;
}

/* ---- open devices ---- */

struct open_try {
	tk_ctx *ctx;
	const tk_open_opts *opts;
	tk_dev *dev;
};

static tk_status open_once(void *user, tk_error *err)
{
	struct open_try *t = user;
	return tk__backend_dev_open(t->ctx, t->opts, t->dev, err);
}

tk_status tk_dev_open(tk_ctx *ctx, const tk_open_opts *opts, tk_dev **out, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!tk__ctx_check(ctx, err, "open"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st = TK_OK;
	tk_dev *dev = NULL;

	if (!opts || !out) {
		st = misuse(ctx, err, TK_E_BAD_ARGUMENT, "open", "opts and out are required");
		goto out;
	}
	if (opts->mode != TK_MODE_TAP && opts->mode != TK_MODE_TUN) {
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "open",
				   opts->name ? opts->name : "", TK_OS_NONE, 0, "unknown mode %d",
				   (int)opts->mode);
		goto out;
	}
	if (opts->name && *opts->name) {
		st = name_ok(ctx, opts->name, err, "open");
		if (st != TK_OK)
			goto out;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		st = tk__error_set(ctx, err, TK_E_NO_MEMORY, "open", opts->name ? opts->name : "",
				   TK_OS_NONE, 0, "cannot allocate the device handle");
		goto out;
	}
	dev->magic = TK__DEV_MAGIC;
	dev->ctx = ctx;
	dev->mode = opts->mode;
	dev->flags = opts->flags;

	struct open_try t = { .ctx = ctx, .opts = opts, .dev = dev };
	if (opts->flags & TK_OPEN_RETRY)
		st = tk_retry_run(ctx, &ctx->retry, "open", open_once, &t, err);
	else
		st = open_once(&t, err);
	if (st != TK_OK)
		goto out_free;
	tk__log(ctx, TK_LOG_INFO, "api", NULL, 0, "opened %s adapter %s",
		dev->mode == TK_MODE_TAP ? "TAP" : "TUN", dev->name);
	*out = dev;
	dev = NULL;
out_free:
	free(dev);
out:
	tk__call_end(ctx, tok);
	return st;
}

void tk_dev_close(tk_dev *dev)
{
	if (!dev)
		return;
	if (!dev_valid(dev))
		return; /* a foreign or closed handle: nothing we may touch */
	tk__backend_dev_close(dev);
	dev->magic = TK__DEV_DEAD;
	dev->os = NULL;
	free(dev);
}

const char *tk_dev_name(const tk_dev *dev)
{
	return dev_valid(dev) ? dev->name : "";
}

tk_mode tk_dev_mode(const tk_dev *dev)
{
	return dev_valid(dev) ? dev->mode : TK_MODE_TAP;
}

tk_os_handle tk_dev_handle(const tk_dev *dev)
{
	return dev_valid(dev) ? tk__backend_dev_handle(dev) : TK_OS_HANDLE_INVALID;
}

/*
 * The frame path: a lazy trace scope (an id is made only if the call fails), no logging unless
 * something fails, and err only cleared by status, so a read costs nothing beyond the system
 * call.
 */
static bool dev_check(const tk_dev *dev, tk_error *err, const char *op)
{
	if (dev_valid(dev))
		return true;
	tk__error_bad_handle(err, op, "tk_dev is NULL, closed or not a tapkit handle");
	return false;
}

static void err_reset(tk_error *err)
{
	err->status = TK_OK;
	err->os_kind = TK_OS_NONE;
	err->os_code = 0;
	err->op[0] = '\0';
}

tk_status tk_dev_read(tk_dev *dev, void *buf, size_t cap, size_t *len, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!dev_check(dev, err, "read"))
		return err->status;
	err_reset(err);
	if (!buf || !len || cap == 0)
		return misuse(dev->ctx, err, TK_E_BAD_ARGUMENT, "read",
			      "buf, cap and len required");
	int tok = tk__call_begin_lazy(dev->ctx);
	tk_status st = tk__backend_dev_read(dev, buf, cap, len, err);
	tk__call_end(dev->ctx, tok);
	return st;
}

tk_status tk_dev_write(tk_dev *dev, const void *frame, size_t len, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!dev_check(dev, err, "write"))
		return err->status;
	err_reset(err);
	if (!frame && len)
		return misuse(dev->ctx, err, TK_E_BAD_ARGUMENT, "write", "frame is NULL");
	int tok = tk__call_begin_lazy(dev->ctx);
	tk_status st = tk__backend_dev_write(dev, frame, len, err);
	tk__call_end(dev->ctx, tok);
	return st;
}

tk_status tk_dev_wait(tk_dev *dev, int timeout_ms, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!dev_check(dev, err, "wait"))
		return err->status;
	err_reset(err);
	int tok = tk__call_begin_lazy(dev->ctx);
	tk_status st = tk__backend_dev_wait(dev, timeout_ms, err);
	tk__call_end(dev->ctx, tok);
	return st;
}

/* Control calls on an open device: a trace scope each, like the calls by name. */
#define TK__DEV_CALL(op, call)                            \
	do {                                              \
		TK__ERR_LOCAL(err);                       \
		if (!dev_check(dev, err, op))             \
			return err->status;               \
		int tok_ = tk__call_begin(dev->ctx, err); \
		tk_status st_ = (call);                   \
		tk__call_end(dev->ctx, tok_);             \
		return st_;                               \
	} while (0)

tk_status tk_dev_set_nonblocking(tk_dev *dev, bool on, tk_error *err)
{
	TK__DEV_CALL("set non-blocking", tk__backend_dev_set_nonblocking(dev, on, err));
}

tk_status tk_dev_set_offload(tk_dev *dev, uint32_t offloads, tk_error *err)
{
	TK__DEV_CALL("set offload", tk__backend_dev_set_offload(dev, offloads, err));
}

tk_status tk_dev_set_carrier(tk_dev *dev, bool on, tk_error *err)
{
	TK__DEV_CALL("set carrier", tk__backend_dev_set_carrier(dev, on, err));
}

tk_status tk_dev_set_queue_enabled(tk_dev *dev, bool on, tk_error *err)
{
	TK__DEV_CALL("set queue", tk__backend_dev_set_queue_enabled(dev, on, err));
}

tk_status tk_dev_set_persist(tk_dev *dev, bool on, tk_error *err)
{
	TK__DEV_CALL("set persist", tk__backend_dev_set_persist(dev, on, err));
}

/* No trace scope: it runs beside another thread's call on the same handle. */
tk_status tk_dev_wake(tk_dev *dev, tk_error *err)
{
	TK__ERR_LOCAL(err);
	if (!dev_check(dev, err, "wake"))
		return err->status;
	err_reset(err);
	return tk__backend_dev_wake(dev, err);
}
