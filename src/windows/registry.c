/* SPDX-License-Identifier: MIT */
/*
 * The registry: reading values safely (sized, typed, bounded) and discovering TAP adapters the
 * way OpenVPN does, from the network class key (ComponentId, NetCfgInstanceId) and the Network
 * key (the connection name). Registry contents are written by installers, other VPNs and users
 * with regedit: every value is checked for type and length, and a bad one is reported with the
 * key it lives in, never trusted and never a crash.
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>

struct query {
	HKEY key;
	const wchar_t *name;
	DWORD type;
};

static uint32_t query_once(void *user, void *buf, uint32_t *size)
{
	struct query *q = user;
	DWORD sz = *size;
	/* With buf NULL this is the size probe: it succeeds and sets the size. */
	LSTATUS rc = RegQueryValueExW(q->key, q->name, NULL, &q->type, buf, &sz);
	*size = sz;
	return (uint32_t)rc;
}

DWORD tk__registry_query(HKEY key, const wchar_t *name, DWORD *type, void **data, DWORD *size)
{
	struct query q = { .key = key, .name = name, .type = REG_NONE };
	uint32_t got = 0;
	/* Four tries: a value rewritten between our calls grows at most that often in practice. */
	uint32_t rc = tk__winlogic_sized_call(query_once, &q, TK_WIN_REG_MAX_BYTES, 4, data, &got);
	*type = q.type;
	*size = got;
	return rc;
}

static void value_name(const wchar_t *name, char *buf, size_t size)
{
	tk__errmap_narrow(name, buf, size);
}

tk_status tk__registry_get_sz(HKEY key, const wchar_t *name, const char *where, size_t max_units,
			      bool allow_expand, char *out, size_t size, tk_error *err)
{
	char vname[64];
	void *data = NULL;
	DWORD type = REG_NONE, bytes = 0;
	tk_status st = TK_OK;

	value_name(name, vname, sizeof(vname));
	DWORD rc = tk__registry_query(key, name, &type, &data, &bytes);
	if (rc == ERROR_FILE_NOT_FOUND)
		return tk__error_set_quiet(err, TK_E_ADAPTER_NOT_FOUND, "read registry", where,
					   TK_OS_WIN32, rc, "value %s of %s is missing", vname,
					   where);
	if (rc == TK_WIN_ERROR_TK_TOO_LARGE) {
		tk__error_set_quiet(err, TK_E_CONFIG, "read registry", where, TK_OS_NONE, 0,
				    "value %s of %s is longer than %u bytes", vname, where,
				    TK_WIN_REG_MAX_BYTES);
		tk__error_remedy(err, "repair or delete the value %s in regedit (key %s)", vname,
				 where);
		return TK_E_CONFIG;
	}
	if (rc != ERROR_SUCCESS)
		return tk__errmap_win32_quiet(err, TK_WIN_OP_REGISTRY, "read registry", where, rc,
					      "cannot read a registry value");

	size_t units = 0;
	enum tk_regval_verdict v =
		tk__winlogic_regval_check_sz(type, data, bytes, max_units, allow_expand, &units);
	if (v != TK_REGVAL_OK) {
		st = TK_E_CONFIG;
		tk__error_set_quiet(
			err, st, "read registry", where, TK_OS_NONE, 0,
			"value %s of %s %s (%s, %lu bytes, %zu characters; at most %zu accepted)",
			vname, where, tk__winlogic_regval_verdict_text(v),
			tk__winlogic_regtype_name(type), (unsigned long)bytes, units, max_units);
		tk__error_remedy(
			err,
			"set %s to a string (REG_SZ) of at most %zu characters in regedit (key HKLM\\%s), or reinstall the TAP driver",
			vname, max_units, where);
		goto out;
	}
	((uint16_t *)data)[units] = 0;
	if (!tk__errmap_narrow(data, out, size)) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read registry", where, TK_OS_NONE, 0,
					 "value %s of %s does not fit in %zu bytes of UTF-8", vname,
					 where, size);
		tk__error_remedy(err, "shorten %s in regedit (key HKLM\\%s)", vname, where);
	}
out:
	free(data);
	return st;
}

