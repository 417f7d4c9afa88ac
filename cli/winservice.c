/* SPDX-License-Identifier: MIT */
/*
 * The generic Windows service of the CLI (winservice.h): SCM management with recovery actions,
 * and the run side (dispatcher or console) that turns every way of being told to stop into one
 * event. Built everywhere (the CLI's sources are globbed) but empty outside Windows.
 */
#include "winservice.h"

#if defined(_WIN32)
#include "cli.h"

#include <shlobj.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define SVC_CMDLINE_MAX 4096 /* UTF-16 units of the quoted command line */

/* ---- small helpers ---- */

static wchar_t *wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(*w)) : NULL;
	if (w && !MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n)) {
		free(w);
		w = NULL;
	}
	return w;
}

static void narrow(const wchar_t *w, char *out, size_t size)
{
	if (!size)
		return;
	if (!w || !WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)size, NULL, NULL))
		out[0] = '\0';
}

/* Fills err for a failed SCM call: cause by code, the OS text, a fix fitting the code. */
static tk_status svc_fail(tk_error *err, const char *op, const char *name, const char *cmd,
			  DWORD code, const char *what)
{
	tk_status st = TK_E_IO;
	const char *c = cmd ? cmd : "tapkit";
	memset(err, 0, sizeof(*err));
	err->os_kind = TK_OS_WIN32;
	err->os_code = code;
	snprintf(err->op, sizeof(err->op), "%s", op);
	snprintf(err->object, sizeof(err->object), "%s", name);
	switch (code) {
	case ERROR_ACCESS_DENIED:
		st = TK_E_NO_PRIVILEGE;
		snprintf(err->remedy, sizeof(err->remedy),
			 "run it from an elevated prompt (right-click, Run as administrator)");
		break;
	case ERROR_SERVICE_EXISTS:
	case ERROR_DUPLICATE_SERVICE_NAME:
		st = TK_E_EXISTS;
		snprintf(err->remedy, sizeof(err->remedy),
			 "remove the old one first: %s uninstall (or `sc delete %s`)", c, name);
		break;
	case ERROR_SERVICE_MARKED_FOR_DELETE:
		st = TK_E_EXISTS;
		snprintf(err->remedy, sizeof(err->remedy),
			 "Windows deletes it once every handle to it is closed: close the Services "
			 "console and Event Viewer, then try again");
		break;
	case ERROR_SERVICE_DOES_NOT_EXIST:
		st = TK_E_CONFIG;
		snprintf(err->remedy, sizeof(err->remedy),
			 "install it first: %s install --config PATH", c);
		break;
	case ERROR_SERVICE_REQUEST_TIMEOUT:
		st = TK_E_TIMEOUT;
		snprintf(err->remedy, sizeof(err->remedy),
			 "the program did not report to the service manager in time: see its log "
			 "and `%s status`",
			 c);
		break;
	case ERROR_SERVICE_DISABLED:
		st = TK_E_CONFIG;
		snprintf(err->remedy, sizeof(err->remedy), "enable it: sc config %s start= auto",
			 name);
		break;
	case ERROR_SERVICE_LOGON_FAILED:
		st = TK_E_NO_PRIVILEGE;
		snprintf(err->remedy, sizeof(err->remedy),
			 "the account cannot log on as a service: reinstall it as LocalSystem");
		break;
	default:
		snprintf(err->remedy, sizeof(err->remedy),
			 "see `%s status` and the System event log (source Service Control "
			 "Manager)",
			 c);
		break;
	}
	err->status = st;
	snprintf(err->message, sizeof(err->message), "service \"%s\": %s", name, what);
	wchar_t buf[256];
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
				 code, 0, buf, (DWORD)CLI_ARRAY_SIZE(buf), NULL);
	while (n && (buf[n - 1] == L'\n' || buf[n - 1] == L'\r' || buf[n - 1] == L'.'))
		buf[--n] = L'\0';
	narrow(n ? buf : NULL, err->os_text, sizeof(err->os_text));
	return st;
}

static tk_status plain_fail(tk_error *err, tk_status st, const char *op, const char *name,
			    const char *what, const char *remedy)
{
	memset(err, 0, sizeof(*err));
	err->status = st;
	snprintf(err->op, sizeof(err->op), "%s", op);
	snprintf(err->object, sizeof(err->object), "%s", name);
	snprintf(err->message, sizeof(err->message), "service \"%s\": %s", name, what);
	snprintf(err->remedy, sizeof(err->remedy), "%s", remedy);
	return st;
}

