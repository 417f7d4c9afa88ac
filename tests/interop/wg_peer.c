/* SPDX-License-Identifier: MIT */
/*
 * A minimal WireGuard peer made of tapkit's sealed-mode v2 core with WireGuard's identifiers,
 * for tests/netns/test_wg_handshake.sh to run against Debian's wireguard-go: the handshake in
 * either role, then, once a second, a keepalive (the persistent-keepalive timer of timers.c) and
 * an ICMP echo request through the tunnel to wireguard-go's address; it authenticates every
 * transport message it gets and counts keepalives and echo replies.
 *
 *   wg_peer initiator|responder BIND_IP:PORT PEER_IP:PORT OUR_SK_B64 PEER_PK_B64 \
 *           INNER_SRC INNER_DST SECONDS WANT
 *
 * Role "loaded" is a responder under load: it answers the first initiation with a cookie reply
 * (cookie.c) and takes only initiations whose mac2 proves wireguard-go read it.
 *
 * Exits 0 once WANT keepalives and WANT echo replies authenticated, 1 when SECONDS pass first.
 * Prints "handshake complete" when the session is up and a summary line at the end.
 */
#include "tunnel/noise_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TK__NS + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * TK__NS + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "wg_peer: %s\n", what);
	exit(2);
}

static struct sockaddr_in addr_of(const char *text)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		die("address must be IP:PORT");
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("not an IPv4 address");
	sa.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	return sa;
}

static struct tk__noise_peer peer;
static struct tk__noise_local local;
static int sock;
static struct sockaddr_in peer_addr;
static uint32_t inner_src, inner_dst; /* network order */
static uint16_t echo_seq;
static unsigned long sent, keepalives_in, echo_replies, data_in, refused, cookies_sent;
static bool under_load;

static struct tk__noise_peer *lookup(void *user, const uint8_t pk[32])
{
	(void)user;
	return sodium_memcmp(pk, peer.remote_static, 32) == 0 ? &peer : NULL;
}

static void send_to_peer(const uint8_t *buf, size_t len)
{
	if (sendto(sock, buf, len, 0, (const struct sockaddr *)&peer_addr, sizeof(peer_addr)) < 0)
		fprintf(stderr, "wg_peer: sendto: %s\n", strerror(errno));
}

/* A transport message with plain (len 0: keepalive) under the current keypair. */
static void send_transport(const uint8_t *plain, size_t len, uint64_t now)
{
	uint8_t out[256];
	size_t n = 0;
	enum tk__noise_result r = tk__transport_seal(tk__keypairs_current(&peer.kp), plain, len,
						     out, sizeof(out), &n, now);
	if (r != TK__NOISE_OK) {
		fprintf(stderr, "wg_peer: cannot seal: %s\n", tk__noise_result_key(r));
		return;
	}
	send_to_peer(out, n);
	sent++;
	tk__timers_any_sent(&peer.timers, now);
	if (len)
		tk__timers_data_sent(&peer.timers, now, 0);
}

static void send_initiation(uint64_t now, bool retry)
{
	uint8_t msg[TK__MSG_INITIATION_LEN];
	if (!tk__timers_may_initiate(&peer.timers, now))
		return;
	if (tk__noise_initiation_create(&peer, &local, randombytes_random(), wall_ns(), now, msg) !=
	    TK__NOISE_OK)
		die("cannot create an initiation");
	send_to_peer(msg, sizeof(msg));
	tk__timers_initiation_sent(&peer.timers, now, randombytes_uniform(TK__NS / 3), retry);
	printf("initiation sent%s\n", retry ? " (retry)" : "");
}

