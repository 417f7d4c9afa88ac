/* SPDX-License-Identifier: MIT */
/*
 * The tunnel engine's private header: the engine's struct and the calls between its files
 * (split by job, as kernel WireGuard's device.c, peer.c, send.c, receive.c, socket.c):
 *
 *   device.c        lifecycle and the loop (tk_tunnel_new, dispatch, run, stop, free)
 *   adapter.c       the TAP side: open, configure, recover, read and write frames
 *   socket_linux.c  the UDP side (Linux): set-up, batches, GSO and its fallback, error queue
 *   loop_linux.c    readiness (epoll), the stop event (eventfd), the reopen timer (timerfd)
 *   peer.c          peers and the peer of a datagram's source
 *   send.c          frames from the adapter to peers;  receive.c  datagrams from peers
 *   reload.c        a new configuration while running; stats.c  tk_tunnel_stats
 *
 * The OS-specific parts are loop_linux.c and socket_linux.c behind the calls below: a Windows
 * loop and socket implement them without touching the protocol code.
 */
#ifndef TK_TUNNEL_ENGINE_H
#define TK_TUNNEL_ENGINE_H

#include "tunnel_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include "windows/os_windows.h" /* the loop's and the socket's Windows state, sodium's helpers */
#else
#include <linux/errqueue.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define SUB	  "tunnel"
#define HEADROOM  (TK__SEAL_HLEN + TK__VXLAN_HLEN) /* room to prepend headers to a frame */
#define BUF_SIZE  (65536 + HEADROOM + TK__SEAL_TAGLEN)
#define FRAME_CAP 65536u /* what one read from the adapter may bring */
#define GSO_BUF	  ((size_t)2 * BUF_SIZE)
#define BUDGET	  64 /* frames or datagrams per wake-up, so one side cannot starve others */
#define RETRY_NS  2000000000ull /* next attempt to reopen a vanished adapter */
#define SOCKBUF	  (4 * 1024 * 1024)
#define RX_BATCH  8	 /* datagrams (each up to 64 KiB with UDP GRO) per recvmmsg */
#define GSO_MAX	  64	 /* the kernel's UDP_MAX_SEGMENTS */
#define GSO_BYTES 65000u /* UDP payload of one GSO send: under the 64 KiB IP limit */
#define OFFLOADS  (TK_OFFLOAD_CSUM | TK_OFFLOAD_TSO4 | TK_OFFLOAD_TSO6 | TK_OFFLOAD_ECN)
#define TXB_N	  64	/* datagrams of small frames per sendmmsg */
#define TXB_SLOT  2048u /* one of them: an MTU 1500 frame, its headers and tag; larger go alone */
#define TAP_PEEK  32	/* after a look at the adapter found nothing, look every TAP_PEEK'th time */

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define ICMP_LOG_NS 10000000000ull /* at most one log line per peer and kind per 10 s */

/* ---- the loop (loop_linux.c) ---- */

enum { TK__EV_TAP = 1, TK__EV_UDP, TK__EV_STOP, TK__EV_TIMER };
#define TK__LOOP_EVENTS 8

#ifndef _WIN32
struct tk__loop {
	int epfd; /* the pollable handle the caller waits on */
	int evfd; /* written by tk_tunnel_stop from any thread */
	int tfd;  /* the reopen timer */
};
typedef int tk__sock;
#define TK__SOCK_NONE (-1)
#endif

struct tk__loop_event {
	uint32_t tag; /* TK__EV_* */
	bool readable, error;
};

/* Marks every member closed (before open, so a failed start frees what was made). */
void tk__loop_init(struct tk__loop *l);
/* Opens the loop with the stop event and the timer in it (tags TK__EV_STOP, TK__EV_TIMER). */
tk_status tk__loop_open(struct tk__loop *l, const char *object, tk_error *err);
void tk__loop_close(struct tk__loop *l);
tk_os_handle tk__loop_handle(const struct tk__loop *l);
tk_status tk__loop_watch(struct tk__loop *l, tk_os_handle h, uint32_t tag, const char *object,
			 tk_error *err);
void tk__loop_unwatch(struct tk__loop *l, tk_os_handle h);
/* Up to cap events within timeout_ms (-1: forever); -1 with errno on failure (EINTR too). */
int tk__loop_wait(struct tk__loop *l, struct tk__loop_event *out, int cap, int timeout_ms);
/* Wakes a wait from any thread or a signal handler. */
void tk__loop_wake(struct tk__loop *l);
/* Arms the timer ns from now (0: disarms): a TK__EV_TIMER event when due. */
void tk__loop_timer(struct tk__loop *l, uint64_t ns);

