/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel run|status`: the L2 tunnel (docs/tunnel.md). `run` builds the configuration
 * from a file or from flags and hands it to src/tunnel; `status` asks a running tunnel over its
 * control socket. The status document is rendered here (it is CLI output: the JSON writer and
 * text layout live with the other printers) and called by the tunnel when a client asks.
 */
#include "cli.h"

#include <string.h>

static const char tunnel_usage[] =
	"usage: tapkit tunnel run --config FILE\n"
	"       tapkit tunnel run --dev NAME --peer ADDR:PORT [--listen ADDR:PORT]\n"
	"                         [--mode plain|sealed] [--vni N] [--key FILE --peer-key PUBKEY]\n"
	"                         [--addr CIDR[,CIDR...]] [--mtu N] [--mac MAC] [--control PATH]\n"
	"                         [--user USER[:GROUP]]\n"
	"       tapkit tunnel status [--dev NAME | --control PATH] [--json]\n"
	"\n"
	"Carries the Ethernet frames of a TAP adapter to peers over UDP. Plain mode is VXLAN\n"
	"(RFC 7348; it interoperates with Linux's vxlan device); sealed mode encrypts and\n"
	"authenticates every frame (XChaCha20-Poly1305, X25519 keys from `tapkit genkey`).\n"
	"With several peers it is a learning switch. The adapter is created when missing,\n"
	"configured (MTU, addresses, up) and reopened if it vanishes.\n"
	"\n"
	"run options:\n"
	"  --config FILE      [Interface] and [Peer] sections (docs/tunnel.md); SIGHUP re-reads it\n"
	"  --dev NAME         the TAP adapter\n"
	"  --mode MODE        plain (default) or sealed\n"
	"  --listen ADDR:PORT local UDP address (default: every address, port 4789)\n"
	"  --peer ADDR:PORT   the other end\n"
	"  --vni N            VXLAN network identifier (default 1)\n"
	"  --key FILE         our private key (mode 0600), for sealed mode\n"
	"  --peer-key PUBKEY  the peer's public key (its `tapkit pubkey`), for sealed mode\n"
	"  --addr CIDR        address(es) for the adapter, comma separated\n"
	"  --mtu N            the adapter's MTU (default: 1500 minus the headers)\n"
	"  --mac MAC          the adapter's MAC (default: one derived from the machine id,\n"
	"                     network namespace and name, the same at every start)\n"
	"  --control PATH     control socket (default /run/tapkit/tunnel-NAME.sock)\n"
	"  --user USER[:GROUP] once started, run as USER keeping only CAP_NET_ADMIN (for\n"
	"                     re-creating a vanished adapter); in a file: User = USER\n"
	"\n"
	"run prints \"tunnel NAME running ...\" on stdout once frames flow; SIGINT/SIGTERM stop it\n"
	"(removing an adapter it created), SIGHUP reloads --config (a bad file is logged with\n"
	"FILE:LINE and the running configuration stays).\n"
	"\n"
	"status prints per peer frames and bytes in and out, last seen, the drops by reason and\n"
	"the learned MAC addresses; --json as documented in docs/tunnel.md.\n";

#if defined(_WIN32)

static int tunnel_run(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(cli, "the tunnel is not available on Windows yet");
}

#else

#include "tunnel/tunnel_internal.h"

#include <glob.h>
#include <inttypes.h>
#include <sodium.h>

/* ---- status rendering (called inside the running tunnel) ---- */

static const char *mode_name(enum tk__tunnel_mode m)
{
	return m == TK__TUNNEL_SEALED ? "sealed" : "plain";
}

static void drops_json(struct cli_json *j, const char *key, const uint64_t *drops)
{
	cli_json_object_begin(j, key);
	for (int d = 1; d < TK__DROP__COUNT; d++)
		cli_json_int(j, tk__drop_key((enum tk__drop)d), (int64_t)drops[d]);
	cli_json_object_end(j);
}

static void drops_text(FILE *f, const uint64_t *drops)
{
	bool any = false;
	for (int d = 1; d < TK__DROP__COUNT; d++) {
		if (!drops[d])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : "", tk__drop_key((enum tk__drop)d),
			drops[d]);
		any = true;
	}
	fputs(any ? "\n" : "none\n", f);
}

static const char *peer_ep(const struct tk__tunnel_view *v, uint32_t port)
{
	if (port == TK__MAC_LOCAL)
		return "local";
	return port < v->npeers ? v->peers[port].conf.ep_text : "?";
}

static void macs_json(struct cli_json *j, const struct tk__tunnel_view *v)
{
	const struct tk__mactable *m = v->macs;
	char mac[24];

	cli_json_object_begin(j, "mac_table");
	cli_json_int(j, "count", m->count);
	cli_json_int(j, "capacity", m->capacity);
	cli_json_int(j, "age_s", (int64_t)(m->age_ns / 1000000000ull));
	cli_json_int(j, "evictions", (int64_t)m->evictions);
	cli_json_array_begin(j, "entries");
	for (uint32_t i = m->newest; i != TK__MAC_NONE; i = m->e[i].older) {
		cli_json_object_begin(j, NULL);
		cli_json_string(j, "mac", tk_mac_format(m->e[i].mac, mac, sizeof(mac)));
		cli_json_string(j, "peer", peer_ep(v, m->e[i].port));
		cli_json_int(j, "age_ms", (int64_t)((v->mono_now_ns - m->e[i].seen_ns) / 1000000u));
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
	cli_json_object_end(j);
}

static void peer_json(struct cli_json *j, const struct tk__tunnel_view *v, const struct tk__peer *p)
{
	char mac[24];

	cli_json_object_begin(j, NULL);
	cli_json_string(j, "endpoint", p->conf.ep_text);
	if (p->conf.has_key) {
		char b64[TK__KEY_B64_LEN + 1];

		tk__key_to_base64(p->conf.pk, b64);
		cli_json_string(j, "public_key", b64);
	} else {
		cli_json_null(j, "public_key");
	}
	cli_json_array_begin(j, "allowed_macs");
	for (size_t i = 0; i < p->conf.nmacs; i++)
		cli_json_string(j, NULL, tk_mac_format(p->conf.macs[i], mac, sizeof(mac)));
	cli_json_array_end(j);
	cli_json_int(j, "rx_frames", (int64_t)p->st.rx_frames);
	cli_json_int(j, "rx_bytes", (int64_t)p->st.rx_bytes);
	cli_json_int(j, "tx_frames", (int64_t)p->st.tx_frames);
	cli_json_int(j, "tx_bytes", (int64_t)p->st.tx_bytes);
	if (p->st.last_seen_ns) {
		cli_json_int(j, "last_seen", (int64_t)(p->st.last_seen_ns / 1000000000ull));
		cli_json_int(j, "last_seen_ago_ms",
			     (int64_t)((v->now_ns - p->st.last_seen_ns) / 1000000u));
	} else {
		cli_json_null(j, "last_seen");
		cli_json_null(j, "last_seen_ago_ms");
	}
	cli_json_int(j, "sessions", (int64_t)p->rx.sessions);
	drops_json(j, "drops", p->st.drops);
	cli_json_object_end(j);
}

static void status_json(FILE *f, const struct tk__tunnel_view *v)
{
	const struct tk__tunnel_conf *c = v->conf;
	struct cli_json j;

	cli_json_doc_begin(&j, f);
	cli_json_object_begin(&j, "tunnel");
	cli_json_string(&j, "adapter", c->dev);
	cli_json_bool(&j, "adapter_open", v->dev[0] != '\0');
	cli_json_int(&j, "pid", v->pid);
	cli_json_string(&j, "mode", mode_name(c->mode));
	cli_json_int(&j, "vni", c->vni);
	cli_json_string(&j, "listen", v->listen);
	cli_json_int(&j, "mtu", c->mtu);
	cli_json_bool(&j, "forward", c->forward);
	if (c->origin[0])
		cli_json_string(&j, "config", c->origin);
	else
		cli_json_null(&j, "config");
	if (c->has_key) {
		char b64[TK__KEY_B64_LEN + 1];

		tk__key_to_base64(c->pk, b64);
		cli_json_string(&j, "public_key", b64);
	} else {
		cli_json_null(&j, "public_key");
	}
	cli_json_int(&j, "uptime_s", (int64_t)((v->now_ns - v->started_ns) / 1000000000ull));
	cli_json_int(&j, "adapter_reopens", (int64_t)v->reopens);
	cli_json_int(&j, "reloads", (int64_t)v->reloads);
	cli_json_int(&j, "reload_failures", (int64_t)v->reload_failures);
	drops_json(&j, "drops", v->drops);
	cli_json_array_begin(&j, "peers");
	for (size_t i = 0; i < v->npeers; i++)
		peer_json(&j, v, &v->peers[i]);
	cli_json_array_end(&j);
	macs_json(&j, v);
	cli_json_object_end(&j);
	cli_json_object_end(&j);
	fputc('\n', f);
}

static void status_text(FILE *f, const struct tk__tunnel_view *v)
{
	const struct tk__tunnel_conf *c = v->conf;
	const struct tk__mactable *m = v->macs;
	char b64[TK__KEY_B64_LEN + 1], mac[24];

	fputs("tunnel ", f);
	cli_text_write(f, c->dev);
	fprintf(f, " (pid %d): mode %s, vni %" PRIu32 ", listening on %s, up %" PRIu64 " s\n",
		v->pid, mode_name(c->mode), c->vni, v->listen,
		(uint64_t)((v->now_ns - v->started_ns) / 1000000000u));
	fprintf(f, "  adapter:     %s, mtu %" PRIu32 ", reopened %" PRIu64 " time(s)\n",
		v->dev[0] ? "open" : "reopening", c->mtu, v->reopens);
	if (c->has_key) {
		tk__key_to_base64(c->pk, b64);
		fprintf(f, "  public key:  %s\n", b64);
	}
	fprintf(f, "  config:      %s (reloaded %" PRIu64 ", rejected %" PRIu64 ")\n",
		c->origin[0] ? c->origin : "flags", v->reloads, v->reload_failures);
	fputs("  drops:       ", f);
	drops_text(f, v->drops);
	for (size_t i = 0; i < v->npeers; i++) {
		const struct tk__peer *p = &v->peers[i];
		fprintf(f, "\npeer %s\n", p->conf.ep_text);
		if (p->conf.has_key) {
			tk__key_to_base64(p->conf.pk, b64);
			fprintf(f, "  public key:  %s\n", b64);
		}
		if (p->st.last_seen_ns)
			fprintf(f, "  last seen:   %.1f s ago\n",
				(double)(v->now_ns - p->st.last_seen_ns) / 1e9);
		else
			fputs("  last seen:   never\n", f);
		fprintf(f, "  in:          %" PRIu64 " frames, %" PRIu64 " bytes\n",
			p->st.rx_frames, p->st.rx_bytes);
		fprintf(f, "  out:         %" PRIu64 " frames, %" PRIu64 " bytes\n",
			p->st.tx_frames, p->st.tx_bytes);
		if (c->mode == TK__TUNNEL_SEALED)
			fprintf(f, "  sessions:    %" PRIu64 "\n", p->rx.sessions);
		fputs("  drops:       ", f);
		drops_text(f, p->st.drops);
	}
	fprintf(f, "\nMAC table: %" PRIu32 " of %" PRIu32 " entries, aged after %" PRIu64 " s\n",
		m->count, m->capacity, (uint64_t)(m->age_ns / 1000000000u));
	for (uint32_t i = m->newest; i != TK__MAC_NONE; i = m->e[i].older)
		fprintf(f, "  %s  %-24s %.1f s\n", tk_mac_format(m->e[i].mac, mac, sizeof(mac)),
			peer_ep(v, m->e[i].port), (double)(v->mono_now_ns - m->e[i].seen_ns) / 1e9);
}

static void status_render(FILE *f, const struct tk__tunnel_view *v, bool json)
{
	if (json)
		status_json(f, v);
	else
		status_text(f, v);
}

/* ---- run ---- */

enum {
	O_CONFIG,
	O_DEV,
	O_MODE,
	O_LISTEN,
	O_PEER,
	O_VNI,
	O_KEY,
	O_PEER_KEY,
	O_ADDR,
	O_MTU,
	O_MAC,
	O_CONTROL,
	O_USER,
	O__COUNT
};

static void on_ready(void *user, const struct tk__tunnel_view *v)
{
	(void)user;
	printf("tunnel %s running: mode %s, vni %" PRIu32 ", listening on %s, %zu peer(s)\n",
	       v->dev, mode_name(v->conf->mode), v->conf->vni, v->listen, v->npeers);
	fflush(stdout);
}

static tk_status on_confine(void *user, const struct tk__tunnel_view *v, tk_error *err)
{
	struct cli *cli = user;
	return tk__privilege_confine(cli->ctx, v, err);
}

static int conf_from_flags(struct cli *cli, struct cli_opt *o, struct tk__tunnel_conf *c)
{
	tk_error err = { 0 };
	uint32_t u;

	tk__tunnel_conf_init(c);
	if (!o[O_DEV].value || !o[O_PEER].value)
		return cli_usage_error(
			cli, "give --config FILE, or at least --dev NAME and --peer ADDR:PORT");
	if (tk_adapter_name_check(o[O_DEV].value, &err) != TK_OK ||
	    strlen(o[O_DEV].value) >= sizeof(c->dev))
		return cli_fail(cli, TK_E_NAME_INVALID, &err);
	snprintf(c->dev, sizeof(c->dev), "%s", o[O_DEV].value);
	if (o[O_MODE].value) {
		if (strcmp(o[O_MODE].value, "sealed") == 0)
			c->mode = TK__TUNNEL_SEALED;
		else if (strcmp(o[O_MODE].value, "plain") != 0)
			return cli_usage_error(cli, "--mode \"%s\": expected plain or sealed",
					       o[O_MODE].value);
	}
	if (o[O_VNI].value) {
		if (!cli_parse_u32(o[O_VNI].value, 0, TK__VNI_MAX, &u))
			return cli_usage_error(cli, "--vni \"%s\": expected 0 to 16777215",
					       o[O_VNI].value);
		c->vni = u;
	}
	if (o[O_MTU].value) {
		if (!cli_parse_u32(o[O_MTU].value, 576, 9000, &u))
			return cli_usage_error(cli, "--mtu \"%s\": expected 576 to 9000",
					       o[O_MTU].value);
		c->mtu = u;
	}
	if (o[O_MAC].value) {
		if (tk_mac_parse(o[O_MAC].value, false, c->mac) != TK_OK)
			return cli_usage_error(
				cli, "--mac \"%s\": expected a unicast MAC like 02:00:5e:10:00:01",
				o[O_MAC].value);
		c->has_mac = true;
	}
	if (o[O_LISTEN].value &&
	    !tk__endpoint_parse(o[O_LISTEN].value, TK__VXLAN_PORT, &c->listen, &c->listen_len))
		return cli_usage_error(cli, "--listen \"%s\": expected ADDR:PORT or [IPV6]:PORT",
				       o[O_LISTEN].value);
	if (o[O_CONTROL].value) {
		if (o[O_CONTROL].value[0] != '/' || strlen(o[O_CONTROL].value) >= 100)
			return cli_usage_error(
				cli, "--control: expected an absolute path under 100 bytes");
		snprintf(c->control, sizeof(c->control), "%s", o[O_CONTROL].value);
	}
	if (o[O_ADDR].value) {
		char buf[1024];
		char *save = NULL;
		snprintf(buf, sizeof(buf), "%s", o[O_ADDR].value);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (c->naddrs >= TK_MAX_ADDRS)
				return cli_usage_error(cli, "--addr: at most %d addresses",
						       TK_MAX_ADDRS);
			if (tk_ip_addr_parse(t, &c->addrs[c->naddrs]) != TK_OK)
				return cli_usage_error(cli,
						       "--addr \"%s\": expected ADDRESS/PREFIX", t);
			c->naddrs++;
		}
	}
	struct tk__peer_conf *p = tk__tunnel_conf_add_peer(c, 0);
	if (!p) {
		tk_error e = { 0 };
		return cli_fail(cli, TK_E_NO_MEMORY, &e); /* a failure (1), not a usage error (2) */
	}
	if (!tk__endpoint_parse(o[O_PEER].value, TK__VXLAN_PORT, &p->ep, &p->ep_len))
		return cli_usage_error(cli, "--peer \"%s\": expected ADDR:PORT or [IPV6]:PORT",
				       o[O_PEER].value);
	tk__endpoint_format((const struct sockaddr *)&p->ep, p->ep_text, sizeof(p->ep_text));
	if (o[O_PEER_KEY].value) {
		if (!tk__key_from_base64(o[O_PEER_KEY].value, strlen(o[O_PEER_KEY].value), p->pk))
			return cli_usage_error(
				cli,
				"--peer-key: expected a base64 key of 44 characters (the peer's `tapkit pubkey`)");
		p->has_key = true;
	}
	if (o[O_USER].value) {
		char why[TK_ERROR_TEXT_MAX / 2];
		if (!tk__user_resolve(o[O_USER].value, c, why, sizeof(why)))
			return cli_usage_error(cli, "--user \"%s\": %s", o[O_USER].value, why);
	}
	if (o[O_KEY].value) {
		snprintf(c->key_file, sizeof(c->key_file), "%s", o[O_KEY].value);
		if (tk__key_file_read_for(c->key_file, "--key", c->has_user ? c->uid : (uid_t)-1,
					  c->sk, &err) != TK_OK)
			return cli_fail(cli, err.status, &err);
		c->has_key = true;
		tk__key_public(c->sk, c->pk);
	} else if (c->mode == TK__TUNNEL_SEALED) {
		return cli_usage_error(cli, "--mode sealed needs --key FILE and --peer-key PUBKEY");
	}
	if (tk__tunnel_conf_finish(c, &err) != TK_OK)
		return cli_fail(cli, err.status, &err);
	return 0;
}

static int run_main(struct cli *cli, int argc, char **argv)
{
	struct cli_opt o[O__COUNT] = {
		[O_CONFIG] = { .name = "--config", .takes_value = true },
		[O_DEV] = { .name = "--dev", .takes_value = true },
		[O_MODE] = { .name = "--mode", .takes_value = true },
		[O_LISTEN] = { .name = "--listen", .takes_value = true },
		[O_PEER] = { .name = "--peer", .takes_value = true },
		[O_VNI] = { .name = "--vni", .takes_value = true },
		[O_KEY] = { .name = "--key", .takes_value = true },
		[O_PEER_KEY] = { .name = "--peer-key", .takes_value = true },
		[O_ADDR] = { .name = "--addr", .takes_value = true },
		[O_MTU] = { .name = "--mtu", .takes_value = true },
		[O_MAC] = { .name = "--mac", .takes_value = true },
		[O_CONTROL] = { .name = "--control", .takes_value = true },
		[O_USER] = { .name = "--user", .takes_value = true },
	};
	struct tk__tunnel_conf conf;
	struct tk__tunnel_opts opts = {
		.render = status_render, .ready = on_ready, .confine = on_confine, .user = cli
	};
	tk_error err = { 0 };
	size_t npos = 0;

	int rc = cli_args_parse(cli, argc, argv, o, O__COUNT, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (!tk__seal_init()) {
		err.status = TK_E_INTERNAL;
		snprintf(err.message, sizeof(err.message), "libsodium cannot be initialised");
		return cli_fail(cli, TK_E_INTERNAL, &err);
	}
	if (o[O_CONFIG].value) {
		for (int i = 0; i < O__COUNT; i++)
			if (i != O_CONFIG && o[i].seen)
				return cli_usage_error(
					cli,
					"%s cannot be combined with --config (put it in the file)",
					o[i].name);
		tk_status st = tk__tunnel_conf_load(o[O_CONFIG].value, &conf, &err);
		if (st != TK_OK)
			return cli_fail(cli, st, &err);
	} else {
		rc = conf_from_flags(cli, o, &conf);
		if (rc != 0) {
			tk__tunnel_conf_free(&conf);
			return rc;
		}
	}
	tk_status st = tk__tunnel_run(cli->ctx, &conf, &opts, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return CLI_EXIT_OK;
}

/* ---- status ---- */

/* The one running tunnel's socket when --dev is not given. */
static int control_find(struct cli *cli, char *out, size_t size)
{
	glob_t g;
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the CLI has one thread */
	int r = glob(TK__CONTROL_DIR "/tunnel-*.sock", 0, NULL, &g);
	if (r != 0 || g.gl_pathc == 0) {
		if (r == 0)
			globfree(&g);
		tk_error err = { 0 };
		err.status = TK_E_ADAPTER_NOT_FOUND;
		snprintf(err.op, sizeof(err.op), "status");
		snprintf(err.object, sizeof(err.object), "%s", TK__CONTROL_DIR);
		snprintf(err.message, sizeof(err.message), "no tunnel is running");
		snprintf(err.remedy, sizeof(err.remedy),
			 "start one: tapkit tunnel run --config FILE");
		return cli_fail(cli, TK_E_ADAPTER_NOT_FOUND, &err);
	}
	if (g.gl_pathc > 1) {
		globfree(&g);
		return cli_usage_error(cli,
				       "several tunnels are running: choose one with --dev NAME");
	}
	snprintf(out, size, "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

static int status_main(struct cli *cli, int argc, char **argv)
{
	struct cli_opt o[] = { { .name = "--dev", .takes_value = true },
			       { .name = "--control", .takes_value = true } };
	char path[TK__PATH_MAX];
	tk_error err = { 0 };
	size_t npos = 0;

	int rc = cli_args_parse(cli, argc, argv, o, CLI_ARRAY_SIZE(o), NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (o[1].value) {
		snprintf(path, sizeof(path), "%s", o[1].value);
	} else if (o[0].value) {
		if (tk_adapter_name_check(o[0].value, &err) != TK_OK)
			return cli_fail(cli, TK_E_NAME_INVALID, &err);
		tk__control_path(o[0].value, path, sizeof(path));
	} else if ((rc = control_find(cli, path, sizeof(path))) != 0) {
		return rc;
	}
	tk_status st = tk__control_query(path, cli->json, stdout, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return CLI_EXIT_OK;
}

static int tunnel_run(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(tunnel_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "run") == 0)
		return run_main(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return status_main(cli, argc - 1, argv + 1);
	return cli_usage_error(cli, "unknown tunnel command \"%s\": expected run or status",
			       argv[1]);
}

#endif

const struct cli_verb cli_verb_tunnel = {
	.name = "tunnel",
	.run = tunnel_run,
	.summary = "carry a TAP adapter's frames to peers over UDP (VXLAN, sealed)",
	.usage = tunnel_usage,
	.log_info = true,
};
