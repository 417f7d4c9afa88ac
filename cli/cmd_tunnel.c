/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel run|status`: the L2 tunnel (docs/tunnel.md). `run` builds the configuration
 * from a file or from flags and hands it to src/tunnel; `status` asks a running tunnel over its
 * control socket. The daemon serves the status as a JSON document, written here with the CLI's
 * JSON writer; the `status` client renders text from it (tunnel_status.c).
 */
#include "cli.h"

#include <string.h>

static const char tunnel_usage[] =
	"usage: tapkit tunnel run --config FILE [--no-watch]\n"
	"       tapkit tunnel run --dev NAME --peer ADDR:PORT [--listen ADDR:PORT]\n"
	"                         [--mode plain|sealed] [--vni N] [--key FILE --peer-key PUBKEY]\n"
	"                         [--addr CIDR[,CIDR...]] [--mtu N] [--mac MAC] [--control PATH]\n"
	"                         [--user USER[:GROUP]]\n"
	"       tapkit tunnel status [--dev NAME | --control WHERE] [--json]\n"
	"       tapkit tunnel service install|uninstall|start|stop|status\n"
	"                             --config FILE | --dev NAME           (Windows)\n"
	"\n"
	"Carries the Ethernet frames of a TAP adapter to peers over UDP. Plain mode is VXLAN\n"
	"(RFC 7348; it interoperates with Linux's vxlan device); sealed mode encrypts and\n"
	"authenticates every frame (XChaCha20-Poly1305, X25519 keys from `tapkit genkey`).\n"
	"With several peers it is a learning switch. The adapter is created when missing,\n"
	"configured (MTU, addresses, up) and reopened if it vanishes.\n"
	"\n"
	"run options:\n"
	"  --config FILE      [Interface] and [Peer] sections (docs/tunnel.md); re-read when it\n"
	"                     changes (and on SIGHUP)\n"
	"  --no-watch         do not watch the --config file: reload on SIGHUP only\n"
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
	"  --control WHERE    control socket: /PATH, or @NAME (abstract); default\n"
	"                     @tapkit/tunnel/NAME, which belongs to the network namespace\n"
	"  --user USER[:GROUP] once started, run as USER keeping only CAP_NET_ADMIN (for\n"
	"                     re-creating a vanished adapter); in a file: User = USER\n"
	"\n"
	"run prints \"tunnel NAME running ...\" on stdout once frames flow; SIGINT/SIGTERM stop it\n"
	"(removing an adapter it created). The --config file is watched (inotify on its\n"
	"directory, so an editor's rename-replace is seen) and reloaded 250 ms after the last\n"
	"change, and on SIGHUP; a bad file is logged with FILE:LINE and the running configuration\n"
	"stays. With User (--user) the private key is read at start only, as root, and must not\n"
	"belong to that user: a new key needs a restart.\n"
	"On Windows (docs/windows.md): both modes (sealed when built with the libsodium and\n"
	"OpenSSL of scripts/mingw-deps.sh); Ctrl-C stops it; the file is watched\n"
	"(ReadDirectoryChangesW; no SIGHUP: with --no-watch a change waits for a restart);\n"
	"status comes over the named pipe \\\\.\\pipe\\tapkit\\tunnel\\NAME, open to\n"
	"Administrators and SYSTEM only. `service install` registers tapkit-tunnel-NAME\n"
	"(LocalSystem, automatic start, restarted on failure) running `tunnel run --config FILE`;\n"
	"it logs to %ProgramData%\\tapkit\\tapkit-tunnel-NAME.log. It warns (and installs)\n"
	"when the file's or the key's owner is one LocalSystem does not trust: the service\n"
	"would refuse to start (the warning gives the icacls /setowner fix).\n"
	"\n"
	"status prints per peer frames and bytes in and out, last seen, the drops by reason and\n"
	"the learned MAC addresses; --json as documented in docs/tunnel.md. Without --dev it asks\n"
	"the one tunnel of the current network namespace (ip netns exec NS tapkit tunnel status\n"
	"for another namespace's).\n";

#include "tunnel/tunnel.h"
#include "tunnel_status.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- the status document (from the engine's snapshot, inside the running daemon) ---- */

static void drops_json(struct cli_json *j, const char *key, const uint64_t *drops, size_t n)
{
	cli_json_object_begin(j, key);
	for (size_t d = 1; d < n; d++)
		cli_json_int(j, tk_tunnel_drop_name(d), (int64_t)drops[d]);
	cli_json_object_end(j);
}

static const char *peer_ep(const tk_tunnel_snapshot *s, int64_t peer)
{
	if (peer == TK_TUNNEL_PORT_LOCAL)
		return "local";
	return peer >= 0 && (size_t)peer < s->npeers ? s->peers[peer].endpoint : "?";
}

static void key_json(struct cli_json *j, const char *key, const char *b64)
{
	if (b64[0])
		cli_json_string(j, key, b64);
	else
		cli_json_null(j, key);
}

static void macs_json(struct cli_json *j, const tk_tunnel_snapshot *s)
{
	char mac[24];

	cli_json_object_begin(j, "mac_table");
	cli_json_int(j, "count", s->mac_count);
	cli_json_int(j, "capacity", s->mac_capacity);
	cli_json_int(j, "age_s", s->mac_age_s);
	cli_json_int(j, "evictions", (int64_t)s->mac_evictions);
	cli_json_array_begin(j, "entries");
	for (size_t i = 0; i < s->nmacs; i++) {
		cli_json_object_begin(j, NULL);
		cli_json_string(j, "mac", tk_mac_format(s->macs[i].mac, mac, sizeof(mac)));
		cli_json_string(j, "peer", peer_ep(s, s->macs[i].peer));
		cli_json_int(j, "age_ms", (int64_t)s->macs[i].age_ms);
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
	cli_json_object_end(j);
}

static void peer_json(struct cli_json *j, const tk_tunnel_snapshot *s, const tk_tunnel_peer_info *p)
{
	char mac[24];

	cli_json_object_begin(j, NULL);
	cli_json_string(j, "endpoint", p->endpoint);
	key_json(j, "public_key", p->public_key);
	cli_json_array_begin(j, "allowed_macs");
	for (size_t i = 0; i < p->nallowed; i++)
		cli_json_string(j, NULL, tk_mac_format(p->allowed_macs[i], mac, sizeof(mac)));
	cli_json_array_end(j);
	cli_json_int(j, "rx_frames", (int64_t)p->rx_frames);
	cli_json_int(j, "rx_bytes", (int64_t)p->rx_bytes);
	cli_json_int(j, "tx_frames", (int64_t)p->tx_frames);
	cli_json_int(j, "tx_bytes", (int64_t)p->tx_bytes);
	if (p->last_seen_ns) {
		cli_json_int(j, "last_seen", (int64_t)(p->last_seen_ns / 1000000000ull));
		cli_json_int(j, "last_seen_ago_ms",
			     (int64_t)((s->now_ns - p->last_seen_ns) / 1000000u));
	} else {
		cli_json_null(j, "last_seen");
		cli_json_null(j, "last_seen_ago_ms");
	}
	cli_json_int(j, "sessions", (int64_t)p->sessions);
	cli_json_int(j, "handshakes", (int64_t)p->handshakes);
	cli_json_int(j, "last_handshake", (int64_t)(p->last_handshake_ns / 1000000000ull));
	cli_json_int(j, "keepalives_rx", (int64_t)p->keepalives_rx);
	cli_json_string(j, "current_endpoint", p->current_endpoint);
	drops_json(j, "drops", p->drops, s->ndrops);
	cli_json_object_end(j);
}

/* The status document the daemon serves (docs/json.md, "tunnel status"). */
static void status_json(FILE *f, const tk_tunnel_snapshot *s)
{
	struct cli_json j;

	cli_json_doc_begin(&j, f);
	cli_json_object_begin(&j, "tunnel");
	cli_json_int(&j, "snapshot_version", s->version);
	cli_json_string(&j, "adapter", s->adapter);
	cli_json_bool(&j, "adapter_open", s->adapter_open);
	cli_json_int(&j, "pid", (int64_t)getpid());
	cli_json_string(&j, "mode", s->mode);
	cli_json_int(&j, "vni", s->vni);
	cli_json_string(&j, "listen", s->listen);
	cli_json_int(&j, "mtu", s->mtu);
	cli_json_bool(&j, "forward", s->forward);
	if (s->config[0])
		cli_json_string(&j, "config", s->config);
	else
		cli_json_null(&j, "config");
	key_json(&j, "public_key", s->public_key);
	cli_json_int(&j, "uptime_s", (int64_t)((s->now_ns - s->started_ns) / 1000000000ull));
	cli_json_int(&j, "adapter_reopens", (int64_t)s->adapter_reopens);
	cli_json_int(&j, "reloads", (int64_t)s->reloads);
	cli_json_int(&j, "reload_failures", (int64_t)s->reload_failures);
	drops_json(&j, "drops", s->drops, s->ndrops);
	cli_json_array_begin(&j, "peers");
	for (size_t i = 0; i < s->npeers; i++)
		peer_json(&j, s, &s->peers[i]);
	cli_json_array_end(&j);
	macs_json(&j, s);
	cli_json_object_end(&j);
	cli_json_object_end(&j);
	fputc('\n', f);
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
	O_NO_WATCH,
	O__COUNT
};

static void on_ready(const tk_tunnel_snapshot *s)
{
	printf("tunnel %s running: mode %s, vni %" PRIu32 ", listening on %s, %zu peer(s)\n",
	       s->adapter, s->mode, s->vni, s->listen, s->npeers);
	fflush(stdout);
}

/* The configuration key each flag sets: one checker for a flag and a file's key. */
static const char *const flag_key[O__COUNT] = {
	[O_DEV] = "Name",
	[O_MODE] = "Mode",
	[O_LISTEN] = "ListenAddress",
	[O_VNI] = "VNI",
	[O_KEY] = "PrivateKeyFile",
	[O_MTU] = "MTU",
	[O_MAC] = "MACAddress",
	[O_CONTROL] = "ControlSocket",
	[O_USER] = "User",
};

/* A flag's value refused by the configuration's setter: a usage error naming the flag. */
static int flag_error(struct cli *cli, const char *flag, const tk_error *err)
{
	return cli_usage_error(cli, "%s: %s", flag, err->message);
}

static int conf_from_flags(struct cli *cli, struct cli_opt *o, tk_tunnel_config **out)
{
	tk_tunnel_config *c = NULL;
	tk_error err = { 0 };
	size_t peer = 0;

	*out = NULL;
	if (!o[O_DEV].value || !o[O_PEER].value)
		return cli_usage_error(
			cli, "give --config FILE, or at least --dev NAME and --peer ADDR:PORT");
	if (tk_tunnel_config_new(cli->ctx, &c, &err) != TK_OK)
		return cli_fail(cli, err.status, &err);
	*out = c;
	/* User before the key file: a key the User owns is refused */
	static const int order[] = { O_DEV, O_MODE,    O_LISTEN, O_VNI, O_MTU,
				     O_MAC, O_CONTROL, O_USER,	 O_KEY };
	for (size_t i = 0; i < CLI_ARRAY_SIZE(order); i++) {
		int f = order[i];
		if (o[f].value && tk_tunnel_config_set(c, flag_key[f], o[f].value, &err) != TK_OK)
			return flag_error(cli, o[f].name, &err);
	}
	if (o[O_ADDR].value) {
		char buf[1024];
		char *save = NULL;
		snprintf(buf, sizeof(buf), "%s", o[O_ADDR].value);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (tk_tunnel_config_set(c, "Address", t, &err) != TK_OK)
				return flag_error(cli, "--addr", &err);
	}
	if (tk_tunnel_config_add_peer(c, &peer, &err) != TK_OK)
		return cli_fail(cli, TK_E_NO_MEMORY, &err); /* a failure (1), not a usage error */
	if (tk_tunnel_config_peer_set(c, peer, "Endpoint", o[O_PEER].value, &err) != TK_OK)
		return flag_error(cli, "--peer", &err);
	if (o[O_PEER_KEY].value &&
	    tk_tunnel_config_peer_set(c, peer, "PublicKey", o[O_PEER_KEY].value, &err) != TK_OK)
		return flag_error(cli, "--peer-key", &err);
	if (tk_tunnel_config_check(c, &err) != TK_OK)
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
		[O_NO_WATCH] = { .name = "--no-watch" },
	};
	struct tunnel_daemon_opts opts = { .render = status_json,
					   .ready = on_ready,
					   .watch = true };
	tk_tunnel_config *conf = NULL;
	tk_error err = { 0 };
	size_t npos = 0;

#ifdef _WIN32
	/* the installed service's command line ends with it (tapkit tunnel service install) */
	if (argc > 1 && strcmp(argv[argc - 1], "--service") == 0) {
		opts.service = true;
		argc--;
	}
#endif
	int rc = cli_args_parse(cli, argc, argv, o, O__COUNT, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (o[O_CONFIG].value) {
		for (int i = 0; i < O__COUNT; i++)
			if (i != O_CONFIG && i != O_NO_WATCH && o[i].seen)
				return cli_usage_error(
					cli,
					"%s cannot be combined with --config (put it in the file)",
					o[i].name);
		tk_status st = tk_tunnel_config_load(cli->ctx, o[O_CONFIG].value, &conf, &err);
		if (st != TK_OK)
			return cli_fail(cli, st, &err);
	} else {
		rc = conf_from_flags(cli, o, &conf);
		if (rc != 0) {
			tk_tunnel_config_free(conf);
			return rc;
		}
	}
	opts.watch = !o[O_NO_WATCH].seen;
	tk_status st = tunnel_daemon_run(cli->ctx, conf, &opts, &err);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return CLI_EXIT_OK;
}

/* ---- status ---- */

/* The one tunnel running in this network namespace when --dev is not given. */
static int tunnel_find(struct cli *cli, char *out, size_t size)
{
	size_t n = control_find(out, size);
	if (n == 0) {
		tk_error err = { 0 };
		err.status = TK_E_ADAPTER_NOT_FOUND;
		snprintf(err.op, sizeof(err.op), "status");
		snprintf(err.object, sizeof(err.object), "%s", CONTROL_ABSTRACT_PREFIX "*");
		snprintf(err.message, sizeof(err.message),
			 "no tunnel is running in this network namespace");
		snprintf(
			err.remedy, sizeof(err.remedy),
			"start one: tapkit tunnel run --config FILE; for another namespace: ip "
			"netns exec NS tapkit tunnel status; for a ControlSocket path: --control PATH");
		return cli_fail(cli, TK_E_ADAPTER_NOT_FOUND, &err);
	}
	if (n > 1)
		return cli_usage_error(cli,
				       "several tunnels are running: choose one with --dev NAME");
	return 0;
}

static int status_main(struct cli *cli, int argc, char **argv)
{
	struct cli_opt o[] = { { .name = "--dev", .takes_value = true },
			       { .name = "--control", .takes_value = true } };
	char where[256];
	tk_error err = { 0 };
	size_t npos = 0;

	int rc = cli_args_parse(cli, argc, argv, o, CLI_ARRAY_SIZE(o), NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (o[1].value) {
		snprintf(where, sizeof(where), "%s", o[1].value);
	} else if (o[0].value) {
		if (tk_adapter_name_check(o[0].value, &err) != TK_OK)
			return cli_fail(cli, TK_E_NAME_INVALID, &err);
		control_default(o[0].value, where, sizeof(where));
	} else if ((rc = tunnel_find(cli, where, sizeof(where))) != 0) {
		return rc;
	}
	char *doc = NULL;
	size_t len = 0;
	tk_status st = control_query(where, &doc, &len, &err);
	/* the daemon serves data; the text is rendered here (tunnel_status.c) */
	if (st == TK_OK && cli->json) {
		st = cli_tunnel_status_check(doc, len, where, &err);
		if (st == TK_OK)
			fwrite(doc, 1, len, stdout);
	} else if (st == TK_OK) {
		st = cli_tunnel_status_text(stdout, doc, len, where, &err);
	}
	free(doc);
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	return CLI_EXIT_OK;
}

#ifdef _WIN32
#include "winservice.h"

#define SVC_CMD	       "tapkit tunnel service"
#define SVC_TIMEOUT_MS 30000
/* the SID of the account the service below runs as: LocalSystem (spec.virtual_account false) */
#define SVC_ACCOUNT_SID "S-1-5-18"

/*
 * `tapkit tunnel service install|uninstall|start|stop|status --config FILE | --dev NAME`: one
 * service per adapter (tapkit-tunnel-NAME), LocalSystem, started at boot, restarted by the
 * SCM's recovery actions when it fails; it runs `tapkit tunnel run --config FILE --service`.
 */
static int service_main(struct cli *cli, int argc, char **argv)
{
	struct cli_opt o[] = { { .name = "--config", .takes_value = true },
			       { .name = "--dev", .takes_value = true } };
	static const char *const verbs[] = { "install", "uninstall", "start", "stop", "status" };
	char service[TK_NAME_MAX + 16], full[1024], dev[TK_NAME_MAX];
	tk_error err = { 0 };
	size_t npos = 0, v = 0;

	if (argc < 2)
		return cli_usage_error(cli, "tunnel service: expected install, uninstall, start, "
					    "stop or status");
	while (v < CLI_ARRAY_SIZE(verbs) && strcmp(argv[1], verbs[v]) != 0)
		v++;
	if (v == CLI_ARRAY_SIZE(verbs))
		return cli_usage_error(cli,
				       "unknown tunnel service command \"%s\": expected install, "
				       "uninstall, start, stop or status",
				       argv[1]);
	int rc = cli_args_parse(cli, argc - 1, argv + 1, o, CLI_ARRAY_SIZE(o), NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (!o[0].value && (v == 0 || !o[1].value))
		return cli_usage_error(cli,
				       v == 0 ? "tunnel service install needs --config FILE"
					      : "tunnel service: give --config FILE or --dev NAME");
	char owners[1536] = "";
	if (o[0].value) {
		/* the file is read now: a service that cannot start is refused at install */
		tk_tunnel_config *c = NULL;
		if (!cli_svc_full_path(o[0].value, full, sizeof(full)))
			return cli_usage_error(cli, "--config %s: not a valid path", o[0].value);
		tk_status st = tk_tunnel_config_load(cli->ctx, full, &c, &err);
		if (st != TK_OK)
			return cli_fail(cli, st, &err);
		snprintf(dev, sizeof(dev), "%s", tk_tunnel_config_name(c));
		/*
		 * load trusted files this user owns; the service's account will not. Said as a
		 * warning, not a refusal: under Wine every file is owned by the prefix's user and
		 * Wine cannot change an owner (SetNamedSecurityInfoW succeeds and changes nothing;
		 * docs/windows.md), so a refusal would leave no service testable there, and Wine's
		 * services run as that user, whose files they do trust.
		 */
		tk_error oerr = { 0 };
		if (v == 0 && tk_tunnel_config_check_owners_as(c, SVC_ACCOUNT_SID, &oerr) != TK_OK)
			snprintf(
				owners, sizeof(owners),
				"%s: the service will refuse to start (it runs as LocalSystem)%s%s",
				oerr.message, oerr.remedy[0] ? "; fix: " : "", oerr.remedy);
		tk_tunnel_config_free(c);
	} else {
		snprintf(dev, sizeof(dev), "%s", o[1].value);
	}
	tunnel_service_name(dev, service, sizeof(service));
	tk_status st = TK_OK;
	if (v == 0) {
		const char *args[] = { "tunnel", "run", "--config", full, "--service" };
		char desc[TK_NAME_MAX + 1100], warning[256] = "";
		snprintf(desc, sizeof(desc), "tapkit L2 tunnel on adapter %s (%s)", dev, full);
		struct cli_svc_spec spec = { .name = service,
					     .display = service,
					     .description = desc,
					     .args = args,
					     .nargs = CLI_ARRAY_SIZE(args),
					     .cmd = SVC_CMD };
		st = cli_svc_install(&spec, warning, sizeof(warning), &err);
		if (st == TK_OK) {
			if (warning[0])
				fprintf(stderr, "tapkit: warning: %s\n", warning);
			if (owners[0])
				fprintf(stderr, "tapkit: warning: %s\n", owners);
			printf("installed service %s (LocalSystem, automatic start): start it with "
			       "`tapkit tunnel service start --dev \"%s\"`\n",
			       service, dev);
		}
	} else if (v == 1) {
		st = cli_svc_uninstall(service, SVC_CMD, SVC_TIMEOUT_MS, &err);
		if (st == TK_OK)
			printf("uninstalled service %s\n", service);
	} else if (v == 2) {
		st = cli_svc_start(service, SVC_CMD, SVC_TIMEOUT_MS, &err);
		if (st == TK_OK)
			printf("service %s running\n", service);
	} else if (v == 3) {
		st = cli_svc_stop(service, SVC_CMD, SVC_TIMEOUT_MS, &err);
		if (st == TK_OK)
			printf("service %s stopped\n", service);
	} else {
		struct cli_svc_status ss;
		st = cli_svc_query(service, &ss, &err);
		if (st == TK_OK && !ss.installed)
			printf("service %s: not installed\n", service);
		else if (st == TK_OK)
			printf("service %s: %s (pid %lu, last exit %lu/%lu), runs %s as %s\n",
			       service, cli_svc_state_name(ss.state), (unsigned long)ss.pid,
			       (unsigned long)ss.exit_code, (unsigned long)ss.specific_exit,
			       ss.command, ss.account);
	}
	return st == TK_OK ? CLI_EXIT_OK : cli_fail(cli, st, &err);
}
#endif

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
#ifdef _WIN32
	if (strcmp(argv[1], "service") == 0)
		return service_main(cli, argc - 1, argv + 1);
#endif
	return cli_usage_error(cli, "unknown tunnel command \"%s\": expected run or status",
			       argv[1]);
}

const struct cli_verb cli_verb_tunnel = {
	.name = "tunnel",
	.run = tunnel_run,
	.summary = "carry a TAP adapter's frames to peers over UDP (VXLAN, sealed)",
	.usage = tunnel_usage,
	.log_info = true,
};
