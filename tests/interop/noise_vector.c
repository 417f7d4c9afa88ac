/* SPDX-License-Identifier: MIT */
/*
 * Prints the messages of one sealed-mode v2 handshake made with fixed keys, for
 * tests/interop/noise_vectors.py to compare with an independent Noise implementation.
 *
 *   noise_vector wg|VNI SK_I SK_R EPH_I EPH_R PSK WALL_NS      (keys as 64 hex digits)
 *
 * Both sides run here, through the real functions; the ephemeral keys are the only randomness
 * the handshake draws, so libsodium's random source is replaced by the two given keys (after
 * sodium_init, which draws its own canaries). Output, one "name hex" per line: the initiation
 * and response without their macs, the full messages, and one transport message each way
 * (counter 0) carrying "tapkit vector".
 */
#include "tunnel/noise_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t queue[64];
static size_t queue_pos;
static int armed;

static void fixed_buf(void *const buf, const size_t size)
{
	if (!armed) {
		memset(buf, 0x5a, size);
		return;
	}
	if (queue_pos + size > sizeof(queue)) {
		fprintf(stderr,
			"noise_vector: more randomness drawn than the two ephemeral keys\n");
		exit(1);
	}
	memcpy(buf, queue + queue_pos, size);
	queue_pos += size;
}

static uint32_t fixed_random(void)
{
	uint32_t v;
	fixed_buf(&v, sizeof(v));
	return v;
}

static const char *fixed_name(void)
{
	return "fixed";
}

static randombytes_implementation fixed = {
	.implementation_name = fixed_name,
	.random = fixed_random,
	.buf = fixed_buf,
};

static void hex_in(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64 || sodium_hex2bin(out, 32, s, 64, NULL, NULL, NULL) != 0) {
		fprintf(stderr, "noise_vector: '%s' is not 64 hex digits\n", s);
		exit(2);
	}
}

static void hex_out(const char *name, const uint8_t *b, size_t n)
{
	printf("%s ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static struct tk__noise_peer *the_peer;

static struct tk__noise_peer *lookup(void *user, const uint8_t pk[32])
{
	(void)user;
	return sodium_memcmp(pk, the_peer->remote_static, 32) == 0 ? the_peer : NULL;
}

int main(int argc, char **argv)
{
	struct tk__noise_params params;
	struct tk__noise_local li, lr;
	struct tk__noise_peer pi, pr, *found = NULL;
	uint8_t sk_i[32], sk_r[32], psk[32];
	uint8_t ini[TK__MSG_INITIATION_LEN], rsp[TK__MSG_RESPONSE_LEN], msg[64], back[64];
	static const char payload[] = "tapkit vector";
	size_t n = 0, m = 0;

	if (argc != 8) {
		fprintf(stderr, "usage: noise_vector wg|VNI SK_I SK_R EPH_I EPH_R PSK WALL_NS\n");
		return 2;
	}
	randombytes_set_implementation(&fixed);
	if (!tk__seal_init())
		return 1;
	hex_in(argv[2], sk_i);
	hex_in(argv[3], sk_r);
	hex_in(argv[4], queue);
	hex_in(argv[5], queue + 32);
	hex_in(argv[6], psk);
	uint64_t wall = strtoull(argv[7], NULL, 10);
	armed = 1;
	bool ok = strcmp(argv[1], "wg") == 0
			  ? tk__noise_params_wireguard(&params)
			  : tk__noise_params_tapkit(&params, (uint32_t)strtoul(argv[1], NULL, 10));
	if (!ok || !tk__noise_local_init(&li, &params, sk_i) ||
	    !tk__noise_local_init(&lr, &params, sk_r) ||
	    tk__noise_peer_init(&pi, &li, lr.pk, psk) != TK__NOISE_OK ||
	    tk__noise_peer_init(&pr, &lr, li.pk, psk) != TK__NOISE_OK) {
		fprintf(stderr, "noise_vector: cannot set up the peers\n");
		return 1;
	}
	the_peer = &pr;
	uint64_t now = 1000 * TK__NS;
	enum tk__noise_result r;
	if ((r = tk__noise_initiation_create(&pi, &li, 0x11223344, wall, now, ini)) ||
	    (r = tk__cookie_check(&lr, ini, sizeof(ini), NULL, 0, false, now)) ||
	    (r = tk__noise_initiation_consume(&lr, ini, sizeof(ini), now, wall, lookup, NULL,
					      &found)) ||
	    (r = tk__noise_response_create(&pr, 0x55667788, now, rsp)) ||
	    (r = tk__cookie_check(&li, rsp, sizeof(rsp), NULL, 0, false, now)) ||
	    (r = tk__noise_response_consume(&pi, &li, rsp, sizeof(rsp), now))) {
		fprintf(stderr, "noise_vector: handshake failed: %s\n", tk__noise_result_key(r));
		return 1;
	}
	hex_out("initiation", ini, sizeof(ini) - 32);
	hex_out("initiation_full", ini, sizeof(ini));
	hex_out("response", rsp, sizeof(rsp) - 32);
	hex_out("response_full", rsp, sizeof(rsp));
	struct tk__keypair *ki = tk__keypairs_current(&pi.kp);
	struct tk__keypair *kr = tk__keypairs_find(&pr.kp, 0x55667788);
	if ((r = tk__transport_seal(ki, (const uint8_t *)payload, sizeof(payload) - 1, msg,
				    sizeof(msg), &n, now)) ||
	    (r = tk__transport_open(kr, msg, n, back, sizeof(back), &m, now))) {
		fprintf(stderr, "noise_vector: transport i->r failed: %s\n",
			tk__noise_result_key(r));
		return 1;
	}
	hex_out("data_i2r", msg, n);
	tk__keypairs_received_with(&pr.kp, kr);
	if ((r = tk__transport_seal(kr, (const uint8_t *)payload, sizeof(payload) - 1, msg,
				    sizeof(msg), &n, now))) {
		fprintf(stderr, "noise_vector: transport r->i failed: %s\n",
			tk__noise_result_key(r));
		return 1;
	}
	hex_out("data_r2i", msg, n);
	tk__noise_peer_free(&pi);
	tk__noise_peer_free(&pr);
	return 0;
}
