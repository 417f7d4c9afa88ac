/* SPDX-License-Identifier: MIT */
/*
 * The tunnel daemon (`tapkit tunnel run|status`): what a program around the engine does and
 * the library must not (tapkit.h, tk_tunnel_*): signals, the privilege drop, the control
 * socket that serves the engine's stats as JSON. Public API only.
 */
#ifndef TK_CLI_TUNNEL_H
#define TK_CLI_TUNNEL_H

#include "tapkit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define TUNNEL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TUNNEL_PRINTF(f, a)
#endif

/* ---- errors and logs (util.c) ---- */

/* Fills err (may be NULL) with the cause, object, OS code and message; returns st. */
tk_status tunnel_error(tk_error *err, tk_status st, const char *op, const char *object,
		       tk_os_kind kind, int64_t code, const char *fmt, ...) TUNNEL_PRINTF(7, 8);
void tunnel_remedy(tk_error *err, const char *fmt, ...) TUNNEL_PRINTF(2, 3);
void tunnel_log(tk_ctx *ctx, tk_log_level level, const char *sub, const char *fmt, ...)
	TUNNEL_PRINTF(4, 5);
/*
 * An OS call that makes a descriptor failed: out of descriptors or memory (EMFILE, ENFILE,
 * ENOMEM, ENOBUFS) is TK_E_NO_MEMORY with the limit to raise, as the engine reports it;
 * anything else TK_E_IO. what: "cannot create the control socket".
 */
tk_status tunnel_os_error(tk_error *err, const char *op, const char *object, int e,
			  const char *what);
/* strerror_r (thread-safe) into buf. */
const char *tunnel_errno_text(int e, char *buf, size_t size);

/* ---- least privilege (privilege.c) ---- */

/*
 * Confines the started daemon: no_new_privs always; not dumpable when a key is held (has_key)
 * or after a drop; with a User (c->set) switches to it, keeping CAP_NET_ADMIN only (the engine
 * re-creates a vanished adapter), the bounding set cut to it, and checks that root cannot come
 * back. Refuses in a process with more than one thread (capabilities are per thread).
 */
tk_status tunnel_confine(tk_ctx *ctx, const tk_tunnel_user *c, bool has_key, tk_error *err);

/* ---- the control socket (control.c) ---- */

/*
 * The default control socket of adapter dev: an abstract UNIX socket "@tapkit/tunnel/DEV",
 * which the kernel scopes to the network namespace (two namespaces may each run a tunnel on
 * "tap0", and `ip netns exec X tapkit tunnel status` finds X's). A ControlSocket starting with
 * '/' is a path instead (directory 0700 and socket 0600, root's).
 */
void control_default(const char *dev, char *out, size_t size);
#define CONTROL_ABSTRACT_PREFIX "@tapkit/tunnel/"

/* The listening socket; TK_E_ADAPTER_BUSY when a live tunnel answers on it already. */
tk_status control_listen(const char *where, int *out, tk_error *err);
/* Closes it; a path is unlinked (when it is still ours). */
void control_close(int fd, const char *where);

#define CONTROL_CLIENTS_MAX 8
#define CONTROL_DEADLINE_MS 2000 /* a client's whole exchange, request to last byte */

/* One client being served without blocking: its request, then the document. */
struct control_client {
	int fd; /* -1: free slot */
	uint64_t deadline_ns;
	char req[64];
	size_t req_len;
	char *doc; /* rendered once the request is complete */
	size_t doc_len, sent;
};

/* Renders the status document (JSON, whatever the request) into *doc (malloc'd, caller frees). */
typedef bool control_render_fn(void *user, char **doc, size_t *len);

/* The tag of a client's fd in the daemon's epoll data (u64: CONTROL_TAG << 32 | fd). */
#define CONTROL_TAG 0x7c7cu

struct control {
	tk_ctx *ctx;
	int lfd, epfd;
	int spare; /* a descriptor held back for accepting (and hanging up on) a client at EMFILE */
	uint32_t owner_uid;
	struct control_client c[CONTROL_CLIENTS_MAX];
	control_render_fn *render;
	void *user;
};