/* An IPv4 ICMP echo request from inner_src to inner_dst. */
static void send_echo(uint64_t now)
{
	uint8_t p[20 + 8 + 32] = { 0x45 };
	uint16_t v;
	v = htons(sizeof(p));
	memcpy(p + 2, &v, 2);
	p[8] = 64; /* TTL */
	p[9] = 1;  /* ICMP */
	memcpy(p + 12, &inner_src, 4);
	memcpy(p + 16, &inner_dst, 4);
	v = (uint16_t)~tk__csum_fold(tk__csum_add(p, 20, 0));
	memcpy(p + 10, &v, 2);
	p[20] = 8; /* echo request */
	v = htons(0x7a6b);
	memcpy(p + 24, &v, 2);
	v = htons(++echo_seq);
	memcpy(p + 26, &v, 2);
	memcpy(p + 28, "tapkit sealed v2 echo, 32 bytes", 32);
	v = (uint16_t)~tk__csum_fold(tk__csum_add(p + 20, sizeof(p) - 20, 0));
	memcpy(p + 22, &v, 2);
	send_transport(p, sizeof(p), now);
}

static void handle_plain(const uint8_t *p, size_t n)
{
	if (n == 0) {
		keepalives_in++;
		return;
	}
	data_in++;
	/* an IPv4 echo reply from inner_dst to inner_src with our identifier */
	if (n >= 28 && p[0] == 0x45 && p[9] == 1 && memcmp(p + 12, &inner_dst, 4) == 0 &&
	    memcmp(p + 16, &inner_src, 4) == 0 && p[20] == 0 && p[24] == 0x7a && p[25] == 0x6b) {
		echo_replies++;
		printf("echo reply seq=%u\n", (unsigned)(p[26] << 8 | p[27]));
	}
}

static bool complete;

static void session_up(const char *role, uint64_t now)
{
	if (complete)
		return;
	complete = true;
	tk__timers_handshake_complete(&peer.timers);
	printf("handshake complete role=%s\n", role);
	fflush(stdout);
	(void)now;
}

/* src: the sender's address and port (6 bytes), what its cookie is made of. */
static void receive(const uint8_t *buf, size_t len, const uint8_t src[6], bool initiator,
		    uint64_t now)
{
	uint8_t out[TK__MSG_RESPONSE_LEN], plain[2048], reply[TK__MSG_COOKIE_LEN];
	struct tk__noise_peer *who = NULL;
	size_t n = 0;
	enum tk__noise_result r = TK__NOISE_MALFORMED;

	switch (tk__msg_type(buf, len)) {
	case TK__MSG_INITIATION:
		if (initiator)
			break;
		r = tk__cookie_check(&local, buf, len, src, 6, under_load, now);
		if (r == TK__NOISE_NEED_COOKIE &&
		    tk__cookie_reply_create(&local, buf, len, src, 6, now, reply) == TK__NOISE_OK) {
			send_to_peer(reply, sizeof(reply));
			cookies_sent++;
			printf("under load: cookie reply sent\n");
			return;
		}
		if (r == TK__NOISE_OK && under_load)
			printf("initiation with a valid mac2\n");
		if (r ||
		    (r = tk__noise_initiation_consume(&local, buf, len, now, wall_ns(), lookup,
						      NULL, &who)) ||
		    (r = tk__noise_response_create(&peer, randombytes_random(), now, out)))
			break;
		send_to_peer(out, sizeof(out));
		tk__timers_session_derived(&peer.timers, now);
		tk__timers_any_sent(&peer.timers, now);
		printf("initiation consumed, response sent\n");
		return;
	case TK__MSG_RESPONSE:
		if ((r = tk__cookie_check(&local, buf, len, src, 6, false, now)) ||
		    (r = tk__noise_response_consume(&peer, &local, buf, len, now)))
			break;
		tk__timers_session_derived(&peer.timers, now);
		tk__timers_any_received(&peer.timers, now);
		session_up("initiator", now);
		send_transport(NULL, 0, now); /* confirms the keypair to the responder */
		return;
	case TK__MSG_COOKIE:
		if ((r = tk__cookie_reply_consume(&peer, buf, len, now)))
			break;
		printf("cookie reply consumed\n");
		return;
	case TK__MSG_DATA: {
		struct tk__keypair *kp = tk__keypairs_find(&peer.kp, tk__msg_receiver(buf, len));
		if ((r = tk__transport_open(kp, buf, len, plain, sizeof(plain), &n, now)))
			break;
		if (tk__keypairs_received_with(&peer.kp, kp))
			session_up("responder", now);
		tk__timers_any_received(&peer.timers, now);
		if (n)
			tk__timers_data_received(&peer.timers, now);
		handle_plain(plain, n);
		return;
	}
	default:
		break;
	}
	refused++;
	fprintf(stderr, "wg_peer: refused a message of type %u (%zu bytes): %s\n",
		tk__msg_type(buf, len), len, tk__noise_result_key(r));
}

