/* SPDX-License-Identifier: MIT */
/*
 * The backend's adapter calls (src/backend.h) on Windows: list and show from the registry,
 * cross-checked with SetupAPI/CfgMgr and IP Helper; create, delete, enable/disable (set_up),
 * MTU, MAC and addresses, each checking elevation first so that a missing right is named before
 * Windows says "access denied". Calls that have no Windows meaning say which Windows tool does
 * the job instead.
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>

const char *tk__backend_os_code_name(tk_os_kind kind, int64_t code)
{
	if (kind != TK_OS_WIN32 || code < 0 || code > UINT32_MAX)
		return "";
	return tk__winlogic_win32_name((uint32_t)code);
}

tk_status tk__backend_name_check(const char *name, tk_error *err)
{
	const char *reason = "";
	tk_status st = tk__winlogic_name_check(name, &reason);
	if (st == TK_OK)
		return TK_OK;
	tk__error_set_quiet(err, st, "check name", name, TK_OS_NONE, 0,
			    "invalid adapter name \"%s\": %s", name, reason);
	tk__error_remedy(
		err,
		st == TK_E_INVALID_GUID
			? "copy the {GUID} exactly as `tapkit list` shows it"
			: "use 1 to 255 bytes without control characters or \\ / : * ? \" < > |");
	return st;
}

static void fill_info(const struct tk_win_adapter *a, tk_adapter_info *info)
{
	memset(info, 0, sizeof(*info));
	tk__strlcpy(info->name, a->name, sizeof(info->name));
	tk__strlcpy(info->id, a->guid, sizeof(info->id));
	info->mode = TK_MODE_TAP; /* TUN is chosen per open (CONFIG_TUN), not per adapter */
	info->owner = -1;
	info->group = -1;
	info->flags = TK_ADAPTER_PERSIST;
	if (a->devnode && a->problem != TK_CM_PROB_DISABLED)
		info->flags |= TK_ADAPTER_ENABLED;
	if (a->present && (a->dn_status & TK_DN_STARTED))
		info->flags |= TK_ADAPTER_PRESENT;
	tk__strlcpy(info->driver, a->component, sizeof(info->driver));
	tk__strlcpy(info->driver_version, a->driver_version, sizeof(info->driver_version));
	info->problem_code = a->problem;
	tk__iphlp_annotate(a->guid, info);
	if (!a->present)
		tk__strlcpy(info->operstate, "notpresent", sizeof(info->operstate));
}

tk_status tk__backend_adapter_list(tk_ctx *ctx, tk_adapter_info **out, size_t *count, tk_error *err)
{
	struct tk_win_adapter *list;
	size_t n;
	tk_status st = tk__registry_adapters(ctx, &list, &n, err);
	if (st != TK_OK)
		return st;
	tk__setupapi_annotate(ctx, list, n);
	tk_adapter_info *infos = calloc(n ? n : 1, sizeof(*infos));
	if (!infos) {
		free(list);
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "list adapters", "", TK_OS_NONE, 0,
				     "out of memory");
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (list[i].guid[0]) /* a key without a usable GUID was reported as a warning */
			fill_info(&list[i], &infos[k++]);
	free(list);
	*out = infos;
	*count = k;
	return TK_OK;
}

/* Finds an adapter by name or GUID and fills in its device state. */
static tk_status find(tk_ctx *ctx, const char *name, struct tk_win_adapter *a, tk_error *err)
{
	tk_status st = tk__registry_find(ctx, name, a, err);
	if (st != TK_OK) {
		if (st == TK_E_ADAPTER_NOT_FOUND)
			tk__error_log(ctx,
				      err); /* tk__registry_find leaves logging to its caller */
		return st;
	}
	if (!a->guid[0]) {
		tk__error_set(ctx, err, a->note_status ? a->note_status : TK_E_CONFIG,
			      "find adapter", name, TK_OS_NONE, 0, "%s", a->note);
		return err->status;
	}
	tk__setupapi_annotate(ctx, a, 1);
	return TK_OK;
}

