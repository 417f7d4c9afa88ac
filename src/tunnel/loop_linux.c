/* SPDX-License-Identifier: MIT */
/*
 * The engine's event loop on Linux (engine.h, "the loop"): an epoll set, an eventfd that
 * tk_tunnel_stop writes from any thread, and a timerfd for the next adapter reopen. The
 * protocol code sees tags and flags only; a Windows loop (WaitForMultipleObjects over events)
 * implements the same calls.
 */
#include "engine.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

static bool add(struct tk__loop *l, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void tk__loop_init(struct tk__loop *l)
{
	l->epfd = l->evfd = l->tfd = -1;
}

tk_status tk__loop_open(struct tk__loop *l, const char *object, tk_error *err)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return tk__tunnel_os_error(err, "epoll_create1", object, errno,
					   "cannot create the event loop");
	l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->evfd < 0)
		return tk__tunnel_os_error(err, "eventfd", object, errno,
					   "cannot create the stop event");
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0)
		return tk__tunnel_os_error(err, "timerfd_create", object, errno,
					   "cannot create the reopen timer");
	if (!add(l, l->evfd, TK__EV_STOP) || !add(l, l->tfd, TK__EV_TIMER))
		return tk__error_set_quiet(err, TK_E_IO, "epoll_ctl", object, TK_OS_ERRNO, errno,
					   "cannot watch a descriptor");
	return TK_OK;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void tk__loop_close(struct tk__loop *l)
{
	close_fd(&l->evfd);
	close_fd(&l->tfd);
	close_fd(&l->epfd);
}

tk_os_handle tk__loop_handle(const struct tk__loop *l)
{
	return l->epfd;
}

tk_status tk__loop_watch(struct tk__loop *l, tk_os_handle h, uint32_t tag, const char *object,
			 tk_error *err)
{
	if (!add(l, h, tag))
		return tk__error_set_quiet(err, TK_E_IO, "epoll_ctl", object, TK_OS_ERRNO, errno,
					   "cannot watch a descriptor");
	return TK_OK;
}

void tk__loop_unwatch(struct tk__loop *l, tk_os_handle h)
{
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, h, NULL); /* gone already is fine */
}

int tk__loop_wait(struct tk__loop *l, struct tk__loop_event *out, int cap, int timeout_ms)
{
	struct epoll_event evs[TK__LOOP_EVENTS];
	if (cap > TK__LOOP_EVENTS)
		cap = TK__LOOP_EVENTS;
	int n = epoll_wait(l->epfd, evs, cap, timeout_ms);
	for (int i = 0; i < n; i++) {
		uint64_t v;
		out[i].tag = evs[i].data.u32;
		out[i].readable = (evs[i].events & EPOLLIN) != 0;
		out[i].error = (evs[i].events & EPOLLERR) != 0;
		/* the loop's own wake-ups are consumed here: the engine sees the tag */
		if (out[i].tag == TK__EV_STOP && read(l->evfd, &v, sizeof(v)) < 0)
			v = 0; /* EAGAIN: read by another wake-up already */
		if (out[i].tag == TK__EV_TIMER && read(l->tfd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			out[i].readable = false; /* re-armed since: not due yet */
	}
	return n;
}

void tk__loop_wake(struct tk__loop *l)
{
	uint64_t one = 1;
	/* async-signal-safe and thread-safe: a write to an eventfd (EAGAIN: one is pending) */
	if (write(l->evfd, &one, sizeof(one)) < 0)
		return;
}

void tk__loop_timer(struct tk__loop *l, uint64_t ns)
{
	struct itimerspec its = { 0 };
	its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(ns % 1000000000ull);
	(void)timerfd_settime(l->tfd, 0, &its, NULL); /* cannot fail with a valid fd and value */
}
