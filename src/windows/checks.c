/* SPDX-License-Identifier: MIT */
/*
 * The Windows doctor: ordered checks from the process's own rights and files, through the
 * driver (service, .sys file, driver package, code integrity), to each adapter (registry entry,
 * device state and problem code, a real open, media and access settings) and the security
 * products that may block it. Each check says what it read (evidence) and what to do. The open
 * check uses the same CreateFile and the same mapping as tk_dev_open, so the doctor explains
 * exactly the failure a program would see.
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* What earlier checks found that later ones need. */
struct facts {
	bool elevated;
	bool service_ok;
	uint32_t worst_problem; /* a signing/blocking problem code seen on an adapter */
	bool blocked_elevated;	/* an elevated open was refused, or a driver blocked */
	char blocked_what[TK_ERROR_OBJECT_MAX];
	bool wine; /* the host is Wine: some sources are stubs */
	char wine_version[32];
	char driver_file[300];			  /* the service's resolved ImagePath */
	char security_finding[TK_ERROR_TEXT_MAX]; /* what a security product recorded, "" none */
};

#define WINE_SKIP "wine"

static void evidence_win32(tk_check *c, const char *key, DWORD code)
{
	char text[TK_ERROR_OS_TEXT_MAX];
	tk__errmap_os_text(code, text, sizeof(text));
	tk__check_evidence(c, key, "%lu (%s)", (unsigned long)code, text);
}

typedef LONG(NTAPI *tk_rtlgetversion_fn)(OSVERSIONINFOW *);

/* Which Windows (or Wine) this is: the checks that follow read sources Wine only stubs. */
static void check_host(struct tk__doctor *d, struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "windows.host", "the Windows version (or Wine)", "");
	OSVERSIONINFOW v;
	memset(&v, 0, sizeof(v));
	v.dwOSVersionInfoSize = sizeof(v);
	FARPROC p = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
	if (p) {
		tk_rtlgetversion_fn fn;
		memcpy(&fn, &p, sizeof(fn));
		fn(&v);
	}
	tk__check_evidence(c, "version", "%lu.%lu.%lu", (unsigned long)v.dwMajorVersion,
			   (unsigned long)v.dwMinorVersion, (unsigned long)v.dwBuildNumber);
	fx->wine = tk__eventlog_wine(fx->wine_version, sizeof(fx->wine_version));
	if (fx->wine) {
		tk__check_evidence(c, "wine", "%s", fx->wine_version);
		tk__check_ok(
			c,
			"Wine %s (reporting Windows %lu.%lu): checks whose source Wine only stubs (event logs, code integrity, signatures, Security Center) are marked skipped",
			fx->wine_version, (unsigned long)v.dwMajorVersion,
			(unsigned long)v.dwMinorVersion);
		return;
	}
	tk__check_ok(c, "Windows %lu.%lu build %lu", (unsigned long)v.dwMajorVersion,
		     (unsigned long)v.dwMinorVersion, (unsigned long)v.dwBuildNumber);
}

static void check_elevation(struct tk__doctor *d, struct facts *fx)
{
	tk_check *c = tk__doctor_add(d, "windows.elevation", "the process's elevation", "");
	int type = 0;
	fx->elevated = tk__elevation_is_elevated(&type);
	tk__check_evidence(c, "token_elevated", "%s", fx->elevated ? "yes" : "no");
	tk__check_evidence(c, "elevation_type", "%s",
			   type == (int)TokenElevationTypeFull	    ? "full"
			   : type == (int)TokenElevationTypeLimited ? "limited"
								    : "default");
	if (fx->elevated) {
		tk__check_ok(c, "elevated: every tapkit operation is allowed");
		return;
	}
	tk__check_warn(
		c, TK_E_NO_PRIVILEGE, TK_OS_NONE, 0,
		"not elevated: listing and opening adapters work, but creating, deleting, enabling, setting addresses or MTU and installing the driver need elevation");
	tk__check_remedy(c, "for those, run tapkit from an elevated prompt (Run as administrator)");
}

static void check_arch(struct tk__doctor *d)
{
	tk_check *c = tk__doctor_add(d, "windows.native", "a native 64-bit process", "");
	BOOL wow = FALSE;
	if (IsWow64Process(GetCurrentProcess(), &wow) && wow) {
		tk__check_fail(
			c, TK_E_WOW64, TK_OS_NONE, 0,
			"this is a 32-bit tapkit on 64-bit Windows: device installation fails with ERROR_IN_WOW64");
		tk__check_remedy(c, "use the 64-bit tapkit.exe");
		return;
	}
	tk__check_evidence(c, "wow64", "no");
	tk__check_ok(c, "native 64-bit process");
}

/*
 * The runtimes programs built with Visual C++ need, as the loader would find them for a 64-bit
 * and a 32-bit program (tapkit itself links statically and needs none: it started). A program
 * that does not start is checked with `doctor --program PATH`.
 */
