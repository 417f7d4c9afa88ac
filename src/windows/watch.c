/* SPDX-License-Identifier: MIT */
/*
 * Watch on Windows. The truth is a scan of the TAP adapters (registry + CfgMgr, as `tapkit
 * list` sees them, plus whether the driver serves the device: its link \\.\Global\{GUID}.tap
 * exists), compared with the previous scan by the pure logic of src/core/watchlogic.c.
 * What triggers a scan:
 * - CM_Register_Notification (Windows 8+, looked up at run time: Wine 8's cfgmgr32 has none)
 *   for the network device interface class and every device instance: arrival, removal,
 *   start, enable/disable;
 * - NotifyIpInterfaceChange: TCP/IP binding or unbinding an interface;
 * - a periodic rescan: every TAPKIT_WATCH_POLL_MS (default 1000) ms when device notifications
 *   are unavailable, else every 30 s as a safety net.
 * All three only fire one waitable timer (the handle tk_watch_handle gives), so the caller
 * waits on a single handle; the log says which sources are in use.
 */
#include "win_internal.h"

#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>
#include <cfgmgr32.h>

#include "core/watchlogic.h"

#include <stdlib.h>
#include <string.h>

#define TK__WATCH_POLL_MS   1000u
#define TK__WATCH_SAFETY_MS 30000u

typedef CONFIGRET(WINAPI *tk_cm_register_fn)(PCM_NOTIFY_FILTER, PVOID, PCM_NOTIFY_CALLBACK,
					     PHCMNOTIFICATION);
typedef CONFIGRET(WINAPI *tk_cm_unregister_fn)(HCMNOTIFICATION);

struct tk__watch_os {
	tk_ctx *ctx;
	HANDLE timer; /* synchronization timer: periodic rescan, fired at once by notifications */
	LONG period_ms;
	HMODULE cfgmgr;
	tk_cm_unregister_fn cm_unregister;
	HCMNOTIFICATION cm[2];
	HANDLE ip_notify;
	struct tk_watch_snap *prev;
	size_t nprev;
};

/* GUID_DEVINTERFACE_NET (ndisguid.h), spelled out: mingw needs initguid games for it. */
static const GUID tk_guid_devinterface_net = {
	0xcac88484, 0x7515, 0x4c03, { 0x82, 0xe6, 0x71, 0xa8, 0x7a, 0xba, 0xc3, 0x61 }
};

/* Fires the timer now; it keeps its period. Called on notification threads. */
static void wake(struct tk__watch_os *os)
{
	LARGE_INTEGER due;
	due.QuadPart = -1; /* relative, 100 ns: now */
	SetWaitableTimer(os->timer, &due, os->period_ms, NULL, NULL, FALSE);
}

static DWORD CALLBACK on_cm(HCMNOTIFICATION h, PVOID ctx, CM_NOTIFY_ACTION action,
			    PCM_NOTIFY_EVENT_DATA data, DWORD size)
{
	(void)h;
	(void)action;
	(void)data;
	(void)size;
	wake(ctx);
	return ERROR_SUCCESS;
}

static void WINAPI on_ip(PVOID ctx, PMIB_IPINTERFACE_ROW row, MIB_NOTIFICATION_TYPE type)
{
	(void)row;
	(void)type;
	wake(ctx);
}