/* Opens the SCM and (when name) the service. The handles are closed by svc_close. */
static tk_status svc_open(const char *op, const char *name, const char *cmd, DWORD scm_access,
			  DWORD access, SC_HANDLE *scm, SC_HANDLE *svc, tk_error *err)
{
	*svc = NULL;
	*scm = OpenSCManagerW(NULL, NULL, scm_access);
	if (!*scm)
		return svc_fail(err, op, name, cmd, GetLastError(),
				"cannot open the service control manager");
	if (!access)
		return TK_OK;
	wchar_t *w = wide(name);
	if (!w) {
		CloseServiceHandle(*scm);
		*scm = NULL;
		return plain_fail(err, TK_E_BAD_ARGUMENT, op, name, "the name is not valid UTF-8",
				  "use a name of letters, digits and '-'");
	}
	*svc = OpenServiceW(*scm, w, access);
	DWORD code = GetLastError();
	free(w);
	if (!*svc) {
		CloseServiceHandle(*scm);
		*scm = NULL;
		return svc_fail(err, op, name, cmd, code,
				code == ERROR_SERVICE_DOES_NOT_EXIST ? "is not installed"
								     : "cannot open the service");
	}
	return TK_OK;
}

static void svc_close(SC_HANDLE scm, SC_HANDLE svc)
{
	if (svc)
		CloseServiceHandle(svc);
	if (scm)
		CloseServiceHandle(scm);
}

/*
 * Appends arg to the command line quoted as CommandLineToArgvW reads it back: backslashes are
 * literal except before a quote, where they are doubled. False when it does not fit.
 */
static bool append_quoted(wchar_t *buf, size_t cap, size_t *len, const wchar_t *arg)
{
	size_t n = *len;
#define PUT(ch)                           \
	do {                              \
		if (n + 1 >= cap)         \
			return false;     \
		buf[n++] = (wchar_t)(ch); \
	} while (0)
	if (n)
		PUT(L' ');
	PUT(L'"');
	for (const wchar_t *p = arg;; p++) {
		size_t slashes = 0;
		while (*p == L'\\') {
			slashes++;
			p++;
		}
		if (!*p) {
			for (size_t i = 0; i < slashes * 2; i++)
				PUT(L'\\');
			break;
		}
		if (*p == L'"') {
			for (size_t i = 0; i < slashes * 2 + 1; i++)
				PUT(L'\\');
		} else {
			for (size_t i = 0; i < slashes; i++)
				PUT(L'\\');
		}
		PUT(*p);
	}
	PUT(L'"');
#undef PUT
	buf[n] = L'\0';
	*len = n;
	return true;
}

bool cli_svc_full_path(const char *path, char *out, size_t size)
{
	wchar_t *w = wide(path);
	wchar_t full[MAX_PATH * 2];
	DWORD n = w ? GetFullPathNameW(w, (DWORD)CLI_ARRAY_SIZE(full), full, NULL) : 0;
	free(w);
	if (!n || n >= CLI_ARRAY_SIZE(full))
		return false;
	narrow(full, out, size);
	return out[0] != '\0';
}

/* ---- management ---- */

static tk_status build_cmdline(const struct cli_svc_spec *spec, wchar_t *buf, size_t cap,
			       tk_error *err)
{
	wchar_t exe[MAX_PATH * 2];
	DWORD n = GetModuleFileNameW(NULL, exe, (DWORD)CLI_ARRAY_SIZE(exe));
	size_t len = 0;
	if (!n || n >= CLI_ARRAY_SIZE(exe))
		return svc_fail(err, "install service", spec->name, spec->cmd,
				n ? ERROR_INSUFFICIENT_BUFFER : GetLastError(),
				"cannot read the path of tapkit.exe");
	bool ok = append_quoted(buf, cap, &len, exe);
	for (size_t i = 0; ok && i < spec->nargs; i++) {
		wchar_t *w = wide(spec->args[i]);
		if (!w)
			return plain_fail(err, TK_E_BAD_ARGUMENT, "install service", spec->name,
					  "an argument is not valid UTF-8",
					  "pass paths as the shell gives them");
		ok = append_quoted(buf, cap, &len, w);
		free(w);
	}
	if (!ok)
		return plain_fail(err, TK_E_BAD_ARGUMENT, "install service", spec->name,
				  "the command line is too long",
				  "use shorter paths (a configuration file nearer the root)");
	return TK_OK;
}

