/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel run|status` on Windows (tunnel.h): the engine's loop runs as the body of the
 * shared service module (winservice.h), on the console or under the SCM; its stop event
 * (Ctrl-C, Ctrl-Break, closing the window, SERVICE_CONTROL_STOP, shutdown) ends the loop within
 * SERVE_MS. The control channel is a named pipe whose DACL admits only SYSTEM and the
 * Administrators (no remote clients), served between dispatches. The status document is the
 * Linux one (the same renderer). A service logs to %ProgramData%\tapkit\tunnel-NAME.log.
 */
#include "tunnel.h"

#include "json_read.h"
#include "winservice.h"

#include <windows.h>
#include <sddl.h>

#include <fcntl.h>
#include <io.h>

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

/* Under the SCM nobody reads stdout/stderr: both go to %ProgramData%\tapkit\tunnel-DEV.log. */
static void log_to_file(const char *service)
{
	wchar_t dir[MAX_PATH], path[MAX_PATH + 64], wname[128];
	/* a service's environment is the system's; where it lacks ProgramData, the system
	 * drive's */
	DWORD n = GetEnvironmentVariableW(L"ProgramData", dir, MAX_PATH);
	if (n == 0 || n >= MAX_PATH) {
		wchar_t drive[8];
		n = GetEnvironmentVariableW(L"SystemDrive", drive, 8);
		swprintf(dir, MAX_PATH, L"%ls\\ProgramData", n > 0 && n < 8 ? drive : L"C:");
	}
	if (!MultiByteToWideChar(CP_UTF8, 0, service, -1, wname, (int)(sizeof(wname) / 2)))
		return;
	(void)CreateDirectoryW(dir, NULL);
	swprintf(path, sizeof(path) / sizeof(path[0]), L"%ls\\tapkit", dir);
	(void)CreateDirectoryW(path, NULL); /* there already is fine */
	swprintf(path, sizeof(path) / sizeof(path[0]), L"%ls\\tapkit\\%ls.log", dir, wname);
	/* a service has no standard handles: descriptors 1 and 2 become the file's */
	HANDLE h = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			       OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return;
	int fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_APPEND);
	if (fd < 0) {
		CloseHandle(h);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	(void)_dup2(fd, 1);
	(void)_dup2(fd, 2);
	_close(fd);
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
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

	r->cfg = NULL; /* taken, also on failure */
	memset(&p, 0, sizeof(p));
	snprintf(name, sizeof(name), "%s", tk_tunnel_config_name(cfg));
	const char *control = tk_tunnel_config_control(cfg);
	if (control[0] && strncmp(control, "\\\\.\\pipe\\", 9) != 0) {
		tk_tunnel_config_free(cfg);
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
		cli_svc_running();
	}
	while (st == TK_OK) {
		if (WaitForSingleObject(stop, 0) == WAIT_OBJECT_0) {
			tunnel_log(r->ctx, TK_LOG_INFO, SUB, "stop requested: stopping");
			break;
		}
		tk_error e = { 0 };
		tk_status d = tk_tunnel_dispatch(t, SERVE_MS, &e);
		if (d != TK_OK && d != TK_E_TIMEOUT && d != TK_E_INTERRUPTED) {
			*err = e;
			st = d; /* the engine cannot carry on: exit non-zero */
			break;
		}
		pipe_serve(&p, t, r->o);
	}
	if (st == TK_OK)
		cli_svc_pending(2000);
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
	if (o->service)
		log_to_file(service);
	int rc = cli_svc_main(service, o->service, body, &r);
	if (r.cfg) {
		/* the body never ran: the service module said why on stderr */
		tk_tunnel_config_free(r.cfg);
		return tunnel_error(err, TK_E_IO, "run service", service, TK_OS_NONE, 0,
				    "the tunnel did not start (exit %d, see above)", rc);
	}
	return r.st;
}
