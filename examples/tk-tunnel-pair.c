// SPDX-License-Identifier: MIT
/*
 * tk-tunnel-pair: two tunnels in one process, on tapkit's public API only (tk_tunnel_*).
 *
 *   tk-tunnel-pair NETNS_A UNDERLAY_A NETNS_B UNDERLAY_B [SECONDS]
 *
 * One thread per tunnel: each enters its network namespace (/run/netns/NAME; setns changes the
 * calling thread only), builds a configuration with the setters (plain VXLAN on UNDERLAY:4789,
 * adapter tkpa 10.250.8.1/24 or tkpb 10.250.8.2/24, the other as peer), starts the engine and
 * runs it. The main thread prints "pair running" once both forward, waits SECONDS (default 30)
 * or for SIGINT/SIGTERM, then stops both with tk_tunnel_stop from its own thread. Each tunnel
 * thread prints its counters from tk_tunnel_stats and frees the engine. The library takes no
 * process-wide state: the signals here are this program's business.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setns */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tapkit.h>

struct side {
	const char *netns, *underlay, *peer;
	const char *name, *addr;
	pthread_t thread;
	tk_tunnel *t;
	tk_status st; /* the start's or the run's outcome */
	tk_error err;
	bool ready, done;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

static void report(struct side *s, bool ready, bool done)
{
	pthread_mutex_lock(&lock);
	s->ready |= ready;
	s->done |= done;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/* The configuration, key by key: the same setters the file reader uses. */
static tk_status configure(tk_ctx *ctx, const struct side *s, tk_tunnel_config **out, tk_error *err)
{
	char ep[80];
	size_t peer = 0;
	tk_tunnel_config *c = NULL;
	tk_status st = tk_tunnel_config_new(ctx, &c, err);

	snprintf(ep, sizeof(ep), "%s:4789", s->underlay);
	if (st == TK_OK)
		st = tk_tunnel_config_set(c, "Name", s->name, err);
	if (st == TK_OK)
		st = tk_tunnel_config_set(c, "ListenAddress", ep, err);
	if (st == TK_OK)
		st = tk_tunnel_config_set(c, "Address", s->addr, err);
	if (st == TK_OK)
		st = tk_tunnel_config_add_peer(c, &peer, err);
	snprintf(ep, sizeof(ep), "%s:4789", s->peer);
	if (st == TK_OK)
		st = tk_tunnel_config_peer_set(c, peer, "Endpoint", ep, err);
	if (st != TK_OK) {
		tk_tunnel_config_free(c);
		return st;
	}
	*out = c;
	return TK_OK;
}

static void *side_main(void *arg)
{
	struct side *s = arg;
	tk_ctx *ctx = NULL;
	tk_tunnel_config *cfg = NULL;
	char path[300];

	snprintf(path, sizeof(path), "/run/netns/%s", s->netns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		char ebuf[128];
		fprintf(stderr, "%s: cannot enter network namespace %s: %s\n", s->name, s->netns,
			strerror_r(errno, ebuf, sizeof(ebuf)));
		if (fd >= 0)
			close(fd);
		s->st = TK_E_IO;
		report(s, false, true);
		return NULL;
	}
	close(fd);
	/* one context per tunnel: its netlink socket is made in this thread's namespace */
	s->st = tk_ctx_new(&ctx, &s->err);
	if (s->st == TK_OK)
		s->st = configure(ctx, s, &cfg, &s->err);
	if (s->st == TK_OK)
		s->st = tk_tunnel_new(ctx, cfg, &s->t, &s->err); /* takes cfg */
	if (s->st != TK_OK) {
		report(s, false, true);
		tk_ctx_free(ctx);
		return NULL;
	}
	report(s, true, false);
	s->st = tk_tunnel_run(s->t, &s->err);
	report(s, false, true); /* from here main no longer calls tk_tunnel_stop on it */

	tk_tunnel_snapshot *snap = NULL;
	tk_error e = { 0 };
	if (tk_tunnel_stats(s->t, &snap, &e) == TK_OK) {
		for (size_t i = 0; i < snap->npeers; i++)
			printf("%s: peer %s rx_frames %" PRIu64 " tx_frames %" PRIu64 "\n",
			       snap->adapter, snap->peers[i].endpoint, snap->peers[i].rx_frames,
			       snap->peers[i].tx_frames);
		tk_tunnel_snapshot_free(snap);
	}
	tk_tunnel_free(s->t);
	tk_ctx_free(ctx);
	return NULL;
}

/* Waits until both are ready or one is done; true when both run. */
static bool wait_ready(struct side *sides)
{
	bool ok;
	pthread_mutex_lock(&lock);
	while (!((sides[0].ready || sides[0].done) && (sides[1].ready || sides[1].done)))
		pthread_cond_wait(&changed, &lock);
	ok = sides[0].ready && sides[1].ready && !sides[0].done && !sides[1].done;
	pthread_mutex_unlock(&lock);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: tk-tunnel-pair NETNS_A UNDERLAY_A NETNS_B UNDERLAY_B "
				"[SECONDS]\n");
		return 2;
	}
	struct side sides[2] = {
		{ .netns = argv[1],
		  .underlay = argv[2],
		  .peer = argv[4],
		  .name = "tkpa",
		  .addr = "10.250.8.1/24" },
		{ .netns = argv[3],
		  .underlay = argv[4],
		  .peer = argv[2],
		  .name = "tkpb",
		  .addr = "10.250.8.2/24" },
	};
	long seconds = argc > 5 ? strtol(argv[5], NULL, 10) : 30;
	sigset_t set;

	/* blocked in every thread (they inherit the mask): only sigtimedwait below takes them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&sides[i].thread, NULL, side_main, &sides[i]) != 0) {
			fprintf(stderr, "cannot start a thread\n");
			return 1;
		}
	bool ok = wait_ready(sides);
	if (ok) {
		printf("pair running: tkpa in %s, tkpb in %s\n", sides[0].netns, sides[1].netns);
		fflush(stdout);
		struct timespec ts = { .tv_sec = seconds > 0 ? (time_t)seconds : 30 };
		int sig = sigtimedwait(&set, NULL, &ts);
		printf("stopping (%s)\n", sig > 0 ? "signal" : "time is up");
		fflush(stdout);
	}
	/* from this thread, not the ones running the loops */
	for (int i = 0; i < 2; i++) {
		pthread_mutex_lock(&lock); /* the thread frees its tunnel only after marking done */
		if (sides[i].ready && !sides[i].done)
			tk_tunnel_stop(sides[i].t);
		pthread_mutex_unlock(&lock);
	}
	int rc = ok ? 0 : 1;
	for (int i = 0; i < 2; i++) {
		pthread_join(sides[i].thread, NULL);
		if (sides[i].st != TK_OK) {
			char buf[TK_ERROR_TEXT_MAX * 2];
			fprintf(stderr, "%s: %s\n", sides[i].name,
				tk_error_format(&sides[i].err, buf, sizeof(buf)));
			rc = 1;
		}
	}
	printf("pair stopped\n");
	return rc;
}
