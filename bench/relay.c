/* SPDX-License-Identifier: MIT */
/*
 * The floor of the architecture, for the benchmark: the least a user-space TAP <-> UDP tunnel
 * can do. One TAP (no virtio-net header, no offloads), one UDP socket, one epoll loop; a frame
 * read from the TAP leaves in one datagram behind an 8-byte VXLAN header, a datagram with that
 * header is written to the TAP (the header is tapkit's own src/tunnel/vxlan.c, the only piece
 * of the tunnel it uses). No peers table, no learning, no counters, no crypto, no batching. Whatever RTT this adds over the kernel's vxlan in the same run, any tunnel built on
 * TAP read/write and UDP sockets with one process per end pays too (bench/README.md).
 *
 *   relay DEV LOCAL_IPV4 PEER_IPV4 PORT VNI
 *
 * Runs until killed; the benchmark bounds it with timeout(1). Not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tunnel_internal.h" /* tk__vxlan_encode, tk__vxlan_decode */

#define FRAME_MAX 65535u

struct relay {
	int tap, udp, ep;
	uint32_t vni;
	struct sockaddr_in self, peer;
	unsigned long lost; /* frames the kernel refused (sendto/write): printed at each 2^k */
	uint8_t buf[TK__VXLAN_HLEN + FRAME_MAX];
};

/* errno's text after what and obj; returns -1 */
static int fail(const char *what, const char *obj)
{
	int e = errno;
	char text[128];
	/* _GNU_SOURCE: strerror_r returns the text, maybe not in text */
	fprintf(stderr, "relay: %s %s: %s (errno %d)\n", what, obj,
		strerror_r(e, text, sizeof(text)), e);
	return -1;
}

static bool number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *out <= max;
}

static bool parse(struct relay *r, char **argv)
{
	unsigned long port, vni;
	r->self.sin_family = r->peer.sin_family = AF_INET;
	if (strlen(argv[1]) >= IFNAMSIZ || inet_pton(AF_INET, argv[2], &r->self.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &r->peer.sin_addr) != 1 || !number(argv[4], 65535, &port) ||
	    !number(argv[5], 0xffffff, &vni))
		return false;
	r->self.sin_port = r->peer.sin_port = htons((uint16_t)port);
	r->vni = (uint32_t)vni;
	return true;
}

static int open_all(struct relay *r, const char *dev)
{
	struct ifreq ifr;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };

	r->tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->tap < 0)
		return fail("open", "/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, dev, strlen(dev));
	if (ioctl(r->tap, TUNSETIFF, &ifr) < 0)
		return fail("TUNSETIFF", dev);
	r->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->udp < 0)
		return fail("socket", "udp");
	if (bind(r->udp, (const struct sockaddr *)&r->self, sizeof(r->self)) < 0)
		return fail("bind", "udp");
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r->ep < 0 || epoll_ctl(r->ep, EPOLL_CTL_ADD, r->tap, &ev) < 0)
		return fail("epoll", "tap");
	ev.data.u32 = 1;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->udp, &ev) < 0)
		return fail("epoll", "udp");
	return 0;
}

static void lost(struct relay *r, const char *what)
{
	r->lost++;
	if ((r->lost & (r->lost - 1)) == 0)
		fprintf(stderr, "relay: %lu frames lost so far (%s: errno %d)\n", r->lost, what,
			errno);
}

/* Every frame waiting on the TAP, each in one datagram to the peer. */
static void from_tap(struct relay *r)
{
	ssize_t n;
	while ((n = read(r->tap, r->buf + TK__VXLAN_HLEN, FRAME_MAX)) > 0) {
		tk__vxlan_encode(r->buf, r->vni);
		if (sendto(r->udp, r->buf, (size_t)n + TK__VXLAN_HLEN, 0,
			   (const struct sockaddr *)&r->peer, sizeof(r->peer)) < 0)
			lost(r, "sendto");
	}
}

/* Every datagram waiting on the socket: a VXLAN header with our VNI, then a frame. */
static void from_udp(struct relay *r)
{
	ssize_t n;
	while ((n = recv(r->udp, r->buf, sizeof(r->buf), 0)) >= 0) {
		const uint8_t *frame;
		size_t len;
		if (tk__vxlan_decode(r->buf, (size_t)n, r->vni, &frame, &len) != TK__PASS)
			continue;
		if (write(r->tap, frame, len) < 0)
			lost(r, "write");
	}
}

int main(int argc, char **argv)
{
	static struct relay r;

	if (argc != 6 || !parse(&r, argv)) {
		fprintf(stderr, "usage: relay DEV LOCAL_IPV4 PEER_IPV4 PORT VNI\n");
		return 2;
	}
	if (open_all(&r, argv[1]) < 0)
		return 1;
	printf("relay %s running\n", argv[1]);
	(void)fflush(stdout);
	for (;;) {
		struct epoll_event evs[2];
		int n = epoll_wait(r.ep, evs, 2, -1);
		if (n < 0 && errno != EINTR) {
			(void)fail("epoll_wait", argv[1]);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0)
				from_tap(&r);
			else
				from_udp(&r);
		}
	}
}
