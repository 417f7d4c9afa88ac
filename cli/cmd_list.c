/* SPDX-License-Identifier: MIT */
/* `tapkit list`: every TUN/TAP adapter, as aligned text or as JSON. */
#include "cli.h"

static const char list_usage[] =
	"usage: tapkit list [--json]\n"
	"\n"
	"Lists every TUN/TAP adapter: name, kind, index, state, MTU, MAC, persist, owner,\n"
	"group and queue flags, then its addresses, bridge master and the processes that\n"
	"hold it open. Prints \"no TUN/TAP adapters\" when there are none.\n"
	"\n"
	"Options:\n"
	"  --json   print {\"version\":1,\"adapters\":[...]} on stdout (see docs/json.md)\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit list\n"
	"  tapkit list --json | jq -r '.adapters[].name'\n";

static int list_run(struct cli *cli, int argc, char **argv)
{
	tk_adapter_info *list = NULL;
	tk_error err = { 0 };
	size_t count = 0, npos;
	tk_status st;
	int rc;

	rc = cli_args_parse(cli, argc, argv, NULL, 0, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	st = tk_adapter_list(cli->ctx, &list, &count, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json) {
		struct cli_json j;

		cli_json_doc_begin(&j, stdout);
		cli_json_array_begin(&j, "adapters");
		for (size_t i = 0; i < count; i++)
			cli_adapter_json(&j, NULL, &list[i]);
		cli_json_array_end(&j);
		cli_json_object_end(&j);
	} else {
		cli_adapters_text(stdout, list, count, cli->color);
	}
	tk_adapter_list_free(list);
	return CLI_EXIT_OK;
}

const struct cli_verb cli_verb_list = {
	.name = "list",
	.run = list_run,
	.summary = "list TUN/TAP adapters",
	.usage = list_usage,
};
