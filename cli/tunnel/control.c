/* SPDX-License-Identifier: MIT */
/*
 * The tunnel daemon's control socket. By default an abstract UNIX socket, "@tapkit/tunnel/DEV":
 * the kernel scopes abstract names to the network namespace, so every namespace (every
 * container with its tap0) has its own, and `ip netns exec X tapkit tunnel status` reaches X's
 * tunnel. An abstract socket has no file mode: the guard is the peer's credentials
 * (SO_PEERCRED), root or the user the daemon started as. A ControlSocket path is also accepted
 * (directory 0700 and socket 0600, root's, as before).
 *
 * A client writes one line ("json"; anything else is answered the same) and reads the status
 * document (JSON, docs/json.md) until EOF: the client renders text from it. Clients are
 * served without ever blocking the loop that forwards frames: non-blocking sockets, at most
 * CONTROL_CLIENTS_MAX at once, and a total deadline for each, so a client that trickles its
 * request (or reads its answer a byte at a time) costs the data path nothing.
 */
#include "tunnel.h"

#include "json_read.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUB	    "tunnel.control"
#define CONTROL_DIR "/run/tapkit"
#define QUERY_MS    5000

void control_default(const char *dev, char *out, size_t size)
{
	snprintf(out, size, "%s%s", CONTROL_ABSTRACT_PREFIX, dev);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool is_abstract(const char *where)
{
	return where[0] == '@';
}

/* The address of where ("@name": abstract, no NUL at the end; else a path). */
static bool addr_fill(const char *where, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(where);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n >= sizeof(sun->sun_path))
		return false;
	memcpy(sun->sun_path, where, n);
	if (is_abstract(where))
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !is_abstract(where));
	return true;
}

/*
 * A path's directory is made (0700) when missing, then checked: owned by root (or us) and
 * writable by nobody else, since whoever may write there can plant a socket of their own in
 * the path (and serve fake status to clients) or squat on it.
 */
static tk_status dir_check(const char *path, tk_error *err)
{
	char dir[256];
	struct stat sb;
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return TK_OK;
	if (slash == path) {
		dir[0] = '/';
		dir[1] = '\0';
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	(void)mkdir(dir, 0700); /* EEXIST is the usual case; any other failure shows below */
	if (stat(dir, &sb) != 0)
		return tunnel_error(err, TK_E_CONFIG, "control socket", dir, TK_OS_ERRNO, errno,
				    "the control socket's directory is not usable");
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		tunnel_error(err, TK_E_CONFIG, "control socket", dir, TK_OS_NONE, 0,
			     "the control socket's directory is owned by uid %u, not root: "
			     "its owner could plant a socket there",
			     (unsigned)sb.st_uid);
		tunnel_remedy(err,
			      "chown root %s, or choose a ControlSocket in a directory only root "
			      "can write (e.g. %s), or the default (an abstract socket)",
			      dir, CONTROL_DIR);
		return TK_E_CONFIG;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		tunnel_error(err, TK_E_CONFIG, "control socket", dir, TK_OS_NONE, 0,
			     "the control socket's directory is writable by group or others "
			     "(mode %04o): anyone there could plant a socket",
			     (unsigned)(sb.st_mode & 07777));
		tunnel_remedy(err,
			      "chmod go-w %s, or choose a ControlSocket in a directory only root "
			      "can write (e.g. %s), or the default (an abstract socket)",
			      dir, CONTROL_DIR);
		return TK_E_CONFIG;
	}
	return TK_OK;
}

static tk_status busy(const char *where, tk_error *err)
{
	tunnel_error(err, TK_E_ADAPTER_BUSY, "control socket", where, TK_OS_NONE, 0,
		     "another tunnel is running with this control socket (in this network "
		     "namespace)");
	tunnel_remedy(err, "stop it first, or give this one another adapter name");
	return TK_E_ADAPTER_BUSY;
}

tk_status control_listen(const char *where, int *out, tk_error *err)
{
	struct sockaddr_un sun;
	socklen_t slen;
	tk_status st;

	if (!addr_fill(where, &sun, &slen))
		return tunnel_error(err, TK_E_BAD_ARGUMENT, "control socket", where, TK_OS_NONE, 0,
				    "the name is too long for a UNIX socket");
	if (!is_abstract(where) && (st = dir_check(where, err)) != TK_OK)
		return st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tunnel_os_error(err, "socket", where, errno,
				       "cannot create the control socket");
	if (!is_abstract(where)) {
		/* a live tunnel answers; a stale file from a killed one refuses and is replaced */
		if (connect(fd, (struct sockaddr *)&sun, slen) == 0 || errno == EINPROGRESS ||
		    errno == EAGAIN) {
			close(fd);
			return busy(where, err);
		}
		close(fd);
		unlink(where);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return tunnel_os_error(err, "socket", where, errno,
					       "cannot create the control socket");
	}
	/* the mode is right from the first moment: no window in which others could connect */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sun, slen);
	int e = errno;
	umask(old);
	if (r != 0) {
		close(fd);
		if (e == EADDRINUSE)
			return busy(where, err); /* abstract: the kernel says a live one has it */
		return tunnel_error(err, e == EACCES ? TK_E_NO_PRIVILEGE : TK_E_IO, "bind", where,
				    TK_OS_ERRNO, e, "cannot create the control socket");
	}
	if (listen(fd, 8) != 0) {
		e = errno;
		if (!is_abstract(where))
			unlink(where);
		close(fd);
		return tunnel_error(err, TK_E_IO, "listen", where, TK_OS_ERRNO, e,
				    "cannot listen on the control socket");
	}
	*out = fd;
	return TK_OK;
}

