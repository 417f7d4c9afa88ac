/* SPDX-License-Identifier: MIT */
/*
 * `tapkit enable NAME` and `tapkit disable NAME`: the adapter's device, as Device Manager's
 * Enable/Disable on Windows. Linux interfaces have no such device: the library says so and
 * points to `tapkit up|down`.
 */
#include "cli.h"

static const char enable_usage[] =
	"usage: tapkit enable NAME\n"
	"\n"
	"Windows (elevated): enables the adapter's device, by connection name or\n"
	"{GUID}, as Device Manager does. Prints \"enabled NAME\". On Linux this is\n"
	"TK_E_UNSUPPORTED: use `tapkit up NAME`.\n"
	"\n"
	"Options:\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit enable \"OpenVPN TAP\"\n";

static const char disable_usage[] =
	"usage: tapkit disable NAME\n"
	"\n"
	"Windows (elevated): disables the adapter's device (problem code 22 until it is\n"
	"enabled again). Prints \"disabled NAME\". On Linux this is TK_E_UNSUPPORTED:\n"
	"use `tapkit down NAME`.\n"
	"\n"
	"Options:\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit disable \"OpenVPN TAP\"\n";

static int enable(struct cli *cli, int argc, char **argv, bool on)
{
	tk_error err = { 0 };
	const char *name;
	tk_status st;
	int rc;

	rc = cli_args_name(cli, argc, argv, NULL, 0, &name);
	if (rc != 0)
		return cli_args_exit(rc);
	st = tk_adapter_set_enabled(cli->ctx, name, on, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return cli_done(cli, on ? "enabled " : "disabled ", name, "\n");
}

static int enable_run(struct cli *cli, int argc, char **argv)
{
	return enable(cli, argc, argv, true);
}

static int disable_run(struct cli *cli, int argc, char **argv)
{
	return enable(cli, argc, argv, false);
}

const struct cli_verb cli_verb_enable = {
	.name = "enable",
	.run = enable_run,
	.summary = "enable an adapter's device (Windows)",
	.usage = enable_usage,
};

const struct cli_verb cli_verb_disable = {
	.name = "disable",
	.run = disable_run,
	.summary = "disable an adapter's device (Windows)",
	.usage = disable_usage,
};