tk_status tk__registry_get_dword(HKEY key, const wchar_t *name, const char *where, DWORD *out,
				 tk_error *err)
{
	char vname[64];
	void *data = NULL;
	DWORD type = REG_NONE, bytes = 0;

	value_name(name, vname, sizeof(vname));
	DWORD rc = tk__registry_query(key, name, &type, &data, &bytes);
	if (rc == ERROR_FILE_NOT_FOUND)
		return tk__error_set_quiet(err, TK_E_ADAPTER_NOT_FOUND, "read registry", where,
					   TK_OS_WIN32, rc, "value %s of %s is missing", vname,
					   where);
	if (rc != ERROR_SUCCESS)
		return tk__errmap_win32_quiet(err, TK_WIN_OP_REGISTRY, "read registry", where, rc,
					      "cannot read a registry value");
	enum tk_regval_verdict v = tk__winlogic_regval_check_dword(type, bytes);
	if (v != TK_REGVAL_OK) {
		free(data);
		tk__error_set_quiet(err, TK_E_CONFIG, "read registry", where, TK_OS_NONE, 0,
				    "value %s of %s %s (%s, %lu bytes; REG_DWORD expected)", vname,
				    where, tk__winlogic_regval_verdict_text(v),
				    tk__winlogic_regtype_name(type), (unsigned long)bytes);
		tk__error_remedy(err, "set %s to a REG_DWORD in regedit (key HKLM\\%s)", vname,
				 where);
		return TK_E_CONFIG;
	}
	memcpy(out, data, sizeof(*out));
	free(data);
	return TK_OK;
}

/* ---- discovery ---- */

static void warn_note(tk_ctx *ctx, struct tk_win_adapter *a, const tk_error *e)
{
	if (a->note[0] == '\0') {
		tk__strlcpy(a->note, e->message, sizeof(a->note));
		a->note_status = e->status;
	}
	if (ctx) {
		tk_log_field f[] = { { "key", e->object }, { "cause", tk_status_name(e->status) } };

		tk__log(ctx, TK_LOG_WARN, "windows.registry", f, TK_ARRAY_SIZE(f), "%s; fix: %s",
			e->message, e->remedy);
	}
}

static void read_connection_name(tk_ctx *ctx, struct tk_win_adapter *a)
{
	wchar_t path[200];
	wchar_t wguid[TK_ID_MAX];
	char where[200];
	HKEY key;

	tk__winlogic_utf8_to_utf16(a->guid, (uint16_t *)wguid, TK_ARRAY_SIZE(wguid));
	swprintf(path, TK_ARRAY_SIZE(path), L"%ls\\%ls\\Connection", TK_WIN_NETWORK_KEY_W, wguid);
	tk__errmap_narrow(path, where, sizeof(where));
	tk__strlcpy(a->name, a->guid, sizeof(a->name));
	LSTATUS rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &key);
	if (rc != ERROR_SUCCESS) {
		/* A missing Connection key happens (tapctl and OpenVPN log and go on): the
		 * adapter is still usable by GUID. */
		if (ctx)
			tk__log(ctx, TK_LOG_DEBUG, "windows.registry", NULL, 0,
				"adapter %s has no connection name key (error %ld)", a->guid,
				(long)rc);
		return;
	}
	tk_error e = { 0 };
	char name[TK_NAME_MAX];
	tk_status st = tk__registry_get_sz(key, L"Name", where, TK_WIN_NAME_MAX_UNITS, false, name,
					   sizeof(name), &e);
	RegCloseKey(key);
	if (st == TK_OK) {
		tk__strlcpy(a->name, name, sizeof(a->name));
		a->name_from_registry = true;
	} else if (st != TK_E_ADAPTER_NOT_FOUND) {
		warn_note(ctx, a, &e);
	}
}

