/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel run|status` on Windows (tunnel.h): the engine's loop runs as the body of the
 * shared service module (winservice.h), on the console or under the SCM; its stop event
 * (Ctrl-C, Ctrl-Break, closing the window, SERVICE_CONTROL_STOP, shutdown) ends the loop within
 * SERVE_MS. The control channel is a named pipe whose DACL admits only SYSTEM and the
 * Administrators (no remote clients), served between dispatches. The status document is the
 * Linux one (the same renderer). A service logs to %ProgramData%\tapkit\tapkit-tunnel-NAME.log.
 */
#include "tunnel.h"

#include "json_read.h"
#include "winservice.h"

#include <windows.h>
#include <sddl.h>

#include <stdlib.h>
#include <string.h>

#define SUB	    "tunnel"
#define PIPE_PREFIX "\\\\.\\pipe\\tapkit\\tunnel\\"
#define SERVE_MS    100	 /* the longest a status request waits for the engine */
#define CLIENT_MS   2000 /* a client's whole exchange */

void control_default(const char *dev, char *out, size_t size)
{
	snprintf(out, size, "%s%s", PIPE_PREFIX, dev);
}

static bool widen(const char *s, wchar_t *out, int cap)
{
	return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, cap) > 0;
}

/* The pipes whose name starts with PIPE_PREFIX: how many, and the first one's path. */
size_t control_find(char *out, size_t size)
{
	WIN32_FIND_DATAW fd;
	size_t n = 0;
	HANDLE h = FindFirstFileW(L"\\\\.\\pipe\\*", &fd);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	do {
		char name[MAX_PATH * 3];
		if (WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, sizeof(name), NULL,
					NULL) <= 0 ||
		    strncmp(name, "tapkit\\tunnel\\", 14) != 0)
			continue;
		if (n++ == 0)
			snprintf(out, size, "\\\\.\\pipe\\%s", name);
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	return n;
}

static tk_status win_error(tk_error *err, tk_status st, const char *op, const char *object,
			   DWORD code, const char *what)
{
	return tunnel_error(err, st, op, object, TK_OS_WIN32, code, "%s (Windows error %lu)", what,
			    (unsigned long)code);
}

/* ---- the client: tapkit tunnel status ---- */

tk_status control_query(const char *where, char **doc, size_t *len, tk_error *err)
{
	wchar_t wpath[512];
	if (!widen(where, wpath, (int)(sizeof(wpath) / sizeof(wpath[0]))))
		return tunnel_error(err, TK_E_BAD_ARGUMENT, "status", where, TK_OS_NONE, 0,
				    "the control pipe's name is not valid UTF-8");
	HANDLE h = INVALID_HANDLE_VALUE;
	for (int attempt = 0; attempt < 2 && h == INVALID_HANDLE_VALUE; attempt++) {
		h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
				NULL);
		if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PIPE_BUSY)
			(void)WaitNamedPipeW(wpath, 5000); /* another client is being served */
		else
			break;
	}
	if (h == INVALID_HANDLE_VALUE) {
		DWORD code = GetLastError();
		if (code == ERROR_FILE_NOT_FOUND) {
			win_error(err, TK_E_ADAPTER_NOT_FOUND, "status", where, code,
				  "no tunnel answers on this control pipe");
			tunnel_remedy(err, "start it: tapkit tunnel run --config FILE (or the "
					   "service: tapkit tunnel service start --config FILE)");
			return TK_E_ADAPTER_NOT_FOUND;
		}
		if (code == ERROR_ACCESS_DENIED) {
			win_error(err, TK_E_NO_PRIVILEGE, "status", where, code,
				  "the control pipe admits only Administrators and SYSTEM");
			tunnel_remedy(err, "run it from an elevated prompt (Run as administrator)");
			return TK_E_NO_PRIVILEGE;
		}
		return win_error(err, TK_E_IO, "status", where, code,
				 "cannot open the control pipe");
	}
	const char *req = "json\n";
	*doc = NULL;
	*len = 0;
	DWORD done = 0;
	tk_status st = TK_OK;
	if (!WriteFile(h, req, (DWORD)strlen(req), &done, NULL)) {
		st = win_error(err, TK_E_IO, "write", where, GetLastError(),
			       "cannot send the request");
	} else {
		char buf[4096];
		size_t cap = 0;
		for (;;) {
			if (!ReadFile(h, buf, sizeof(buf), &done, NULL)) {
				DWORD code = GetLastError();
				if (code != ERROR_BROKEN_PIPE && code != ERROR_PIPE_NOT_CONNECTED)
					st = win_error(err, TK_E_IO, "read", where, code,
						       "the tunnel's answer broke off");
				break;
			}
			if (done == 0)
				break;
			if (*len + done + 1 > cap) {
				size_t ncap = (*len + done + 1) * 2;
				char *n = ncap <= CLI_JREAD_MAX + 1 ? realloc(*doc, ncap) : NULL;
				if (!n) {
					st = tunnel_error(err, TK_E_IO, "read", where, TK_OS_NONE,
							  0, "the tunnel's answer is too large");
					break;
				}
				*doc = n;
				cap = ncap;
			}
			memcpy(*doc + *len, buf, done);
			*len += done;
		}
	}
	CloseHandle(h);
	if (st == TK_OK && !*doc)
		st = tunnel_error(err, TK_E_IO, "read", where, TK_OS_NONE, 0,
				  "the tunnel closed the control pipe without an answer");
	if (st != TK_OK) {
		free(*doc);
		*doc = NULL;
		*len = 0;
		return st;
	}
	(*doc)[*len] = '\0';
	return TK_OK;
}

/* ---- the server ---- */

struct pipe_server {
	HANDLE h;
	OVERLAPPED ov;
	bool connecting; /* ConnectNamedPipe issued, not completed */
	const char *where;
};

static tk_status pipe_listen(struct pipe_server *p, const char *where, tk_error *err)
{
	wchar_t wpath[512];
	PSECURITY_DESCRIPTOR sd = NULL;

	p->where = where;
	if (!widen(where, wpath, (int)(sizeof(wpath) / sizeof(wpath[0]))))
		return tunnel_error(err, TK_E_BAD_ARGUMENT, "listen", where, TK_OS_NONE, 0,
				    "the control pipe's name is not valid UTF-8");
	/* protected DACL: generic all to SYSTEM and Administrators, nobody else */
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;GA;;;SY)(A;;GA;;;BA)",
								  SDDL_REVISION_1, &sd, NULL))
		return win_error(err, TK_E_INTERNAL, "listen", where, GetLastError(),
				 "cannot build the control pipe's security descriptor");
	SECURITY_ATTRIBUTES sa = { sizeof(sa), sd, FALSE };
	p->h = CreateNamedPipeW(
		wpath, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
		PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_REJECT_REMOTE_CLIENTS, 1, 65536, 4096, 0,
		&sa);
	DWORD code = GetLastError();
	LocalFree(sd);
	if (p->h == INVALID_HANDLE_VALUE) {
		if (code == ERROR_ACCESS_DENIED || code == ERROR_PIPE_BUSY) {
			win_error(err, TK_E_ADAPTER_BUSY, "listen", where, code,
				  "a tunnel on this adapter is running already (its control pipe "
				  "exists)");
			tunnel_remedy(err, "stop it first (Ctrl-C in its console, or tapkit "
					   "tunnel service stop), or see it: tapkit tunnel status");
			return TK_E_ADAPTER_BUSY;
		}
		return win_error(err, TK_E_IO, "listen", where, code,
				 "cannot create the control pipe");
	}
	p->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!p->ov.hEvent)
		return win_error(err, TK_E_IO, "listen", where, GetLastError(),
				 "cannot create the control pipe's event");
	return TK_OK;
}

static void pipe_close(struct pipe_server *p)
{
	if (p->h && p->h != INVALID_HANDLE_VALUE) {
		CancelIoEx(p->h, NULL);
		if (p->connecting) {
			DWORD got;
			(void)GetOverlappedResult(p->h, &p->ov, &got, TRUE);
		}
		CloseHandle(p->h);
	}
	if (p->ov.hEvent)
		CloseHandle(p->ov.hEvent);
	memset(p, 0, sizeof(*p));
}

/* One overlapped read or write on the pipe, waited for up to ms. */
static bool pipe_io(struct pipe_server *p, bool write, void *buf, DWORD len, DWORD *got, DWORD ms)
{
	ResetEvent(p->ov.hEvent);
	BOOL ok = write ? WriteFile(p->h, buf, len, NULL, &p->ov)
			: ReadFile(p->h, buf, len, NULL, &p->ov);
	if (!ok && GetLastError() != ERROR_IO_PENDING)
		return false;
	if (WaitForSingleObject(p->ov.hEvent, ms) != WAIT_OBJECT_0) {
		CancelIoEx(p->h, &p->ov);
		(void)GetOverlappedResult(p->h, &p->ov, got, TRUE);
		return false;
	}
	return GetOverlappedResult(p->h, &p->ov, got, FALSE) != 0;
}

/* The document for a request, rendered into memory through a temporary file. */
static char *render_doc(tk_tunnel *t, const struct tunnel_daemon_opts *o, size_t *len)
{
	tk_tunnel_snapshot *s = NULL;
	tk_error e = { 0 };
	FILE *f = tmpfile();
	char *doc = NULL;

	if (!f || tk_tunnel_stats(t, &s, &e) != TK_OK) {
		if (f)
			fclose(f);
		return NULL;
	}
	o->render(f, s);
	tk_tunnel_snapshot_free(s);
	long n = ftell(f);
	if (n >= 0 && (doc = malloc((size_t)n + 1)) != NULL) {
		rewind(f);
		*len = fread(doc, 1, (size_t)n, f);
	}
	fclose(f);
	return doc;
}

/* Serves a client that connected (bounded by CLIENT_MS), then listens again. */
static void pipe_serve(struct pipe_server *p, tk_tunnel *t, const struct tunnel_daemon_opts *o)
{
	DWORD got = 0;
	if (p->connecting) {
		if (!HasOverlappedIoCompleted(&p->ov))
			return;
		p->connecting = false;
		if (!GetOverlappedResult(p->h, &p->ov, &got, FALSE)) {
			DisconnectNamedPipe(p->h);
			goto listen;
		}
	} else {
		ResetEvent(p->ov.hEvent);
		if (ConnectNamedPipe(p->h, &p->ov) || GetLastError() == ERROR_PIPE_CONNECTED) {
			/* a client is there already */
		} else if (GetLastError() == ERROR_IO_PENDING) {
			p->connecting = true;
			return;
		} else {
			DisconnectNamedPipe(p->h);
			return;
		}
	}
	char req[16] = { 0 };
	if (pipe_io(p, false, req, sizeof(req) - 1, &got, CLIENT_MS)) {
		size_t len = 0;
		char *doc = render_doc(t, o, &len);
		if (doc)
			(void)pipe_io(p, true, doc, (DWORD)len, &got, CLIENT_MS);
		free(doc);
		/* until the client has read it and hung up: disconnecting drops unread bytes */
		char none;
		(void)pipe_io(p, false, &none, 1, &got, CLIENT_MS);
	}
	DisconnectNamedPipe(p->h);
listen:
	pipe_serve(p, t, o);
}

/* The service's name for the tunnel on adapter dev: tapkit-tunnel-DEV, other than letters,
 * digits, '-' and '_' as '-'. */
void tunnel_service_name(const char *dev, char *out, size_t size)
{
	int n = snprintf(out, size, "tapkit-tunnel-%s", dev);
	for (size_t i = 14; n > 0 && i < size && out[i]; i++) {
		unsigned char c = (unsigned char)out[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			out[i] = '-';
	}
}

/* ---- the configuration file's watch ---- */

/*
 * ReadDirectoryChangesW on the file's directory, overlapped: its event is set when a batch of
 * changes is in, looked at between dispatches (as the control pipe's), and a change to the file
 * (written, created, renamed onto its name: an editor's rename-replace) starts the quiet time of
 * the shared reload (reload.c). As on Linux the directory is watched, not the file, and the
 * file alone counts (not the key file it names). A failure only turns watching off.
 */
struct conf_watch {
	HANDLE dir; /* NULL: not watching */
	OVERLAPPED ov;
	bool pending;			  /* a ReadDirectoryChangesW is in flight */
	wchar_t base[MAX_PATH];		  /* the file's name in the directory */
	DWORD buf[16384 / sizeof(DWORD)]; /* FILE_NOTIFY_INFORMATION records, DWORD-aligned */
};

#define WATCH_FILTER                                                                              \
	(FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE | \
	 FILE_NOTIFY_CHANGE_CREATION)

static void watch_close(struct conf_watch *w)
{
	if (w->dir) {
		CancelIoEx(w->dir, NULL);
		if (w->pending) {
			DWORD got;
			(void)GetOverlappedResult(w->dir, &w->ov, &got, TRUE);
		}
		CloseHandle(w->dir);
	}
	if (w->ov.hEvent)
		CloseHandle(w->ov.hEvent);
	w->dir = NULL;
	w->ov.hEvent = NULL;
	w->pending = false;
}

static void watch_failed(struct conf_watch *w, struct tunnel_reload *r, const char *op, DWORD code)
{
	tunnel_log(r->ctx, TK_LOG_WARN, SUB,
		   "cannot watch %s for changes (%s: Windows error %lu): changes to it take "
		   "effect when the tunnel restarts",
		   r->origin, op, (unsigned long)code);
	watch_close(w);
}

static bool watch_issue(struct conf_watch *w, struct tunnel_reload *r)
{
	ResetEvent(w->ov.hEvent);
	if (!ReadDirectoryChangesW(w->dir, w->buf, sizeof(w->buf), FALSE, WATCH_FILTER, NULL,
				   &w->ov, NULL)) {
		watch_failed(w, r, "ReadDirectoryChangesW", GetLastError());
		return false;
	}
	w->pending = true;
	return true;
}

static void watch_open(struct conf_watch *w, struct tunnel_reload *r, bool on)
{
	wchar_t worigin[MAX_PATH], full[MAX_PATH];
	wchar_t *file = NULL;

	memset(w, 0, sizeof(*w));
	if (!on || !r->origin[0])
		return;
	DWORD n = 0;
	if (widen(r->origin, worigin, MAX_PATH))
		n = GetFullPathNameW(worigin, MAX_PATH, full, &file);
	if (n == 0 || n >= MAX_PATH || !file || !*file) {
		watch_failed(w, r, "GetFullPathName", n == 0 ? GetLastError() : ERROR_BAD_PATHNAME);
		return;
	}
	wcsncpy(w->base, file, MAX_PATH - 1);
	*file = L'\0'; /* full is the directory now, with its trailing separator */
	w->dir = CreateFileW(
		full, FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
		NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, NULL);
	if (w->dir == INVALID_HANDLE_VALUE) {
		w->dir = NULL;
		watch_failed(w, r, "CreateFile of its directory", GetLastError());
		return;
	}
	w->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!w->ov.hEvent) {
		watch_failed(w, r, "CreateEvent", GetLastError());
		return;
	}
	if (watch_issue(w, r))
		tunnel_log(r->ctx, TK_LOG_DEBUG, SUB,
			   "watching %s for changes (--no-watch turns it off)", r->origin);
}

/* Whether a record names our file (NTFS compares names without case). */
static bool watch_ours(const struct conf_watch *w, const FILE_NOTIFY_INFORMATION *fi)
{
	if (fi->Action != FILE_ACTION_ADDED && fi->Action != FILE_ACTION_MODIFIED &&
	    fi->Action != FILE_ACTION_RENAMED_NEW_NAME)
		return false;
	return CompareStringOrdinal(fi->FileName, (int)(fi->FileNameLength / sizeof(WCHAR)),
				    w->base, -1, TRUE) == CSTR_EQUAL;
}

/* Between dispatches: the changes that came in, if any, then the next request. */
static void watch_poll(struct conf_watch *w, struct tunnel_reload *r)
{
	DWORD got = 0;
	if (!w->dir || !w->pending || WaitForSingleObject(w->ov.hEvent, 0) != WAIT_OBJECT_0)
		return;
	w->pending = false;
	if (!GetOverlappedResult(w->dir, &w->ov, &got, FALSE)) {
		DWORD code = GetLastError();
		if (code != ERROR_NOTIFY_ENUM_DIR) {
			watch_failed(w, r, "ReadDirectoryChangesW", code); /* the directory went */
			return;
		}
		got = 0; /* too many changes for the buffer: they may have been ours */
	}
	if (got == 0) {
		tunnel_reload_changed(r);
	} else {
		const BYTE *p = (const BYTE *)w->buf;
		for (;;) {
			const FILE_NOTIFY_INFORMATION *fi =
				(const FILE_NOTIFY_INFORMATION *)(const void *)p;
			if (watch_ours(w, fi))
				tunnel_reload_changed(r);
			if (!fi->NextEntryOffset ||
			    (size_t)(p - (const BYTE *)w->buf) + fi->NextEntryOffset >= got)
				break;
			p += fi->NextEntryOffset;
		}
	}
	(void)watch_issue(w, r);
}

struct run {
	tk_ctx *ctx;
	tk_tunnel_config *cfg;
	const struct tunnel_daemon_opts *o;
	tk_error *err;
	tk_status st;
};

static int body(HANDLE stop, void *user)
{
	struct run *r = user;
	char name[TK_NAME_MAX], where[256];
	struct pipe_server p;
	tk_tunnel *t = NULL;
	tk_tunnel_config *cfg = r->cfg;
	tk_error *err = r->err;
	struct tunnel_reload rl = { .ctx = r->ctx };
	struct conf_watch *w = calloc(1, sizeof(*w)); /* its buffer is 16 KiB */

	r->cfg = NULL; /* taken, also on failure */
	/* each start its own line: an auto-start service runs once at boot and again when asked */
	if (cli_svc_under_scm())
		tunnel_log(r->ctx, TK_LOG_INFO, SUB,
			   "started by the service control manager (pid %lu)",
			   (unsigned long)GetCurrentProcessId());
	memset(&p, 0, sizeof(p));
	snprintf(name, sizeof(name), "%s", tk_tunnel_config_name(cfg));
	snprintf(rl.name, sizeof(rl.name), "%s", name);
	snprintf(rl.origin, sizeof(rl.origin), "%s", tk_tunnel_config_origin(cfg));
	const char *control = tk_tunnel_config_control(cfg);
	if (!w || (control[0] && strncmp(control, "\\\\.\\pipe\\", 9) != 0)) {
		tk_tunnel_config_free(cfg);
		free(w);
		if (!w) {
			r->st = tunnel_error(err, TK_E_NO_MEMORY, "run", name, TK_OS_NONE, 0,
					     "cannot allocate the file watch");
			return 1;
		}
		tunnel_error(err, TK_E_CONFIG, "listen", control, TK_OS_NONE, 0,
			     "ControlSocket on Windows is a named pipe");
		tunnel_remedy(err, "use \\\\.\\pipe\\NAME, or leave it out (default %s%s)",
			      PIPE_PREFIX, name);
		r->st = TK_E_CONFIG;
		return 1;
	}
	if (control[0])
		snprintf(where, sizeof(where), "%s", control);
	else
		control_default(name, where, sizeof(where));
	/* the control pipe first: a second tunnel on the same adapter stops before touching it */
	tk_status st = pipe_listen(&p, where, err);
	if (st != TK_OK)
		tk_tunnel_config_free(cfg);
	else
		st = tk_tunnel_new(r->ctx, cfg, &t, err);
	if (st == TK_OK) {
		tk_tunnel_snapshot *s = NULL;
		if (r->o->ready && tk_tunnel_stats(t, &s, err) == TK_OK) {
			r->o->ready(s);
			fflush(stdout);
			tk_tunnel_snapshot_free(s);
		}
		watch_open(w, &rl, r->o->watch);
		cli_svc_running();
	}
	while (st == TK_OK) {
		if (WaitForSingleObject(stop, 0) == WAIT_OBJECT_0) {
			tunnel_log(r->ctx, TK_LOG_INFO, SUB, "stop requested by %s: stopping",
				   cli_svc_stop_reason());
			break;
		}
		tk_error e = { 0 };
		tk_status d = tk_tunnel_dispatch(t, tunnel_reload_timeout(&rl, t, SERVE_MS), &e);
		if (d != TK_OK && d != TK_E_TIMEOUT && d != TK_E_INTERRUPTED) {
			*err = e;
			st = d; /* the engine cannot carry on: exit non-zero */
			break;
		}
		pipe_serve(&p, t, r->o);
		watch_poll(w, &rl);
	}
	if (st == TK_OK)
		cli_svc_pending(2000);
	watch_close(w);
	free(w);
	tk_tunnel_free(t);
	pipe_close(&p);
	r->st = st;
	return st == TK_OK ? 0 : 1;
}

tk_status tunnel_daemon_run(tk_ctx *ctx, tk_tunnel_config *cfg, const struct tunnel_daemon_opts *o,
			    tk_error *err)
{
	char service[TK_NAME_MAX + 16];
	struct run r = { .ctx = ctx, .cfg = cfg, .o = o, .err = err, .st = TK_OK };

	tunnel_service_name(tk_tunnel_config_name(cfg), service, sizeof(service));
	/*
	 * Under the SCM nobody reads stdout and stderr: both go to %ProgramData%\tapkit\SERVICE.log
	 * (nowhere to say it when that fails: the service runs without a log).
	 */
	char log[MAX_PATH * 3];
	if (o->service && cli_svc_log_path(service, log, sizeof(log)))
		(void)cli_svc_log_to(log, true);
	tk_error svc_err;
	(void)cli_svc_main(service, o->service, body, &r, &svc_err);
	if (r.cfg) {
		/* the body never ran: why is in svc_err, reported once by the caller */
		tk_tunnel_config_free(r.cfg);
		*err = svc_err;
		return svc_err.status != TK_OK ? svc_err.status : TK_E_INTERNAL;
	}
	return r.st;
}
