/* SPDX-License-Identifier: MIT */
/*
 * The Windows loader's DLL search for `doctor --program` (src/core/program.c), in the order of
 * the standard search with SafeDllSearchMode on: KnownDLLs (Session Manager\KnownDLLs, served
 * from the system directory), API sets (api-ms-win-*, ext-ms-*: a file in the system directory,
 * else ApiSetQueryApiSetPresence), the application's folder, the system directory for the
 * program's bitness (System32, or SysWOW64 for a 32-bit program on 64-bit Windows), the
 * Windows directory, then each PATH entry. The current directory (searched after the Windows
 * directory) depends on how the program is started and is not searched here. Side-by-side
 * assemblies and .local redirection are not followed.
 */
#include "win_internal.h"

#include "core/pe.h"

#include <winternl.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define KNOWNDLLS_W L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\KnownDLLs"

typedef BOOL(WINAPI *tk_apiset_fn)(const void *ns, BOOLEAN *present);

struct loader_state {
	wchar_t sys64[MAX_PATH]; /* the native system directory */
	wchar_t sys32[MAX_PATH]; /* SysWOW64 on 64-bit Windows, else System32 */
	wchar_t windir[MAX_PATH];
	unsigned os_bits;
};

static struct loader_state g_loader; /* filled once per tk__backend_loader call */

static bool file_exists(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

static bool try_dir(const wchar_t *dir, const wchar_t *dll, char *out, size_t size)
{
	wchar_t p[MAX_PATH * 2];
	if (!dir[0])
		return false;
	size_t n = wcslen(dir);
	swprintf(p, TK_ARRAY_SIZE(p), L"%ls%ls%ls", dir,
		 (n && (dir[n - 1] == L'\\' || dir[n - 1] == L'/')) ? L"" : L"\\", dll);
	if (!file_exists(p))
		return false;
	tk__errmap_narrow(p, out, size);
	return true;
}

static bool is_known_dll(const wchar_t *dll)
{
	HKEY key;
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, KNOWNDLLS_W, 0, KEY_READ, &key) != ERROR_SUCCESS)
		return false;
	bool known = false;
	for (DWORD i = 0; i < 512 && !known; i++) {
		wchar_t name[128], value[MAX_PATH];
		DWORD nlen = TK_ARRAY_SIZE(name), vbytes = sizeof(value) - sizeof(wchar_t),
		      type = 0;
		LONG rc = RegEnumValueW(key, i, name, &nlen, NULL, &type, (BYTE *)value, &vbytes);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		if (rc != ERROR_SUCCESS || type != REG_SZ)
			continue;
		value[vbytes / sizeof(wchar_t)] = L'\0';
		known = _wcsicmp(value, dll) == 0;
	}
	RegCloseKey(key);
	return known;
}

/* ApiSetQueryApiSetPresence (Windows 8.1+), looked up at run time. -1 when it cannot tell. */
static int apiset_present(const wchar_t *dll)
{
	HMODULE kb = GetModuleHandleW(L"kernelbase.dll");
	FARPROC p = kb ? GetProcAddress(kb, "ApiSetQueryApiSetPresence") : NULL;
	if (!p)
		return -1;
	tk_apiset_fn fn;
	memcpy(&fn, &p, sizeof(fn));
	/* The name without ".dll", as a UNICODE_STRING. */
	wchar_t ns[128];
	swprintf(ns, TK_ARRAY_SIZE(ns), L"%ls", dll);
	size_t n = wcslen(ns);
	if (n > 4 && _wcsicmp(ns + n - 4, L".dll") == 0)
		ns[n -= 4] = L'\0';
	UNICODE_STRING us = { (USHORT)(n * sizeof(wchar_t)), (USHORT)(n * sizeof(wchar_t)), ns };
	BOOLEAN present = FALSE;
	if (!fn(&us, &present))
		return -1;
	return present ? 1 : 0;
}