static void read_adapter(tk_ctx *ctx, HKEY sub, const char *where, struct tk_win_adapter *a)
{
	tk_error e = { 0 };
	char guid[64];

	tk_status st = tk__registry_get_sz(sub, L"NetCfgInstanceId", where, 60, false, guid,
					   sizeof(guid), &e);
	struct tk_guid g;
	if (st == TK_OK && !tk__winlogic_guid_parse(guid, &g)) {
		tk__error_set_quiet(&e, TK_E_INVALID_GUID, "read registry", where, TK_OS_NONE, 0,
				    "value NetCfgInstanceId of %s is not a GUID: \"%s\"", where,
				    guid);
		tk__error_remedy(&e, "delete this adapter in Device Manager and create it again");
		st = TK_E_INVALID_GUID;
	}
	if (st != TK_OK) {
		warn_note(ctx, a, &e);
		return;
	}
	tk__winlogic_guid_format(&g, a->guid, sizeof(a->guid));

	memset(&e, 0, sizeof(e));
	(void)tk__registry_get_sz(sub, L"DriverDesc", where, 120, false, a->description,
				  sizeof(a->description), &e);
	memset(&e, 0, sizeof(e));
	(void)tk__registry_get_sz(sub, L"DriverVersion", where, 30, false, a->driver_version,
				  sizeof(a->driver_version), &e);
	/* The INF writes the adapter parameters as strings ("0", "1"). */
	char ms[8];
	memset(&e, 0, sizeof(e));
	a->media_status = -1;
	if (tk__registry_get_sz(sub, L"MediaStatus", where, 4, false, ms, sizeof(ms), &e) == TK_OK)
		a->media_status = ms[0] == '1' ? 1 : 0;
	/* tap-windows6 grants world access when AllowNonAdmin merely exists (any value). */
	a->allow_nonadmin =
		RegQueryValueExW(sub, L"AllowNonAdmin", NULL, NULL, NULL, NULL) == ERROR_SUCCESS;
	read_connection_name(ctx, a);
}

static void extra_ids(char *buf, size_t size)
{
	wchar_t w[512];
	DWORD n = GetEnvironmentVariableW(L"TAPKIT_TAP_IDS", w, TK_ARRAY_SIZE(w));
	buf[0] = '\0';
	if (n > 0 && n < TK_ARRAY_SIZE(w))
		tk__errmap_narrow(w, buf, size);
}

/* Every network adapter under the class key (tap_only: the TAP ones), as described above. */
static tk_status scan(tk_ctx *ctx, bool tap_only, struct tk_win_adapter **out, size_t *count,
		      tk_error *err)
{
	HKEY cls;
	struct tk_win_adapter *list = NULL;
	size_t n = 0, cap = 0;
	char extra[512];
	tk_status st = TK_OK;

	*out = NULL;
	*count = 0;
	extra_ids(extra, sizeof(extra));
	LSTATUS rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, TK_WIN_CLASS_KEY_W, 0, KEY_READ, &cls);
	if (rc == ERROR_FILE_NOT_FOUND)
		return TK_OK; /* no network adapter was ever installed */
	if (rc != ERROR_SUCCESS)
		return tk__errmap_win32(
			ctx, err, TK_WIN_OP_REGISTRY, "list adapters",
			"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}",
			(DWORD)rc, "cannot open the network class key");

	/* Bounded: a machine has at most a few hundred network devices. */
	for (DWORD i = 0; i < 10000; i++) {
		wchar_t subname[256];
		DWORD len = TK_ARRAY_SIZE(subname);
		rc = RegEnumKeyExW(cls, i, subname, &len, NULL, NULL, NULL, NULL);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		if (rc != ERROR_SUCCESS)
			continue;
		HKEY sub;
		/* "Properties" and some vendors' keys deny access: skip, never fail the list. */
		if (RegOpenKeyExW(cls, subname, 0, KEY_READ, &sub) != ERROR_SUCCESS)
			continue;
		char where[160], sname[32];
		tk__errmap_narrow(subname, sname, sizeof(sname));
		tk__snprintf(
			where, sizeof(where),
			"SYSTEM\\CurrentControlSet\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}\\%s",
			sname);
		char comp[64];
		tk_error e = { 0 };
		tk_status cst = tk__registry_get_sz(sub, L"ComponentId", where, 60, false, comp,
						    sizeof(comp), &e);
		if (cst != TK_OK) {
			if (ctx && cst != TK_E_ADAPTER_NOT_FOUND) {
				tk_log_field f[] = { { "key", where } };
				tk__log(ctx, TK_LOG_WARN, "windows.registry", f, 1,
					"skipping a network adapter: %s; fix: %s", e.message,
					e.remedy);
			}
			RegCloseKey(sub);
			continue;
		}
		if (tap_only != tk__winlogic_component_is_tap(comp, extra)) {
			RegCloseKey(sub);
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tk_win_adapter *nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				RegCloseKey(sub);
				st = tk__error_set_quiet(err, TK_E_NO_MEMORY, "list adapters", "",
							 TK_OS_NONE, 0, "out of memory");
				goto out;
			}
			list = nl;
			cap = ncap;
		}
		struct tk_win_adapter *a = &list[n++];
		memset(a, 0, sizeof(*a));
		tk__strlcpy(a->component, comp, sizeof(a->component));
		tk__strlcpy(a->class_subkey, sname, sizeof(a->class_subkey));
		read_adapter(ctx, sub, where, a);
		RegCloseKey(sub);
	}
	*out = list;
	*count = n;
	list = NULL;
