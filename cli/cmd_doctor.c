/* SPDX-License-Identifier: MIT */
/*
 * `tapkit doctor [ADAPTER]`: runs the platform's checks and prints one aligned line per check,
 * with cause, evidence and fix under each warning and failure; or the report as JSON
 * (docs/doctor.md). Exit 0 when no check failed, 1 when one did.
 */
#include "cli.h"

#include <string.h>

#define DOCTOR_GREEN  "\033[32m"
#define DOCTOR_YELLOW "\033[33m"
#define DOCTOR_RED    "\033[31m"
#define DOCTOR_DIM    "\033[2m"
#define DOCTOR_RESET  "\033[0m"

static const char doctor_usage[] =
	"usage: tapkit doctor [ADAPTER] [--json] [--verbose]\n"
	"       tapkit doctor --program PATH [--json] [--verbose]\n"
	"\n"
	"Runs ordered checks that explain why TUN/TAP adapters do not work: the device node,\n"
	"the driver, privileges, and for each adapter (or the one named) its owner, flags,\n"
	"state, carrier, holders, MTU, addresses and bridge; a named adapter is also opened\n"
	"for real. Each warning and failure comes with its cause, what was read and the fix;\n"
	"checks that depend on a failed one are skipped and say so.\n"
	"\n"
	"Options:\n"
	"  --program PATH  check a Windows program (.exe/.dll) instead: its bitness, the\n"
	"              elevation its manifest requests and every DLL it needs, each missing\n"
	"              one with the package that provides it (the DLL search needs Windows)\n"
	"  --json      print the report as JSON on stdout (schema: docs/doctor.md)\n"
	"  --verbose   show the evidence of passing checks too\n"
	"  --help      this help\n"
	"\n"
	"Exit status: 0 when no check failed (warnings allowed), 1 when at least one failed;\n"
	"2 for a bad argument (an invalid adapter name).\n"
	"\n"
	"Examples:\n"
	"  tapkit doctor\n"
	"  tapkit doctor tap0\n"
	"  tapkit doctor tap0 --json | jq '.checks[] | select(.status != \"ok\")'\n"
	"  tapkit doctor --program \"C:\\Program Files\\App\\app.exe\"\n";

static const char *status_word(tk_check_status st)
{
	return st == TK_CHECK_SKIPPED ? "skip" : tk_check_status_name(st);
}

static const char *status_color(tk_check_status st)
{
	switch (st) {
	case TK_CHECK_OK:
		return DOCTOR_GREEN;
	case TK_CHECK_WARN:
		return DOCTOR_YELLOW;
	case TK_CHECK_FAIL:
		return DOCTOR_RED;
	case TK_CHECK_SKIPPED:
		return DOCTOR_DIM;
	}
	return "";
}

/* Prints "\n      key:   " as the start of a detail line under a check. */
static void detail(FILE *f, const char *key)
{
	fprintf(f, "      %-7s", key);
}

static void check_text(FILE *f, const tk_check *c, size_t idw, bool color, bool verbose)
{
	const char *word = status_word(c->status);
	if (color)
		fprintf(f, "%s%-5s%s ", status_color(c->status), word, DOCTOR_RESET);
	else
		fprintf(f, "%-5s ", word);
	cli_text_write(f, c->id);
	fprintf(f, "%*s  ", (int)(idw - strlen(c->id)), "");
	/* Per-adapter checks name their object unless the summary already starts with it. */
	size_t olen = strlen(c->object);
	if (olen && strncmp(c->summary, c->object, olen) != 0 && c->object[0] != '/' &&
	    strcmp(c->object, "tun") != 0) {
		cli_text_write(f, c->object);
		fputs(": ", f);
	}
	cli_text_write(f, c->summary);
	fputc('\n', f);

	bool problem = c->status == TK_CHECK_WARN || c->status == TK_CHECK_FAIL;
	if (problem) {
		detail(f, "cause:");
		fprintf(f, "%s (%s)\n", tk_status_name(c->cause), tk_status_message(c->cause));
		if (c->os_kind != TK_OS_NONE) {
			const char *name = tk_os_code_name(c->os_kind, c->os_code);
			detail(f, "os:");
			fprintf(f, "%s %lld%s%s\n", tk_os_kind_name(c->os_kind),
				(long long)c->os_code, name[0] ? " " : "", name);
		}
	}
	if ((problem || verbose) && c->nevidence) {
		detail(f, "seen:");
		for (size_t i = 0; i < c->nevidence; i++) {
			if (i)
				fputs("; ", f);
			cli_text_write(f, c->evidence[i].key);
			fputc('=', f);
			cli_text_write(f, c->evidence[i].value);
		}
		fputc('\n', f);
	}
	if (problem && c->remedy[0]) {
		detail(f, "fix:");
		if (color)
			fputs("\033[1m", f);
		cli_text_write(f, c->remedy);
		if (color)
			fputs(DOCTOR_RESET, f);
		fputc('\n', f);
	}
}

