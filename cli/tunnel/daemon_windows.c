/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel run|status` on Windows (tunnel.h): the engine's loop in this thread, stopped
 * by the console's Ctrl-C/Ctrl-Break/close (the handler runs on a thread of its own and only
 * calls tk_tunnel_stop, which is thread-safe); the control channel is a named pipe whose DACL
 * admits only SYSTEM and the Administrators (no remote clients), served between dispatches.
 * The status document is the Linux one (the same renderer).
 */
#include "tunnel.h"

#include <windows.h>
#include <sddl.h>

#include <stdlib.h>
#include <string.h>

#define SUB	    "tunnel"
#define PIPE_PREFIX "\\\\.\\pipe\\tapkit\\tunnel\\"
#define SERVE_MS    100	 /* the longest a status request waits for the engine */
#define CLIENT_MS   2000 /* a client's whole exchange */

static tk_tunnel *volatile g_tunnel;

static BOOL WINAPI on_console(DWORD type)
{
	tk_tunnel *t = g_tunnel;
	if (!t || (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT &&
		   type != CTRL_SHUTDOWN_EVENT))
		return FALSE;
	tk_tunnel_stop(t);
	return TRUE;
}

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

tk_status control_query(const char *where, bool json, FILE *out, tk_error *err)
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
	const char *req = json ? "json\n" : "text\n";
	DWORD done = 0;
	tk_status st = TK_OK;
	if (!WriteFile(h, req, (DWORD)strlen(req), &done, NULL)) {
		st = win_error(err, TK_E_IO, "write", where, GetLastError(),
			       "cannot send the request");
	} else {
		char buf[4096];
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
			fwrite(buf, 1, done, out);
		}
	}
	CloseHandle(h);
	return st;
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
static char *render_doc(tk_tunnel *t, const struct tunnel_daemon_opts *o, bool json, size_t *len)
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
	o->render(f, s, json);
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
		char *doc = render_doc(t, o, strncmp(req, "json", 4) == 0, &len);
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

tk_status tunnel_daemon_run(tk_ctx *ctx, tk_tunnel_config *cfg, const struct tunnel_daemon_opts *o,
			    tk_error *err)
{
	char name[TK_NAME_MAX], where[256];
	struct pipe_server p;
	tk_tunnel *t = NULL;

	memset(&p, 0, sizeof(p));
	snprintf(name, sizeof(name), "%s", tk_tunnel_config_name(cfg));
	const char *control = tk_tunnel_config_control(cfg);
	if (control[0] && strncmp(control, "\\\\.\\pipe\\", 9) != 0) {
		tk_tunnel_config_free(cfg);
		tunnel_error(err, TK_E_CONFIG, "listen", control, TK_OS_NONE, 0,
			     "ControlSocket on Windows is a named pipe");
		tunnel_remedy(err, "use \\\\.\\pipe\\NAME, or leave it out (default %s%s)",
			      PIPE_PREFIX, name);
		return TK_E_CONFIG;
	}
	if (control[0])
		snprintf(where, sizeof(where), "%s", control);
	else
		control_default(name, where, sizeof(where));
	/* the control pipe first: a second tunnel on the same adapter stops before touching it */
	tk_status st = pipe_listen(&p, where, err);
	if (st != TK_OK) {
		tk_tunnel_config_free(cfg);
		pipe_close(&p);
		return st;
	}
	st = tk_tunnel_new(ctx, cfg, &t, err);
	if (st == TK_OK) {
		g_tunnel = t;
		if (!SetConsoleCtrlHandler(on_console, TRUE))
			tunnel_log(ctx, TK_LOG_WARN, SUB,
				   "no console control handler (Windows error %lu): stop it "
				   "with taskkill",
				   (unsigned long)GetLastError());
		tk_tunnel_snapshot *s = NULL;
		if (o->ready && tk_tunnel_stats(t, &s, err) == TK_OK) {
			o->ready(s);
			fflush(stdout);
			tk_tunnel_snapshot_free(s);
		}
	}
	while (st == TK_OK) {
		tk_error e = { 0 };
		tk_status d = tk_tunnel_dispatch(t, SERVE_MS, &e);
		if (d == TK_E_INTERRUPTED) {
			tunnel_log(ctx, TK_LOG_INFO, SUB, "stop requested: stopping");
			break;
		}
		if (d != TK_OK && d != TK_E_TIMEOUT) {
			*err = e;
			st = d; /* the engine cannot carry on: exit non-zero */
			break;
		}
		pipe_serve(&p, t, o);
	}
	SetConsoleCtrlHandler(on_console, FALSE);
	g_tunnel = NULL;
	tk_tunnel_free(t);
	pipe_close(&p);
	return st;
}
