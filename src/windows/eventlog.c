/* SPDX-License-Identifier: MIT */
/*
 * The event log (wevtapi.dll, looked up at run time so that tapkit.exe's imports stay the
 * same): the newest events of a channel matching an XPath query, rendered as XML and parsed by
 * recorded.c. Bounded: at most `cap` events, 2 s per EvtNext. Also host facts: Wine's version
 * (ntdll's wine_get_version), since Wine stubs the event log and other sources the doctor reads.
 */
#include "win_internal.h"

#include <winevt.h>

#include <stdlib.h>
#include <string.h>

typedef EVT_HANDLE(WINAPI *tk_evtquery_fn)(EVT_HANDLE, LPCWSTR, LPCWSTR, DWORD);
typedef BOOL(WINAPI *tk_evtnext_fn)(EVT_HANDLE, DWORD, EVT_HANDLE *, DWORD, DWORD, PDWORD);
typedef BOOL(WINAPI *tk_evtrender_fn)(EVT_HANDLE, EVT_HANDLE, DWORD, DWORD, PVOID, PDWORD, PDWORD);
typedef BOOL(WINAPI *tk_evtclose_fn)(EVT_HANDLE);
typedef const char *(CDECL *tk_wine_version_fn)(void);

#define RENDER_MAX_BYTES (64u * 1024u)

static FARPROC sym(HMODULE m, const char *name)
{
	return m ? GetProcAddress(m, name) : NULL;
}

DWORD tk__eventlog_read(const wchar_t *channel, const wchar_t *xpath, struct tk_win_event *out,
			size_t cap, size_t *count)
{
	*count = 0;
	HMODULE m = LoadLibraryExW(L"wevtapi.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (!m)
		return GetLastError();
	FARPROC pq = sym(m, "EvtQuery"), pn = sym(m, "EvtNext"), pr = sym(m, "EvtRender"),
		pc = sym(m, "EvtClose");
	if (!pq || !pn || !pr || !pc) {
		FreeLibrary(m);
		return ERROR_PROC_NOT_FOUND;
	}
	tk_evtquery_fn query;
	tk_evtnext_fn next;
	tk_evtrender_fn render;
	tk_evtclose_fn close_fn;
	memcpy(&query, &pq, sizeof(query));
	memcpy(&next, &pn, sizeof(next));
	memcpy(&render, &pr, sizeof(render));
	memcpy(&close_fn, &pc, sizeof(close_fn));

	DWORD rc = ERROR_SUCCESS;
	EVT_HANDLE q = query(NULL, channel, xpath, EvtQueryChannelPath | EvtQueryReverseDirection);
	wchar_t *buf = malloc(RENDER_MAX_BYTES);
	char *xml = malloc(RENDER_MAX_BYTES);
	if (!q) {
		rc = GetLastError();
		if (rc == ERROR_SUCCESS)
			rc = ERROR_CALL_NOT_IMPLEMENTED; /* a stub that says nothing */
		goto out;
	}
	if (!buf || !xml) {
		rc = ERROR_NOT_ENOUGH_MEMORY;
		goto out;
	}
	while (*count < cap) {
		EVT_HANDLE h[16];
		DWORD got = 0;
		if (!next(q, TK_ARRAY_SIZE(h), h, 2000, 0, &got)) {
			DWORD e = GetLastError();
			if (e != ERROR_NO_MORE_ITEMS && e != ERROR_TIMEOUT)
				rc = e;
			break;
		}
		for (DWORD i = 0; i < got; i++) {
			DWORD used = 0, props = 0;
			if (*count < cap &&
			    render(NULL, h[i], EvtRenderEventXml,
				   RENDER_MAX_BYTES - sizeof(wchar_t), buf, &used, &props)) {
				buf[used / sizeof(wchar_t)] = L'\0';
				tk__errmap_narrow(buf, xml, RENDER_MAX_BYTES);
				if (tk__recorded_event_parse(xml, strlen(xml), &out[*count]))
					(*count)++;
			}
			close_fn(h[i]);
		}
		if (got == 0)
			break;
	}
out:
	if (q)
		close_fn(q);
	free(buf);
	free(xml);
	FreeLibrary(m);
	return rc;
}

bool tk__eventlog_wine(char *version, size_t size)
{
	FARPROC p = sym(GetModuleHandleW(L"ntdll.dll"), "wine_get_version");
	if (!p)
		return false;
	tk_wine_version_fn fn;
	memcpy(&fn, &p, sizeof(fn));
	const char *v = fn();
	tk__strlcpy(version, v ? v : "?", size);
	return true;
}