tk_status tk__backend_adapter_get(tk_ctx *ctx, const char *name, tk_adapter_info *out,
				  tk_error *err)
{
	struct tk_win_adapter a;
	tk_status st = find(ctx, name, &a, err);
	if (st == TK_OK)
		fill_info(&a, out);
	return st;
}

tk_status tk__backend_adapter_create(tk_ctx *ctx, const tk_create_opts *opts, tk_adapter_info *info,
				     tk_error *err)
{
	const char *name = opts->name && *opts->name ? opts->name : "";
	if (opts->flags & (TK_CREATE_MULTI_QUEUE | TK_CREATE_VNET_HDR)) {
		tk__error_set(ctx, err, TK_E_UNSUPPORTED, "create adapter", name, TK_OS_NONE, 0,
			      "TAP-Windows6 has no multi-queue or virtio-net header");
		tk__error_remedy(err, "create without --multi-queue and --vnet-hdr on Windows");
		return TK_E_UNSUPPORTED;
	}
	if ((opts->owner_set || opts->owner > 0) || (opts->group_set || opts->group > 0)) {
		tk__error_set(ctx, err, TK_E_UNSUPPORTED, "create adapter", name, TK_OS_NONE, 0,
			      "Windows TAP adapters have no owner or group");
		tk__error_remedy(
			err,
			"drop --owner/--group: the driver's AllowNonAdmin setting lets every user open the adapter");
		return TK_E_UNSUPPORTED;
	}
	tk_status st = tk__elevation_require(ctx, "create adapter", name, err);
	if (st != TK_OK)
		return st;
	if (*name) {
		struct tk_win_adapter a;
		tk_error e = { 0 };
		if (tk__registry_find(ctx, name, &a, &e) == TK_OK) {
			tk__error_set(ctx, err, TK_E_EXISTS, "create adapter", name, TK_OS_NONE, 0,
				      "an adapter named \"%s\" exists (%s)", name, a.guid);
			tk__error_remedy(err, "pick another name, or use the existing adapter");
			return TK_E_EXISTS;
		}
	}
	char guid[TK_ID_MAX];
	st = tk__setupapi_create(ctx, "root\\tap0901", guid, sizeof(guid), err);
	if (st != TK_OK)
		return st;
	tk__log(ctx, TK_LOG_INFO, "windows.setupapi", NULL, 0, "created adapter %s", guid);
	if (*name) {
		st = tk__nci_set_name(ctx, guid, name, err);
		if (st != TK_OK)
			return st; /* the adapter exists under its default name; err says how to rename */
	}
	if (info)
		return tk__backend_adapter_get(ctx, guid, info, err);
	return TK_OK;
}

tk_status tk__backend_adapter_delete(tk_ctx *ctx, const char *name, tk_error *err)
{
	tk_status st = tk__elevation_require(ctx, "delete adapter", name, err);
	struct tk_win_adapter a;
	if (st == TK_OK)
		st = find(ctx, name, &a, err);
	if (st == TK_OK)
		st = tk__setupapi_delete(ctx, a.guid, err);
	return st;
}

/* "Up" on Windows is the device enabled; the link itself follows the program that holds the
 * adapter open (media status). */
tk_status tk__backend_adapter_set_up(tk_ctx *ctx, const char *name, bool up, tk_error *err)
{
	tk_status st =
		tk__elevation_require(ctx, up ? "enable adapter" : "disable adapter", name, err);
	struct tk_win_adapter a;
	if (st == TK_OK)
		st = find(ctx, name, &a, err);
	if (st == TK_OK)
		st = tk__setupapi_enable(ctx, a.guid, up, err);
	return st;
}

tk_status tk__backend_adapter_set_mtu(tk_ctx *ctx, const char *name, uint32_t mtu, tk_error *err)
{
	tk_status st = tk_mtu_check(mtu, 0, err);
	if (st != TK_OK) {
		tk__strlcpy(err->object, name, sizeof(err->object));
		tk__error_log(ctx, err);
		return st;
	}
	st = tk__elevation_require(ctx, "set mtu", name, err);
	struct tk_win_adapter a;
	if (st == TK_OK)
		st = find(ctx, name, &a, err);
	if (st == TK_OK)
		st = tk__iphlp_set_mtu(ctx, a.guid, name, mtu, err);
	return st;
}

