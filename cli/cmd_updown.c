/* SPDX-License-Identifier: MIT */
/* `tapkit up NAME` and `tapkit down NAME`: the administrative state of an adapter. */
#include "cli.h"

static const char up_usage[] =
	"usage: tapkit up NAME\n"
	"\n"
	"Sets the adapter administratively up. Its carrier comes on only while a\n"
	"process holds it open (see `tapkit open`). Prints \"set NAME up\".\n"
	"\n"
	"Options:\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit up tap0\n";

static const char down_usage[] =
	"usage: tapkit down NAME\n"
	"\n"
	"Sets the adapter administratively down. Prints \"set NAME down\".\n"
	"\n"
	"Options:\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit down tap0\n";

static int updown(struct cli *cli, int argc, char **argv, bool up)
{
	tk_error err = { 0 };
	const char *name;
	tk_status st;
	int rc;

	rc = cli_args_name(cli, argc, argv, NULL, 0, &name);
	if (rc != 0)
		return cli_args_exit(rc);
	st = tk_adapter_set_up(cli->ctx, name, up, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return cli_done(cli, "set ", name, up ? " up\n" : " down\n");
}

static int up_run(struct cli *cli, int argc, char **argv)
{
	return updown(cli, argc, argv, true);
}

static int down_run(struct cli *cli, int argc, char **argv)
{
	return updown(cli, argc, argv, false);
}

const struct cli_verb cli_verb_up = {
	.name = "up",
	.run = up_run,
	.summary = "set an adapter up",
	.usage = up_usage,
};

const struct cli_verb cli_verb_down = {
	.name = "down",
	.run = down_run,
	.summary = "set an adapter down",
	.usage = down_usage,
};
