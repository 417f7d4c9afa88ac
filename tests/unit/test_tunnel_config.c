/* SPDX-License-Identifier: MIT */
/*
 * The tunnel's configuration file: a good file, every refusal with FILE:LINE and the reason,
 * and the private key file refused when group or others may read it (with the chmod fix).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunnel/tunnel_internal.h"

static char dir[64], key_path[128], pub[TK__KEY_B64_LEN + 1];

static int setup(void **state)
{
	uint8_t sk[32], pk[32], psk[32], ppk[32];
	char b64[TK__KEY_B64_LEN + 1];
	(void)state;
	if (!tk__seal_init())
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/tk-tconf.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(key_path, sizeof(key_path), "%s/private.key", dir);
	tk__key_generate(sk);
	tk__key_public(sk, pk);
	tk__key_to_base64(sk, b64);
	FILE *f = fopen(key_path, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", b64);
	fclose(f);
	chmod(key_path, 0600);
	tk__key_generate(psk);
	tk__key_public(psk, ppk);
	tk__key_to_base64(ppk, pub);
	return 0;
}

static int teardown(void **state)
{
	char p[160];
	(void)state;
	snprintf(p, sizeof(p), "%s/private.key", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static tk_status parse(const char *text, struct tk__tunnel_conf *c, tk_error *err)
{
	char origin[160];
	snprintf(origin, sizeof(origin), "%s/t.conf", dir);
	memset(err, 0, sizeof(*err));
	return tk__tunnel_conf_parse(text, strlen(text), origin, c, err);
}

/* Expects a refusal at t.conf:LINE whose message contains what. */
static void refused(const char *text, unsigned line, const char *what)
{
	struct tk__tunnel_conf c;
	tk_error err;
	char where[200];
	assert_int_equal(parse(text, &c, &err), TK_E_CONFIG);
	if (line)
		snprintf(where, sizeof(where), "%s/t.conf:%u", dir, line);
	else
		snprintf(where, sizeof(where), "%s/t.conf", dir);
	if (strcmp(err.object, where) != 0 || !strstr(err.message, what))
		fail_msg("expected \"%s\" at %s, got \"%s\" at %s", what, where, err.message,
			 err.object);
	assert_null(c.peers);
}

static void a_good_file(void **state)
{
	struct tk__tunnel_conf c;
	tk_error err;
	char text[1024];
	(void)state;
	snprintf(text, sizeof(text),
		 "# a comment\n[Interface]\nName = tk0\nMode = sealed\nVNI = 42\n"
		 "ListenAddress = 10.0.0.1:4790\nPrivateKeyFile = private.key\nMTU = 1400\n"
		 "Address = 10.250.0.1/24\nAddress = fd00::1/64\nMACTableSize = 128\nMACAge = 60\n"
		 "Forward = yes\n\n[Peer]\nEndpoint = 10.0.0.2:4790\nPublicKey = %s\n"
		 "AllowedMACs = 02:00:00:00:00:01, 02:00:00:00:00:02\n",
		 pub);
	assert_int_equal(parse(text, &c, &err), TK_OK);
	assert_string_equal(c.dev, "tk0");
	assert_int_equal(c.mode, TK__TUNNEL_SEALED);
	assert_int_equal(c.vni, 42);
	assert_int_equal(c.port, 4790);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.naddrs, 2);
	assert_int_equal(c.mac_table_size, 128);
	assert_int_equal(c.mac_age_s, 60);
	assert_true(c.forward);
	assert_true(c.has_key);
	assert_int_equal(c.npeers, 1);
	assert_string_equal(c.peers[0].ep_text, "10.0.0.2:4790");
	assert_int_equal(c.peers[0].nmacs, 2);
	/* no ControlSocket: the daemon's default (an abstract socket of the namespace) */
	assert_string_equal(c.control, "");
	tk__tunnel_conf_free(&c);
}

/*
 * The public setters are the file reader's checks: the same value is refused with the same
 * words (naming the key instead of FILE:LINE), and a refused value changes nothing.
 */