void control_close(int fd, const char *where)
{
	if (fd < 0)
		return;
	close(fd);
	if (!is_abstract(where))
		(void)unlink(where); /* fails after a drop to User: the next start replaces it */
}

int control_spare_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void control_init(struct control *k, tk_ctx *ctx, int lfd, int epfd, control_render_fn *render,
		  void *user)
{
	struct ucred owner;
	socklen_t olen = sizeof(owner);

	memset(k, 0, sizeof(*k));
	k->ctx = ctx;
	k->lfd = lfd;
	k->epfd = epfd;
	k->render = render;
	k->user = user;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		k->c[i].fd = -1;
	k->spare = -1; /* the daemon hands one over, opened early: see control_spare_open */
	/*
	 * The listening socket's own SO_PEERCRED are ours as they were at listen(2): root's, also
	 * after the daemon dropped to its User, who is not let in.
	 */
	k->owner_uid = getsockopt(lfd, SOL_SOCKET, SO_PEERCRED, &owner, &olen) == 0
			       ? (uint32_t)owner.uid
			       : 0;
}

static void client_close(struct control *k, struct control_client *c)
{
	epoll_ctl(k->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->doc);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void control_accept(struct control *k)
{
	for (int round = 0; round < CONTROL_CLIENTS_MAX; round++) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		int fd = accept4(k->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && k->spare >= 0) {
			/*
			 * Out of descriptors: a client left in the queue would keep the socket
			 * readable and the loop spinning. The spare lets it be accepted and hung up.
			 */
			close(k->spare);
			fd = accept4(k->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			k->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
			return;
		}
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 ||
		    (cred.uid != 0 && cred.uid != k->owner_uid)) {
			tunnel_log(k->ctx, TK_LOG_WARN, SUB,
				   "refused a status request from uid %u (root only)",
				   (unsigned)cred.uid);
			close(fd);
			continue;
		}
		struct control_client *c = NULL;
		for (size_t i = 0; i < CONTROL_CLIENTS_MAX && !c; i++)
			if (k->c[i].fd < 0)
				c = &k->c[i];
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = (uint64_t)CONTROL_TAG << 32 | (uint32_t)fd };
		if (!c || epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd); /* busy: the client sees the connection closed and may retry */
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline_ns = now_ns() + (uint64_t)CONTROL_DEADLINE_MS * 1000000u;
	}
}

static struct control_client *client_of(struct control *k, int fd)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (k->c[i].fd == fd)
			return &k->c[i];
	return NULL;
}

/* Writes what the socket takes now; true when the client is done (sent or gone). */
static bool client_write(struct control_client *c)
{
	while (c->sent < c->doc_len) {
		ssize_t w = send(c->fd, c->doc + c->sent, c->doc_len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (w <= 0)
			return true;
		c->sent += (size_t)w;
	}
	return true;
}

void control_io(struct control *k, int fd)
{
	struct control_client *c = client_of(k, fd);
	if (!c)
		return;
	if (!c->doc) {
		for (;;) {
			ssize_t r = recv(fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len,
					 MSG_DONTWAIT);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return; /* more later, within the deadline */
			if (r <= 0)
				break; /* EOF or error: answer what was asked, if anything */
			c->req_len += (size_t)r;
			if (memchr(c->req, '\n', c->req_len) || c->req_len == sizeof(c->req) - 1)
				break;
		}
		c->req[c->req_len] = '\0';
		if (!k->render(k->user, &c->doc, &c->doc_len) || !c->doc) {
			client_close(k, c);
			return;
		}
		struct epoll_event ev = { .events = EPOLLOUT,
					  .data.u64 = (uint64_t)CONTROL_TAG << 32 | (uint32_t)fd };
		if (epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
			client_close(k, c);
			return;
		}
	}
	if (client_write(c))
		client_close(k, c);
}

int control_expire(struct control *k)
{
	uint64_t now = now_ns(), next = 0;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *c = &k->c[i];
		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ns) {
			tunnel_log(k->ctx, TK_LOG_DEBUG, SUB,
				   "status client too slow (over %d ms): hung up",
				   CONTROL_DEADLINE_MS);
			client_close(k, c);
		} else if (!next || c->deadline_ns < next) {
			next = c->deadline_ns;
		}
	}
	return next ? (int)((next - now) / 1000000u) + 1 : -1;
}