/* Recovery: restart after 5 s, 10 s, 30 s; the failure count resets after a day. */
static DWORD set_recovery(SC_HANDLE svc)
{
	SC_ACTION actions[3] = { { SC_ACTION_RESTART, 5000 },
				 { SC_ACTION_RESTART, 10000 },
				 { SC_ACTION_RESTART, 30000 } };
	SERVICE_FAILURE_ACTIONSW fa = { 0 };
	fa.dwResetPeriod = 24 * 60 * 60;
	fa.cActions = (DWORD)CLI_ARRAY_SIZE(actions);
	fa.lpsaActions = actions;
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa))
		return GetLastError();
	/* Also when the program exits with an error, not only when it crashes. */
	SERVICE_FAILURE_ACTIONS_FLAG flag = { TRUE };
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag))
		return GetLastError();
	return ERROR_SUCCESS;
}

tk_status cli_svc_install(const struct cli_svc_spec *spec, char *warning, size_t wsize,
			  tk_error *err)
{
	static const char op[] = "install service";
	wchar_t cmdline[SVC_CMDLINE_MAX];
	SC_HANDLE scm, svc;
	tk_status st;
	if (warning && wsize)
		warning[0] = '\0';
	st = build_cmdline(spec, cmdline, CLI_ARRAY_SIZE(cmdline), err);
	if (st != TK_OK)
		return st;
	st = svc_open(op, spec->name, spec->cmd, SC_MANAGER_CREATE_SERVICE, 0, &scm, &svc, err);
	if (st != TK_OK)
		return st;
	wchar_t *wname = wide(spec->name);
	wchar_t *wdisplay = wide(spec->display ? spec->display : spec->name);
	wchar_t account[300];
	if (wname)
		swprintf(account, CLI_ARRAY_SIZE(account), L"NT SERVICE\\%ls", wname);
	if (!wname || !wdisplay) {
		st = plain_fail(err, TK_E_BAD_ARGUMENT, op, spec->name,
				"the name is not valid UTF-8",
				"use a name of letters, digits and '-'");
		goto out;
	}
	svc = CreateServiceW(scm, wname, wdisplay, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
			     spec->demand_start ? SERVICE_DEMAND_START : SERVICE_AUTO_START,
			     SERVICE_ERROR_NORMAL, cmdline, NULL, NULL, NULL,
			     spec->virtual_account ? account : NULL, NULL);
	if (!svc) {
		DWORD code = GetLastError();
		st = svc_fail(err, op, spec->name, spec->cmd, code,
			      code == ERROR_SERVICE_EXISTS ? "is already installed"
							   : "cannot create the service");
		goto out;
	}
	if (spec->description) {
		wchar_t *wdesc = wide(spec->description);
		SERVICE_DESCRIPTIONW d = { wdesc };
		BOOL ok = wdesc && ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &d);
		DWORD code = GetLastError();
		free(wdesc);
		if (!ok) {
			st = svc_fail(err, op, spec->name, spec->cmd, code,
				      "cannot set the description");
			DeleteService(svc);
			goto out;
		}
	}
	if (spec->virtual_account) {
		/* A virtual account needs the service SID. */
		SERVICE_SID_INFO sid = { SERVICE_SID_TYPE_UNRESTRICTED };
		if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_SERVICE_SID_INFO, &sid)) {
			st = svc_fail(err, op, spec->name, spec->cmd, GetLastError(),
				      "cannot give the service its SID (needed by a virtual "
				      "account)");
			DeleteService(svc);
			goto out;
		}
	}
	DWORD rc = set_recovery(svc);
	if (rc != ERROR_SUCCESS && warning && wsize) {
		/* Wine's SCM does not store recovery actions: the service works without them. */
		const char *code_name = tk_os_code_name(TK_OS_WIN32, rc);
		snprintf(warning, wsize,
			 "service \"%s\": the service manager did not accept recovery actions "
			 "(win32 %lu%s%s): it will not be restarted after a failure",
			 spec->name, (unsigned long)rc, *code_name ? " " : "", code_name);
	}
out:
	free(wname);
	free(wdisplay);
	svc_close(scm, svc);
	return st;
}

