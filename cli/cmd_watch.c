/* SPDX-License-Identifier: MIT */
/*
 * `tapkit watch --config FILE [--once]`: applies a declared configuration to TUN/TAP adapters
 * as they appear (docs/watch.md). The library logs every action and failure (info level by
 * default for this verb); SIGHUP reloads the file, keeping the old configuration when the new
 * one is bad; SIGINT/SIGTERM stop.
 */
#include "cli.h"

#include <string.h>

static const char watch_usage[] =
	"usage: tapkit watch --config FILE [--once]\n"
	"\n"
	"Applies FILE's [Adapter] sections (Up, MTU, Address, MAC, Master) to every matching\n"
	"TUN/TAP adapter that exists, then to each one the moment it appears or is re-created.\n"
	"Each action and each failure is logged with its cause and trace id (stderr; --log-level\n"
	"and --log-format apply; the default level here is info). Transient failures are retried.\n"
	"\n"
	"Signals: SIGHUP re-reads FILE (a bad file is rejected with FILE:LINE and the old\n"
	"configuration stays in force); SIGINT and SIGTERM stop.\n"
	"\n"
	"Options:\n"
	"  --config FILE   the configuration (format: docs/watch.md)\n"
	"  --once          apply to the adapters that exist now, then exit (for boot scripts)\n"
	"  --help          this help\n"
	"\n"
	"Prints \"watching FILE\" on stdout once it follows link events.\n"
	"Exit status: 0 on SIGINT/SIGTERM, or with --once when every adapter was configured;\n"
	"1 when an adapter could not be configured (--once); 2 for a bad configuration.\n"
	"\n"
	"Example (FILE):\n"
	"  [Adapter tap*]\n"
	"  Up = true\n"
	"  MTU = 1400\n"
	"  Address = 10.250.1.1/30\n";

#if defined(_WIN32)

static int watch_run(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(cli, "watch is not available on Windows yet");
}

#else

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

static volatile sig_atomic_t got_hup;
static volatile sig_atomic_t got_stop;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/*
 * The three signals are blocked except while waiting in ppoll, so one arriving between two
 * checks of the flags cannot be lost: it interrupts the next wait instead.
 */
static int signals_setup(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &block, wait_mask) != 0)
		return -1;
	sigdelset(wait_mask, SIGHUP);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	if (sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	return 0;
}

static void reload(struct cli *cli, tk_watch *w, const char *path)
{
	tk_watch_config *cfg = NULL;
	tk_error err = { 0 };
	tk_status st = tk_watch_config_load(cli->ctx, path, &cfg, &err);
	if (st != TK_OK) {
		fprintf(stderr,
			"tapkit watch: reload of %s rejected; the previous configuration "
			"stays in force\n",
			path);
		cli_error_text(stderr, &err, cli->color_err);
		tk_log_field f[] = { { "config", path }, { "cause", tk_status_name(st) } };
		tk_log(cli->ctx, TK_LOG_WARN, "cli.watch", f, CLI_ARRAY_SIZE(f),
		       "reload rejected, previous configuration stays in force");
		return;
	}
	memset(&err, 0, sizeof(err));
	/* Each failure to configure an adapter is logged by the library, with its cause. */
	if (tk_watch_reload(w, cfg, &err) != TK_OK)
		fprintf(stderr, "tapkit watch: reloaded %s; some adapters were not configured\n",
			path);
}

static int follow(struct cli *cli, tk_watch *w, const char *path, const sigset_t *wait_mask)
{
	struct pollfd pfd = { .fd = tk_watch_handle(w), .events = POLLIN };
	tk_error err = { 0 };

	printf("watching %s\n", path);
	fflush(stdout);
	while (!got_stop) {
		if (got_hup) {
			got_hup = 0;
			reload(cli, w, path);
			continue;
		}
		int r = ppoll(&pfd, 1, NULL, wait_mask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "tapkit watch: waiting for link events failed (errno %d)\n",
				errno);
			return CLI_EXIT_FAILURE;
		}
		memset(&err, 0, sizeof(err));
		tk_status st = tk_watch_dispatch(w, 0, &err);
		if (st != TK_OK && st != TK_E_TIMEOUT && st != TK_E_INTERRUPTED)
			return cli_fail(cli, st, &err);
	}
	return CLI_EXIT_OK;
}

static int watch_run(struct cli *cli, int argc, char **argv)
{
	struct cli_opt opts[] = { { .name = "--config", .takes_value = true },
				  { .name = "--once" } };
	size_t npos = 0;
	tk_error err = { 0 };
	tk_watch_config *cfg = NULL;
	tk_watch *w = NULL;
	sigset_t wait_mask;

	int rc = cli_args_parse(cli, argc, argv, opts, CLI_ARRAY_SIZE(opts), NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	const char *path = opts[0].value;
	bool once = opts[1].seen;
	if (!path || !*path)
		return cli_usage_error(cli, "--config FILE is required");
	/* Before anything is applied, so a SIGHUP during the first pass is not lost. */
	if (!once && signals_setup(&wait_mask) != 0) {
		fprintf(stderr, "tapkit watch: cannot install signal handlers (errno %d)\n", errno);
		return CLI_EXIT_FAILURE;
	}
	tk_status st = tk_watch_config_load(cli->ctx, path, &cfg, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	st = tk_watch_new(cli->ctx, cfg, &w, &err); /* takes cfg */
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	size_t applied = 0, failed = 0;
	memset(&err, 0, sizeof(err));
	st = tk_watch_apply_all(w, &applied, &failed, &err);
	if (once) {
		if (st != TK_OK)
			rc = failed ? CLI_EXIT_FAILURE : cli_fail(cli, st, &err);
		else
			rc = CLI_EXIT_OK;
		if (!cli->json)
			printf("configured %zu adapter(s), %zu failed\n", applied, failed);
		tk_watch_free(w);
		return rc;
	}
	rc = follow(cli, w, path, &wait_mask);
	tk_watch_free(w);
	return rc;
}

#endif

const struct cli_verb cli_verb_watch = {
	.name = "watch",
	.run = watch_run,
	.summary = "apply a configuration to adapters as they appear",
	.usage = watch_usage,
	.log_info = true,
};
