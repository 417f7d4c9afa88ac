// SPDX-License-Identifier: MIT
/*
 * tk-forward: a two-port forwarder between TAP adapters, built on tapkit's public API only.
 *
 *   tk-forward NETNS_A:TAP_A NETNS_B:TAP_B [--count N] [--timeout SECONDS]
 *
 * Each TAP is opened inside its network namespace (/run/netns/NAME, as made by `ip netns add`):
 * a TUN/TAP file stays bound to the namespace it was opened in, so after opening both we return
 * to our own namespace and simply move frames between the two descriptors. An empty NETNS (":tap0"
 * or just "tap0") means the current namespace. One line per frame on stdout; it ends on SIGINT or
 * SIGTERM, after N frames, or after the timeout (a failure if --count was not reached by then).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tapkit.h>

struct port {
	char spec[300];
	const char *netns; /* "" for the current one */
	const char *name;
	tk_dev *dev;
	char label; /* 'a' or 'b' */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tk-forward NETNS_A:TAP_A NETNS_B:TAP_B [--count N] [--timeout SECONDS]\n"
		   "  Opens TAP_A inside network namespace NETNS_A and TAP_B inside NETNS_B (both\n"
		   "  must exist) and copies Ethernet frames between them, one line per frame.\n");
}

static void print_error(const char *what, const tk_error *err)
{
	char buf[1024];

	fprintf(stderr, "tk-forward: %s: %s\n", what, tk_error_format(err, buf, sizeof(buf)));
	if (err->remedy[0])
		fprintf(stderr, "  cause:  %s\n  fix:    %s\n", tk_status_name(err->status),
			err->remedy);
}

/* strerror_r (the GNU one, _GNU_SOURCE is set by the build): strerror is not thread-safe. */
static void print_sys(const char *what, const char *object, int e)
{
	char buf[128];

	fprintf(stderr, "tk-forward: %s %s: %s (errno %d)\n", what, object,
		strerror_r(e, buf, sizeof(buf)), e);
}

static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	if (!text || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_port(const char *arg, struct port *p, char label)
{
	char *colon;

	if (strlen(arg) >= sizeof(p->spec))
		return -1;
	memcpy(p->spec, arg, strlen(arg) + 1);
	p->label = label;
	colon = strchr(p->spec, ':');
	if (colon) {
		*colon = '\0';
		p->netns = p->spec;
		p->name = colon + 1;
	} else {
		p->netns = "";
		p->name = p->spec;
	}
	if (!p->name[0] || strchr(p->netns, '/'))
		return -1;
	return 0;
}

/* Enters a namespace by the path `ip netns add` bind-mounts it at. */
static int enter_netns_path(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		print_sys("open", path, errno);
		if (errno == ENOENT)
			fprintf(stderr, "  fix:    create it with: ip netns add NAME\n");
		return -1;
	}
	ret = setns(fd, CLONE_NEWNET);
	if (ret < 0) {
		print_sys("setns", path, errno);
		if (errno == EPERM)
			fprintf(stderr,
				"  fix:    run as root (entering a namespace needs CAP_SYS_ADMIN)\n");
	}
	close(fd);
	return ret;
}

/* Opens one port inside its namespace, then returns to ours (home_fd). */
static int open_port(tk_ctx *ctx, struct port *p, int home_fd)
{
	tk_open_opts opts = { 0 };
	tk_error err;
	tk_status st;

	if (p->netns[0]) {
		char path[320];

		snprintf(path, sizeof(path), "/run/netns/%s", p->netns);
		if (enter_netns_path(path) < 0)
			return -1;
	}
	opts.name = p->name;
	opts.mode = TK_MODE_TAP;
	/* The TAPs are prepared (addresses, MACs) beforehand: never make an empty one here. */
	opts.flags = TK_OPEN_NO_CREATE | TK_OPEN_NONBLOCK;
	st = tk_dev_open(ctx, &opts, &p->dev, &err);
	if (p->netns[0] && setns(home_fd, CLONE_NEWNET) < 0) {
		print_sys("setns", "(back to our namespace)", errno);
		if (st == TK_OK)
			tk_dev_close(p->dev);
		p->dev = NULL;
		return -1;
	}
	if (st != TK_OK) {
		char what[340];

		snprintf(what, sizeof(what), "open %s%s%s", p->netns, p->netns[0] ? ":" : "",
			 p->name);
		print_error(what, &err);
		return -1;
	}
	return 0;
}

static void print_frame(const struct port *from, const struct port *to, const uint8_t *f,
			size_t len)
{
	char src[24] = "?", dst[24] = "?";
	unsigned int type = 0;

	if (len >= 14) {
		tk_mac_format(f, dst, sizeof(dst));
		tk_mac_format(f + 6, src, sizeof(src));
		type = (unsigned int)f[12] << 8 | f[13];
	}
	printf("%c->%c %zu bytes %s > %s type 0x%04x\n", from->label, to->label, len, src, dst,
	       type);
}