static void setters_are_the_file_checks(void **state)
{
	tk_tunnel_config *cfg = NULL, *parsed = NULL;
	tk_error err = { 0 }, ferr = { 0 };
	size_t peer = 99;
	(void)state;
	assert_int_equal(tk_tunnel_config_new(NULL, &cfg, &err), TK_OK);
	assert_int_equal(tk_tunnel_config_set(cfg, "Name", "tk0", &err), TK_OK);
	assert_int_equal(tk_tunnel_config_set(cfg, "MTU", "1400", &err), TK_OK);
	assert_int_equal(tk_tunnel_config_set(cfg, "MTU", "50", &err), TK_E_CONFIG);
	assert_string_equal(err.object, "MTU");
	assert_int_equal(tk_tunnel_config_parse(NULL,
						"[Interface]\nName = tk0\nMTU = 50\n[Peer]\n"
						"Endpoint = 10.0.0.2\n",
						56, "f.conf", &parsed, &ferr),
			 TK_E_CONFIG);
	assert_null(parsed);
	assert_string_equal(ferr.object, "f.conf:3");
	assert_string_equal(err.message, ferr.message);
	memset(&err, 0, sizeof(err)); /* an error record keeps its first cause */
	assert_int_equal(tk_tunnel_config_set(cfg, "Colour", "blue", &err), TK_E_CONFIG);
	assert_non_null(strstr(err.message, "unknown key \"Colour\""));
	/* no peer yet: refused by the check, as a file without [Peer] is */
	assert_int_equal(tk_tunnel_config_check(cfg, &err), TK_E_CONFIG);
	assert_int_equal(tk_tunnel_config_add_peer(cfg, &peer, &err), TK_OK);
	assert_int_equal(peer, 0);
	assert_int_equal(tk_tunnel_config_peer_set(cfg, 0, "Endpoint", "nowhere", &err),
			 TK_E_CONFIG);
	assert_int_equal(tk_tunnel_config_peer_set(cfg, 1, "Endpoint", "10.0.0.2", &err),
			 TK_E_CONFIG);
	assert_int_equal(tk_tunnel_config_peer_set(cfg, 0, "Endpoint", "10.0.0.2", &err), TK_OK);
	assert_int_equal(tk_tunnel_config_check(cfg, &err), TK_OK);
	assert_string_equal(tk_tunnel_config_name(cfg), "tk0");
	assert_string_equal(tk_tunnel_config_origin(cfg), "");
	assert_int_equal(cfg->c.mtu, 1400); /* the refused 50 changed nothing */
	assert_int_equal(cfg->c.peers[0].ep.ss_family, AF_INET);
	tk_tunnel_config_free(cfg);
}

static void defaults(void **state)
{
	struct tk__tunnel_conf c;
	tk_error err;
	(void)state;
	assert_int_equal(parse("[Interface]\nName = tk0\n[Peer]\nEndpoint = 10.0.0.2\n", &c, &err),
			 TK_OK);
	assert_int_equal(c.mode, TK__TUNNEL_PLAIN);
	assert_int_equal(c.vni, 1);
	assert_int_equal(c.port, 4789);
	assert_int_equal(c.mtu, 1450);
	assert_string_equal(c.peers[0].ep_text, "10.0.0.2:4789");
	tk__tunnel_conf_free(&c);
	assert_int_equal(
		parse("[Interface]\nName = tk0\n[Peer]\nEndpoint = [fd00::2]:5000\n", &c, &err),
		TK_OK);
	assert_int_equal(c.mtu, 1430); /* an IPv6 underlay costs 20 bytes more */
	assert_string_equal(c.peers[0].ep_text, "[fd00::2]:5000");
	tk__tunnel_conf_free(&c);
}