static void check_runtime(struct tk__doctor *d)
{
	static const char *const dlls[] = { "ucrtbase.dll", "vcruntime140.dll", "msvcp140.dll" };
	tk_check *c = tk__doctor_add(d, "windows.runtime",
				     "the C runtimes programs built with Visual C++ need", "");
	struct tk__loader ld;
	tk__backend_loader(&ld);
	bool ucrt_missing = false;
	char absent[TK_ERROR_TEXT_MAX] = "";
	for (unsigned bits = 64; bits >= 32; bits -= 32) {
		if (bits == 32 && (ld.os_bits != 64 || ld.no_32bit))
			break;
		char key[32], list[TK_ERROR_TEXT_MAX] = "";
		for (size_t i = 0; i < TK_ARRAY_SIZE(dlls); i++) {
			char path[MAX_PATH];
			const char *where = "";
			bool sys = false;
			bool found = ld.find(ld.user, dlls[i], bits, "", path, sizeof(path), &where,
					     &sys);
			size_t used = strlen(list);
			tk__snprintf(list + used, sizeof(list) - used, "%s%s %s", used ? ", " : "",
				     dlls[i], found ? "present" : "absent");
			if (!found) {
				used = strlen(absent);
				tk__snprintf(absent + used, sizeof(absent) - used, "%s%s (%u-bit)",
					     used ? ", " : "", dlls[i], bits);
				ucrt_missing = ucrt_missing || i == 0;
			}
		}
		tk__snprintf(key, sizeof(key), "x%s", bits == 64 ? "64" : "86");
		tk__check_evidence(c, key, "%s", list);
	}
	if (ucrt_missing) {
		tk__check_warn(
			c, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, ERROR_MOD_NOT_FOUND,
			"the Universal C Runtime is missing: programs built with Visual C++ 2015 or later do not start (%s)",
			absent);
		tk__check_remedy(
			c,
			"install the Universal C Runtime (Windows Update KB2999226); check a program with `tapkit doctor --program PATH`");
		return;
	}
	if (absent[0]) {
		tk__check_ok(
			c,
			"the Visual C++ Redistributable is not installed (%s): programs that need it report it with `tapkit doctor --program PATH`",
			absent);
		return;
	}
	tk__check_ok(c, "the Universal C Runtime and the Visual C++ Redistributable are present");
}

static void check_service(tk_ctx *ctx, struct tk__doctor *d, struct facts *fx,
			  struct tk_win_service *svc)
{
	tk_check *c = tk__doctor_add(d, "windows.driver.service", "the tap0901 driver service",
				     "tap0901");
	tk_error e = { 0 };
	if (tk__service_query(ctx, svc, &e) != TK_OK) {
		tk__check_from_error(c, &e);
		return;
	}
	if (!svc->exists) {
		tk__check_evidence(c, "service", "not registered (OpenService: 1060)");
		tk__check_fail(c, TK_E_DRIVER_NOT_INSTALLED, TK_OS_WIN32,
			       ERROR_SERVICE_DOES_NOT_EXIST,
			       "the TAP-Windows6 driver is not installed: no tap0901 service");
		tk__check_remedy(
			c,
			"install TAP-Windows6 (the OpenVPN installer's TAP component, or `tapkit driver install OemVista.inf` elevated)");
		return;
	}
	tk__check_evidence(c, "state", "%s", tk__winlogic_service_state_name(svc->state));
	tk__check_evidence(c, "start", "%lu (%s)", (unsigned long)svc->start,
			   tk__winlogic_service_start_name(svc->start));
	tk__check_evidence(c, "image_path", "%s", svc->image[0] ? svc->image : "(default)");
	if (svc->exit_code && svc->exit_code != ERROR_SERVICE_NEVER_STARTED)
		evidence_win32(c, "last_exit", svc->exit_code);
	if (svc->start == TK_SVC_START_DISABLED) {
		tk__check_fail(
			c, TK_E_DRIVER_SERVICE_STOPPED, TK_OS_NONE, 0,
			"the tap0901 service is disabled (Start = 4): adapters cannot start");
		tk__check_remedy(
			c,
			"`sc config tap0901 start= demand` (elevated), then `tapkit disable NAME` and `tapkit enable NAME`");
		return;
	}
	struct tk_win_cause why;
	if (svc->state != TK_SVC_RUNNING && tk__recorded_exit_cause(svc->exit_code, &why)) {
		tk__check_fail(c, why.status, TK_OS_WIN32, svc->exit_code,
			       "the tap0901 driver's last start failed with %lu: %s",
			       (unsigned long)svc->exit_code, why.why);
		tk__check_remedy(c, "%s", why.remedy);
		if (why.status == TK_E_SECURITY_SOFTWARE)
			tk__snprintf(fx->security_finding, sizeof(fx->security_finding),
				     "the driver's last start failed with %lu (%s)",
				     (unsigned long)svc->exit_code, why.why);
		return;
	}
	fx->service_ok = true;
	/* A demand-start driver service is stopped until an adapter starts it: not a fault. */
	tk__check_ok(c, "the tap0901 service is registered (%s, start %s)",
		     tk__winlogic_service_state_name(svc->state),
		     tk__winlogic_service_start_name(svc->start));
}

static void check_driver_file(struct tk__doctor *d, const struct tk_win_service *svc)
{
	tk_check *c = tk__doctor_add(d, "windows.driver.file", "the driver's .sys file", "tap0901");
	if (tk__doctor_skip_unless_ok(d, c, "windows.driver.service"))
		return;
	tk__check_evidence(c, "path", "%s", svc->file);
	if (!svc->file_exists) {
		tk__check_fail(c, TK_E_DRIVER_FILES_MISSING, TK_OS_WIN32, ERROR_FILE_NOT_FOUND,
			       "the service is registered but its driver file %s is missing",
			       svc->file);
		tk__check_remedy(
			c,
			"reinstall the TAP driver (`tapkit driver install OemVista.inf`, or repair the OpenVPN/TAP-Windows installation)");
		return;
	}
	tk__check_ok(c, "%s exists", svc->file);
}

