/* SPDX-License-Identifier: MIT */
/*
 * The configuration file's reload, shared by the daemons (daemon.c on Linux, daemon_windows.c):
 * re-reading the file through the engine (tk_tunnel_reload), logging a refused file with
 * FILE:LINE while the running configuration stays, and the quiet time after a change that the
 * file watches (inotify, ReadDirectoryChangesW) start.
 */
#include "tunnel.h"

#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#define SUB "tunnel"

uint64_t tunnel_now_ms(void)
{
#ifdef _WIN32
	return GetTickCount64();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
}

void tunnel_reload(struct tunnel_reload *r, tk_tunnel *t, const char *why)
{
	tk_error err = { 0 };

	tunnel_log(r->ctx, TK_LOG_INFO, SUB, "%s: reading %s", why, r->origin[0] ? r->origin : "-");
	if (!r->origin[0]) {
		tunnel_log(r->ctx, TK_LOG_WARN, SUB,
			   "%s: started from flags, there is no file to reload", why);
		return;
	}
	/* after the drop to User the key is not read again: the running one is kept */
	tk_status st = tk_tunnel_reload_file(t, r->origin, &err);
	if (st == TK_OK)
		return; /* the engine logs what it now runs */
	tk_log_field f[] = { { "adapter", r->name },
			     { "object", err.object },
			     { "cause", tk_status_name(st) } };
	char msg[TK_ERROR_TEXT_MAX * 3];
	snprintf(msg, sizeof(msg), "reload rejected: %s: %s%s%s; the running configuration stays",
		 err.object, err.message, err.remedy[0] ? "; fix: " : "", err.remedy);
	/* warn, not error: the tunnel carries on */
	tk_log(r->ctx, TK_LOG_WARN, SUB, f, sizeof(f) / sizeof(f[0]), msg);
}

void tunnel_reload_changed(struct tunnel_reload *r)
{
	r->due_ms = tunnel_now_ms() + TUNNEL_WATCH_DEBOUNCE_MS;
}

int tunnel_reload_timeout(struct tunnel_reload *r, tk_tunnel *t, int timeout)
{
	if (!r->due_ms)
		return timeout;
	uint64_t now = tunnel_now_ms();
	if (now >= r->due_ms) {
		r->due_ms = 0;
		tunnel_reload(r, t, "the configuration file changed");
		return timeout;
	}
	int left = (int)(r->due_ms - now);
	return timeout < 0 || left < timeout ? left : timeout;
}
