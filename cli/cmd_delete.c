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
	const char *pos[1];
	size_t npos;
	tk_status st;
	int rc;

	rc = cli_args_parse(cli, argc, argv, NULL, 0, pos, 1, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (npos < 1)
		return cli_usage_error(cli, "missing adapter name");
	st = tk_adapter_delete(cli->ctx, pos[0], &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json)
		return CLI_EXIT_OK;
	fputs("deleted ", stdout);
	cli_text_write(stdout, pos[0]);
	fputc('\n', stdout);
	return CLI_EXIT_OK;
}

const struct cli_verb cli_verb_delete = {
	.name = "delete",
	.run = delete_run,
	.summary = "delete a TUN/TAP adapter",
	.usage = delete_usage,
};