static int sig_rank(enum tk_sig_kind k)
{
	static const int rank[TK_SIG__COUNT] = {
		[TK_SIG_UNKNOWN] = 0,	     [TK_SIG_NONE] = 1,	   [TK_SIG_INVALID] = 2,
		[TK_SIG_UNTRUSTED_ROOT] = 3, [TK_SIG_TEST] = 4,	   [TK_SIG_CROSS_SIGNED] = 5,
		[TK_SIG_MICROSOFT] = 6,	     [TK_SIG_REVOKED] = 7,
	};
	return (unsigned)k < TK_SIG__COUNT ? rank[k] : 0;
}

static enum tk_sig_kind sig_evidence(tk_check *c, const char *what,
				     const struct tk_win_sig_one *one)
{
	char key[32];
	if (!one->done)
		return TK_SIG_UNKNOWN;
	enum tk_sig_kind k = tk__siglogic_classify(true, one->result, one->signer, one->root);
	tk__snprintf(key, sizeof(key), "%s_trust", what);
	tk__check_evidence(c, key, "0x%08lx (%s)", (unsigned long)one->result,
			   tk__siglogic_kind_name(k));
	if (one->chain[0]) {
		tk__snprintf(key, sizeof(key), "%s_chain", what);
		tk__check_evidence(c, key, "%s", one->chain);
	}
	return k;
}

/* The .sys file's signature and its catalog's, with the signing rules in force: one cause. */
static void check_driver_signature(struct tk__doctor *d, const struct facts *fx,
				   const struct tk_win_service *svc)
{
	tk_check *c = tk__doctor_add(d, "windows.driver.signature",
				     "the driver's signature and the signing rules", "tap0901");
	if (tk__doctor_skip_unless_ok(d, c, "windows.driver.file"))
		return;
	char package[MAX_PATH], version[32], cat[MAX_PATH * 2] = "";
	tk__driver_staged_package(package, sizeof(package), version, sizeof(version));
	if (package[0]) {
		wchar_t win[MAX_PATH];
		UINT n = GetSystemWindowsDirectoryW(win, MAX_PATH);
		char nwin[MAX_PATH];
		if (!n || n >= MAX_PATH || !tk__errmap_narrow(win, nwin, sizeof(nwin)))
			tk__strlcpy(nwin, "C:\\Windows", sizeof(nwin));
		tk__snprintf(cat, sizeof(cat),
			     "%s\\System32\\DriverStore\\FileRepository\\%s\\tap0901.cat", nwin,
			     package);
	}
	struct tk_win_sig sig;
	tk__wintrust_check(svc->file, cat, &sig);
	tk__check_evidence(c, "file", "%s", svc->file);
	enum tk_sig_kind kf = sig_evidence(c, "file", &sig.file);
	if (sig.catalog_path[0])
		tk__check_evidence(c, "catalog", "%s", sig.catalog_path);
	enum tk_sig_kind kc = sig_evidence(c, "catalog", &sig.catalog);
	struct tk_sig_facts f = { .kind = sig_rank(kc) > sig_rank(kf) ? kc : kf };
	struct tk_ci_facts ci;
	tk__codeintegrity_read(&ci);
	struct tk_ci_verdict civ;
	tk__winlogic_ci_interpret(&ci, &civ);
	/* Wine's code integrity answer is a stub: the rules are unknown there. */
	bool rules_known = ci.options_known && !fx->wine;
	f.testsign = rules_known ? civ.testsign : -1;
	f.hvci = rules_known ? civ.hvci_running : (ci.hvci_configured == 1 ? 1 : -1);
	f.secure_boot = fx->wine ? -1 : ci.secure_boot;
	tk__check_evidence(c, "signature", "%s", tk__siglogic_kind_name(f.kind));
	tk__check_evidence(c, "rules", "test_signing=%s secure_boot=%s memory_integrity=%s",
			   f.testsign == 1   ? "on"
			   : f.testsign == 0 ? "off"
					     : "unknown",
			   f.secure_boot == 1	? "on"
			   : f.secure_boot == 0 ? "off"
						: "unknown",
			   f.hvci == 1	 ? "on"
			   : f.hvci == 0 ? "off"
					 : "unknown");
	struct tk_sig_verdict v;
	tk__siglogic_decide(&f, &v);
	if (v.status != TK_OK) {
		tk__check_fail(c, v.status, TK_OS_HRESULT,
			       kc == f.kind && sig.catalog.done ? sig.catalog.result
								: sig.file.result,
			       "%s", v.summary);
		tk__check_remedy(c, "%s", v.remedy);
		return;
	}
	if (v.cannot_tell) {
		if (fx->wine)
			tk__check_skip_host(c, WINE_SKIP,
					    "%s (Wine %s does not enforce or report signing rules)",
					    v.summary, fx->wine_version);
		else
			tk__check_skip_host(c, "unknown", "%s", v.summary);
		return;
	}
	if (v.caution) {
		tk__check_warn(c, TK_E_DRIVER_UNSIGNED, TK_OS_NONE, 0, "%s", v.summary);
		tk__check_remedy(c, "%s", v.remedy);
		return;
	}
	tk__check_ok(c, "%s", v.summary);
}

