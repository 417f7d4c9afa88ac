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
	"usage: tapkit watch [run] --config FILE [--once]\n"
	"       tapkit watch service install --config FILE [--log-file FILE]   (Windows)\n"
	"       tapkit watch service uninstall|start|stop|status               (Windows)\n"
	"\n"
	"Applies FILE's [Adapter] sections (Up, MTU, Address, MAC, Master; on Windows also\n"
	"Enable and ConnectionName) to every matching TUN/TAP adapter that exists, then to each\n"
	"one the moment it appears, is re-created or (Windows) re-enabled.\n"
	"Each action and each failure is logged with its cause and trace id (stderr; --log-level\n"
	"and --log-format apply; the default level here is info). Transient failures are retried.\n"
	"\n"
	"Linux signals: SIGHUP re-reads FILE (a bad file is rejected with FILE:LINE and the old\n"
	"configuration stays in force); SIGINT and SIGTERM stop.\n"
	"Windows: Ctrl-C, Ctrl-Break or closing the console stop; as a service, `service stop`.\n"
	"\n"
	"Options:\n"
	"  --config FILE   the configuration (format: docs/watch.md)\n"
	"  --once          apply to the adapters that exist now, then exit (for boot scripts)\n"
	"  --log-file FILE (Windows) append the log to FILE instead of stderr\n"
	"  --help          this help\n"
	"\n"
	"Windows service (elevated; the service \"tapkit-watch\" runs `tapkit watch run --config\n"
	"FILE` as LocalSystem, starts at boot and is restarted by the service manager after a\n"
	"failure; its log goes to --log-file, default %ProgramData%\\tapkit\\tapkit-watch.log):\n"
	"  service install --config FILE [--log-file FILE]   checks FILE, then installs\n"
	"  service uninstall | start | stop | status [--json]\n"
	"\n"
	"Prints \"watching FILE\" on stdout once it follows adapter events.\n"
	"Exit status: 0 when stopped, or with --once when every adapter was configured;\n"
	"1 when an adapter could not be configured (--once); 2 for a bad configuration.\n"
	"\n"
	"Example (FILE):\n"
	"  [Adapter tap*]\n"
	"  Up = true\n"
	"  MTU = 1400\n"
	"  Address = 10.250.1.1/30\n";

/* `watch run` and plain `watch` are one command. */
static void skip_run(int *argc, char ***argv)
{
	if (*argc > 1 && strcmp((*argv)[1], "run") == 0) {
		(*argv)[1] = (*argv)[0];
		(*argc)--;
		(*argv)++;
	}
}

/* Applies to what exists now; with once, reports and returns the exit code, else -1. */
static int first_pass(struct cli *cli, tk_watch *w, bool once)
{
	size_t applied = 0, failed = 0;
	tk_error err = { 0 };
	tk_status st = tk_watch_apply_all(w, &applied, &failed, &err);
	if (!once)
		return -1;
	int rc = CLI_EXIT_OK;
	if (st != TK_OK)
		rc = failed ? CLI_EXIT_FAILURE : cli_fail(cli, st, &err);
	if (!cli->json)
		printf("configured %zu adapter(s), %zu failed\n", applied, failed);
	return rc;
}

#if defined(_WIN32)

#include "winservice.h"

#include <windows.h>
#include <tlhelp32.h>

#define WATCH_SERVICE	  "tapkit-watch"
#define WATCH_SERVICE_CMD "tapkit watch service"
#define WATCH_SVC_WAIT_MS 30000

struct watch_body {
	struct cli *cli;
	const char *path;
	bool once;
	int rc;
};

/* This process's handles and threads, to show the watch leaves none behind (debug log). */
static void resources(DWORD *handles, DWORD *threads)
{
	*handles = 0;
	*threads = 0;
	GetProcessHandleCount(GetCurrentProcess(), handles);
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return;
	THREADENTRY32 te = { .dwSize = sizeof(te) };
	for (BOOL ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te))
		if (te.th32OwnerProcessID == GetCurrentProcessId())
			(*threads)++;
	CloseHandle(snap);
}

static int watch_loop(struct watch_body *b, HANDLE stop);

/* The loop, under the SCM or on the console: ends when `stop` is signalled. */
static int watch_body(HANDLE stop, void *user)
{
	struct watch_body *b = user;
	DWORD h0, t0, h1, t1;
	resources(&h0, &t0);
	int rc = watch_loop(b, stop);
	/*
	 * The console's Ctrl-C handler runs on a thread of its own that ends just after it set
	 * `stop`: give such threads up to 2 s; one the watch leaked would stay.
	 */
	resources(&h1, &t1);
	for (int i = 0; i < 40 && t1 > t0; i++) {
		Sleep(50);
		resources(&h1, &t1);
	}
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "resources: handles %lu before, %lu after; threads %lu before, %lu after",
		 (unsigned long)h0, (unsigned long)h1, (unsigned long)t0, (unsigned long)t1);
	tk_log(b->cli->ctx, TK_LOG_DEBUG, "cli.watch", NULL, 0, msg);
	return rc;
}

