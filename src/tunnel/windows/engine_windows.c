/* SPDX-License-Identifier: MIT */
/*
 * The engine's two small OS hooks on Windows that the Linux build has in user.c and
 * socket_linux.c: User= (refused: the Linux daemon's privilege drop) and sealed mode's control
 * datagrams (handshake messages, cookie replies, keepalives: sealed.c).
 */
#include "../engine.h"

/* User= is the Linux daemon's privilege drop; a Windows service runs as its service account. */
bool tk__user_resolve(const char *spec, struct tk__tunnel_conf *c, char *why, size_t size)
{
	(void)spec;
	(void)c;
	tk__snprintf(why, size,
		     "User is Linux-only (the privilege drop); on Windows the tunnel runs as "
		     "the account that starts it (a service: LocalSystem): remove the line");
	return false;
}

/* As on Linux: best effort, a lost control datagram is the protocol's to retry (timers.c). */
void tk__udp_send_ctl(struct tk_tunnel *t, const struct sockaddr_storage *to, const uint8_t *buf,
		      size_t len)
{
	int tl = to->ss_family == AF_INET ? (int)sizeof(struct sockaddr_in)
					  : (int)sizeof(struct sockaddr_in6);
	(void)sendto(t->udp, (const char *)buf, (int)len, 0, (const struct sockaddr *)to, tl);
}