struct txb {
#ifndef _WIN32
	struct mmsghdr m[TXB_N];
	struct iovec iov[TXB_N];
#else
	size_t len[TXB_N]; /* the datagrams' lengths (socket_windows.c) */
#endif
	struct tk__peer *peer[TXB_N];
	size_t frame_len[TXB_N];
	uint8_t *buf; /* TXB_N slots of TXB_SLOT bytes */
	unsigned n;
};

struct tk_tunnel {
	tk_ctx *ctx;
	struct tk__tunnel_conf conf;
	tk_dev *dev;
	char dev_name[TK_NAME_MAX];
	struct tk__loop loop; /* loop_linux.c: readiness, the stop event, the reopen timer */
	tk__sock udp;
	int family; /* the UDP socket's */
	struct tk__peer *peers;
	size_t npeers;
	/* peers by (address, port) and by address alone: heads of chains, keyed SipHash */
	uint32_t *by_exact, *by_addr;
	uint32_t peer_nbuckets;
	uint8_t peer_hash_key[16];
	struct tk__mactable macs;
	uint64_t drops[TK__DROP__COUNT];
	uint8_t *tap_buf, *seal_buf, *open_buf, *seg_buf, *gso_buf;
	uint8_t *rx_bufs[RX_BATCH];
	struct sockaddr_storage rx_src[RX_BATCH];
#ifdef _WIN32
	struct tk__udp_rx rx; /* socket_windows.c: the receives in flight */
#else
	struct iovec rx_iov[RX_BATCH];
	char rx_ctl[RX_BATCH][CMSG_SPACE(sizeof(int))];
	struct mmsghdr rx_msgs[RX_BATCH];
#endif
	struct tk__gro gro;
	struct txb txb;
	bool batching; /* frames from the adapter: small ones wait in txb until the wake-up ends */
	uint32_t frame_max;
	bool offload; /* the adapter does TSO/checksum offload: frames carry a vnet header */
	bool gso;     /* UDP GSO works on the socket (off after the kernel refused it once) */
	uint64_t batch_realtime; /* CLOCK_REALTIME when the current batch of datagrams came */
	uint64_t now; /* CLOCK_MONOTONIC of the current dispatch: the MAC table's clock */
	atomic_bool stop;
	bool reopen_pending;	       /* the timer is armed for a reopen attempt */
	struct tk__log_limit icmp_log; /* ICMP errors about no known peer */
	uint64_t started, reopens, reloads, reload_failures;
	char listen_text[80];
	struct tk__v2 *v2;  /* sealed mode's protocol state (sealed.c), NULL in plain mode */
	uint64_t reopen_at; /* CLOCK_MONOTONIC of the reopen attempt, when reopen_pending */
	uint64_t timer_at;  /* what the loop's timer is armed for, UINT64_MAX: nothing */
	/* socket_linux.c: a look at what the adapter answered to the frames written to it */
	bool tap_wrote;	      /* a frame went to the adapter since the last look */
	bool tap_quiet;	      /* the last look found nothing */
	unsigned tap_skipped; /* looks skipped since */
	/* adapter.c: the last batch read to the end held one frame; batches read since */
	bool tap_one;
	unsigned tap_one_n;
};

#ifndef _WIN32
static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif

/* A log line of the tunnel (field adapter). */
void tk__tunnel_log(struct tk_tunnel *t, tk_log_level level, const char *fmt, ...) TK_PRINTF(3, 4);

/* ---- device.c ---- */

void tk__count_drops(struct tk_tunnel *t, struct tk__peer *p, enum tk__drop d, size_t n);
void tk__count_drop(struct tk_tunnel *t, struct tk__peer *p, enum tk__drop d);

/* ---- adapter.c ---- */

tk_status tk__adapter_start(struct tk_tunnel *t, tk_error *err);
void tk__adapter_close(struct tk_tunnel *t);
/*
 * The adapter vanished (deleted, or its namespace went away): close our handle and open it again
 * (which creates it when it is gone), with the context's retry policy, all under one trace id
 * so the log shows the recovery as one story. When even that fails, try again later: the
 * peers and their state stay as they are meanwhile.
 */