/* Registers for device events; false (logged at debug) when the OS has no such call. */
static bool cm_register(struct tk__watch_os *os)
{
	os->cfgmgr = LoadLibraryExW(L"cfgmgr32.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	FARPROC r = os->cfgmgr ? GetProcAddress(os->cfgmgr, "CM_Register_Notification") : NULL;
	FARPROC u = os->cfgmgr ? GetProcAddress(os->cfgmgr, "CM_Unregister_Notification") : NULL;
	if (!r || !u)
		return false;
	tk_cm_register_fn reg;
	memcpy(&reg, &r, sizeof(reg));
	memcpy(&os->cm_unregister, &u, sizeof(os->cm_unregister));
	CM_NOTIFY_FILTER f;
	memset(&f, 0, sizeof(f));
	f.cbSize = sizeof(f);
	f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE;
	f.u.DeviceInterface.ClassGuid = tk_guid_devinterface_net;
	CONFIGRET cr1 = reg(&f, os, on_cm, &os->cm[0]);
	memset(&f, 0, sizeof(f));
	f.cbSize = sizeof(f);
	f.Flags = CM_NOTIFY_FILTER_FLAG_ALL_DEVICE_INSTANCES;
	f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE;
	CONFIGRET cr2 = reg(&f, os, on_cm, &os->cm[1]);
	tk__log(os->ctx, TK_LOG_DEBUG, "windows.watch", NULL, 0,
		"CM_Register_Notification: interfaces %lu, instances %lu", (unsigned long)cr1,
		(unsigned long)cr2);
	return cr1 == CR_SUCCESS || cr2 == CR_SUCCESS;
}

/* Whether the driver serves the device: its DOS device link exists. */
static bool link_exists(const char *guid)
{
	wchar_t name[80], target[512];
	wchar_t wguid[TK_ID_MAX];
	tk__winlogic_utf8_to_utf16(guid, (uint16_t *)wguid, TK_ARRAY_SIZE(wguid));
	swprintf(name, TK_ARRAY_SIZE(name), L"Global\\%ls.tap", wguid);
	return QueryDosDeviceW(name, target, (DWORD)TK_ARRAY_SIZE(target)) != 0;
}

/*
 * One scan: every TAP adapter with its state, from what `tapkit list` reads (a devnode that is
 * not disabled shows as TK_ADAPTER_ENABLED) plus the device link. *out is malloc'd (free()).
 */
static tk_status scan(tk_ctx *ctx, struct tk_watch_snap **out, size_t *count, tk_error *err)
{
	tk_adapter_info *list;
	size_t n;
	tk_status st = tk__backend_adapter_list(ctx, &list, &n, err);
	if (st != TK_OK)
		return st;
	struct tk_watch_snap *snap = calloc(n ? n : 1, sizeof(*snap));
	if (!snap) {
		free(list);
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "watch", "", TK_OS_NONE, 0,
				     "cannot allocate the scan");
	}
	for (size_t i = 0; i < n; i++) {
		const tk_adapter_info *a = &list[i];
		struct tk_watch_snap *s = &snap[i];
		bool devnode =
			(a->flags & TK_ADAPTER_ENABLED) || a->problem_code == TK_CM_PROB_DISABLED;
		tk__strlcpy(s->id, a->id, sizeof(s->id));
		tk__strlcpy(s->name, a->name, sizeof(s->name));
		s->ifindex = a->ifindex;
		s->state = tk__watchlogic_state(devnode, a->problem_code, link_exists(a->id));
	}
	free(list);
	*out = snap;
	*count = n;
	return TK_OK;
}

static LONG poll_ms(bool notified)
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): read once at open */
	const char *e = getenv("TAPKIT_WATCH_POLL_MS");
	unsigned long v = e ? strtoul(e, NULL, 10) : 0;
	if (v >= 100 && v <= 3600000)
		return (LONG)v;
	return notified ? (LONG)TK__WATCH_SAFETY_MS : (LONG)TK__WATCH_POLL_MS;
}