/* Looks for a staged package in the driver store and the installers' usual folders. */
static void check_driver_package(struct tk__doctor *d)
{
	tk_check *c = tk__doctor_add(d, "windows.driver.package",
				     "the TAP driver package in the driver store", "");
	char package[MAX_PATH], version[32], found[TK_ERROR_TEXT_MAX] = "", copy[MAX_PATH];
	tk__driver_staged_package(package, sizeof(package), version, sizeof(version));
	if (package[0])
		tk__snprintf(found, sizeof(found), "DriverStore\\FileRepository\\%s", package);
	tk__check_evidence(c, "driver_store", "%s", found[0] ? found : "no oemvista.inf_* package");
	/* Installers keep a copy; it is what `tapkit driver install` needs. */
	tk__driver_installer_copy(copy, sizeof(copy));
	if (copy[0])
		tk__check_evidence(c, "installer_copy", "%s", copy);
	if (found[0]) {
		tk__check_ok(c, "a TAP driver package is staged (%s)", found);
		return;
	}
	tk__check_warn(
		c, TK_E_DRIVER_NOT_INSTALLED, TK_OS_NONE, 0,
		"no TAP driver package is staged in the driver store: creating an adapter will fail (0xE0000203)");
	if (copy[0])
		tk__check_remedy(c, "stage it: `tapkit driver install \"%s\"` (elevated)", copy);
	else
		tk__check_remedy(
			c,
			"install TAP-Windows6 from OpenVPN (tap-windows-9.27.0 installer, or the OpenVPN installer's TAP component)");
}

static void check_code_integrity(struct tk__doctor *d, const struct facts *fx)
{
	tk_check *c = tk__doctor_add(
		d, "windows.codeintegrity",
		"driver signing rules (code integrity, Secure Boot, memory integrity)", "");
	struct tk_ci_facts f;
	tk__codeintegrity_read(&f);
	f.problem = fx->worst_problem;
	struct tk_ci_verdict v;
	tk__winlogic_ci_interpret(&f, &v);
	if (f.options_known)
		tk__check_evidence(c, "ci_options", "0x%lx", (unsigned long)f.options);
	else
		tk__check_evidence(c, "ci_options",
				   "unknown (NtQuerySystemInformation 103 failed)");
	tk__check_evidence(c, "test_signing", "%s", v.testsign ? "on" : "off");
	tk__check_evidence(c, "secure_boot", "%s",
			   f.secure_boot == 1	? "on"
			   : f.secure_boot == 0 ? "off"
						: "unknown (no SecureBoot\\State key)");
	tk__check_evidence(c, "memory_integrity", "%s",
			   v.hvci_running	    ? "running"
			   : f.hvci_configured == 1 ? "configured"
						    : "off");
	if (fx->worst_problem)
		tk__check_evidence(c, "adapter_problem", "%lu", (unsigned long)fx->worst_problem);
	if (v.status != TK_OK) {
		tk__check_fail(c, v.status, TK_OS_CM_PROBLEM, f.problem, "%s", v.summary);
		tk__check_remedy(c, "%s", v.remedy);
		return;
	}
	if (fx->wine) {
		tk__check_skip_host(
			c, WINE_SKIP,
			"Wine %s answers code integrity with a stub (options always 0x1) and has no Secure Boot or memory integrity",
			fx->wine_version);
		return;
	}
	tk__check_ok(c, "%s", v.summary);
}

/* One event log's verdict about the driver file, as a check. */
static void check_log(struct tk__doctor *d, struct facts *fx, const char *id, const char *title,
		      const wchar_t *channel, const wchar_t *xpath, bool defender)
{
	tk_check *c = tk__doctor_add(d, id, title, "tap0901");
	static struct tk_win_event ev[64];
	size_t n = 0;
	const char *driver = fx->driver_file[0] ? tk__path_base(fx->driver_file) : "tap0901.sys";
	char chan[128];
	tk__errmap_narrow(channel, chan, sizeof(chan));
	tk__check_evidence(c, "channel", "%s", chan);
	DWORD rc = tk__eventlog_read(channel, xpath, ev, TK_ARRAY_SIZE(ev), &n);
	if (rc != ERROR_SUCCESS && fx->wine) {
		evidence_win32(c, "evtquery", rc);
		tk__check_skip_host(c, WINE_SKIP,
				    "Wine %s has no event log to read (EvtQuery: %lu)",
				    fx->wine_version, (unsigned long)rc);
		return;
	}
	if (rc == 15007 /* ERROR_EVT_CHANNEL_NOT_FOUND */) {
		tk__check_ok(c, "this Windows has no %s log", chan);
		return;
	}
	if (rc != ERROR_SUCCESS) {
		evidence_win32(c, "evtquery", rc);
		tk__check_warn(c, rc == ERROR_ACCESS_DENIED ? TK_E_NO_PRIVILEGE : TK_E_IO,
			       TK_OS_WIN32, rc, "the %s log cannot be read", chan);
		tk__check_remedy(c, "run tapkit elevated, or read the log in Event Viewer (%s)",
				 chan);
		return;
	}
	struct tk_log_verdict v;
	if (defender)
		tk__recorded_defender_verdict(ev, n, driver, &v);
	else
		tk__recorded_ci_verdict(ev, n, driver, &v);
	tk__check_evidence(c, "events_read", "%zu", n);
	tk__check_evidence(c, "naming_driver", "%zu", v.matches);
	if (v.status == TK_OK) {
		tk__check_ok(c, "%s", v.summary);
		return;
	}
	tk__check_evidence(c, "event", "%lu at %s", (unsigned long)v.id, v.time);
	if (v.signer[0])
		tk__check_evidence(c, "signer", "%s", v.signer);
	tk__check_fail(c, v.status, TK_OS_NONE, 0, "%s", v.summary);
	tk__check_remedy(c, "%s", v.remedy);
	if (v.status == TK_E_SECURITY_SOFTWARE)
		tk__strlcpy(fx->security_finding, v.summary, sizeof(fx->security_finding));
}