static int watch_loop(struct watch_body *b, HANDLE stop)
{
	struct cli *cli = b->cli;
	tk_watch_config *cfg = NULL;
	tk_watch *w = NULL;
	tk_error err = { 0 };

	tk_status st = tk_watch_config_load(cli->ctx, b->path, &cfg, &err);
	if (st == TK_OK)
		st = tk_watch_new(cli->ctx, cfg, &w, &err); /* takes cfg */
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	int rc = first_pass(cli, w, b->once);
	if (rc >= 0) {
		tk_watch_free(w);
		return rc;
	}
	printf("watching %s\n", b->path);
	fflush(stdout);
	cli_svc_running();
	HANDLE hs[2] = { stop, tk_watch_handle(w) };
	rc = CLI_EXIT_OK;
	for (;;) {
		DWORD r = WaitForMultipleObjects(2, hs, FALSE, INFINITE);
		if (r == WAIT_OBJECT_0)
			break;
		if (r != WAIT_OBJECT_0 + 1) {
			fprintf(stderr,
				"tapkit watch: waiting for adapter events failed (win32 %lu)\n",
				(unsigned long)GetLastError());
			rc = CLI_EXIT_FAILURE;
			break;
		}
		memset(&err, 0, sizeof(err));
		st = tk_watch_dispatch(w, 0, &err);
		if (st != TK_OK && st != TK_E_TIMEOUT && st != TK_E_INTERRUPTED) {
			rc = cli_fail(cli, st, &err);
			break;
		}
	}
	tk_log(cli->ctx, TK_LOG_INFO, "cli.watch", NULL, 0,
	       rc == CLI_EXIT_OK ? "stopping: asked to stop" : "stopping: failed");
	tk_watch_free(w);
	return rc;
}

