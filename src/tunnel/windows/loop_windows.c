/* SPDX-License-Identifier: MIT */
/*
 * The engine's event loop on Windows (engine.h, "the loop"): WaitForMultipleObjects over the
 * handles that stand for readiness. The adapter's is the event its overlapped reads share
 * (src/windows/device.c), the socket's the event its overlapped receives share
 * (socket_windows.c); the stop is an auto-reset event that tk_tunnel_stop sets from any thread
 * (the console's Ctrl-C handler, a service's control handler), the reopen timer a waitable
 * timer. The protocol code sees tags only, as on Linux.
 */
#include "../engine.h"

static tk_status win_error(tk_error *err, const char *op, const char *object, const char *what)
{
	DWORD code = GetLastError();
	tk__error_set_quiet(err, code == ERROR_NOT_ENOUGH_MEMORY ? TK_E_NO_MEMORY : TK_E_IO, op,
			    object, TK_OS_WIN32, (int)code, "%s (Windows error %lu)", what,
			    (unsigned long)code);
	return err ? err->status : TK_E_IO;
}

void tk__loop_init(struct tk__loop *l)
{
	memset(l, 0, sizeof(*l));
}

tk_status tk__loop_open(struct tk__loop *l, const char *object, tk_error *err)
{
	l->wake = CreateEventW(NULL, FALSE, FALSE, NULL);
	if (!l->wake)
		return win_error(err, "CreateEvent", object, "cannot create the stop event");
	l->timer = CreateWaitableTimerW(NULL, FALSE, NULL);
	if (!l->timer)
		return win_error(err, "CreateWaitableTimer", object,
				 "cannot create the reopen timer");
	l->h[0] = l->wake;
	l->tag[0] = TK__EV_STOP;
	l->h[1] = l->timer;
	l->tag[1] = TK__EV_TIMER;
	l->n = 2;
	return TK_OK;
}

void tk__loop_close(struct tk__loop *l)
{
	if (l->wake)
		CloseHandle(l->wake);
	if (l->timer)
		CloseHandle(l->timer);
	memset(l, 0, sizeof(*l));
}

/* There is no one handle for the whole loop on Windows: the stop event stands for it. */
tk_os_handle tk__loop_handle(const struct tk__loop *l)
{
	return l->wake;
}

tk_status tk__loop_watch(struct tk__loop *l, tk_os_handle h, uint32_t tag, const char *object,
			 tk_error *err)
{
	if (l->n == TK__WIN_WAIT_MAX)
		return tk__error_set_quiet(err, TK_E_INTERNAL, "watch", object, TK_OS_NONE, 0,
					   "the loop watches %u handles already", l->n);
	l->h[l->n] = h;
	l->tag[l->n] = tag;
	l->n++;
	return TK_OK;
}

void tk__loop_unwatch(struct tk__loop *l, tk_os_handle h)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (l->h[i] != h)
			continue;
		memmove(&l->h[i], &l->h[i + 1], (l->n - i - 1) * sizeof(l->h[0]));
		memmove(&l->tag[i], &l->tag[i + 1], (l->n - i - 1) * sizeof(l->tag[0]));
		l->n--;
		return;
	}
}

int tk__loop_wait(struct tk__loop *l, struct tk__loop_event *out, int cap, int timeout_ms)
{
	DWORD w = WaitForMultipleObjects(l->n, l->h, FALSE,
					 timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
	if (w == WAIT_TIMEOUT)
		return 0;
	if (w >= WAIT_OBJECT_0 + l->n) {
		errno = EIO; /* WAIT_FAILED: a handle was closed under the loop */
		return -1;
	}
	/* the first signalled one, then every other one that is signalled too (auto-reset ones,
	 * the stop and the timer, are consumed by the test: the engine sees their tag) */
	int n = 0;
	for (unsigned i = w - WAIT_OBJECT_0; i < l->n && n < cap; i++) {
		if (i != w - WAIT_OBJECT_0 && WaitForSingleObject(l->h[i], 0) != WAIT_OBJECT_0)
			continue;
		out[n].tag = l->tag[i];
		out[n].readable = true;
		out[n].error = false;
		n++;
	}
	/* the wake-up alone (tk_tunnel_stop, or a SetEvent on tk_tunnel_handle): nothing to
	 * handle; dispatch says TK_E_INTERRUPTED, as for a signal on Linux */
	if (n == 1 && out[0].tag == TK__EV_STOP) {
		errno = EINTR;
		return -1;
	}
	return n;
}

void tk__loop_wake(struct tk__loop *l)
{
	SetEvent(l->wake);
}

void tk__loop_timer(struct tk__loop *l, uint64_t ns)
{
	if (ns == 0) {
		CancelWaitableTimer(l->timer);
		return;
	}
	LARGE_INTEGER due;
	due.QuadPart = -(LONGLONG)(ns / 100u); /* relative, in 100 ns */
	(void)SetWaitableTimer(l->timer, &due, 0, NULL, NULL, FALSE);
}