/* The end of setupapi.dev.log (at most its last 8 MiB), NUL-terminated; NULL if unreadable. */
static char *read_log_tail(const wchar_t *path, size_t *len, DWORD *code)
{
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			       OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		*code = GetLastError();
		return NULL;
	}
	LARGE_INTEGER size = { 0 };
	GetFileSizeEx(h, &size);
	LONGLONG want = size.QuadPart > (8LL << 20) ? (8LL << 20) : size.QuadPart;
	LARGE_INTEGER at = { .QuadPart = size.QuadPart - want };
	char *buf = malloc((size_t)want + 1);
	DWORD got = 0;
	if (!buf || !SetFilePointerEx(h, at, NULL, FILE_BEGIN) ||
	    !ReadFile(h, buf, (DWORD)want, &got, NULL)) {
		*code = buf ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
		free(buf);
		CloseHandle(h);
		return NULL;
	}
	CloseHandle(h);
	buf[got] = '\0';
	*len = got;
	return buf;
}

static bool file_exists_utf8(const char *path)
{
	wchar_t *w = tk__errmap_wide(path);
	DWORD a = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
	free(w);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* The last TAP install in setupapi.dev.log: its result, its error, and files it installed
 * that are gone now (a security product's quarantine, usually). */
static void check_setupapi_log(struct tk__doctor *d, struct facts *fx)
{
	static const char *const needles[] = { "tap0901", "oemvista.inf" };
	tk_check *c = tk__doctor_add(d, "windows.driver.setupapi",
				     "the last TAP driver install (setupapi.dev.log)", "tap0901");
	wchar_t windir[MAX_PATH], path[MAX_PATH + 32];
	UINT wn = GetSystemWindowsDirectoryW(windir, MAX_PATH);
	if (!wn || wn >= MAX_PATH)
		wcscpy(windir, L"C:\\Windows");
	swprintf(path, TK_ARRAY_SIZE(path), L"%ls\\INF\\setupapi.dev.log", windir);
	char npath[MAX_PATH + 32];
	tk__errmap_narrow(path, npath, sizeof(npath));
	tk__check_evidence(c, "log", "%s", npath);
	size_t len = 0;
	DWORD code = 0;
	char *text = read_log_tail(path, &len, &code);
	if (!text) {
		evidence_win32(c, "open", code);
		if (fx->wine && code == ERROR_FILE_NOT_FOUND)
			tk__check_skip_host(c, WINE_SKIP, "Wine %s writes no setupapi.dev.log",
					    fx->wine_version);
		else if (code == ERROR_FILE_NOT_FOUND)
			tk__check_ok(c, "no setupapi.dev.log: no device install was logged");
		else
			tk__check_skip_host(c, "unreadable",
					    "setupapi.dev.log cannot be read (%lu)",
					    (unsigned long)code);
		return;
	}
	struct tk_setupapi_section *sec = malloc(sizeof(*sec));
	if (!sec || !tk__recorded_setupapi_last(text, len, needles, TK_ARRAY_SIZE(needles), sec)) {
		tk__check_ok(c, "no TAP-Windows install is logged");
		free(sec);
		free(text);
		return;
	}
	free(text);
	tk__check_evidence(c, "section", "%s", sec->header);
	tk__check_evidence(c, "start", "%s", sec->start);
	tk__check_evidence(c, "exit", "%s",
			   sec->exit[0] ? sec->exit : "(none: the log ends inside)");
	if (sec->first_error[0])
		tk__check_evidence(c, "first_error", "%s", sec->first_error);
	char gone[TK_ERROR_TEXT_MAX] = "";
	for (size_t i = 0; i < sec->ncopied; i++) {
		bool here = file_exists_utf8(sec->copied[i]);
		char key[16];
		tk__snprintf(key, sizeof(key), "installed_%zu", i + 1);
		tk__check_evidence(c, key, "%s (%s)", sec->copied[i], here ? "present" : "gone");
		if (!here) {
			size_t used = strlen(gone);
			tk__snprintf(gone + used, sizeof(gone) - used, "%s%s", used ? ", " : "",
				     sec->copied[i]);
		}
	}
	if (!sec->exit[0]) {
		tk__check_warn(c, TK_E_DRIVER_NOT_INSTALLED, TK_OS_NONE, 0,
			       "the last TAP install (%s) did not finish: the log ends inside it",
			       sec->start);
		tk__check_remedy(
			c, "install TAP-Windows6 again (the OpenVPN installer's TAP component)");
	} else if (!sec->success) {
		struct tk_win_cause why;
		tk__winlogic_map_win32(TK_WIN_OP_MANAGE, sec->error, &why);
		tk__check_fail(c, why.status, TK_OS_HRESULT, sec->error,
			       "the last TAP install (%s) failed with 0x%08lx: %s", sec->start,
			       (unsigned long)sec->error, why.why);
		tk__check_remedy(c, "%s", why.remedy);
	} else if (gone[0]) {
		tk__check_fail(
			c, TK_E_SECURITY_SOFTWARE, TK_OS_NONE, 0,
			"the TAP install of %s succeeded but what it installed is gone now (%s): likely quarantined by security software",
			sec->start, gone);
		tk__check_remedy(
			c,
			"restore it from the security product's quarantine (Windows Security > Protection history) and add an exclusion, or reinstall TAP-Windows6");
		tk__snprintf(fx->security_finding, sizeof(fx->security_finding),
			     "files of the TAP install are gone: %s", gone);
	} else {
		tk__check_ok(c, "the last TAP install (%s) succeeded and its files are present",
			     sec->start);
	}
	free(sec);
}

static void check_adapter(tk_ctx *ctx, struct tk__doctor *d, struct facts *fx,
			  const struct tk_win_adapter *a)
{
	const char *obj = a->name;
	tk_check *c =
		tk__doctor_add(d, "windows.adapter.registry", "the adapter's registry entry", obj);
	tk__check_evidence(c, "class_key", "Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}\\%s",
			   a->class_subkey);
	tk__check_evidence(c, "component_id", "%s", a->component);
	tk__check_evidence(c, "guid", "%s", a->guid[0] ? a->guid : "(unreadable)");
	tk__check_evidence(c, "connection_name", "%s",
			   a->name_from_registry ? a->name : "(unreadable: the GUID is used)");
	if (a->driver_version[0])
		tk__check_evidence(c, "driver_version", "%s", a->driver_version);
	if (a->note[0]) {
		tk_status st = a->note_status ? a->note_status : TK_E_CONFIG;
		if (a->guid[0])
			tk__check_warn(c, st, TK_OS_NONE, 0, "%s", a->note);
		else
			tk__check_fail(c, st, TK_OS_NONE, 0, "%s", a->note);
		tk__check_remedy(
			c,
			"repair the value in regedit (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}\\%s or the Network key), or delete and recreate the adapter",
			a->class_subkey);
	} else {
		tk__check_ok(c, "%s adapter %s", a->component, a->guid);
	}
	if (!a->guid[0])
		return;

	c = tk__doctor_add(d, "windows.adapter.device", "the adapter's device (Device Manager)",
			   obj);
	tk__check_evidence(c, "instance_id", "%s", a->instance_id[0] ? a->instance_id : "(none)");
	if (!a->devnode) {
		tk__check_fail(
			c, TK_E_ADAPTER_NOT_FOUND, TK_OS_NONE, 0,
			"the registry lists this adapter but no device has its GUID: a leftover of a removed adapter, or a device SetupAPI does not show");
		tk__check_remedy(
			c,
			"delete the adapter's leftovers (Device Manager > View > Show hidden devices) and create a new one with `tapkit create`");
	} else if (!a->present) {
		tk__check_fail(c, TK_E_ADAPTER_NOT_FOUND, TK_OS_NONE, 0,
			       "the device is not present (phantom)");
		tk__check_remedy(
			c, "create a new adapter with `tapkit create`, or reinstall the driver");
	} else {
		tk__check_evidence(c, "dn_status", "0x%lx%s", (unsigned long)a->dn_status,
				   (a->dn_status & TK_DN_STARTED) ? " (started)" : "");
		if (a->problem) {
			const struct tk_cm_problem *p = tk__winlogic_cm_problem(a->problem);
			tk__check_evidence(c, "problem", "%lu %s", (unsigned long)a->problem,
					   p->name);
			tk__check_fail(c, p->status, TK_OS_CM_PROBLEM, a->problem, "%s",
				       p->meaning);
			tk__check_remedy(c, "%s", p->remedy);
			if (a->problem == TK_CM_PROB_UNSIGNED_DRIVER ||
			    a->problem == TK_CM_PROB_DRIVER_BLOCKED ||
			    a->problem == TK_CM_PROB_DRIVER_FAILED_LOAD) {
				fx->worst_problem = a->problem;
				fx->blocked_elevated = true;
				tk__strlcpy(fx->blocked_what, obj, sizeof(fx->blocked_what));
			}
		} else if (!(a->dn_status & TK_DN_STARTED) && fx->wine) {
			tk__check_skip_host(
				c, WINE_SKIP,
				"the device is present; Wine %s does not report devices it did not start through PnP as started",
				fx->wine_version);
		} else if (!(a->dn_status & TK_DN_STARTED)) {
			tk__check_warn(c, TK_E_DRIVER_START_FAILED, TK_OS_NONE, 0,
				       "the device is present but not started");
		} else {
			tk__check_ok(c, "present, enabled and started");
		}
	}

	/* The real open, whatever the device check said: its Win32 code is the evidence a
	 * program would get. */
	c = tk__doctor_add(d, "windows.adapter.open", "opening the adapter", obj);
	wchar_t path[80];
	char npath[80];
	tk__tapioctl_path(a->guid, path, TK_ARRAY_SIZE(path));
	tk__errmap_narrow(path, npath, sizeof(npath));
	tk__check_evidence(c, "path", "%s", npath);
	uint32_t ver[3] = { 0 };
	DWORD ioctl = 0;
	DWORD code = tk__device_probe(a->guid, ver, &ioctl);
	if (code == ERROR_SUCCESS && ioctl != ERROR_SUCCESS) {
		/* Opened, but the driver refused to talk: under Wine, where a create cannot fail,
		 * this is how a second owner's refusal shows; the same code means the same. */
		evidence_win32(c, "get_version", ioctl);
		code = ioctl;
	}
	if (code == ERROR_SUCCESS) {
		tk__check_evidence(c, "driver_version", "%lu.%lu.%lu", (unsigned long)ver[0],
				   (unsigned long)ver[1], (unsigned long)ver[2]);
		if (!tk__winlogic_tap_version_ok(ver[0], ver[1])) {
			tk__check_warn(
				c, TK_E_UNSUPPORTED, TK_OS_NONE, 0,
				"opened %s, but its driver is TAP-Windows6 %lu.%lu, older than 9.9: OpenVPN refuses it and TUN mode is broken before 9.9",
				npath, (unsigned long)ver[0], (unsigned long)ver[1]);
			tk__check_remedy(
				c,
				"update the TAP driver: install TAP-Windows6 9.24.2 or later from OpenVPN (the OpenVPN installer's TAP component), then restart programs using the adapter");
		} else {
			tk__check_ok(c, "opened %s; driver %lu.%lu answers", npath,
				     (unsigned long)ver[0], (unsigned long)ver[1]);
		}
	} else {
		evidence_win32(c, "createfile", code);
		tk_error e = { 0 };
		tk__device_explain(a, code, &e);
		if (e.status == TK_E_ADAPTER_BUSY) {
			tk__check_warn(c, e.status, TK_OS_WIN32, code, "%s", e.message);
			tk__check_remedy(c, "%s", e.remedy);
		} else {
			tk__check_from_error(c, &e);
		}
		if (code == ERROR_ACCESS_DENIED && fx->elevated && !fx->blocked_elevated) {
			fx->blocked_elevated = true;
			tk__strlcpy(fx->blocked_what, obj, sizeof(fx->blocked_what));
		}
	}
	(void)ctx;

	c = tk__doctor_add(d, "windows.adapter.settings", "the adapter's media and access settings",
			   obj);
	tk__check_evidence(c, "MediaStatus", "%s",
			   a->media_status == 1	  ? "1 (always connected)"
			   : a->media_status == 0 ? "0 (application controlled)"
						  : "absent (application controlled)");
	tk__check_evidence(c, "AllowNonAdmin", "%s", a->allow_nonadmin ? "present" : "absent");
	if (!a->allow_nonadmin) {
		tk__check_warn(c, TK_E_NO_PRIVILEGE, TK_OS_NONE, 0,
			       "AllowNonAdmin is absent: only administrators can open the adapter");
		tk__check_remedy(
			c,
			"reinstall the TAP driver (its INF sets AllowNonAdmin), or run programs using the adapter elevated");
		return;
	}
	tk__check_ok(
		c, "%s",
		a->media_status == 1
			? "always connected; every user may open the adapter"
			: "the link is up only while a program holds the adapter open (\"network cable unplugged\" otherwise); every user may open it");
}

/* The adapter named is not a TAP one: why, as the API would say (another driver's adapter
 * named by mistake, or none by that name). */
static void check_named_missing(tk_ctx *ctx, struct tk__doctor *d, const char *name)
{
	tk_check *c =
		tk__doctor_add(d, "windows.adapter.registry", "the adapter's registry entry", name);
	struct tk_win_adapter a;
	tk_error e = { 0 };
	if (tk__registry_find(ctx, name, &a, &e) == TK_OK) {
		tk__check_fail(c, TK_E_INTERNAL, TK_OS_NONE, 0,
			       "the adapter was found on a second look (it appeared meanwhile)");
		return;
	}
	tk__check_from_error(c, &e);
}

static void check_adapters(tk_ctx *ctx, struct tk__doctor *d, struct facts *fx,
			   const tk_doctor_opts *opts)
{
	tk_check *c = tk__doctor_add(d, "windows.adapters", "TAP-Windows adapters", "");
	struct tk_win_adapter *list = NULL;
	size_t n = 0;
	tk_error e = { 0 };
	if (tk__registry_adapters(ctx, &list, &n, &e) != TK_OK) {
		tk__check_from_error(c, &e);
		return;
	}
	tk__setupapi_annotate(ctx, list, n);
	tk__check_evidence(c, "count", "%zu", n);
	char names[TK_ERROR_TEXT_MAX] = "";
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(names);
		tk__snprintf(names + used, sizeof(names) - used, "%s%s (%s)", i ? ", " : "",
			     list[i].name, list[i].component);
	}
	if (n)
		tk__check_evidence(c, "adapters", "%s", names);
	bool want_one = opts->adapter && *opts->adapter;
	if (n == 0) {
		tk__check_fail(
			c, TK_E_ADAPTER_NOT_FOUND, TK_OS_NONE, 0,
			"no TAP-Windows adapter exists (component ids tap0901, root\\tap0901, tap0801, tapoas, tap_ovpnconnect%s)",
			"");
		tk__check_remedy(
			c,
			"create one with `tapkit create` (elevated; needs the driver package, see windows.driver.package)");
		free(list);
		if (want_one)
			check_named_missing(ctx, d, opts->adapter);
		return;
	}
	tk__check_ok(c, "%zu TAP adapter%s", n, n == 1 ? "" : "s");
	size_t checked = 0;
	for (size_t i = 0; i < n; i++) {
		if (want_one) {
			struct tk_guid g1, g2;
			bool match = (tk__winlogic_guid_parse(opts->adapter, &g1) &&
				      tk__winlogic_guid_parse(list[i].guid, &g2) &&
				      memcmp(&g1, &g2, sizeof(g1)) == 0) ||
				     CompareStringA(LOCALE_INVARIANT, NORM_IGNORECASE, list[i].name,
						    -1, opts->adapter, -1) == CSTR_EQUAL;
			if (!match)
				continue;
		}
		check_adapter(ctx, d, fx, &list[i]);
		checked++;
	}
	if (want_one && !checked)
		check_named_missing(ctx, d, opts->adapter);
	free(list);
}

static void check_security(struct tk__doctor *d, const struct facts *fx)
{
	tk_check *c =
		tk__doctor_add(d, "windows.security",
			       "security products registered with Windows Security Center", "");
	struct tk_win_security s;
	tk__security_products(&s);
	if (fx->security_finding[0])
		tk__check_evidence(c, "finding", "%s", fx->security_finding);
	if (!s.available) {
		tk__check_evidence(c, "securitycenter", "not available (HRESULT 0x%08lx)",
				   (unsigned long)s.hr);
		if (fx->security_finding[0]) {
			tk__check_warn(c, TK_E_SECURITY_SOFTWARE, TK_OS_NONE, 0,
				       "security software acted on the TAP driver: %s",
				       fx->security_finding);
			tk__check_remedy(
				c,
				"restore the driver from the security product's quarantine and add an exclusion for it, or reinstall TAP-Windows6");
		} else if (fx->wine) {
			tk__check_skip_host(
				c, WINE_SKIP,
				"Wine %s has no Security Center (WMI root\\SecurityCenter2)",
				fx->wine_version);
		} else {
			tk__check_ok(
				c,
				"Windows Security Center is not available here (server editions have none)");
		}
		return;
	}
	char names[TK_ERROR_TEXT_MAX] = "";
	for (size_t i = 0; i < s.count; i++) {
		size_t used = strlen(names);
		tk__snprintf(names + used, sizeof(names) - used, "%s%s (%s, %s)", i ? ", " : "",
			     s.products[i].name, s.products[i].kind,
			     tk__winlogic_av_state_name(s.products[i].state));
	}
	tk__check_evidence(c, "products", "%s", s.count ? names : "none");
	if (fx->security_finding[0]) {
		tk__check_warn(c, TK_E_SECURITY_SOFTWARE, TK_OS_NONE, 0,
			       "security software acted on the TAP driver (%s); registered: %s",
			       fx->security_finding, s.count ? names : "none");
		tk__check_remedy(
			c,
			"restore the driver from the product's quarantine and add an exclusion for it, or reinstall TAP-Windows6");
		return;
	}
	if (fx->blocked_elevated && s.count) {
		tk__check_warn(
			c, TK_E_SECURITY_SOFTWARE, TK_OS_NONE, 0,
			"adapter %s is refused although tapkit is elevated; these products may block it: %s",
			fx->blocked_what, names);
		tk__check_remedy(
			c,
			"allow tapkit and the TAP-Windows driver in these products, or turn them off briefly to confirm");
		return;
	}
	tk__check_ok(c, "%zu registered product%s%s%s", s.count, s.count == 1 ? "" : "s",
		     s.count ? ": " : "", s.count ? names : "");
}

tk_status tk__backend_doctor(tk_ctx *ctx, const tk_doctor_opts *opts, struct tk__doctor *d,
			     tk_error *err)
{
	(void)err;
	struct facts fx = { 0 };
	struct tk_win_service svc;

	check_host(d, &fx);
	check_elevation(d, &fx);
	check_arch(d);
	check_runtime(d);
	check_service(ctx, d, &fx, &svc);
	tk__strlcpy(fx.driver_file, svc.file, sizeof(fx.driver_file));
	check_driver_file(d, &svc);
	check_driver_signature(d, &fx, &svc);
	check_driver_package(d);
	check_setupapi_log(d, &fx);
	check_log(
		d, &fx, "windows.driver.cilog", "blocked driver loads (CodeIntegrity log)",
		L"Microsoft-Windows-CodeIntegrity/Operational",
		L"*[System[(EventID=3004 or EventID=3023 or EventID=3033 or EventID=3077 or EventID=3089)]]",
		false);
	check_log(
		d, &fx, "windows.security.defender", "Microsoft Defender detections of the driver",
		L"Microsoft-Windows-Windows Defender/Operational",
		L"*[System[(EventID=1006 or EventID=1007 or EventID=1008 or EventID=1015 or EventID=1116 or EventID=1117 or EventID=1118 or EventID=1119)]]",
		true);
	/* Adapters before code integrity: their problem codes decide what the signing rules
	 * mean (52 with Secure Boot on, 48 with memory integrity). */
	check_adapters(ctx, d, &fx, opts);
	check_code_integrity(d, &fx);
	check_security(d, &fx);
	return TK_OK;
}