void tk__adapter_recover(struct tk_tunnel *t, const tk_error *why);
/* Reads and sends what the adapter has (a budget's worth); how many frames it read. */
unsigned tk__tap_readable(struct tk_tunnel *t);
/* Writes one frame or a merged super-frame (buf: virtio-net header + frame) to the adapter. */
void tk__tap_emit(void *user, uint8_t *buf, size_t len, unsigned nsegs, uint32_t tag);
void tk__to_tap(struct tk_tunnel *t, uint32_t idx, const uint8_t *frame, size_t len);

/* ---- socket_linux.c ---- */

tk_status tk__udp_open(const struct tk__tunnel_conf *c, tk__sock *out_fd, int *out_family,
		       tk_error *err);
/* Starts receiving (Windows: the receives in flight) once the buffers are there. */
tk_status tk__udp_start(struct tk_tunnel *t, tk_error *err);
/* Closes the tunnel's socket (unwatched, the receives in flight cancelled). */
void tk__udp_close(struct tk_tunnel *t);
/* Closes a socket from tk__udp_open that was not started. */
void tk__sock_close(tk__sock s);
/* EAGAIN, ENOBUFS: the queue was full (counted as queue_full, not logged). */
bool tk__send_error_is_queue(int e);
/*
 * The datagrams of small frames read in one wake-up, sent with one sendmmsg at its end (or
 * when the batch is full, or before a TSO send, which keeps a flow's order).
 */
void tk__txb_flush(struct tk_tunnel *t);
/*
 * A slot of the batch for a datagram of len bytes to p (send.c); NULL when it would not fit a
 * slot, or on Windows without UDP segmentation offload (the datagram then goes at once).
 */
uint8_t *tk__txb_slot(struct tk_tunnel *t, size_t len);
/* The slot from txb_slot now holds len bytes for p (frame_len of them the frame's). */
void tk__txb_push(struct tk_tunnel *t, struct tk__peer *p, size_t len, size_t frame_len);
/*
 * The end (exclusive) of the run of datagrams from i that one segmentation offload send can
 * carry (Windows' USO, send.c): to the same peer, of the first one's length except a shorter
 * last one, at most GSO_MAX of them and GSO_BYTES in all. n: how many there are.
 */
unsigned tk__send_run(struct tk__peer *const *peer, const size_t *len, unsigned i, unsigned n);
/*
 * Sends buf to p: one datagram, or nsegs datagrams of seg bytes (the last may be shorter) in
 * one call with UDP GSO. over: the bytes of each datagram that are not the frame (headers,
 * tag), so the byte counters count frames like the receiver does.
 */
void tk__udp_send(struct tk_tunnel *t, struct tk__peer *p, uint8_t *buf, size_t len, size_t seg,
		  size_t nsegs, size_t over);
/* Reads the ICMP errors queued on the socket (IP_RECVERR) and counts them on their peer. */
void tk__udp_errors(struct tk_tunnel *t);
/*
 * Up to RX_BATCH buffers per recvmmsg, each one datagram or, with UDP GRO, a run of equal
 * datagrams from one sender; the frames for the adapter are merged and written at the end.
 */
void tk__udp_readable(struct tk_tunnel *t);

/* ---- peer.c ---- */

bool tk__addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
		    bool with_port);
/*
 * The peer a datagram came from: the exact address and port first; failing that the address
 * alone, because a VXLAN sender may pick any source port (the kernel's vxlan hashes flows over
 * a port range, RFC 7348 section 5) so only the address identifies it.
 */
struct tk__peer *tk__peer_find(struct tk_tunnel *t, const struct sockaddr_storage *src,
			       uint32_t *index);
size_t tk__peers_bytes(size_t n);
/*
 * Indexes t->peers (after start or a reload): the hashes for tk__peer_find and the AllowedMACs
 * as static entries of the MAC table. false when out of memory (the old index stays).
 */
bool tk__peers_index(struct tk_tunnel *t);
void tk__peers_index_free(struct tk_tunnel *t);
void tk__peers_free(struct tk__peer *peers, size_t n);
/* Builds the peers of conf; a peer of old (same endpoint and key) keeps its state. */
struct tk__peer *tk__peers_build(struct tk_tunnel *t, const struct tk__tunnel_conf *conf,
				 struct tk__peer *old, size_t nold, bool same_mode);

/* ---- send.c ---- */

/*
 * Whether an event may be logged now: at most one line per ICMP_LOG_NS for each limiter (per
 * peer and kind), the events in between counted and given back in *skipped with the next line.
 */
