/* SPDX-License-Identifier: MIT */
/* `tapkit addr add|del NAME ADDR/PREFIX`: IPv4 and IPv6 addresses of an adapter. */
#include "cli.h"

#include <string.h>

static const char addr_usage[] =
	"usage: tapkit addr add NAME ADDR/PREFIX\n"
	"       tapkit addr del NAME ADDR/PREFIX\n"
	"\n"
	"Adds or removes an IPv4 or IPv6 address. Without /PREFIX the address is a host\n"
	"address (/32 or /128). Prints \"added ADDR/PREFIX to NAME\" or\n"
	"\"deleted ADDR/PREFIX from NAME\".\n"
	"\n"
	"Options:\n"
	"  --help   this help\n"
	"\n"
	"Examples:\n"
	"  tapkit addr add tap0 10.0.0.1/30\n"
	"  tapkit addr add tap0 fd00::1/64\n"
	"  tapkit addr del tap0 10.0.0.1/30\n";

/* A malformed address is reported with its cause (TK_E_ADDRESS_INVALID, exit 2). */
static int addr_invalid(struct cli *cli, const char *text)
{
	tk_error err = { 0 };

	err.status = TK_E_ADDRESS_INVALID;
	snprintf(err.op, sizeof(err.op), "parse address");
	snprintf(err.object, sizeof(err.object), "%s", text);
	snprintf(err.message, sizeof(err.message),
		 "not an IPv4 or IPv6 address with an optional /PREFIX");
	snprintf(
		err.remedy, sizeof(err.remedy),
		"give ADDR/PREFIX with a prefix of at most 32 (IPv4) or 128 (IPv6), such as 10.0.0.1/30 or fd00::1/64");
	return cli_fail(cli, err.status, &err);
}

static int addr_run(struct cli *cli, int argc, char **argv)
{
	tk_error err = { 0 };
	const char *pos[3];
	char text[64];
	tk_ip_addr addr;
	size_t npos;
	tk_status st;
	bool add;
	int rc;

	rc = cli_args_parse(cli, argc, argv, NULL, 0, pos, 3, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (npos < 1)
		return cli_usage_error(cli, "missing add or del");
	add = strcmp(pos[0], "add") == 0;
	if (!add && strcmp(pos[0], "del") != 0)
		return cli_usage_error(cli, "unknown addr command \"%s\": expected add or del",
				       pos[0]);
	if (npos < 2)
		return cli_usage_error(cli, "missing adapter name");
	if (npos < 3)
		return cli_usage_error(cli, "missing address");
	if (tk_ip_addr_parse(pos[2], &addr) != TK_OK)
		return addr_invalid(cli, pos[2]);
	if (add)
		st = tk_adapter_addr_add(cli->ctx, pos[1], &addr, &err);
	else
		st = tk_adapter_addr_del(cli->ctx, pos[1], &addr, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	if (cli->json)
		return CLI_EXIT_OK;
	printf("%s %s %s ", add ? "added" : "deleted", tk_ip_addr_format(&addr, text, sizeof(text)),
	       add ? "to" : "from");
	cli_text_write(stdout, pos[1]);
	fputc('\n', stdout);
	return CLI_EXIT_OK;
}

const struct cli_verb cli_verb_addr = {
	.name = "addr",
	.run = addr_run,
	.summary = "add or delete an IP address",
	.usage = addr_usage,
};