static void mac_address(void **state)
{
	struct tk__tunnel_conf c;
	tk_error err;
	(void)state;
	assert_int_equal(parse("[Interface]\nName = tk0\nMACAddress = 02:00:5E:10:00:01\n[Peer]\n"
			       "Endpoint = 10.0.0.2\n",
			       &c, &err),
			 TK_OK);
	assert_true(c.has_mac);
	static const uint8_t want[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	assert_memory_equal(c.mac, want, 6);
	tk__tunnel_conf_free(&c);
	assert_int_equal(parse("[Interface]\nName = tk0\n[Peer]\nEndpoint = 10.0.0.2\n", &c, &err),
			 TK_OK);
	assert_false(c.has_mac); /* the derived, stable MAC then */
	tk__tunnel_conf_free(&c);
}

static void errors_name_file_and_line(void **state)
{
	(void)state;
	refused("[Interface]\nName = tk0\nMode = secret\n", 3, "expected plain or sealed");
	refused("[Interface]\nName = tk0\nVNI = 16777216\n", 3, "VNI");
	refused("[Interface]\nName = tk0\nColour = blue\n", 3, "unknown key \"Colour\"");
	refused("[Interface]\nName = tk0\n[Pier]\n", 3, "unknown section [Pier]");
	refused("[Interface]\nName = tk0\nVNI = 1\nVNI = 2\n", 4, "given twice (first at line 3)");
	refused("[Interface]\nName = tk0\n\n[Peer]\nPublicKey = abc\n", 5, "PublicKey");
	refused("[Interface]\nName = tk0\n[Peer]\nEndpoint = host.example:1\n", 4, "Endpoint");
	refused("[Interface]\nName = tk0\n[Peer]\n# no endpoint\n", 3, "has no Endpoint");
	refused("[Interface]\nName = tk0\n", 0, "no peer");
	refused("[Peer]\nEndpoint = 10.0.0.2\n", 0, "no [Interface]");
	refused("[Interface]\nMode = plain\n[Peer]\nEndpoint = 10.0.0.2\n", 1, "no Name");
	refused("[Interface]\nName = tk0\nMode = sealed\n[Peer]\nEndpoint = 10.0.0.2\n", 1,
		"PrivateKeyFile");
	/* the one MTU rule (tk_mtu_check): 68..9000 for the tunnel, 1280 with an IPv6 address */
	refused("[Interface]\nName = tk0\nMTU = 60\n", 3, "from 68 to 9000");
	refused("[Interface]\nName = tk0\nMTU = 9001\n", 3, "from 68 to 9000");
	refused("[Interface]\nName = tk0\nMTU = 1000\nAddress = fd00::1/64\n[Peer]\nEndpoint = "
		"10.0.0.2\n",
		0, "IPv6 needs 1280");
	refused("[Interface]\nName = tk0\nMACAddress = 01:00:5e:00:00:01\n", 3, "unicast MAC");
	refused("[Interface]\nName = tk0\nMACAddress = 02:00:00:00:00:01\nMACAddress = 02:00:00:00:00:02\n",
		4, "given twice");
	refused("[Interface]\nName = tk0\nAddress = 10.0.0.300/24\n", 3, "Address");
	refused("[Interface]\nName = tk0\n[Peer]\nEndpoint = 10.0.0.2\nAllowedMACs = ff:ff:ff:ff:ff:ff\n",
		5, "AllowedMACs");
	refused("[Interface]\nName = tk0\n[Peer]\nEndpoint = 10.0.0.2\n[Peer]\nEndpoint = 10.0.0.2\n",
		5, "listed twice");
	refused("[Interface]\nName = tk0\nListenAddress = 10.0.0.1\n[Peer]\nEndpoint = [fd00::2]:1\n",
		4, "is IPv6 but the listen address is IPv4");
	refused("[Interface]\nName = tk0\nListenAddress = 10.0.0.1:1\nListenPort = 2\n[Peer]\nEndpoint = 10.0.0.2\n",
		4, "ListenPort conflicts");
}

static void sealed_peer_needs_a_key(void **state)
{
	char text[512];
	(void)state;
	snprintf(text, sizeof(text),
		 "[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = private.key\n\n"
		 "[Peer]\nEndpoint = 10.0.0.2\n");
	refused(text, 6, "needs PublicKey");
}

static void key_file_readable_by_others_is_refused(void **state)
{
	struct tk__tunnel_conf c;
	tk_error err;
	const char *text = "[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = private.key\n"
			   "[Peer]\nEndpoint = 10.0.0.2\nPublicKey = AAAA\n";
	char good[512], want[200];
	(void)state;
	(void)text;
	snprintf(good, sizeof(good),
		 "[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = private.key\n"
		 "[Peer]\nEndpoint = 10.0.0.2\nPublicKey = %s\n",
		 pub);
	for (mode_t m = 0; m < 2; m++) {
		chmod(key_path, m ? 0640 : 0604);
		assert_int_equal(parse(good, &c, &err), TK_E_CONFIG);
		snprintf(want, sizeof(want), "%s/t.conf:4", dir);
		assert_string_equal(err.object, want);
		assert_non_null(strstr(err.message, "accessible by group or others"));
		snprintf(want, sizeof(want), "chmod 600 %s", key_path);
		assert_string_equal(err.remedy, want);
	}
	chmod(key_path, 0600);
	assert_int_equal(parse(good, &c, &err), TK_OK);
	tk__tunnel_conf_free(&c);
	/* a missing key file says how to make one */
	assert_int_equal(tk__key_file_read("/nonexistent/k", "", c.sk, &err), TK_E_CONFIG);
	assert_non_null(strstr(err.remedy, "umask 077; tapkit genkey"));
}

static void endpoints(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[80];
	(void)state;
	assert_true(tk__endpoint_parse("1.2.3.4:5", 4789, &ss, &len));
	assert_string_equal(tk__endpoint_format((struct sockaddr *)&ss, buf, sizeof(buf)),
			    "1.2.3.4:5");
	assert_true(tk__endpoint_parse("fd00::1", 4789, &ss, &len));
	assert_string_equal(tk__endpoint_format((struct sockaddr *)&ss, buf, sizeof(buf)),
			    "[fd00::1]:4789");
	assert_false(tk__endpoint_parse("1.2.3.4:0", 4789, &ss, &len));
	assert_false(tk__endpoint_parse("1.2.3.4:65536", 4789, &ss, &len));
	assert_false(tk__endpoint_parse("[fd00::1", 4789, &ss, &len));
	assert_false(tk__endpoint_parse("", 4789, &ss, &len));
	assert_false(tk__endpoint_parse("[1.2.3.4]:1", 4789, &ss, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_good_file),
		cmocka_unit_test(defaults),
		cmocka_unit_test(setters_are_the_file_checks),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(mac_address),
		cmocka_unit_test(sealed_peer_needs_a_key),
		cmocka_unit_test(key_file_readable_by_others_is_refused),
		cmocka_unit_test(endpoints),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
