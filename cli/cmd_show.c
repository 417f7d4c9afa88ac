/* SPDX-License-Identifier: MIT */
/* `tapkit show NAME`: every field of one adapter, as key: value text or as JSON. */
#include "cli.h"

static const char show_usage[] =
	"usage: tapkit show NAME [--json]\n"
	"\n"
	"Shows every field of one TUN/TAP adapter, one \"key: value\" per line.\n"
	"\n"
	"Options:\n"
	"  --json   print {\"version\":1,\"adapter\":{...}} on stdout (see docs/json.md)\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit show tap0\n"
	"  tapkit show tap0 --json | jq .adapter.mtu\n";

static int show_run(struct cli *cli, int argc, char **argv)
{
	tk_adapter_info info;
	tk_error err = { 0 };
	const char *name;
	tk_status st;
	int rc;

	rc = cli_args_name(cli, argc, argv, NULL, 0, &name);
	if (rc != 0)
		return cli_args_exit(rc);
	st = tk_adapter_get(cli->ctx, name, &info, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json)
		cli_adapter_doc(stdout, &info);
	else
		cli_adapter_show_text(stdout, &info, cli->color);
	return CLI_EXIT_OK;
}

const struct cli_verb cli_verb_show = {
	.name = "show",
	.run = show_run,
	.summary = "show every field of one adapter",
	.usage = show_usage,
};