int main(int argc, char **argv)
{
	struct tk__noise_params params;
	uint8_t sk[32], pk[32];

	if (argc != 10)
		die("usage: wg_peer initiator|responder BIND PEER SK PEER_PK INNER_SRC INNER_DST "
		    "SECONDS WANT");
	bool initiator = strcmp(argv[1], "initiator") == 0;
	under_load = strcmp(argv[1], "loaded") == 0;
	struct sockaddr_in bind_addr = addr_of(argv[2]);
	peer_addr = addr_of(argv[3]);
	if (!tk__seal_init() || !tk__key_from_base64(argv[4], strlen(argv[4]), sk) ||
	    !tk__key_from_base64(argv[5], strlen(argv[5]), pk))
		die("bad key");
	if (inet_pton(AF_INET, argv[6], &inner_src) != 1 ||
	    inet_pton(AF_INET, argv[7], &inner_dst) != 1)
		die("bad inner address");
	uint64_t deadline = mono_ns() + strtoull(argv[8], NULL, 10) * TK__NS;
	unsigned long want = strtoul(argv[9], NULL, 10);
	if (!tk__noise_params_wireguard(&params) || !tk__noise_local_init(&local, &params, sk) ||
	    tk__noise_peer_init(&peer, &local, pk, NULL) != TK__NOISE_OK)
		die("cannot set up the peer");
	tk__timers_init(&peer.timers, TK__NS); /* a keepalive every second once up */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (const struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0)
		die("cannot bind the UDP socket");
	setvbuf(stdout, NULL, _IOLBF, 0);

	uint64_t now = mono_ns(), next_echo = 0;
	if (initiator)
		send_initiation(now, false);
	while ((now = mono_ns()) < deadline && (keepalives_in < want || echo_replies < want)) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		uint64_t next = tk__timers_next(&peer.timers);
		int wait_ms = 100;
		if (next != UINT64_MAX && next > now && (next - now) / 1000000 < 100)
			wait_ms = (int)((next - now) / 1000000) + 1;
		if (poll(&pfd, 1, wait_ms) > 0) {
			uint8_t buf[2048];
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t len = recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					       &flen);
			uint8_t src[6];
			memcpy(src, &from.sin_addr, 4);
			memcpy(src + 4, &from.sin_port, 2);
			if (len > 0)
				receive(buf, (size_t)len, src, initiator, mono_ns());
		}
		now = mono_ns();
		unsigned act = tk__timers_tick(&peer.timers, now);
		if ((act & TK__TIMER_SEND_INITIATION) && initiator && !complete)
			send_initiation(now, act & TK__TIMER_RETRY);
		if ((act & TK__TIMER_SEND_KEEPALIVE) && tk__keypairs_current(&peer.kp))
			send_transport(NULL, 0, now);
		if (complete && now >= next_echo) {
			send_echo(now);
			next_echo = now + TK__NS;
		}
	}
	printf("summary sent=%lu keepalives_in=%lu data_in=%lu echo_replies=%lu refused=%lu "
	       "cookies_sent=%lu\n",
	       sent, keepalives_in, data_in, echo_replies, refused, cookies_sent);
	tk__noise_peer_free(&peer);
	tk__noise_local_wipe(&local);
	tk__noise_cleanup();
	tk__seal_cleanup();
	close(sock);
	return keepalives_in >= want && echo_replies >= want ? 0 : 1;
}
