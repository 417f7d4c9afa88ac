/* SPDX-License-Identifier: MIT */
/*
 * `tapkit`: the dispatch table of verbs (the shape of wireguard-tools' src/wg.c) and the global
 * options, which may stand before or after the verb. Each verb lives in cmd_<verb>.c.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include "compat.h"
#include <io.h>
/* A service has no standard handles: _fileno is -2 and _isatty(-2) would end the process. */
#define cli_isatty(f) (_fileno(f) >= 0 && _isatty(_fileno(f)))
#else
#include <unistd.h>
#define cli_isatty(f) isatty(fileno(f))
#endif

static int help_run(struct cli *cli, int argc, char **argv);

static const struct cli_verb cli_verb_help = {
	.name = "help",
	.run = help_run,
	.summary = "show this help, or a verb's: tapkit help VERB",
	.usage = "usage: tapkit help [VERB]\n"
		 "\n"
		 "Lists the verbs, or prints the help of one verb (as `tapkit VERB --help`).\n",
};

static const struct cli_verb *const verbs[] = {
	&cli_verb_list,	  &cli_verb_show,    &cli_verb_create, &cli_verb_delete, &cli_verb_up,
	&cli_verb_down,	  &cli_verb_set,     &cli_verb_addr,   &cli_verb_open,	 &cli_verb_doctor,
	&cli_verb_watch,  &cli_verb_tunnel,  &cli_verb_genkey, &cli_verb_pubkey, &cli_verb_driver,
	&cli_verb_enable, &cli_verb_disable, &cli_verb_help,
};

static const struct cli_verb *verb_find(const char *name)
{
	for (size_t i = 0; i < CLI_ARRAY_SIZE(verbs); i++) {
		if (strcmp(verbs[i]->name, name) == 0)
			return verbs[i];
	}
	return NULL;
}

static void usage_print(FILE *f)
{
	fputs("usage: tapkit [GLOBAL OPTIONS] VERB [ARGS...]\n"
	      "\n"
	      "Find, create, open and configure TUN/TAP adapters; every failure says its cause\n"
	      "and the fix.\n"
	      "\n"
	      "Verbs:\n",
	      f);
	for (size_t i = 0; i < CLI_ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-8s %s\n", verbs[i]->name, verbs[i]->summary);
	fputs("\n"
	      "Global options (before or after the verb):\n"
	      "  --log-level error|warn|info|debug|trace\n"
	      "                     library log lines on stderr (default warn)\n"
	      "  --log-format text|json\n"
	      "                     log lines as text or as JSON lines (default text)\n"
	      "  --help             this help; `tapkit VERB --help` for one verb\n"
	      "  --version          print the version\n"
	      "\n"
	      "Exit codes: 0 success, 1 failure, 2 usage error, 3 permission, 4 not found,\n"
	      "5 busy or exists.\n",
	      f);
}

static int help_run(struct cli *cli, int argc, char **argv)
{
	const struct cli_verb *v;

	if (argc < 2) {
		usage_print(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0) {
		fputs(cli->verb->usage, stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[2]);
	v = verb_find(argv[1]);
	if (!v)
		return cli_usage_error(cli, "unknown verb \"%s\"", argv[1]);
	fputs(v->usage, stdout);
	return CLI_EXIT_OK;
}

/* ---- global options ---- */

struct globals {
	const char *log_level; /* NULL: not given */
	const char *log_format;
	bool help;
	bool version;
	const char *verb;
	int argc; /* the verb's own arguments, verb first */
	char **argv;
};

/*
 * "--log-level X" or "--log-level=X" at argv[*i]. Returns 1 if taken (advancing *i past the
 * value), 0 if arg is not this option, CLI_EXIT_USAGE after reporting a missing value.
 */
static int global_value(struct cli *cli, int argc, char **argv, int *i, const char *name,
			const char **out)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, len) != 0)
		return 0;
	if (arg[len] == '=') {
		*out = arg + len + 1;
		return 1;
	}
	if (arg[len] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		cli_usage_error(cli, "option %s needs a value", name);
		return CLI_EXIT_USAGE;
	}
	*i += 1;
	*out = argv[*i];
	return 1;
}

/* Takes one global option at argv[*i]. Returns 1 if taken, 0 if not, or an exit code. */
static int global_take(struct cli *cli, int argc, char **argv, int *i, struct globals *g)
{
	int rc = global_value(cli, argc, argv, i, "--log-level", &g->log_level);

	if (rc == 0)
		rc = global_value(cli, argc, argv, i, "--log-format", &g->log_format);
	if (rc != 0)
		return rc;
	if (strcmp(argv[*i], "--version") == 0) {
		g->version = true;
		return 1;
	}
	/* Before the verb --help is tapkit's; after it, the verb's own. */
	if (!g->verb && strcmp(argv[*i], "--help") == 0) {
		g->help = true;
		return 1;
	}
	return 0;
}

