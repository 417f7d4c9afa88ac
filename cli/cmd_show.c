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
	const char *pos[1];
	size_t npos;
	tk_status st;
	int rc;

	rc = cli_args_parse(cli, argc, argv, NULL, 0, pos, 1, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (npos < 1)
		return cli_usage_error(cli, "missing adapter name");
	st = tk_adapter_get(cli->ctx, pos[0], &info, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json) {
		struct cli_json j;

		cli_json_init(&j, stdout);
		cli_json_object_begin(&j, NULL);
		cli_json_int(&j, "version", CLI_JSON_VERSION);
		cli_adapter_json(&j, "adapter", &info);
		cli_json_object_end(&j);
	} else {
		cli_adapter_show_text(stdout, &info, cli->color);
	}
	return CLI_EXIT_OK;
}

const struct cli_verb cli_verb_show = {
	.name = "show",
	.run = show_run,
	.summary = "show every field of one adapter",
	.usage = show_usage,
};