/* Moves what is ready on `from` to `to`. Returns 1 per frame moved, 0 if none, -1 on a fatal
 * error (the adapter went away). A frame the other side refuses (its link is down) is dropped
 * with a note, as a switch would. */
static int forward_one(struct port *from, struct port *to, uint8_t *buf)
{
	tk_error err;
	size_t len = 0;
	tk_status st;
	char what[340];

	st = tk_dev_read(from->dev, buf, TK_FRAME_BUF_MAX, &len, &err);
	if (st == TK_E_AGAIN || st == TK_E_INTERRUPTED)
		return 0;
	if (st != TK_OK) {
		snprintf(what, sizeof(what), "read %s", from->name);
		print_error(what, &err);
		return -1;
	}
	print_frame(from, to, buf, len);
	st = tk_dev_write(to->dev, buf, len, &err);
	if (st == TK_E_DEVICE_VANISHED) {
		snprintf(what, sizeof(what), "write %s", to->name);
		print_error(what, &err);
		return -1;
	}
	if (st != TK_OK) {
		snprintf(what, sizeof(what), "write %s (frame dropped)", to->name);
		print_error(what, &err);
	}
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int run_loop(struct port ports[2], unsigned long count, unsigned long timeout_s)
{
	static uint8_t buf[TK_FRAME_BUF_MAX];
	uint64_t deadline = timeout_s ? now_ms() + timeout_s * 1000u : 0;
	unsigned long frames = 0;
	struct pollfd pfd[2];
	int i;

	for (i = 0; i < 2; i++) {
		pfd[i].fd = tk_dev_handle(ports[i].dev);
		pfd[i].events = POLLIN;
	}
	while (!stop_signal && (!count || frames < count)) {
		int wait_ms = 250, n;

		if (deadline) {
			uint64_t now = now_ms();

			if (now >= deadline)
				break;
			if (deadline - now < (uint64_t)wait_ms)
				wait_ms = (int)(deadline - now);
		}
		n = poll(pfd, 2, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			print_sys("poll", "", errno);
			return 1;
		}
		for (i = 0; i < 2 && n > 0; i++) {
			int moved;

			/* POLLERR: the adapter was deleted; the read reports it with its cause. */
			if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			moved = forward_one(&ports[i], &ports[1 - i], buf);
			if (moved < 0)
				return 1;
			frames += (unsigned long)moved;
		}
	}
	if (stop_signal)
		fprintf(stderr, "tk-forward: stopped by signal %d after %lu frames\n",
			(int)stop_signal, frames);
	if (count && frames < count && !stop_signal) {
		fprintf(stderr, "tk-forward: timed out after %lu s with %lu of %lu frames\n",
			timeout_s, frames, count);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct port ports[2];
	unsigned long count = 0, timeout_s = 0;
	struct sigaction sa;
	tk_ctx *ctx = NULL;
	tk_error err;
	int i, nports = 0, ret = 1, home_fd;

	memset(ports, 0, sizeof(ports));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			if (parse_uint(argv[++i], 1000000000ul, &count) < 0 || !count)
				goto bad_usage;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			if (parse_uint(argv[++i], 86400ul, &timeout_s) < 0 || !timeout_s)
				goto bad_usage;
		} else if (argv[i][0] != '-' && nports < 2) {
			if (parse_port(argv[i], &ports[nports], nports ? 'b' : 'a') < 0)
				goto bad_usage;
			nports++;
		} else {
			goto bad_usage;
		}
	}
	if (nports != 2)
		goto bad_usage;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (tk_ctx_new(&ctx, &err) != TK_OK) {
		print_error("start", &err);
		return 1;
	}
	tk_ctx_set_logger(ctx, tk_log_stderr_text, NULL, TK_LOG_WARN);
	/*
	 * Our own namespace, to come back to after opening each port. Opened now: once we have
	 * entered another one, /proc/self/ns/net names that one.
	 */
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0) {
		print_sys("open", "/proc/self/ns/net", errno);
		goto out;
	}
	if (open_port(ctx, &ports[0], home_fd) < 0 || open_port(ctx, &ports[1], home_fd) < 0) {
		close(home_fd);
		goto out;
	}
	close(home_fd);
	printf("forwarding %s:%s <-> %s:%s\n", ports[0].netns, ports[0].name, ports[1].netns,
	       ports[1].name);
	ret = run_loop(ports, count, timeout_s);
out:
	tk_dev_close(ports[1].dev);
	tk_dev_close(ports[0].dev);
	tk_ctx_free(ctx);
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