/* Waits while the service is in `pending`, up to timeout_ms, honouring its wait hint. */
static DWORD wait_state(SC_HANDLE svc, DWORD pending, DWORD timeout_ms, SERVICE_STATUS_PROCESS *ss)
{
	DWORD got;
	ULONGLONG end = GetTickCount64() + timeout_ms;
	for (;;) {
		if (!QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)ss, sizeof(*ss),
					  &got))
			return GetLastError();
		if (ss->dwCurrentState != pending || GetTickCount64() >= end)
			return ERROR_SUCCESS;
		DWORD step = ss->dwWaitHint / 10;
		Sleep(step < 100 ? 100 : step > 1000 ? 1000 : step);
	}
}

tk_status cli_svc_start(const char *name, const char *cmd, DWORD timeout_ms, tk_error *err)
{
	static const char op[] = "start service";
	SC_HANDLE scm, svc;
	SERVICE_STATUS_PROCESS ss;
	tk_status st = svc_open(op, name, cmd, SC_MANAGER_CONNECT,
				SERVICE_START | SERVICE_QUERY_STATUS, &scm, &svc, err);
	if (st != TK_OK)
		return st;
	if (!StartServiceW(svc, 0, NULL) && GetLastError() != ERROR_SERVICE_ALREADY_RUNNING) {
		st = svc_fail(err, op, name, cmd, GetLastError(), "cannot start the service");
		goto out;
	}
	DWORD rc = wait_state(svc, SERVICE_START_PENDING, timeout_ms, &ss);
	if (rc != ERROR_SUCCESS) {
		st = svc_fail(err, op, name, cmd, rc, "cannot read the service's state");
	} else if (ss.dwCurrentState == SERVICE_START_PENDING) {
		st = svc_fail(err, op, name, cmd, ERROR_SERVICE_REQUEST_TIMEOUT,
			      "still starting after the wait");
	} else if (ss.dwCurrentState != SERVICE_RUNNING) {
		DWORD code = ss.dwWin32ExitCode;
		st = svc_fail(err, op, name, cmd, code ? code : ERROR_SERVICE_NEVER_STARTED,
			      "stopped while starting");
		if (code == ERROR_SERVICE_SPECIFIC_ERROR)
			snprintf(err->message, sizeof(err->message),
				 "service \"%s\": stopped while starting with exit status %lu",
				 name, (unsigned long)ss.dwServiceSpecificExitCode);
	}
out:
	svc_close(scm, svc);
	return st;
}

static tk_status stop_open(const char *op, SC_HANDLE svc, const char *name, const char *cmd,
			   DWORD timeout_ms, tk_error *err)
{
	SERVICE_STATUS s;
	SERVICE_STATUS_PROCESS ss;
	if (!ControlService(svc, SERVICE_CONTROL_STOP, &s)) {
		DWORD code = GetLastError();
		if (code == ERROR_SERVICE_NOT_ACTIVE)
			return TK_OK;
		return svc_fail(err, op, name, cmd, code, "cannot ask the service to stop");
	}
	DWORD rc = wait_state(svc, SERVICE_STOP_PENDING, timeout_ms, &ss);
	if (rc != ERROR_SUCCESS)
		return svc_fail(err, op, name, cmd, rc, "cannot read the service's state");
	if (ss.dwCurrentState != SERVICE_STOPPED)
		return svc_fail(err, op, name, cmd, ERROR_SERVICE_REQUEST_TIMEOUT,
				"did not stop in time");
	return TK_OK;
}

tk_status cli_svc_stop(const char *name, const char *cmd, DWORD timeout_ms, tk_error *err)
{
	SC_HANDLE scm, svc;
	tk_status st = svc_open("stop service", name, cmd, SC_MANAGER_CONNECT,
				SERVICE_STOP | SERVICE_QUERY_STATUS, &scm, &svc, err);
	if (st == TK_OK)
		st = stop_open("stop service", svc, name, cmd, timeout_ms, err);
	svc_close(scm, svc);
	return st;
}

tk_status cli_svc_uninstall(const char *name, const char *cmd, DWORD timeout_ms, tk_error *err)
{
	static const char op[] = "uninstall service";
	SC_HANDLE scm, svc;
	tk_status st = svc_open(op, name, cmd, SC_MANAGER_CONNECT,
				SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE, &scm, &svc, err);
	if (st != TK_OK)
		return st;
	st = stop_open(op, svc, name, cmd, timeout_ms, err);
	if (st == TK_OK && !DeleteService(svc))
		st = svc_fail(err, op, name, cmd, GetLastError(), "cannot delete the service");
	svc_close(scm, svc);
	return st;
}

