/* SPDX-License-Identifier: MIT */
/*
 * A generic Windows service for CLI verbs that run long (`tapkit watch`, `tapkit tunnel`): the
 * management side (install with SCM recovery actions, uninstall, start, stop, status) and the
 * run side (the SCM dispatcher, or the console with Ctrl-C/Ctrl-Break), both ending in one stop
 * event the verb's loop waits on. One service per process (SERVICE_WIN32_OWN_PROCESS).
 * Failures fill a tk_error naming the service, the Win32 code and the fix, for cli_fail().
 */
#ifndef TK_CLI_WINSERVICE_H
#define TK_CLI_WINSERVICE_H

#if defined(_WIN32)
#include <windows.h>

#include "tapkit.h"

#include <stdbool.h>
#include <stddef.h>

/* What to install. Every string is UTF-8. */
struct cli_svc_spec {
	const char *name;	 /* the service name: "tapkit-watch", "tapkit-tunnel-<adapter>" */
	const char *display;	 /* display name; NULL: name */
	const char *description; /* shown by the Services console; NULL: none */
	/*
	 * tapkit.exe's arguments after the program, e.g. { "watch", "run", "--config", PATH,
	 * "--service" }: each is quoted for CommandLineToArgvW, the program is this process's own
	 * executable. Paths must be absolute (a service starts in System32): cli_svc_full_path.
	 */
	const char *const *args;
	size_t nargs;
	bool virtual_account; /* run as "NT SERVICE\<name>" instead of LocalSystem */
	bool demand_start;    /* start only when asked; default: automatic at boot */
	const char *cmd;      /* how the user manages it, for fixes: "tapkit watch service" */
};

/*
 * Creates the service and sets its description and recovery (restart after 5 s, 10 s, 30 s,
 * counter reset after a day; also when it stops with a non-zero exit code). TK_E_EXISTS when a
 * service of that name is installed. A host whose SCM cannot store recovery actions (Wine) gets
 * the service without them and a warning in *warning (may be NULL; "" when none).
 */
tk_status cli_svc_install(const struct cli_svc_spec *spec, char *warning, size_t wsize,
			  tk_error *err);
/* Stops the service if it runs (waiting up to timeout_ms), then deletes it. */
tk_status cli_svc_uninstall(const char *name, const char *cmd, DWORD timeout_ms, tk_error *err);
/* Starts it and waits up to timeout_ms for RUNNING; one that stops instead is a failure with
 * its exit code. Already running: TK_OK. */
tk_status cli_svc_start(const char *name, const char *cmd, DWORD timeout_ms, tk_error *err);
/* Asks it to stop and waits up to timeout_ms for STOPPED. Not running: TK_OK. */
tk_status cli_svc_stop(const char *name, const char *cmd, DWORD timeout_ms, tk_error *err);

struct cli_svc_status {
	bool installed;
	DWORD state;	     /* SERVICE_STOPPED, SERVICE_RUNNING, ... */
	DWORD pid;	     /* 0 when not running */
	DWORD exit_code;     /* dwWin32ExitCode of the last stop */
	DWORD specific_exit; /* dwServiceSpecificExitCode (the verb's exit status) */
	DWORD start_type;    /* SERVICE_AUTO_START, SERVICE_DEMAND_START, ... */
	char command[1024];  /* the binary path with its arguments, UTF-8 */
	char account[256];   /* "LocalSystem", "NT SERVICE\name" */
};
/* Reads the service's state and configuration. Not installed: TK_OK, installed false. */
tk_status cli_svc_query(const char *name, struct cli_svc_status *out, tk_error *err);
/* "stopped", "start pending", "running", ... */
const char *cli_svc_state_name(DWORD state);
/* The absolute form of path (UTF-8) into out; false when it does not fit or is invalid. */
bool cli_svc_full_path(const char *path, char *out, size_t size);

/*
 * The service's log file: %ProgramData%\tapkit\NAME.log (UTF-8) into out, creating the folder.
 * The folder is the one the system names (CSIDL_COMMON_APPDATA): a service's environment may
 * lack ProgramData or, under Wine's SCM, name C:\users\Public with it. False when it does not
 * fit or the folder cannot be made.
 */
bool cli_svc_log_path(const char *name, char *out, size_t size);
/*
 * Sends stderr (and stdout too when both) to the end of the file path (UTF-8), created when
 * missing: a service has no standard handles and msvcrt's streams then write to descriptor -2
 * (nowhere; freopen refuses it), so the file becomes descriptor 2 (and 1), the C streams are
 * pointed at them, unbuffered, and so are the process's standard handles. 0, or the Windows
 * error that kept the file from opening (the streams are left as they were).
 */
DWORD cli_svc_log_to(const char *path, bool both);

/*
 * The run side. body runs the verb's loop until `stop` (a manual-reset event) is signalled and
 * returns the verb's exit code. Under the SCM (under_scm: the flag the installed command line
 * carries) the process connects with StartServiceCtrlDispatcher; SERVICE_CONTROL_STOP and
 * SHUTDOWN signal `stop` and report STOP_PENDING; a non-zero exit code is reported as a
 * service-specific error, so the recovery actions restart the service. On the console, Ctrl-C,
 * Ctrl-Break, closing the window and a shutdown signal `stop` (the last two wait up to 4.5 s
 * for body to return: Windows ends the process when the handler returns); CTRL_LOGOFF_EVENT,
 * which Windows sends only to processes a logoff does not end, is ignored. Returns the body's
 * exit code; when the body could not run, CLI_EXIT_FAILURE with the cause in *err (err->status
 * set; nothing printed: the caller reports it once, with cli_fail). err->status is TK_OK when
 * the body ran.
 */
typedef int cli_svc_body_fn(HANDLE stop, void *user);
int cli_svc_main(const char *name, bool under_scm, cli_svc_body_fn *body, void *user,
		 tk_error *err);
/* From body, once it is ready: SERVICE_RUNNING (nothing on the console). */
void cli_svc_running(void);
/* From body, while starting or stopping takes long: the next checkpoint with this wait hint. */
void cli_svc_pending(DWORD wait_hint_ms);
/* True when this process runs as a service (after cli_svc_main connected to the SCM). */
bool cli_svc_under_scm(void);
/* What set the stop event, for the log: "Ctrl-C (CTRL_C_EVENT)", "the service control manager
 * (SERVICE_CONTROL_STOP)", ... */
const char *cli_svc_stop_reason(void);
#endif

#endif /* TK_CLI_WINSERVICE_H */
