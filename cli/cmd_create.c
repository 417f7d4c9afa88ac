/* SPDX-License-Identifier: MIT */
/* `tapkit create NAME`: a persistent TAP (or TUN) adapter, optionally owned by a user/group. */
#include "cli.h"

static const char create_usage[] =
	"usage: tapkit create NAME [--tun] [--owner USER] [--group GROUP] [--multi-queue]\n"
	"                          [--vnet-hdr] [--persist]\n"
	"\n"
	"Creates a persistent adapter: it stays after tapkit exits, DOWN, until\n"
	"`tapkit delete NAME`. Prints \"created NAME (index N)\".\n"
	"\n"
	"Options:\n"
	"  --tun           an IP-level TUN adapter instead of an Ethernet TAP adapter\n"
	"  --owner USER    user (name or uid) allowed to open it without CAP_NET_ADMIN\n"
	"  --group GROUP   group (name or gid) allowed to open it likewise\n"
	"  --multi-queue   allow several queues (one per open)\n"
	"  --vnet-hdr      frames carry a virtio-net header\n"
	"  --persist       accepted for clarity: adapters made by create always persist\n"
	"  --help          this help\n"
	"\n"
	"Examples:\n"
	"  tapkit create tap0\n"
	"  tapkit create tap1 --owner alice --group kvm --multi-queue\n"
	"  tapkit create tun0 --tun --owner 1000\n";

enum { OPT_TUN, OPT_OWNER, OPT_GROUP, OPT_MQ, OPT_VNET, OPT_PERSIST };

static int create_opts_fill(struct cli *cli, const struct cli_opt *opts, tk_create_opts *c)
{
	int rc;

	c->mode = opts[OPT_TUN].seen ? TK_MODE_TUN : TK_MODE_TAP;
	if (opts[OPT_MQ].seen)
		c->flags |= TK_CREATE_MULTI_QUEUE;
	if (opts[OPT_VNET].seen)
		c->flags |= TK_CREATE_VNET_HDR;
	if (opts[OPT_OWNER].seen) {
		rc = cli_resolve_user(cli, opts[OPT_OWNER].value, &c->owner);
		if (rc != 0)
			return rc;
		c->owner_set = true;
	}
	if (opts[OPT_GROUP].seen) {
		rc = cli_resolve_group(cli, opts[OPT_GROUP].value, &c->group);
		if (rc != 0)
			return rc;
		c->group_set = true;
	}
	return 0;
}

static int create_run(struct cli *cli, int argc, char **argv)
{
	struct cli_opt opts[] = {
		[OPT_TUN] = { .name = "--tun" },
		[OPT_OWNER] = { .name = "--owner", .takes_value = true },
		[OPT_GROUP] = { .name = "--group", .takes_value = true },
		[OPT_MQ] = { .name = "--multi-queue" },
		[OPT_VNET] = { .name = "--vnet-hdr" },
		[OPT_PERSIST] = { .name = "--persist" },
	};
	tk_create_opts c = { .owner = -1, .group = -1 };
	tk_adapter_info info;
	tk_error err = { 0 };
	const char *name;
	tk_status st;
	int rc;

	rc = cli_args_name(cli, argc, argv, opts, CLI_ARRAY_SIZE(opts), &name);
	if (rc != 0)
		return cli_args_exit(rc);
	rc = create_opts_fill(cli, opts, &c);
	if (rc != 0)
		return rc;
	c.name = name;
	st = tk_adapter_create(cli->ctx, &c, &info, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	bool reboot = tk_ctx_reboot_required(cli->ctx, true);
	if (cli->json) {
		struct cli_json j;
		cli_json_doc_begin(&j, stdout);
		cli_adapter_json(&j, "adapter", &info);
		cli_json_bool(&j, "reboot_required", reboot);
		cli_json_object_end(&j);
		return reboot ? CLI_EXIT_REBOOT : CLI_EXIT_OK;
	}
	fputs("created ", stdout);
	cli_text_write(stdout, info.name);
	if (info.ifindex)
		printf(" (index %u)", (unsigned int)info.ifindex);
	else
		printf(" (id %s)", info.id);
	fputs(reboot ? " (restart Windows to complete it)\n" : "\n", stdout);
	return reboot ? CLI_EXIT_REBOOT : CLI_EXIT_OK;
}

const struct cli_verb cli_verb_create = {
	.name = "create",
	.run = create_run,
	.summary = "create a persistent adapter",
	.usage = create_usage,
};