const char *cli_svc_state_name(DWORD state)
{
	switch (state) {
	case SERVICE_STOPPED:
		return "stopped";
	case SERVICE_START_PENDING:
		return "start pending";
	case SERVICE_STOP_PENDING:
		return "stop pending";
	case SERVICE_RUNNING:
		return "running";
	case SERVICE_CONTINUE_PENDING:
		return "continue pending";
	case SERVICE_PAUSE_PENDING:
		return "pause pending";
	case SERVICE_PAUSED:
		return "paused";
	default:
		return "unknown";
	}
}

tk_status cli_svc_query(const char *name, struct cli_svc_status *out, tk_error *err)
{
	static const char op[] = "query service";
	SC_HANDLE scm, svc;
	DWORD got = 0;
	memset(out, 0, sizeof(*out));
	tk_status st = svc_open(op, name, NULL, SC_MANAGER_CONNECT,
				SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG, &scm, &svc, err);
	if (st != TK_OK) {
		if (err->os_code == ERROR_SERVICE_DOES_NOT_EXIST) {
			memset(err, 0, sizeof(*err));
			return TK_OK;
		}
		return st;
	}
	out->installed = true;
	SERVICE_STATUS_PROCESS ss;
	if (!QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)&ss, sizeof(ss), &got)) {
		st = svc_fail(err, op, name, NULL, GetLastError(), "cannot read its state");
		goto out;
	}
	out->state = ss.dwCurrentState;
	out->pid = ss.dwProcessId;
	out->exit_code = ss.dwWin32ExitCode;
	out->specific_exit = ss.dwServiceSpecificExitCode;
	QueryServiceConfigW(svc, NULL, 0, &got);
	QUERY_SERVICE_CONFIGW *qc = got ? malloc(got) : NULL;
	if (!qc || !QueryServiceConfigW(svc, qc, got, &got)) {
		st = svc_fail(err, op, name, NULL, qc ? GetLastError() : ERROR_OUTOFMEMORY,
			      "cannot read its configuration");
		free(qc);
		goto out;
	}
	out->start_type = qc->dwStartType;
	narrow(qc->lpBinaryPathName, out->command, sizeof(out->command));
	narrow(qc->lpServiceStartName, out->account, sizeof(out->account));
	free(qc);
out:
	svc_close(scm, svc);
	return st;
}

/* ---- the service's log ---- */

