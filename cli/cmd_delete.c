/* SPDX-License-Identifier: MIT */
/* `tapkit delete NAME`: removes a TUN/TAP adapter (and refuses anything else). */
#include "cli.h"

static const char delete_usage[] =
	"usage: tapkit delete NAME\n"
	"\n"
	"Deletes a TUN/TAP adapter. Other kinds of interface are refused (exit 4,\n"
	"TK_E_NOT_TAP). Prints \"deleted NAME\".\n"
	"\n"
	"Options:\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit delete tap0\n";

static int delete_run(struct cli *cli, int argc, char **argv)
{
	tk_error err = { 0 };
	const char *name;
	tk_status st;
	int rc;

	rc = cli_args_name(cli, argc, argv, NULL, 0, &name);
	if (rc != 0)
		return cli_args_exit(rc);
	st = tk_adapter_delete(cli->ctx, name, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return cli_done(cli, "deleted ", name, "\n");
}

const struct cli_verb cli_verb_delete = {
	.name = "delete",
	.run = delete_run,
	.summary = "delete a TUN/TAP adapter",
	.usage = delete_usage,
};