static void report_text(FILE *f, const tk_report *r, bool color, bool verbose)
{
	size_t idw = 0;
	for (size_t i = 0; i < r->nchecks; i++) {
		size_t n = strlen(r->checks[i].id);
		if (n > idw)
			idw = n;
	}
	for (size_t i = 0; i < r->nchecks; i++)
		check_text(f, &r->checks[i], idw, color, verbose);
	fprintf(f, "\n%zu checks: %zu ok, %zu warn, %zu fail, %zu skipped", r->nchecks, r->nok,
		r->nwarn, r->nfail, r->nskipped);
	if (r->trace_id[0])
		fprintf(f, " (trace %s)", r->trace_id);
	fputc('\n', f);
	if (r->nfail) {
		if (color)
			fprintf(f,
				"%sproblems found%s: fix the first failure first; later ones may "
				"follow from it\n",
				DOCTOR_RED, DOCTOR_RESET);
		else
			fputs("problems found: fix the first failure first; later ones may follow "
			      "from it\n",
			      f);
	}
}

static void check_json(struct cli_json *j, const tk_check *c)
{
	bool problem = c->status == TK_CHECK_WARN || c->status == TK_CHECK_FAIL;
	cli_json_object_begin(j, NULL);
	cli_json_string(j, "id", c->id);
	cli_json_string(j, "title", c->title);
	cli_json_string(j, "object", c->object[0] ? c->object : NULL);
	cli_json_string(j, "status", tk_check_status_name(c->status));
	cli_json_string(j, "summary", c->summary);
	if (problem) {
		cli_json_string(j, "cause", tk_status_name(c->cause));
		cli_json_int(j, "code", (int64_t)c->cause);
		cli_json_string(j, "cause_message", tk_status_message(c->cause));
	} else {
		cli_json_null(j, "cause");
		cli_json_null(j, "code");
		cli_json_null(j, "cause_message");
	}
	if (c->os_kind != TK_OS_NONE) {
		cli_json_string(j, "os_kind", tk_os_kind_name(c->os_kind));
		cli_json_int(j, "os_code", c->os_code);
		const char *name = tk_os_code_name(c->os_kind, c->os_code);
		cli_json_string(j, "os_name", name[0] ? name : NULL);
	} else {
		cli_json_null(j, "os_kind");
		cli_json_null(j, "os_code");
		cli_json_null(j, "os_name");
	}
	cli_json_string(j, "remedy", c->remedy[0] ? c->remedy : NULL);
	cli_json_string(j, "skipped_because", c->skipped_because[0] ? c->skipped_because : NULL);
	cli_json_object_begin(j, "evidence");
	for (size_t i = 0; i < c->nevidence; i++)
		cli_json_string(j, c->evidence[i].key, c->evidence[i].value);
	cli_json_object_end(j);
	cli_json_object_end(j);
}

static void report_json(FILE *f, const tk_report *r, const char *adapter, const char *program)
{
	struct cli_json j;
	cli_json_doc_begin(&j, f);
	cli_json_string(&j, "adapter", adapter);
	cli_json_string(&j, "program", program);
	cli_json_bool(&j, "ok", r->nfail == 0);
	cli_json_string(&j, "trace_id", r->trace_id);
	cli_json_object_begin(&j, "counts");
	cli_json_int(&j, "ok", (int64_t)r->nok);
	cli_json_int(&j, "warn", (int64_t)r->nwarn);
	cli_json_int(&j, "fail", (int64_t)r->nfail);
	cli_json_int(&j, "skipped", (int64_t)r->nskipped);
	cli_json_object_end(&j);
	cli_json_array_begin(&j, "checks");
	for (size_t i = 0; i < r->nchecks; i++)
		check_json(&j, &r->checks[i]);
	cli_json_array_end(&j);
	cli_json_object_end(&j);
	fputc('\n', f);
}

static int doctor_run(struct cli *cli, int argc, char **argv)
{
	struct cli_opt opts[] = { { .name = "--verbose" },
				  { .name = "--program", .takes_value = true } };
	const char *pos[1] = { NULL };
	size_t npos = 0;
	tk_error err = { 0 };
	tk_report *report = NULL;

	int rc = cli_args_parse(cli, argc, argv, opts, CLI_ARRAY_SIZE(opts), pos, 1, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	tk_doctor_opts o = { .adapter = npos ? pos[0] : NULL,
			     .program = opts[1].seen ? opts[1].value : NULL };
	if (o.adapter && o.program) {
		fprintf(stderr, "tapkit doctor: give an ADAPTER or --program PATH, not both\n");
		return CLI_EXIT_USAGE;
	}
	tk_status st = tk_doctor_run(cli->ctx, &o, &report, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json)
		report_json(stdout, report, o.adapter, o.program);
	else
		report_text(stdout, report, cli->color, opts[0].seen);
	rc = report->nfail ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	tk_report_free(report);
	return rc;
}

const struct cli_verb cli_verb_doctor = {
	.name = "doctor",
	.run = doctor_run,
	.summary = "explain why adapters do not work, and how to fix it",
	.usage = doctor_usage,
};
