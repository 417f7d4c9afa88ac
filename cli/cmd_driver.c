/* SPDX-License-Identifier: MIT */
/*
 * `tapkit driver status [--json]` and `tapkit driver install INF`: the TUN/TAP driver (Windows:
 * the tap0901 service, its file and driver store package; Linux: the tun driver). The status
 * document has the same keys on every platform (docs/json.md).
 */
#include "cli.h"

#include <string.h>

#define DRIVER_GREEN "\033[32m"
#define DRIVER_RED   "\033[31m"
#define DRIVER_RESET "\033[0m"

static const char driver_usage[] =
	"usage: tapkit driver status [--json]\n"
	"       tapkit driver install INF\n"
	"\n"
	"status: shows the TUN/TAP driver: on Windows the tap0901 service (installed,\n"
	"state, start type, ImagePath and whether that file exists), the package staged\n"
	"in the driver store and its version; on Linux the tun driver (built in, a\n"
	"module loaded or loadable, or missing). When the driver cannot work the output\n"
	"says why and the fix, and the exit code is the cause's (4: not installed).\n"
	"\n"
	"install (Windows, elevated): stages and installs the driver package of an INF\n"
	"file, such as the OemVista.inf of TAP-Windows6. Prints \"installed driver INF\".\n"
	"On Linux the tun driver comes with the kernel: `modprobe tun` loads it.\n"
	"\n"
	"Options:\n"
	"  --json   status: print {\"version\":1,\"driver\":{...}} on stdout (docs/json.md)\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit driver status\n"
	"  tapkit driver status --json | jq -r .driver.state\n"
	"  tapkit driver install \"C:\\Program Files\\TAP-Windows\\driver\\OemVista.inf\"\n";

/* Empty strings are "not applicable or unknown": null in JSON. */
static void json_opt(struct cli_json *j, const char *key, const char *value)
{
	cli_json_string(j, key, value[0] ? value : NULL);
}

static void status_json(const tk_driver_info *d)
{
	struct cli_json j;
	bool ok = d->status == TK_OK;

	cli_json_doc_begin(&j, stdout);
	cli_json_object_begin(&j, "driver");
	cli_json_string(&j, "name", d->name);
	cli_json_bool(&j, "ok", ok);
	cli_json_string(&j, "cause", ok ? NULL : tk_status_name(d->status));
	if (ok)
		cli_json_null(&j, "code");
	else
		cli_json_int(&j, "code", (int64_t)d->status);
	cli_json_string(&j, "cause_message", ok ? NULL : tk_status_message(d->status));
	cli_json_bool(&j, "installed", d->installed);
	cli_json_bool(&j, "loaded", d->loaded);
	cli_json_bool(&j, "builtin", d->builtin);
	cli_json_bool(&j, "file_present", d->file_present);
	cli_json_string(&j, "state", d->state);
	json_opt(&j, "start_type", d->start_type);
	json_opt(&j, "image_path", d->image_path);
	json_opt(&j, "file", d->file);
	json_opt(&j, "driver_version", d->version);
	json_opt(&j, "package", d->package);
	cli_json_string(&j, "message", d->message);
	json_opt(&j, "remedy", d->remedy);
	cli_json_object_end(&j);
	cli_json_object_end(&j);
}

static void line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%-14s", key);
	cli_text_write(f, value[0] ? value : "none");
	fputc('\n', f);
}

static void line_yes_no(FILE *f, const char *key, bool value, bool color)
{
	fprintf(f, "%-14s", key);
	if (color)
		fprintf(f, "%s%s%s\n", value ? DRIVER_GREEN : DRIVER_RED, value ? "yes" : "no",
			DRIVER_RESET);
	else
		fprintf(f, "%s\n", value ? "yes" : "no");
}

static void status_text(const tk_driver_info *d, bool color)
{
	FILE *f = stdout;

	line(f, "driver:", d->name);
	fprintf(f, "%-14s", "status:");
	if (d->status == TK_OK)
		fprintf(f, "%sok%s\n", color ? DRIVER_GREEN : "", color ? DRIVER_RESET : "");
	else
		fprintf(f, "%s%s%s (%s)\n", color ? DRIVER_RED : "", tk_status_name(d->status),
			color ? DRIVER_RESET : "", tk_status_message(d->status));
	line_yes_no(f, "installed:", d->installed, color);
	line_yes_no(f, "loaded:", d->loaded, false);
	line_yes_no(f, "built in:", d->builtin, false);
	line_yes_no(f, "file present:", d->file_present, color);
	line(f, "state:", d->state);
	line(f, "start type:", d->start_type);
	line(f, "image path:", d->image_path);
	line(f, "file:", d->file);
	line(f, "version:", d->version);
	line(f, "package:", d->package);
	line(f, "summary:", d->message);
	if (d->remedy[0])
		line(f, "fix:", d->remedy);
}

static int driver_status(struct cli *cli)
{
	tk_driver_info info;
	tk_error err = { 0 };
	tk_status st = tk_driver_status(cli->ctx, &info, &err);

	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json)
		status_json(&info);
	else
		status_text(&info, cli->color);
	/* A driver that cannot work is this verb's answer, and its exit code says so. */
	return cli_exit_code(info.status);
}

static int driver_install(struct cli *cli, const char *inf)
{
	tk_error err = { 0 };
	bool reboot = false;
	tk_status st = tk_driver_install(cli->ctx, inf, &reboot, &err);

	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json) {
		struct cli_json j;

		cli_json_doc_begin(&j, stdout);
		cli_json_string(&j, "installed", inf);
		cli_json_bool(&j, "reboot_required", reboot);
		cli_json_object_end(&j);
		return reboot ? CLI_EXIT_REBOOT : CLI_EXIT_OK;
	}
	fputs("installed driver ", stdout);
	cli_text_write(stdout, inf);
	fputs(reboot ? " (restart Windows to complete it)\n" : "\n", stdout);
	return reboot ? CLI_EXIT_REBOOT : CLI_EXIT_OK;
}

static int driver_run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2];
	size_t npos;
	int rc;

	rc = cli_args_parse(cli, argc, argv, NULL, 0, pos, 2, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (npos < 1)
		return cli_usage_error(cli, "missing status or install");
	if (strcmp(pos[0], "status") == 0) {
		if (npos > 1)
			return cli_usage_error(cli, "unexpected argument \"%s\"", pos[1]);
		return driver_status(cli);
	}
	if (strcmp(pos[0], "install") == 0) {
		if (npos < 2)
			return cli_usage_error(cli, "missing the INF file to install");
		return driver_install(cli, pos[1]);
	}
	return cli_usage_error(cli, "unknown driver command \"%s\": expected status or install",
			       pos[0]);
}

const struct cli_verb cli_verb_driver = {
	.name = "driver",
	.run = driver_run,
	.summary = "the TUN/TAP driver: status, install INF (Windows)",
	.usage = driver_usage,
};
