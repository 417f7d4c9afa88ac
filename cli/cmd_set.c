/* SPDX-License-Identifier: MIT */
/*
 * `tapkit set NAME [mtu N] [mac MAC] [master BRIDGE|nomaster]`: every value is checked before
 * the first change, so a typo changes nothing; the changes are then applied in the order given
 * and the first failure stops the rest.
 */
#include "cli.h"

#include <string.h>

static const char set_usage[] =
	"usage: tapkit set NAME [mtu N] [mac MAC] [master BRIDGE | nomaster] ...\n"
	"\n"
	"Changes one or more settings, in the order given. Every value is checked first:\n"
	"a bad value changes nothing. The first change that fails stops the rest; the\n"
	"changes already made are printed (\"set NAME mtu 1400\") and stay.\n"
	"\n"
	"Settings:\n"
	"  mtu N            MTU in bytes (the kernel checks it against the device's range)\n"
	"  mac MAC          unicast MAC, 02:00:5e:10:00:01 or 02-00-5e-10-00-01\n"
	"  master BRIDGE    enslave the adapter to the bridge BRIDGE\n"
	"  nomaster         release the adapter from its bridge\n"
	"\n"
	"Options:\n"
	"  --help           this help\n"
	"\n"
	"Examples:\n"
	"  tapkit set tap0 mtu 9000\n"
	"  tapkit set tap0 mac 02:00:5e:10:00:01 master br0\n"
	"  tapkit set tap0 nomaster\n";

#define SET_MAX_ITEMS 32

enum set_kind { SET_MTU, SET_MAC, SET_MASTER };

struct set_item {
	enum set_kind kind;
	uint32_t mtu;
	uint8_t mac[TK_MAC_LEN];
	const char *master; /* NULL: nomaster */
};

static int set_parse_mac(struct cli *cli, const char *value, uint8_t mac[TK_MAC_LEN])
{
	static const uint8_t zero[TK_MAC_LEN];

	if (tk_mac_parse(value, true, mac) != TK_OK)
		return cli_usage_error(
			cli, "invalid MAC \"%s\": expected six hex bytes such as 02:00:5e:10:00:01",
			value);
	if (mac[0] & 1)
		return cli_usage_error(
			cli,
			"invalid MAC \"%s\": a multicast address (odd first byte) cannot be an adapter's address; use a unicast one such as 02:00:5e:10:00:01",
			value);
	if (memcmp(mac, zero, TK_MAC_LEN) == 0 || tk_mac_parse(value, false, mac) != TK_OK)
		return cli_usage_error(
			cli, "invalid MAC \"%s\": the all-zero address is not allowed", value);
	return 0;
}

/* Parses the setting at pos[*i] (advancing past its value) into item. */
static int set_parse_one(struct cli *cli, const char **pos, size_t npos, size_t *i,
			 struct set_item *item)
{
	const char *key = pos[*i], *value;
	tk_error err = { 0 };

	if (strcmp(key, "nomaster") == 0) {
		item->kind = SET_MASTER;
		item->master = NULL;
		return 0;
	}
	if (strcmp(key, "mtu") != 0 && strcmp(key, "mac") != 0 && strcmp(key, "master") != 0)
		return cli_usage_error(
			cli, "unknown setting \"%s\": expected mtu, mac, master or nomaster", key);
	if (*i + 1 >= npos)
		return cli_usage_error(cli, "%s needs a value", key);
	value = pos[++*i];
	if (strcmp(key, "mtu") == 0) {
		item->kind = SET_MTU;
		/* Any number goes to the kernel, which knows this device's limits and says them. */
		if (!cli_parse_u32(value, 0, UINT32_MAX, &item->mtu))
			return cli_usage_error(
				cli, "invalid MTU \"%s\": expected a number from %d to %d", value,
				TK_MTU_MIN, TK_MTU_MAX);
	} else if (strcmp(key, "mac") == 0) {
		item->kind = SET_MAC;
		return set_parse_mac(cli, value, item->mac);
	} else {
		item->kind = SET_MASTER;
		item->master = value;
		if (tk_adapter_name_check(value, &err) != TK_OK)
			return cli_usage_error(cli, "invalid bridge name \"%s\": %s", value,
					       err.message);
	}
	return 0;
}

static int set_parse(struct cli *cli, const char **pos, size_t npos, struct set_item *items,
		     size_t *nitems)
{
	*nitems = 0;
	if (npos < 2)
		return cli_usage_error(
			cli, "nothing to set: give mtu N, mac MAC, master BRIDGE or nomaster");
	for (size_t i = 1; i < npos; i++) {
		int rc;

		if (*nitems >= SET_MAX_ITEMS)
			return cli_usage_error(cli, "too many settings: at most %d at once",
					       SET_MAX_ITEMS);
		rc = set_parse_one(cli, pos, npos, &i, &items[*nitems]);
		if (rc != 0)
			return rc;
		(*nitems)++;
	}
	return 0;
}

static tk_status set_apply(struct cli *cli, const char *name, const struct set_item *item,
			   tk_error *err)
{
	switch (item->kind) {
	case SET_MTU:
		return tk_adapter_set_mtu(cli->ctx, name, item->mtu, err);
	case SET_MAC:
		return tk_adapter_set_mac(cli->ctx, name, item->mac, err);
	case SET_MASTER:
		return tk_adapter_set_master(cli->ctx, name, item->master, err);
	}
	return TK_E_INTERNAL;
}

static void set_print(const char *name, const struct set_item *item)
{
	char mac[32];

	fputs("set ", stdout);
	cli_text_write(stdout, name);
	switch (item->kind) {
	case SET_MTU:
		printf(" mtu %u", (unsigned int)item->mtu);
		break;
	case SET_MAC:
		printf(" mac %s", tk_mac_format(item->mac, mac, sizeof(mac)));
		break;
	case SET_MASTER:
		fputs(item->master ? " master " : " nomaster", stdout);
		if (item->master)
			cli_text_write(stdout, item->master);
		break;
	}
	fputc('\n', stdout);
}

static int set_run(struct cli *cli, int argc, char **argv)
{
	struct set_item items[SET_MAX_ITEMS];
	const char *pos[2 * SET_MAX_ITEMS + 1];
	tk_error err = { 0 };
	size_t npos, nitems;
	tk_status st;
	int rc;

	rc = cli_args_parse(cli, argc, argv, NULL, 0, pos, CLI_ARRAY_SIZE(pos), &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (npos < 1)
		return cli_usage_error(cli, "missing adapter name");
	rc = set_parse(cli, pos, npos, items, &nitems);
	if (rc != 0)
		return rc;
	/* An invalid adapter name is a bad value too: report it before changing anything. */
	st = tk_adapter_name_check(pos[0], &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	for (size_t i = 0; i < nitems; i++) {
		st = set_apply(cli, pos[0], &items[i], &err);
		if (st != TK_OK)
			return cli_fail(cli, st, &err);
		if (!cli->json)
			set_print(pos[0], &items[i]);
	}
	return CLI_EXIT_OK;
}

const struct cli_verb cli_verb_set = {
	.name = "set",
	.run = set_run,
	.summary = "set MTU, MAC or bridge master",
	.usage = set_usage,
};