tk_status tk__backend_watch_open(tk_ctx *ctx, struct tk__watch_os **out, tk_error *err)
{
	tk_status st;
	struct tk__watch_os *os = calloc(1, sizeof(*os));
	if (!os)
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "watch", "", TK_OS_NONE, 0,
				     "cannot allocate the watch state");
	os->ctx = ctx;
	os->timer = CreateWaitableTimerW(NULL, FALSE, NULL);
	if (!os->timer) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, "watch", "", GetLastError(),
				      "cannot create the rescan timer");
		goto fail;
	}
	/* The first scan before any notification: nothing in between is missed. */
	st = scan(ctx, &os->prev, &os->nprev, err);
	if (st != TK_OK)
		goto fail;
	/*
	 * tk_watch_apply_all takes every listed adapter as there; one whose driver does not serve
	 * it is reported gone by the first comparison, so it is applied again when it comes back.
	 */
	for (size_t i = 0; i < os->nprev; i++)
		if (os->prev[i].state != TK_WATCH_DISABLED)
			os->prev[i].state = TK_WATCH_UP;
	os->period_ms = (LONG)TK__WATCH_SAFETY_MS;
	bool cm = cm_register(os);
	DWORD iprc = NotifyIpInterfaceChange(AF_UNSPEC, on_ip, os, FALSE, &os->ip_notify);
	if (iprc != NO_ERROR)
		os->ip_notify = NULL;
	os->period_ms = poll_ms(cm);
	char wine[64] = "";
	bool under_wine = tk__eventlog_wine(wine, sizeof(wine));
	char sources[256];
	tk__snprintf(sources, sizeof(sources), "%s; %s; rescan every %ld ms",
		     cm ? "device events: CM_Register_Notification"
			: "device events: none (no CM_Register_Notification)",
		     iprc == NO_ERROR ? "interface events: NotifyIpInterfaceChange"
				      : "interface events: none",
		     (long)os->period_ms);
	tk_log_field f[] = { { "sources", sources } };
	tk__log(ctx, TK_LOG_INFO, "windows.watch", f, TK_ARRAY_SIZE(f), "watch sources: %s%s%s",
		sources, under_wine ? " (Wine " : "",
		under_wine ? "delivers neither; the rescan finds the changes)" : "");
	(void)wine;
	LARGE_INTEGER due;
	due.QuadPart = -(LONGLONG)os->period_ms * 10000;
	if (!SetWaitableTimer(os->timer, &due, os->period_ms, NULL, NULL, FALSE)) {
		st = tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, "watch", "", GetLastError(),
				      "cannot start the rescan timer");
		goto fail;
	}
	*out = os;
	return TK_OK;
fail:
	tk__backend_watch_close(os);
	return st;
}

void tk__backend_watch_close(struct tk__watch_os *os)
{
	if (!os)
		return;
	/* Both calls wait for callbacks in flight, so none runs after this. */
	for (size_t i = 0; i < TK_ARRAY_SIZE(os->cm); i++)
		if (os->cm[i])
			os->cm_unregister(os->cm[i]);
	if (os->ip_notify)
		CancelMibChangeNotify2(os->ip_notify);
	if (os->cfgmgr)
		FreeLibrary(os->cfgmgr);
	if (os->timer) {
		CancelWaitableTimer(os->timer);
		CloseHandle(os->timer);
	}
	free(os->prev);
	free(os);
}

tk_os_handle tk__backend_watch_handle(const struct tk__watch_os *os)
{
	return os ? (tk_os_handle)os->timer : TK_OS_HANDLE_INVALID;
}

struct emit {
	tk__link_event_fn *fn;
	void *user;
};

static void on_change(void *user, const struct tk_watch_change *c)
{
	const struct emit *e = user;
	struct tk__link_event ev = { .name = c->a->name,
				     .ifindex = c->a->ifindex,
				     .removed = c->removed,
				     .id = c->a->id,
				     .disabled = c->disabled,
				     .why = c->why };
	e->fn(e->user, &ev);
}

tk_status tk__backend_watch_read(tk_ctx *ctx, struct tk__watch_os *os, int timeout_ms,
				 tk__link_event_fn *fn, void *user, bool *lost, tk_error *err)
{
	(void)lost; /* a scan cannot lose anything */
	if (timeout_ms != 0) {
		DWORD r = WaitForSingleObject(os->timer,
					      timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
		if (r == WAIT_FAILED)
			return tk__errmap_win32(ctx, err, TK_WIN_OP_MANAGE, "watch", "",
						GetLastError(), "waiting for the rescan failed");
	}
	struct tk_watch_snap *cur;
	size_t ncur;
	tk_status st = scan(ctx, &cur, &ncur, err);
	if (st != TK_OK)
		return st;
	struct emit e = { fn, user };
	size_t n = tk__watchlogic_diff(os->prev, os->nprev, cur, ncur, on_change, &e);
	free(os->prev);
	os->prev = cur;
	os->nprev = ncur;
	if (n == 0)
		return tk__error_set_quiet(err, TK_E_TIMEOUT, "watch", "", TK_OS_NONE, 0,
					   "no adapter changed");
	return TK_OK;
}

tk_status tk__backend_watch_rename(tk_ctx *ctx, const char *name, const char *new_name,
				   tk_error *err)
{
	struct tk_win_adapter a;
	tk_status st = tk__elevation_require(ctx, "rename adapter", name, err);
	if (st == TK_OK)
		st = tk__registry_find(ctx, name, &a, err);
	if (st == TK_OK)
		st = tk__nci_set_name(ctx, a.guid, new_name, err);
	return st;
}