bool cli_svc_log_path(const char *name, char *out, size_t size)
{
	wchar_t dir[MAX_PATH], path[MAX_PATH + 64];
	wchar_t *wname = wide(name);
	if (FAILED(SHGetFolderPathW(NULL, CSIDL_COMMON_APPDATA, NULL, SHGFP_TYPE_CURRENT, dir))) {
		DWORD n = GetEnvironmentVariableW(L"ProgramData", dir, MAX_PATH);
		if (n == 0 || n >= MAX_PATH) {
			wchar_t drive[8];
			n = GetEnvironmentVariableW(L"SystemDrive", drive, 8);
			swprintf(dir, MAX_PATH, L"%ls\\ProgramData",
				 n > 0 && n < 8 ? drive : L"C:");
		}
	}
	(void)CreateDirectoryW(dir, NULL);
	int n = swprintf(path, CLI_ARRAY_SIZE(path), L"%ls\\tapkit", dir);
	bool ok = wname && n > 0 &&
		  (CreateDirectoryW(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS) &&
		  swprintf(path, CLI_ARRAY_SIZE(path), L"%ls\\tapkit\\%ls.log", dir, wname) > 0;
	free(wname);
	if (!ok)
		return false;
	narrow(path, out, size); /* "" when it does not fit */
	return out[0] != '\0';
}

DWORD cli_svc_log_to(const char *path, bool both)
{
	wchar_t *w = wide(path);
	if (!w)
		return ERROR_INVALID_NAME;
	HANDLE h = CreateFileW(w, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			       OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	DWORD code = GetLastError();
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return code;
	int fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_APPEND);
	if (fd < 0) {
		CloseHandle(h);
		return ERROR_TOO_MANY_OPEN_FILES;
	}
	fflush(stdout);
	fflush(stderr);
	if (both) {
		(void)_dup2(fd, 1);
		if (_fileno(stdout) != 1)
			stdout->_file = 1;
		SetStdHandle(STD_OUTPUT_HANDLE, (HANDLE)_get_osfhandle(1));
		setvbuf(stdout, NULL, _IONBF, 0);
	}
	if (fd != 2) {
		(void)_dup2(fd, 2);
		_close(fd);
	}
	if (_fileno(stderr) != 2)
		stderr->_file = 2;
	SetStdHandle(STD_ERROR_HANDLE, (HANDLE)_get_osfhandle(2));
	setvbuf(stderr, NULL, _IONBF, 0);
	return 0;
}

/* ---- the run side ---- */

static struct {
	wchar_t name[256];
	HANDLE stop;
	SERVICE_STATUS_HANDLE status_handle;
	SERVICE_STATUS status;
	CRITICAL_SECTION lock; /* status is reported from the handler and the body */
	cli_svc_body_fn *body;
	void *user;
	int rc;
	bool under_scm;
	volatile LONG why; /* what set stop: a CTRL_* event + 1, or a service control + 100 */
} svc_run;

/*
 * Set once the body has returned on the console: the handler of a closing console or a shutdown
 * waits for it, since Windows ends the process as soon as that handler returns. Made once and
 * never closed (one per process): a handler thread may still be about to wait on it when
 * cli_svc_main returns.
 */
static HANDLE svc_body_done;
/* How long a CTRL_CLOSE_EVENT or CTRL_SHUTDOWN_EVENT handler waits for the body: Windows ends
 * the process 5 s after a console closes, whatever the handler does. */
#define CONSOLE_END_WAIT_MS 4500

static void report(DWORD state, DWORD wait_hint)
{
	EnterCriticalSection(&svc_run.lock);
	SERVICE_STATUS *s = &svc_run.status;
	/* Once stopping, a late "running" from the body must not undo it. */
	if (!(s->dwCurrentState == SERVICE_STOP_PENDING && state == SERVICE_RUNNING)) {
		if (s->dwCurrentState != state)
			s->dwCheckPoint = 0;
		s->dwCurrentState = state;
	}
	s->dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	s->dwControlsAccepted = s->dwCurrentState == SERVICE_RUNNING
					? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN
					: 0;
	bool pending = s->dwCurrentState == SERVICE_START_PENDING ||
		       s->dwCurrentState == SERVICE_STOP_PENDING;
	s->dwCheckPoint = pending ? s->dwCheckPoint + 1 : 0;
	s->dwWaitHint = pending ? wait_hint : 0;
	if (svc_run.status_handle)
		SetServiceStatus(svc_run.status_handle, s);
	LeaveCriticalSection(&svc_run.lock);
}

void cli_svc_running(void)
{
	if (svc_run.under_scm)
		report(SERVICE_RUNNING, 0);
}

void cli_svc_pending(DWORD wait_hint_ms)
{
	if (svc_run.under_scm)
		report(svc_run.status.dwCurrentState, wait_hint_ms);
}

bool cli_svc_under_scm(void)
{
	return svc_run.under_scm;
}

const char *cli_svc_stop_reason(void)
{
	switch (InterlockedCompareExchange(&svc_run.why, 0, 0)) {
	case CTRL_C_EVENT + 1:
		return "Ctrl-C (CTRL_C_EVENT)";
	case CTRL_BREAK_EVENT + 1:
		return "Ctrl-Break (CTRL_BREAK_EVENT)";
	case CTRL_CLOSE_EVENT + 1:
		return "the console closing (CTRL_CLOSE_EVENT)";
	case CTRL_SHUTDOWN_EVENT + 1:
		return "the system shutting down (CTRL_SHUTDOWN_EVENT)";
	case 100 + SERVICE_CONTROL_STOP:
		return "the service control manager (SERVICE_CONTROL_STOP)";
	case 100 + SERVICE_CONTROL_SHUTDOWN:
		return "the system shutting down (SERVICE_CONTROL_SHUTDOWN)";
	default:
		return "the stop event";
	}
}

static DWORD WINAPI svc_handler(DWORD control, DWORD type, void *data, void *ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	switch (control) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
		report(SERVICE_STOP_PENDING, 10000);
		InterlockedExchange(&svc_run.why, (LONG)(100 + control));
		SetEvent(svc_run.stop);
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	default:
		return ERROR_CALL_NOT_IMPLEMENTED;
	}
}