/*
 * The spare descriptor for control_accept at EMFILE. Open it first, before the engine's: only a
 * low number helps when the descriptor limit is lowered under a running tunnel.
 */
int control_spare_open(void);
void control_init(struct control *k, tk_ctx *ctx, int lfd, int epfd, control_render_fn *render,
		  void *user);
/* Accepts what waits on the listening socket (credentials checked: root or our own uid). */
void control_accept(struct control *k);
/* Moves the client of fd on (reads the request, writes what fits); never blocks. */
void control_io(struct control *k, int fd);
/* Drops the clients past their deadline; returns the ms until the next deadline (-1: none). */
int control_expire(struct control *k);
void control_free(struct control *k);
/* The tunnels listening in this network namespace: how many, and the first one's name. */
size_t control_find(char *out, size_t size);
/*
 * Client side: sends the request and reads the answer until EOF (deadline: 5 s, at most
 * CLI_JREAD_MAX bytes) into *doc (malloc'd, NUL-terminated; caller frees). The answer is not
 * checked here: cli_tunnel_status_check / _text (tunnel_status.h) do, for any transport.
 */
tk_status control_query(const char *where, char **doc, size_t *len, tk_error *err);

/* ---- the configuration file's reload (reload.c), shared by both daemons ---- */

/*
 * The quiet time after the last change before the file is read: an editor's save is several
 * events (write, close, rename, chmod), and a half-written file must not be read in between.
 */
#define TUNNEL_WATCH_DEBOUNCE_MS 250

struct tunnel_reload {
	tk_ctx *ctx;
	char name[TK_NAME_MAX]; /* the adapter, for the log line's fields */
	char origin[256];	/* the file; "" when started from flags */
	uint64_t due_ms;	/* a change seen: reload once tunnel_now_ms passes it (0: none) */
};

/* A monotonic clock in ms. */
uint64_t tunnel_now_ms(void);
/*
 * Re-reads r->origin into t (tk_tunnel_reload_file; why: "SIGHUP", "the configuration file
 * changed"); a file refused by the reader or the engine is logged (a warning naming FILE:LINE
 * and the fix), counted by the engine, and the running configuration stays.
 */
void tunnel_reload(struct tunnel_reload *r, tk_tunnel *t, const char *why);
/* A change to the file was seen: (re)starts the quiet time. */
void tunnel_reload_changed(struct tunnel_reload *r);
/*
 * The wait before the loop's next look (timeout in ms, -1: none) bounded by a pending reload's
 * due time; a reload that is due runs here first.
 */
int tunnel_reload_timeout(struct tunnel_reload *r, tk_tunnel *t, int timeout);

/* ---- the daemon (daemon.c) ---- */

/* Writes the status document of s (docs/json.md, "tunnel status") to f. */
typedef void tunnel_render_fn(FILE *f, const tk_tunnel_snapshot *s);

struct tunnel_daemon_opts {
	tunnel_render_fn *render;
	/* Called once the tunnel forwards (adapter up, socket bound, privileges dropped). */
	void (*ready)(const tk_tunnel_snapshot *s);
	bool service; /* Windows: run under the service control manager (--service) */
	/*
	 * Reload the configuration file when it changes (a watch on its directory, debounced:
	 * inotify on Linux, ReadDirectoryChangesW on Windows).
	 */
	bool watch;
};

/* Windows: the service of the tunnel on adapter dev, "tapkit-tunnel-DEV" (daemon_windows.c). */
void tunnel_service_name(const char *dev, char *out, size_t size);

/*
 * Runs a tunnel as a daemon until SIGTERM/SIGINT (TK_OK) or a failure (its status): the control
 * socket (ControlSocket or the namespace's default), the engine (cfg: taken, also on failure),
 * the privilege drop, SIGHUP (and with o->watch a change of the file) re-reading the
 * configuration file; a file refused is logged with FILE:LINE and the running configuration
 * stays. Signals are blocked while it
 * runs and the mask restored at the end.
 */
tk_status tunnel_daemon_run(tk_ctx *ctx, tk_tunnel_config *cfg, const struct tunnel_daemon_opts *o,
			    tk_error *err);

#endif /* TK_CLI_TUNNEL_H */