void control_free(struct control *k)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (k->c[i].fd >= 0)
			client_close(k, &k->c[i]);
	if (k->spare >= 0)
		close(k->spare);
	k->spare = -1;
}

/* Waits for fd to be ready for events until deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline)
			return false;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

tk_status control_query(const char *where, char **doc, size_t *len, tk_error *err)
{
	struct sockaddr_un sun;
	socklen_t slen;
	tk_status st = TK_OK;
	uint64_t deadline = now_ns() + (uint64_t)QUERY_MS * 1000000u;
	size_t got = 0, cap = 0;
	char *buf = NULL;

	*doc = NULL;
	*len = 0;
	if (!addr_fill(where, &sun, &slen))
		return tunnel_error(err, TK_E_BAD_ARGUMENT, "control socket", where, TK_OS_NONE, 0,
				    "the name is too long for a UNIX socket");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tunnel_error(err, TK_E_IO, "socket", where, TK_OS_ERRNO, errno,
				    "cannot create a socket");
	if (connect(fd, (struct sockaddr *)&sun, slen) != 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			st = tunnel_error(err, TK_E_NO_PRIVILEGE, "connect", where, TK_OS_ERRNO, e,
					  "the tunnel's control socket is root's only");
			tunnel_remedy(err, "run as root (sudo tapkit tunnel status)");
		} else {
			st = tunnel_error(err, TK_E_ADAPTER_NOT_FOUND, "connect", where,
					  TK_OS_ERRNO, e,
					  "no tunnel is running here (in this network namespace)");
			tunnel_remedy(err,
				      "start one: tapkit tunnel run --config FILE; for a tunnel in "
				      "another namespace: ip netns exec NS tapkit tunnel status");
		}
		goto out;
	}
	if (send(fd, "json\n", 5, MSG_NOSIGNAL) < 0) {
		st = tunnel_error(err, TK_E_IO, "write", where, TK_OS_ERRNO, errno,
				  "cannot send the request");
		goto out;
	}
	for (;;) {
		if (!wait_fd(fd, POLLIN, deadline)) {
			st = tunnel_error(err, TK_E_TIMEOUT, "read", where, TK_OS_NONE, 0,
					  "the tunnel did not finish its answer within %d ms "
					  "(%zu bytes so far)",
					  QUERY_MS, got);
			goto out;
		}
		if (cap - got < 4096) {
			if (cap >= CLI_JREAD_MAX) {
				st = tunnel_error(err, TK_E_IO, "read", where, TK_OS_NONE, 0,
						  "the answer is longer than %u bytes: not a "
						  "status document",
						  (unsigned)CLI_JREAD_MAX);
				tunnel_remedy(err,
					      "check what listens on %s (it is not a tunnel "
					      "of this tapkit)",
					      where);
				goto out;
			}
			char *nb = realloc(buf, cap ? cap * 2 : 16384);
			if (!nb) {
				st = tunnel_error(err, TK_E_NO_MEMORY, "read", where, TK_OS_NONE, 0,
						  "out of memory for the answer");
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 16384;
		}
		ssize_t r = read(fd, buf + got, cap - got - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = tunnel_error(err, TK_E_IO, "read", where, TK_OS_ERRNO, errno,
					  "cannot read the status (%zu bytes read)", got);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got == 0) {
		st = tunnel_error(err, TK_E_NO_PRIVILEGE, "read", where, TK_OS_NONE, 0,
				  "the tunnel hung up without an answer (only root, or the user "
				  "that started it, may ask)");
		tunnel_remedy(err, "run as root (sudo tapkit tunnel status)");
		goto out;
	}
	buf[got] = '\0';
	*doc = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return st;
}

size_t control_find(char *out, size_t size)
{
	/* /proc/net/unix lists the sockets of the reader's network namespace: exactly the scope */
	FILE *f = fopen("/proc/net/unix", "re");
	char line[512];
	size_t n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* Num RefCount Protocol Flags Type St Inode Path: the flags, and the path */
		char *save = NULL, *field[8] = { 0 };
		int nf = 0;
		for (char *tok = strtok_r(line, " \t\n", &save); tok && nf < 8;
		     tok = strtok_r(NULL, " \t\n", &save))
			field[nf++] = tok;
		if (nf < 8)
			continue;
		unsigned long flags = strtoul(field[3], NULL, 16);
		if (!(flags & 0x10000ul) || strncmp(field[7], CONTROL_ABSTRACT_PREFIX,
						    strlen(CONTROL_ABSTRACT_PREFIX)) != 0)
			continue; /* not listening (__SO_ACCEPTCON), or not a tunnel's */
		if (n++ == 0)
			snprintf(out, size, "%s", field[7]);
	}
	fclose(f);
	return n;
}
