/* SPDX-License-Identifier: MIT */
/*
 * The control socket of a running tunnel: a UNIX stream socket (/run/tapkit/tunnel-DEV.sock,
 * directory 0700 and socket 0600, so only root gets in; the peer's credentials are checked as
 * well). A client writes one line, "json" or "text", and reads the status document until EOF.
 * The tunnel answers between two events of its loop: the document is rendered into memory
 * first, so a slow client holds the loop at most for the socket's send timeout.
 */
#include "tunnel_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define SUB "tunnel.control"

void tk__control_path(const char *dev, char *out, size_t size)
{
	snprintf(out, size, "%s/tunnel-%s.sock", TK__CONTROL_DIR, dev);
}

static bool addr_fill(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return false;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return true;
}

/*
 * Makes the socket's directory (0700) when it is missing, then checks the one that is there:
 * owned by root (or us) and writable by nobody else, since whoever may write there can plant a
 * socket of their own in the path (and serve fake status to clients) or squat on it.
 */
static tk_status dir_check(const char *path, tk_error *err)
{
	char dir[TK__PATH_MAX];
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
		return tk__error_set_quiet(err, TK_E_CONFIG, "control socket", dir, TK_OS_ERRNO,
					   errno, "the control socket's directory is not usable");
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		tk__error_set_quiet(err, TK_E_CONFIG, "control socket", dir, TK_OS_NONE, 0,
				    "the control socket's directory is owned by uid %u, not root: "
				    "its owner could plant a socket there",
				    (unsigned)sb.st_uid);
		tk__error_remedy(err,
				 "chown root %s, or choose a ControlSocket in a directory only "
				 "root can write (the default, /run/tapkit)",
				 dir);
		return TK_E_CONFIG;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		tk__error_set_quiet(err, TK_E_CONFIG, "control socket", dir, TK_OS_NONE, 0,
				    "the control socket's directory is writable by group or others "
				    "(mode %04o): anyone there could plant a socket",
				    (unsigned)(sb.st_mode & 07777));
		tk__error_remedy(err,
				 "chmod go-w %s, or choose a ControlSocket in a directory only "
				 "root can write (the default, /run/tapkit)",
				 dir);
		return TK_E_CONFIG;
	}
	return TK_OK;
}

/*
 * One descriptor held back for the moment the process has none left: a client waiting in the
 * listen queue makes the socket readable until it is accepted, and an accept that fails with
 * EMFILE would leave it there, waking the loop forever (a busy loop at 100% CPU). Closing the
 * spare lets that client be accepted and hung up on.
 */
static int spare_fd = -1;

tk_status tk__control_listen(tk_ctx *ctx, const char *path, int *out, tk_error *err)
{
	struct sockaddr_un sun;
	tk_status st;

	(void)ctx;
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!addr_fill(path, &sun))
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "control socket", path,
					   TK_OS_NONE, 0, "the path is too long for a UNIX socket");
	if ((st = dir_check(path, err)) != TK_OK)
		return st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tk__tunnel_os_error(err, "socket", path, errno,
					   "cannot create the control socket");
	/* a live tunnel answers; a stale file from a killed one refuses and is replaced */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EINPROGRESS ||
	    errno == EAGAIN) {
		st = tk__error_set_quiet(err, TK_E_ADAPTER_BUSY, "control socket", path, TK_OS_NONE,
					 0, "another tunnel is running with this control socket");
		tk__error_remedy(err, "stop it first, or give this one another adapter name");
		goto out_close;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tk__tunnel_os_error(err, "socket", path, errno,
					   "cannot create the control socket");
	/* the mode is right from the first moment: no window in which others could connect */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	umask(old);
	if (r != 0) {
		st = tk__error_set_quiet(err, e == EACCES ? TK_E_NO_PRIVILEGE : TK_E_IO, "bind",
					 path, TK_OS_ERRNO, e, "cannot create the control socket");
		goto out_close;
	}
	if (listen(fd, 8) != 0) {
		st = tk__error_set_quiet(err, TK_E_IO, "listen", path, TK_OS_ERRNO, errno,
					 "cannot listen on the control socket");
		unlink(path);
		goto out_close;
	}
	*out = fd;
	return TK_OK;
out_close:
	close(fd);
	return st;
}

void tk__control_serve(tk_ctx *ctx, int lfd, tk__tunnel_render_fn *render,
		       const struct tk__tunnel_view *v)
{
	struct ucred cred, owner;
	socklen_t clen = sizeof(cred), olen = sizeof(owner);
	char req[64];
	size_t n = 0;
	char *doc = NULL;
	size_t doclen = 0;

	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
		close(spare_fd);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd); /* the client sees the connection closed, the loop goes on */
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return;
	}
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/*
	 * The 0600 mode is the guard; the credentials are a second one (e.g. a chmod by hand). The
	 * listening socket's own SO_PEERCRED are ours as they were at listen(2): root's, also after
	 * the tunnel dropped to its User, who is not let in.
	 */
	if (getsockopt(lfd, SOL_SOCKET, SO_PEERCRED, &owner, &olen) != 0)
		owner.uid = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 ||
	    (cred.uid != 0 && cred.uid != owner.uid)) {
		tk_log(ctx, TK_LOG_WARN, SUB, NULL, 0,
		       "refused a status request from a non-root user");
		goto out;
	}
	while (n < sizeof(req) - 1) {
		ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = '\0';
	FILE *f = open_memstream(&doc, &doclen);
	if (!f)
		goto out;
	render(f, v, strncmp(req, "json", 4) == 0);
	if (fclose(f) != 0)
		goto out;
	for (size_t off = 0; off < doclen;) {
		ssize_t w = send(fd, doc + off, doclen - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
out:
	free(doc);
	close(fd);
}

tk_status tk__control_query(const char *path, bool json, FILE *out, tk_error *err)
{
	struct sockaddr_un sun;
	char buf[4096];
	tk_status st = TK_OK;

	if (!addr_fill(path, &sun))
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "control socket", path,
					   TK_OS_NONE, 0, "the path is too long for a UNIX socket");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tk__error_set_quiet(err, TK_E_IO, "socket", path, TK_OS_ERRNO, errno,
					   "cannot create a socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			st = tk__error_set_quiet(err, TK_E_NO_PRIVILEGE, "connect", path,
						 TK_OS_ERRNO, e,
						 "the tunnel's control socket is root's only");
			tk__error_remedy(err, "run as root (sudo tapkit tunnel status)");
		} else {
			st = tk__error_set_quiet(err, TK_E_ADAPTER_NOT_FOUND, "connect", path,
						 TK_OS_ERRNO, e, "no tunnel is running here");
			tk__error_remedy(err, "start one: tapkit tunnel run --config FILE (or see "
					      "`tapkit tunnel status` for the running ones)");
		}
		goto out;
	}
	const char *req = json ? "json\n" : "text\n";
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		st = tk__error_set_quiet(err, TK_E_IO, "write", path, TK_OS_ERRNO, errno,
					 "cannot send the request");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = tk__error_set_quiet(err, TK_E_IO, "read", path, TK_OS_ERRNO, errno,
						 "cannot read the status");
			goto out;
		}
		if (r == 0)
			break;
		fwrite(buf, 1, (size_t)r, out);
	}
out:
	close(fd);
	return st;
}
