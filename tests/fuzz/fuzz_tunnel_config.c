/* SPDX-License-Identifier: MIT */
/*
 * The tunnel's configuration file (src/tunnel/tunnel_config.c, on the INI reader of
 * src/core/config.c) from any text, then the cross-key checks of tk__tunnel_conf_finish.
 * Properties: a refusal is TK_E_CONFIG with a message; an accepted file has an adapter name, at
 * most TK__PEERS_MAX peers each with an endpoint that formats and parses back, and a finished
 * one has an MTU and a terminated control path ("" for the CLI's default). A PrivateKeyFile is
 * opened for real: tests/fuzz/run.sh runs each fuzzer in a scratch directory with stdin from
 * /dev/null.
 */
#include "fuzz.h"
#include "tunnel/tunnel_internal.h"

#include <string.h>

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_error(tk_status st, const tk_error *err)
{
	FUZZ_CHECK(st == TK_E_CONFIG || st == TK_E_NO_MEMORY);
	FUZZ_CHECK(err->status == st);
	FUZZ_CHECK(terminated(err->message, sizeof(err->message)) && err->message[0]);
	FUZZ_CHECK(terminated(err->object, sizeof(err->object)));
	FUZZ_CHECK(terminated(err->remedy, sizeof(err->remedy)));
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!tk__seal_init())
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk__tunnel_conf c;
	tk_error err;

	memset(&err, 0, sizeof(err));
	tk_status st = tk__tunnel_conf_parse((const char *)data, size, "fuzz.conf", &c, &err);
	if (st != TK_OK) {
		check_error(st, &err);
		tk__tunnel_conf_free(&c);
		return 0;
	}
	FUZZ_CHECK(c.dev[0] && terminated(c.dev, sizeof(c.dev)));
	FUZZ_CHECK(c.npeers <= TK__PEERS_MAX);
	FUZZ_CHECK(c.naddrs <= TK_MAX_ADDRS);
	FUZZ_CHECK(c.vni <= TK__VNI_MAX);
	FUZZ_CHECK(c.mode == TK__TUNNEL_PLAIN || c.mode == TK__TUNNEL_SEALED);
	for (size_t i = 0; i < c.npeers; i++) {
		const struct tk__peer_conf *p = &c.peers[i];
		FUZZ_CHECK(p->nmacs <= TK__ALLOWED_MACS_MAX);
		FUZZ_CHECK(p->ep.ss_family == AF_INET || p->ep.ss_family == AF_INET6);
		char text[80];
		struct sockaddr_storage ss;
		socklen_t len = 0;
		tk__endpoint_format((const struct sockaddr *)&p->ep, text, sizeof(text));
		FUZZ_CHECK(tk__endpoint_parse(text, 1, &ss, &len));
		char again[80];
		tk__endpoint_format((const struct sockaddr *)&ss, again, sizeof(again));
		FUZZ_CHECK(strcmp(text, again) == 0);
	}

	memset(&err, 0, sizeof(err));
	st = tk__tunnel_conf_finish(&c, &err);
	if (st == TK_OK) {
		FUZZ_CHECK(c.npeers >= 1);
		FUZZ_CHECK(c.mtu > 0);
		/* "" is the CLI's default (the namespace's abstract socket): the library picks none */
		FUZZ_CHECK(terminated(c.control, sizeof(c.control)));
	} else {
		check_error(st, &err);
	}
	tk__tunnel_conf_free(&c);
	return 0;
}