static bool find(void *user, const char *dll, unsigned bits, const char *appdir, char *out,
		 size_t size, const char **where, bool *system)
{
	(void)user;
	const struct loader_state *st = &g_loader;
	wchar_t *wdll = tk__errmap_wide(dll), *wapp = tk__errmap_wide(appdir);
	bool found = false;
	*system = false;
	*where = "";
	if (!wdll || !wapp)
		goto out;
	const wchar_t *sysdir = (bits == 32 && st->os_bits == 64) ? st->sys32 : st->sys64;
	enum tk_dll_provider prov = tk__pe_dll_provider(dll);
	if (is_known_dll(wdll) && try_dir(sysdir, wdll, out, size)) {
		*where = "KnownDLLs";
		*system = found = true;
		goto out;
	}
	if (prov == TK_DLL_API_SET ||
	    (prov == TK_DLL_UCRT && _wcsnicmp(wdll, L"api-ms-", 7) == 0)) {
		if (try_dir(sysdir, wdll, out, size)) {
			*where = "API set (system directory)";
			*system = found = true;
			goto out;
		}
		int present = apiset_present(wdll);
		if (present == 1) {
			tk__strlcpy(out, dll, size);
			*where = "API set (schema)";
			*system = found = true;
		}
		if (present != -1 || prov == TK_DLL_UCRT)
			goto out;
	}
	if (try_dir(wapp, wdll, out, size)) {
		*where = "application directory";
		found = true;
		goto out;
	}
	if (try_dir(sysdir, wdll, out, size)) {
		*where = "system directory";
		found = true;
		/* Third-party DLLs put into System32 are still walked. */
		*system = prov == TK_DLL_SYSTEM || prov == TK_DLL_API_SET || prov == TK_DLL_UCRT;
		goto out;
	}
	if (try_dir(st->windir, wdll, out, size)) {
		*where = "Windows directory";
		found = true;
		goto out;
	}
	/* PATH, entry by entry (bounded). */
	wchar_t *path = NULL;
	DWORD n = GetEnvironmentVariableW(L"PATH", NULL, 0);
	if (n && n < 65536 && (path = malloc(n * sizeof(wchar_t))) &&
	    GetEnvironmentVariableW(L"PATH", path, n) < n) {
		for (wchar_t *dir = path; dir && !found;) {
			wchar_t *semi = wcschr(dir, L';');
			if (semi)
				*semi = L'\0';
			if (try_dir(dir, wdll, out, size)) {
				*where = "PATH";
				found = true;
			}
			dir = semi ? semi + 1 : NULL;
		}
	}
	free(path);
out:
	free(wdll);
	free(wapp);
	return found;
}

void tk__backend_loader(struct tk__loader *out)
{
	memset(out, 0, sizeof(*out));
	struct loader_state *st = &g_loader;
	memset(st, 0, sizeof(*st));
	SYSTEM_INFO si;
	GetNativeSystemInfo(&si);
	switch (si.wProcessorArchitecture) {
	case PROCESSOR_ARCHITECTURE_AMD64:
		out->os_machine = 0x8664;
		out->os_bits = 64;
		break;
	case PROCESSOR_ARCHITECTURE_ARM64:
		out->os_machine = 0xaa64;
		out->os_bits = 64;
		break;
	case PROCESSOR_ARCHITECTURE_INTEL:
		out->os_machine = 0x014c;
		out->os_bits = 32;
		break;
	default:
		break;
	}
	st->os_bits = out->os_bits;
	UINT n = GetSystemDirectoryW(st->sys64, MAX_PATH);
	if (!n || n >= MAX_PATH)
		st->sys64[0] = L'\0';
	n = GetSystemWow64DirectoryW(st->sys32, MAX_PATH);
	if (!n || n >= MAX_PATH)
		wcscpy(st->sys32, st->sys64);
	else if (out->os_bits == 64) {
		DWORD a = GetFileAttributesW(st->sys32);
		out->no_32bit = a == INVALID_FILE_ATTRIBUTES || !(a & FILE_ATTRIBUTE_DIRECTORY);
	}
	n = GetSystemWindowsDirectoryW(st->windir, MAX_PATH);
	if (!n || n >= MAX_PATH)
		st->windir[0] = L'\0';
	out->available = st->sys64[0] != L'\0';
	out->find = find;
	char sys[MAX_PATH], wow[MAX_PATH];
	tk__errmap_narrow(st->sys64, sys, sizeof(sys));
	tk__errmap_narrow(st->sys32, wow, sizeof(wow));
	tk__snprintf(
		out->order, sizeof(out->order),
		"KnownDLLs, API sets, application directory, %s (64-bit) or %s (32-bit), Windows directory, PATH",
		sys, wow);
}