out:
	free(list);
	RegCloseKey(cls);
	return st;
}

tk_status tk__registry_adapters(tk_ctx *ctx, struct tk_win_adapter **out, size_t *count,
				tk_error *err)
{
	return scan(ctx, true, out, count, err);
}

static bool name_equal(const char *a, const char *b)
{
	wchar_t *wa = tk__errmap_wide(a), *wb = tk__errmap_wide(b);
	/* Connection names compare like Windows does: ordinal, ignoring case. */
	bool eq = wa && wb && CompareStringOrdinal(wa, -1, wb, -1, TRUE) == CSTR_EQUAL;
	free(wa);
	free(wb);
	return eq;
}

/* The index of the adapter named (connection name, or {GUID}) in list, or n. */
static size_t find_in(const struct tk_win_adapter *list, size_t n, const char *name)
{
	struct tk_guid want;
	bool by_guid = tk__winlogic_guid_parse(name, &want);
	for (size_t i = 0; i < n; i++) {
		struct tk_guid g;
		bool match = by_guid ? (tk__winlogic_guid_parse(list[i].guid, &g) &&
					memcmp(&g, &want, sizeof(g)) == 0)
				     : (list[i].guid[0] && name_equal(list[i].name, name));
		if (match)
			return i;
	}
	return n;
}

tk_status tk__registry_find(tk_ctx *ctx, const char *name, struct tk_win_adapter *out,
			    tk_error *err)
{
	struct tk_win_adapter *list;
	size_t n;

	tk_status st = tk__registry_adapters(ctx, &list, &n, err);
	if (st != TK_OK)
		return st;
	size_t at = find_in(list, n, name);
	if (at < n) {
		*out = list[at];
		free(list);
		return TK_OK;
	}
	free(list);
	/* Not a TAP adapter: maybe another driver's (Wintun, ovpn-dco), named by mistake. */
	st = scan(NULL, false, &list, &n, err);
	if (st != TK_OK)
		return st;
	at = find_in(list, n, name);
	if (at < n) {
		const char *kind = tk__winlogic_driver_kind(list[at].component);
		st = tk__error_set_quiet(
			err, TK_E_NOT_TAP, "find adapter", name, TK_OS_NONE, 0,
			"\"%s\" is %s adapter (ComponentId %s, \"%s\"), not a TAP-Windows6 one",
			name, kind, list[at].component, list[at].description);
		tk__error_remedy(
			err,
			"tapkit works with TAP-Windows6 (tap0901) adapters: use that adapter with its own tools, or create a TAP adapter with `tapkit create` and use its name");
		free(list);
		return st;
	}
	free(list);
	list = NULL;
	st = tk__registry_adapters(ctx, &list, &n, err);
	if (st != TK_OK)
		return st;
	if (n == 0) {
		st = tk__error_set_quiet(err, TK_E_ADAPTER_NOT_FOUND, "find adapter", name,
					 TK_OS_NONE, 0,
					 "no TAP-Windows adapter exists on this system");
		tk__error_remedy(
			err,
			"create one with `tapkit create` (elevated; needs the TAP-Windows6 driver, see `tapkit driver status`)");
	} else {
		char names[TK_ERROR_TEXT_MAX] = "";
		size_t used = 0;
		for (size_t i = 0; i < n && used + 4 < sizeof(names); i++) {
			tk__snprintf(names + used, sizeof(names) - used, "%s\"%s\"", i ? ", " : "",
				     list[i].name);
			used = strlen(names);
		}
		st = tk__error_set_quiet(err, TK_E_ADAPTER_NOT_FOUND, "find adapter", name,
					 TK_OS_NONE, 0,
					 "no TAP adapter named \"%s\"; there are: %s", name, names);
		tk__error_remedy(err, "use a name or {GUID} shown by `tapkit list`");
	}
	free(list);
	return st;
}