static void WINAPI svc_main(DWORD argc, wchar_t **argv)
{
	(void)argc;
	(void)argv;
	svc_run.status_handle = RegisterServiceCtrlHandlerExW(svc_run.name, svc_handler, NULL);
	if (!svc_run.status_handle) {
		svc_run.rc = CLI_EXIT_FAILURE;
		return;
	}
	report(SERVICE_START_PENDING, 10000);
	svc_run.rc = svc_run.body(svc_run.stop, svc_run.user);
	EnterCriticalSection(&svc_run.lock);
	SERVICE_STATUS *s = &svc_run.status;
	/* A non-zero exit is a failure the recovery actions answer (FAILURE_ACTIONS_FLAG). */
	s->dwWin32ExitCode = svc_run.rc ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
	s->dwServiceSpecificExitCode = (DWORD)svc_run.rc;
	LeaveCriticalSection(&svc_run.lock);
	report(SERVICE_STOPPED, 0);
}

/*
 * Runs in a thread Windows starts for each console event. Ctrl-C and Ctrl-Break stop the body.
 * A closing console and a shutdown stop it too, then wait for it to finish (bounded): Windows
 * ends the process when this returns. CTRL_LOGOFF_EVENT is not ours: Windows sends it only to
 * processes a logoff does not end (services, and programs started outside the user's session,
 * e.g. by the Task Scheduler), whichever user logs off; left to the default handler it would
 * end the tunnel (ExitProcess), so it is ignored.
 */
static BOOL WINAPI console_handler(DWORD type)
{
	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		InterlockedExchange(&svc_run.why, (LONG)(type + 1));
		SetEvent(svc_run.stop);
		if (type == CTRL_CLOSE_EVENT || type == CTRL_SHUTDOWN_EVENT)
			WaitForSingleObject(svc_body_done, CONSOLE_END_WAIT_MS);
		return TRUE;
	case CTRL_LOGOFF_EVENT:
		return TRUE;
	default:
		return FALSE;
	}
}

int cli_svc_main(const char *name, bool under_scm, cli_svc_body_fn *body, void *user, tk_error *err)
{
	memset(&svc_run, 0, sizeof(svc_run));
	memset(err, 0, sizeof(*err));
	if (!MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, svc_run.name,
				 (int)CLI_ARRAY_SIZE(svc_run.name))) {
		plain_fail(err, TK_E_BAD_ARGUMENT, "run service", name,
			   "the name is not valid UTF-8 or too long",
			   "use a name of letters, digits and '-'");
		return CLI_EXIT_USAGE;
	}
	if (!svc_body_done)
		svc_body_done = CreateEventW(NULL, TRUE, FALSE, NULL);
	else
		ResetEvent(svc_body_done);
	svc_run.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!svc_run.stop || !svc_body_done) {
		svc_fail(err, "run service", name, NULL, GetLastError(),
			 "cannot create the stop event");
		if (svc_run.stop)
			CloseHandle(svc_run.stop);
		svc_run.stop = NULL;
		return CLI_EXIT_FAILURE;
	}
	InitializeCriticalSection(&svc_run.lock);
	svc_run.body = body;
	svc_run.user = user;
	int rc;
	if (under_scm) {
		svc_run.under_scm = true;
		SERVICE_TABLE_ENTRYW table[] = { { svc_run.name, svc_main }, { NULL, NULL } };
		if (StartServiceCtrlDispatcherW(table)) {
			rc = svc_run.rc;
		} else {
			DWORD code = GetLastError();
			svc_fail(err, "run service", name, NULL, code,
				 "cannot connect to the service control manager");
			if (code == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
				snprintf(err->remedy, sizeof(err->remedy),
					 "--service is for the service manager: run the command "
					 "without it on a console, or start the service with `sc "
					 "start %s`",
					 name);
			rc = CLI_EXIT_FAILURE;
		}
		svc_run.under_scm = false;
	} else if (!SetConsoleCtrlHandler(console_handler, TRUE)) {
		svc_fail(err, "run", name, NULL, GetLastError(),
			 "cannot install the Ctrl-C handler");
		rc = CLI_EXIT_FAILURE;
	} else {
		rc = body(svc_run.stop, user);
		SetEvent(svc_body_done); /* before the handler goes: one may be waiting for it */
		SetConsoleCtrlHandler(console_handler, FALSE);
	}
	DeleteCriticalSection(&svc_run.lock);
	CloseHandle(svc_run.stop);
	svc_run.stop = NULL;
	return rc;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int cli_winservice_unused;
#endif