bool tk__log_due(struct tk__log_limit *l, uint64_t *skipped);
/* nsegs datagrams to p were not sent (errno e): counted by cause, logged once per change. */
void tk__send_failed(struct tk_tunnel *t, struct tk__peer *p, int e, size_t nsegs);
/* nsegs datagrams carrying bytes of frames went to p. */
void tk__send_done(struct tk_tunnel *t, struct tk__peer *p, size_t nsegs, size_t bytes);
/*
 * Sends the frame (with HEADROOM writable bytes before it) to one peer. The VXLAN header goes
 * in front in place; sealed mode seals into seal_buf, one peer at a time since keys differ.
 */
void tk__send_to(struct tk_tunnel *t, struct tk__peer *p, uint8_t *frame, size_t len);
/* Sends to every peer but `except`; returns how many were tried. */
size_t tk__flood(struct tk_tunnel *t, uint8_t *frame, size_t len, const struct tk__tso *tso,
		 uint32_t except);
bool tk__mac_listed(const struct tk__peer_conf *pc, const uint8_t *mac);
/* The peer a unicast destination is behind: a peer's AllowedMACs, then what was learned. */
uint32_t tk__dst_port(struct tk_tunnel *t, const uint8_t *dst, uint64_t now);
/*
 * A frame read from the adapter, after its virtio-net header v: a TCP super-frame (TSO) is
 * split on the way out; any other frame may carry a partial checksum, completed here since
 * the peer (the kernel's vxlan, too) expects whole ones.
 */
void tk__from_tap(struct tk_tunnel *t, uint8_t *frame, size_t len, const struct tk__vnet *v);

/* ---- receive.c ---- */

/*
 * What a run of datagrams from one source shares (the segments of one UDP GRO buffer): the
 * sender's MAC once learned, so a run of one station's frames costs one table update, not one
 * per frame. Sealed mode knows a datagram's peer only once it has authenticated: a datagram
 * from another peer than the last one's starts over (idx, sealed.c).
 */
struct tk__run {
	uint8_t smac[TK_MAC_LEN];
	uint32_t idx; /* sealed mode: the peer of the run's last authenticated datagram */
	bool learned; /* smac was learned in this run, from this run's peer */
};

/* One datagram (len bytes at buf, which it may overwrite) from src. */
void tk__from_peer(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf, size_t n);
/*
 * n bytes of datagrams of seg bytes each (the last may be shorter; seg 0: one datagram) from
 * src, as UDP GRO gives them: plain mode looks the peer up and learns the sender's MAC once.
 */
void tk__from_peer_run(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		       size_t n, size_t seg);
/*
 * A VXLAN packet (vx, vlen bytes, HEADROOM writable before it) from peer idx, authenticated;
 * r: the run it is part of, NULL when none.
 */
void tk__deliver(struct tk_tunnel *t, struct tk__peer *p, uint32_t idx, uint8_t *vx, size_t vlen,
		 struct tk__run *r);
/* Arms the loop's timer for the earliest of the reopen attempt and sealed mode's deadlines. */
void tk__timer_rearm(struct tk_tunnel *t);

/* ---- sealed.c: sealed mode v2 (docs/tunnel-crypto.md, "For the engine") ---- */

/* Sets up the tunnel's state (made again when fresh) and every peer's that has none. */
bool tk__v2_attach(struct tk_tunnel *t, bool fresh);
void tk__v2_free(struct tk_tunnel *t);
void tk__v2_peer_free(struct tk__peer *p);
/* The wake-up's time (CLOCK_MONOTONIC), read once for all it handles. */
void tk__v2_begin(struct tk_tunnel *t, uint64_t now);
/* Runs the timers of every peer that is due. */
void tk__v2_tick(struct tk_tunnel *t);
/* The earliest deadline of any peer, UINT64_MAX: none. */
uint64_t tk__v2_deadline(const struct tk_tunnel *t);
/* p has a session to send with (else a frame waits for the handshake). */
bool tk__v2_ready(const struct tk__peer *p);
/* Seals vx (len bytes) to p into out: the datagram's length, 0 when queued or dropped. */
size_t tk__v2_seal(struct tk_tunnel *t, struct tk__peer *p, const uint8_t *vx, size_t len,
		   uint8_t *out, size_t cap);
/* One sealed datagram from src; run: the run (receive.c) it is part of, NULL when none. */
void tk__v2_from_peer(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		      size_t n, struct tk__run *run);
/* socket_linux.c (Windows: windows/engine_windows.c): a handshake message, cookie reply or keepalive to an address. */
void tk__udp_send_ctl(struct tk_tunnel *t, const struct sockaddr_storage *to, const uint8_t *buf,
		      size_t len);

#endif /* TK_TUNNEL_ENGINE_H */