static int service_install(struct cli *cli, const char *config, const char *log)
{
	char cfg_full[MAX_PATH * 3], log_full[MAX_PATH * 3];
	tk_error err = { 0 };
	tk_watch_config *cfg = NULL;

	if (!config || !*config)
		return cli_usage_error(cli, "service install needs --config FILE");
	if (!cli_svc_full_path(config, cfg_full, sizeof(cfg_full)))
		return cli_usage_error(cli, "cannot make \"%s\" an absolute path", config);
	/* A bad file fails here, with FILE:LINE, not later in a service without a console. */
	tk_status st = tk_watch_config_load(cli->ctx, cfg_full, &cfg, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	tk_watch_config_free(cfg);
	if (log && *log) {
		if (!cli_svc_full_path(log, log_full, sizeof(log_full)))
			return cli_usage_error(cli, "cannot make \"%s\" an absolute path", log);
	} else if (!cli_svc_log_path(WATCH_SERVICE, log_full, sizeof(log_full))) {
		return cli_usage_error(cli, "cannot create %%ProgramData%%\\tapkit: give "
					    "--log-file FILE");
	}
	const char *args[] = { "watch",	    "run",	  "--config", cfg_full,
			       "--service", "--log-file", log_full };
	struct cli_svc_spec spec = {
		.name = WATCH_SERVICE,
		.display = "tapkit watch",
		.description = "Applies a tapkit watch configuration to TAP adapters as they "
			       "appear (tapkit watch, docs/watch.md)",
		.args = args,
		.nargs = CLI_ARRAY_SIZE(args),
		.cmd = WATCH_SERVICE_CMD,
	};
	char warning[512];
	st = cli_svc_install(&spec, warning, sizeof(warning), &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (warning[0])
		fprintf(stderr, "tapkit watch: warning: %s\n", warning);
	if (!cli->json)
		printf("installed service %s (config %s, log %s); start it with `%s start`\n",
		       WATCH_SERVICE, cfg_full, log_full, WATCH_SERVICE_CMD);
	return CLI_EXIT_OK;
}

static int service_status(struct cli *cli)
{
	struct cli_svc_status s;
	tk_error err = { 0 };
	tk_status st = cli_svc_query(WATCH_SERVICE, &s, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json) {
		struct cli_json j;
		cli_json_doc_begin(&j, stdout);
		cli_json_object_begin(&j, "service");
		cli_json_string(&j, "name", WATCH_SERVICE);
		cli_json_bool(&j, "installed", s.installed);
		cli_json_string(&j, "state", s.installed ? cli_svc_state_name(s.state) : NULL);
		cli_json_int(&j, "pid", s.pid);
		cli_json_int(&j, "exit_code", s.exit_code);
		cli_json_int(&j, "service_exit_code", s.specific_exit);
		cli_json_string(&j, "command", s.command);
		cli_json_string(&j, "account", s.account);
		cli_json_object_end(&j);
		cli_json_object_end(&j);
		fputc('\n', stdout);
		return CLI_EXIT_OK;
	}
	if (!s.installed) {
		printf("service %s: not installed\n", WATCH_SERVICE);
		return CLI_EXIT_OK;
	}
	printf("service %s: %s", WATCH_SERVICE, cli_svc_state_name(s.state));
	if (s.pid)
		printf(" (pid %lu)", (unsigned long)s.pid);
	if (s.state == SERVICE_STOPPED && s.exit_code)
		printf(" (last exit: win32 %lu, status %lu)", (unsigned long)s.exit_code,
		       (unsigned long)s.specific_exit);
	printf("\n  command: %s\n  account: %s\n", s.command, s.account);
	return CLI_EXIT_OK;
}

static int watch_service(struct cli *cli, int argc, char **argv)
{
	struct cli_opt opts[] = { { .name = "--config", .takes_value = true },
				  { .name = "--log-file", .takes_value = true } };
	const char *pos[1] = { NULL };
	size_t npos = 0;
	tk_error err = { 0 };
	tk_status st;

	int rc = cli_args_parse(cli, argc, argv, opts, CLI_ARRAY_SIZE(opts), pos, 1, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	const char *what = npos ? pos[0] : "";
	if (strcmp(what, "install") == 0)
		return service_install(cli, opts[0].value, opts[1].value);
	if (opts[0].seen || opts[1].seen)
		return cli_usage_error(cli, "--config and --log-file go with service install");
	if (strcmp(what, "status") == 0)
		return service_status(cli);
	if (strcmp(what, "uninstall") == 0)
		st = cli_svc_uninstall(WATCH_SERVICE, WATCH_SERVICE_CMD, WATCH_SVC_WAIT_MS, &err);
	else if (strcmp(what, "start") == 0)
		st = cli_svc_start(WATCH_SERVICE, WATCH_SERVICE_CMD, WATCH_SVC_WAIT_MS, &err);
	else if (strcmp(what, "stop") == 0)
		st = cli_svc_stop(WATCH_SERVICE, WATCH_SERVICE_CMD, WATCH_SVC_WAIT_MS, &err);
	else
		return cli_usage_error(
			cli, "service needs install, uninstall, start, stop or status%s%s",
			*what ? ", not " : "", what);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (!cli->json)
		printf("%s service %s\n",
		       strcmp(what, "uninstall") == 0 ? "uninstalled"
		       : strcmp(what, "start") == 0   ? "started"
						      : "stopped",
		       WATCH_SERVICE);
	return CLI_EXIT_OK;
}

static int watch_run(struct cli *cli, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "service") == 0)
		return watch_service(cli, argc - 1, argv + 1);
	skip_run(&argc, &argv);
	struct cli_opt opts[] = { { .name = "--config", .takes_value = true },
				  { .name = "--once" },
				  { .name = "--service" },
				  { .name = "--log-file", .takes_value = true } };
	size_t npos = 0;
	int rc = cli_args_parse(cli, argc, argv, opts, CLI_ARRAY_SIZE(opts), NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	struct watch_body b = { .cli = cli, .path = opts[0].value, .once = opts[1].seen };
	if (!b.path || !*b.path)
		return cli_usage_error(cli, "--config FILE is required");
	if (opts[3].value) {
		/* stderr (the library's log and the CLI's messages) to the end of the file */
		DWORD code = cli_svc_log_to(opts[3].value, false);
		if (code) {
			fprintf(stdout, "tapkit watch: cannot open the log file %s (win32 %lu)\n",
				opts[3].value, (unsigned long)code);
			return CLI_EXIT_FAILURE;
		}
	}
	tk_error err;
	rc = cli_svc_main(WATCH_SERVICE, opts[2].seen, watch_body, &b, &err);
	return err.status != TK_OK ? cli_fail(cli, err.status, &err) : rc;
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
	if (argc > 1 && strcmp(argv[1], "service") == 0)
		return cli_usage_error(cli,
				       "watch service is for Windows; on Linux run `tapkit watch "
				       "--config FILE` from the systemd unit in dist/systemd");
	skip_run(&argc, &argv);
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
	rc = first_pass(cli, w, once);
	if (rc >= 0) {
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
