/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel run` around the engine: one epoll loop over the engine's handle, a signalfd
 * (SIGTERM/SIGINT stop, SIGHUP reloads the file), an inotify watch on the configuration file's
 * directory (a change reloads it, debounced), the control socket and its clients. The
 * engine forwards inside tk_tunnel_dispatch; nothing here blocks, so neither a signal nor a
 * status client can hold frames back.
 */
#include "tunnel.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define SUB "tunnel"

enum { EV_ENGINE = 1, EV_SIGNAL, EV_LISTEN, EV_WATCH };

struct daemon {
	tk_ctx *ctx;
	tk_tunnel *t;
	const struct tunnel_daemon_opts *o;
	struct tunnel_reload rl; /* the file, its name and the pending reload */
	char control[256];
	int epfd, sfd, lfd;
	int ifd;	/* inotify on the file's directory, -1 when not watching */
	char base[256]; /* the file's name in that directory */
	struct control k;
	bool stop;
};

static bool render(void *user, char **doc, size_t *len)
{
	struct daemon *d = user;
	tk_tunnel_snapshot *s = NULL;
	tk_error e = { 0 };

	if (tk_tunnel_stats(d->t, &s, &e) != TK_OK)
		return false;
	FILE *f = open_memstream(doc, len);
	if (!f) {
		tk_tunnel_snapshot_free(s);
		return false;
	}
	d->o->render(f, s);
	tk_tunnel_snapshot_free(s);
	return fclose(f) == 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			tunnel_reload(&d->rl, d->t, "SIGHUP");
		} else {
			tunnel_log(d->ctx, TK_LOG_INFO, SUB, "signal %u: stopping", si.ssi_signo);
			d->stop = true;
		}
	}
}

static tk_status watch(struct daemon *d, int fd, uint64_t tag, tk_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return tunnel_error(err, TK_E_IO, "epoll_ctl", d->rl.name, TK_OS_ERRNO, errno,
				    "cannot watch a descriptor");
	return TK_OK;
}

/*
 * Watches the configuration file through its directory: editors replace a file by writing a
 * new one and renaming it over the old (a watch on the file itself would follow the old inode
 * and see nothing more). A change is any close after writing, rename onto the name, or a new
 * file of that name. Set up before the privilege drop; a failure only turns watching off.
 */
static void watch_open(struct daemon *d)
{
	char dir[sizeof(d->rl.origin)];
	const char *slash = strrchr(d->rl.origin, '/');

	d->ifd = -1;
	if (!d->o->watch || !d->rl.origin[0])
		return;
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
		snprintf(d->base, sizeof(d->base), "%s", d->rl.origin);
	} else {
		snprintf(dir, sizeof(dir), "%.*s",
			 slash == d->rl.origin ? 1 : (int)(slash - d->rl.origin), d->rl.origin);
		snprintf(d->base, sizeof(d->base), "%s", slash + 1);
	}
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 ||
	    inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
		int e = errno;
		char ebuf[128];
		if (fd >= 0)
			close(fd);
		tunnel_log(
			d->ctx, TK_LOG_WARN, SUB,
			"cannot watch %s for changes (inotify on %s: %s%s): SIGHUP still reloads "
			"it",
			d->rl.origin, dir, tunnel_errno_text(e, ebuf, sizeof(ebuf)),
			e == ENOSPC ? "; raise fs.inotify.max_user_watches" : "");
		return;
	}
	d->ifd = fd;
	tunnel_log(d->ctx, TK_LOG_DEBUG, SUB, "watching %s for changes (--no-watch turns it off)",
		   d->rl.origin);
}

/* Drains the inotify events; a change to our file (re)starts the quiet time. */
static void watch_read(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(d->ifd, buf, sizeof(buf));
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			/* an overflow lost events that may have been ours */
			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len && strcmp(ev->name, d->base) == 0))
				tunnel_reload_changed(&d->rl);
			if (ev->mask & IN_IGNORED) {
				tunnel_log(d->ctx, TK_LOG_WARN, SUB,
					   "the directory of %s went away: no longer watching it "
					   "(SIGHUP still reloads)",
					   d->rl.origin);
				epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->ifd, NULL);
				close(d->ifd);
				d->ifd = -1;
				return;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

static tk_status loop(struct daemon *d, tk_error *err)
{
	struct epoll_event evs[16];

	while (!d->stop) {
		int timeout = tunnel_reload_timeout(&d->rl, d->t, control_expire(&d->k));
		int n = epoll_wait(d->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tunnel_error(err, TK_E_IO, "epoll_wait", d->rl.name, TK_OS_ERRNO, errno,
				     "the daemon's event loop failed");
			tunnel_remedy(err, "restart the tunnel (Restart=on-failure does)");
			return TK_E_IO;
		}
		for (int i = 0; i < n && !d->stop; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == EV_ENGINE) {
				tk_status st = tk_tunnel_dispatch(d->t, 0, err);
				if (st != TK_OK && st != TK_E_TIMEOUT && st != TK_E_INTERRUPTED)
					return st; /* the engine cannot carry on: exit non-zero */
			} else if (tag == EV_SIGNAL) {
				on_signal(d);
			} else if (tag == EV_WATCH) {
				watch_read(d);
			} else if (tag == EV_LISTEN) {
				control_accept(&d->k);
			} else if (tag >> 32 == CONTROL_TAG) {
				control_io(&d->k, (int)(uint32_t)tag);
			}
		}
	}
	return TK_OK;
}

static tk_status start(struct daemon *d, tk_tunnel_config *cfg, tk_error *err)
{
	tk_tunnel_user user;
	tk_status st;

	tk_tunnel_config_user(cfg, &user);
	int spare = control_spare_open();
	/* the control socket first: a second tunnel on the same adapter stops before touching it */
	if ((st = control_listen(d->control, &d->lfd, err)) != TK_OK) {
		if (spare >= 0)
			close(spare);
		tk_tunnel_config_free(cfg);
		return st;
	}
	d->k.spare = spare; /* control_free closes it, also when the start fails below */
	if ((st = tk_tunnel_new(d->ctx, cfg, &d->t, err)) != TK_OK)
		return st;
	tk_tunnel_snapshot *s = NULL;
	if ((st = tk_tunnel_stats(d->t, &s, err)) != TK_OK)
		return st;
	watch_open(d); /* before the drop: the User may not read the directory */
	st = tunnel_confine(d->ctx, &user, s->public_key[0] != '\0', err);
	if (st == TK_OK) {
		d->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (d->epfd < 0)
			st = tunnel_os_error(err, "epoll_create1", d->rl.name, errno,
					     "cannot create the event loop");
	}
	if (st == TK_OK) {
		control_init(&d->k, d->ctx, d->lfd, d->epfd, render, d);
		d->k.spare = spare;
		if ((st = watch(d, tk_tunnel_handle(d->t), EV_ENGINE, err)) == TK_OK &&
		    (st = watch(d, d->sfd, EV_SIGNAL, err)) == TK_OK &&
		    (d->ifd < 0 || (st = watch(d, d->ifd, EV_WATCH, err)) == TK_OK))
			st = watch(d, d->lfd, EV_LISTEN, err);
	}
	if (st == TK_OK && d->o->ready)
		d->o->ready(s);
	tk_tunnel_snapshot_free(s);
	return st;
}

tk_status tunnel_daemon_run(tk_ctx *ctx, tk_tunnel_config *cfg, const struct tunnel_daemon_opts *o,
			    tk_error *err)
{
	struct daemon d;
	sigset_t set, old;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;

	memset(&d, 0, sizeof(d));
	d.ctx = ctx;
	d.o = o;
	d.epfd = d.sfd = d.lfd = d.ifd = -1;
	d.k.spare = -1;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		d.k.c[i].fd = -1;
	d.rl.ctx = ctx;
	snprintf(d.rl.name, sizeof(d.rl.name), "%s", tk_tunnel_config_name(cfg));
	snprintf(d.rl.origin, sizeof(d.rl.origin), "%s", tk_tunnel_config_origin(cfg));
	if (tk_tunnel_config_control(cfg)[0])
		snprintf(d.control, sizeof(d.control), "%s", tk_tunnel_config_control(cfg));
	else
		control_default(d.rl.name, d.control, sizeof(d.control));

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* the daemon's own process: the signals arrive through the signalfd, in the loop */
	int r = pthread_sigmask(SIG_BLOCK, &set, &old);
	if (r != 0) {
		tk_tunnel_config_free(cfg);
		return tunnel_error(err, TK_E_INTERNAL, "pthread_sigmask", "signals", TK_OS_ERRNO,
				    r, "cannot block signals");
	}
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe); /* a status client that hangs up must not kill us */
	d.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	tk_status st;
	if (d.sfd < 0) {
		tk_tunnel_config_free(cfg);
		st = tunnel_os_error(err, "signalfd", "signals", errno, "cannot create a signalfd");
	} else {
		st = start(&d, cfg, err);
	}
	if (st == TK_OK)
		st = loop(&d, err);
	if (d.epfd >= 0)
		control_free(&d.k);
	else if (d.k.spare >= 0)
		close(d.k.spare);
	/* the adapter first: a non-persistent one goes away with the engine */
	tk_tunnel_free(d.t);
	control_close(d.lfd, d.control);
	if (d.sfd >= 0)
		close(d.sfd);
	if (d.ifd >= 0)
		close(d.ifd);
	if (d.epfd >= 0)
		close(d.epfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return st;
}