tk_status tk__backend_adapter_set_mac(tk_ctx *ctx, const char *name, const uint8_t mac[TK_MAC_LEN],
				      tk_error *err)
{
	/* tap-windows6 macinfo.c takes NetworkAddress only if unicast and locally administered. */
	if ((mac[0] & 0x01) || !(mac[0] & 0x02)) {
		tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "set mac", name, TK_OS_NONE, 0,
			      "TAP-Windows6 accepts only a locally administered unicast MAC");
		tk__error_remedy(err, "use a MAC whose second hex digit is 2, 6, A or E (02:..)");
		return TK_E_BAD_ARGUMENT;
	}
	tk_status st = tk__elevation_require(ctx, "set mac", name, err);
	struct tk_win_adapter a;
	if (st == TK_OK)
		st = find(ctx, name, &a, err);
	if (st != TK_OK)
		return st;
	wchar_t path[200], wsub[16], value[16];
	tk__winlogic_utf8_to_utf16(a.class_subkey, (uint16_t *)wsub, TK_ARRAY_SIZE(wsub));
	swprintf(path, TK_ARRAY_SIZE(path), L"%ls\\%ls", TK_WIN_CLASS_KEY_W, wsub);
	swprintf(value, TK_ARRAY_SIZE(value), L"%02X%02X%02X%02X%02X%02X", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	HKEY key;
	LSTATUS rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_SET_VALUE, &key);
	if (rc == ERROR_SUCCESS) {
		rc = RegSetValueExW(key, L"NetworkAddress", 0, REG_SZ, (const BYTE *)value,
				    (DWORD)((wcslen(value) + 1) * sizeof(wchar_t)));
		RegCloseKey(key);
	}
	if (rc != ERROR_SUCCESS)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_REGISTRY, "set mac", name, (DWORD)rc,
					"cannot write NetworkAddress");
	/* The driver reads NetworkAddress when the adapter starts: restart it. */
	if (a.present) {
		st = tk__setupapi_enable(ctx, a.guid, false, err);
		if (st == TK_OK)
			st = tk__setupapi_enable(ctx, a.guid, true, err);
	}
	return st;
}

tk_status tk__backend_adapter_set_master(tk_ctx *ctx, const char *name, const char *master,
					 tk_error *err)
{
	(void)master;
	tk__error_set(ctx, err, TK_E_UNSUPPORTED, "set master", name, TK_OS_NONE, 0,
		      "Windows has no bridge master to attach an adapter to");
	tk__error_remedy(
		err,
		"bridge on Windows with Network Connections: select the adapters, right-click, Bridge Connections");
	return TK_E_UNSUPPORTED;
}

tk_status tk__backend_adapter_addr(tk_ctx *ctx, const char *name, const tk_ip_addr *addr, bool add,
				   tk_error *err)
{
	tk_status st =
		tk__elevation_require(ctx, add ? "add address" : "delete address", name, err);
	struct tk_win_adapter a;
	if (st == TK_OK)
		st = find(ctx, name, &a, err);
	if (st == TK_OK)
		st = tk__iphlp_addr(ctx, a.guid, name, addr, add, err);
	return st;
}

tk_status tk__backend_adapter_holders(tk_ctx *ctx, const char *name, tk_holder *out, size_t cap,
				      size_t *count, tk_error *err)
{
	(void)out;
	(void)cap;
	(void)count;
	tk__error_set(
		ctx, err, TK_E_UNSUPPORTED, "find holders", name, TK_OS_NONE, 0,
		"Windows does not tell which process holds a device open without a kernel handle scan");
	tk__error_remedy(
		err,
		"use Sysinternals `handle.exe -a \\Device\\{GUID}.tap` or Resource Monitor (CPU > Associated Handles, search the GUID)");
	return TK_E_UNSUPPORTED;
}