/*
 * Pulls the global options out of argv wherever they stand, leaving the verb and its own
 * arguments in g->argv. After "--" nothing is taken: adapter names may start with '-'.
 */
static int globals_parse(struct cli *cli, int argc, char **argv, struct globals *g)
{
	bool dashdash = false;

	g->argv = calloc((size_t)argc + 2, sizeof(*g->argv));
	if (!g->argv) {
		fputs("tapkit: out of memory\n", stderr);
		return CLI_EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		int rc;

		/*
		 * Seen early so that even "unknown verb" comes out as a JSON error too. Before the
		 * verb it is taken here; after it the verb's parser skips it.
		 */
		if (!dashdash && strcmp(argv[i], "--json") == 0) {
			cli->json = true;
			if (!g->verb)
				continue;
		}
		rc = dashdash ? 0 : global_take(cli, argc, argv, &i, g);
		if (rc == 1)
			continue;
		if (rc != 0)
			return rc;
		if (!g->verb && !dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = true; /* "tapkit -- VERB ...": the verb's "--" comes after it */
			continue;
		}
		if (!g->verb && argv[i][0] == '-' && !dashdash)
			return cli_usage_error(cli, "unknown option %s", argv[i]);
		if (!g->verb) {
			g->verb = argv[i];
			g->argv[g->argc++] = argv[i];
			if (dashdash)
				g->argv[g->argc++] = (char *)"--";
			continue;
		}
		if (strcmp(argv[i], "--") == 0)
			dashdash = true;
		g->argv[g->argc++] = argv[i];
	}
	return 0;
}

/* ---- logging ---- */

struct cli_log {
	tk_log_fn *sink;
	bool errors; /* pass error records on (only with an explicit --log-level) */
};

/*
 * The library logs every failure once at error level; the CLI prints the same failure itself
 * with cause and fix, so by default those records are dropped to say it only once.
 */
static void cli_log_sink(void *user, const tk_log_record *rec)
{
	const struct cli_log *log = user;

	if (rec->level == TK_LOG_ERROR && !log->errors)
		return;
	log->sink(NULL, rec);
}

/* Checks --log-level and --log-format before anything else can fail. */
static int log_parse(struct cli *cli, const struct globals *g, struct cli_log *log,
		     tk_log_level *level)
{
	*level = TK_LOG_WARN;
	log->sink = tk_log_stderr_text;
	log->errors = g->log_level != NULL;
	if (g->log_level && !tk_log_level_parse(g->log_level, level))
		return cli_usage_error(
			cli, "invalid log level \"%s\": expected error, warn, info, debug or trace",
			g->log_level);
	if (g->log_format && strcmp(g->log_format, "json") == 0)
		log->sink = tk_log_stderr_json;
	else if (g->log_format && strcmp(g->log_format, "text") != 0)
		return cli_usage_error(cli, "invalid log format \"%s\": expected text or json",
				       g->log_format);
	return 0;
}

/* NO_COLOR (https://no-color.org): present and not empty turns colour off. */
static bool color_wanted(FILE *f)
{
	const char *no_color = getenv("NO_COLOR"); /* NOLINT(concurrency-mt-unsafe): one thread */

	return cli_isatty(f) && !(no_color && no_color[0]);
}

static int run(struct cli *cli, struct globals *g)
{
	struct cli_log log;
	tk_log_level level;
	tk_error err = { 0 };
	tk_status st;
	int rc;

	if (g->version) {
		printf("tapkit %s\n", TK_VERSION_STRING);
		return CLI_EXIT_OK;
	}
	if (!g->verb) {
		usage_print(g->help ? stdout : stderr);
		return g->help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	rc = log_parse(cli, g, &log, &level);
	if (rc != 0)
		return rc;
	cli->verb = verb_find(g->verb);
	if (!cli->verb)
		return cli_usage_error(cli, "unknown verb \"%s\"", g->verb);
	if (!g->log_level && cli->verb->log_info)
		level = TK_LOG_INFO;
	if (g->help)
		g->argv[g->argc++] = (char *)"--help";
	st = tk_ctx_new(&cli->ctx, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	tk_ctx_set_logger(cli->ctx, cli_log_sink, &log, level);
	rc = cli->verb->run(cli, g->argc, g->argv);
	tk_ctx_free(cli->ctx);
	cli->ctx = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct globals g = { 0 };
	int rc;

#if defined(_WIN32)
	cli_win_utf8_args(&argc, &argv);
#endif
	cli.color = color_wanted(stdout);
	cli.color_err = color_wanted(stderr);
	rc = globals_parse(&cli, argc, argv, &g);
	if (rc == 0)
		rc = run(&cli, &g);
	free(g.argv);
	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAILURE;
	return rc;
}
