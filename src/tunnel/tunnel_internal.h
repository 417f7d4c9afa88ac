/* SPDX-License-Identifier: MIT */
/*
 * The L2 tunnel's internals (docs/tunnel.md, docs/tunnel-crypto.md). The pure parts (wire
 * formats, replay window, MAC table, configuration) take buffers and state and return a verdict:
 * no I/O, no globals, no allocation per frame, so unit tests and fuzzers call them directly.
 * The engine (engine.h and its files) is the only part that touches the OS; adapters are reached through
 * the public API only. Signals, the control socket and the privilege drop are the daemon's
 * (cli/tunnel/): the library keeps no process-wide state.
 */
#ifndef TK_TUNNEL_INTERNAL_H
#define TK_TUNNEL_INTERNAL_H

#include "tapkit.h"
#include "core/core_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef unsigned int uid_t; /* the Linux daemon's User=; unused on Windows */
typedef unsigned int gid_t;
#else
#include <sys/socket.h>
#endif

/* ---- why a datagram or frame was dropped (a counter each; names are the JSON keys) ---- */

#define TK__DROP_MAP(X)                                                                     \
	X(BAD_VNI, "bad_vni", "VXLAN header with another VNI")                              \
	X(BAD_TAG, "bad_tag", "sealed datagram that does not authenticate")                 \
	X(REPLAY, "replay", "sealed datagram seen before, too old, or of an old session")   \
	X(TOO_BIG, "too_big", "frame larger than the MTU allows")                           \
	X(UNKNOWN_PEER, "unknown_peer", "datagram from no peer (address, or sealed index)") \
	X(NO_ROUTE, "no_route", "frame with nowhere to go (no peer)")                       \
	X(QUEUE_FULL, "queue_full", "socket or adapter queue full")                         \
	X(MALFORMED, "malformed", "truncated or malformed datagram or frame")               \
	X(MAC_NOT_ALLOWED, "mac_not_allowed", "source MAC not in the peer's AllowedMACs")   \
	X(UNREACHABLE, "unreachable", "peer unreachable (ICMP error, refused)")             \
	X(ADAPTER, "adapter", "adapter write failed (down, vanished)")                      \
	X(V1, "v1", "sealed datagram of version 1 (an older tapkit): refused")              \
	X(HANDSHAKE, "handshake", "handshake message refused (mac1, key, replayed time)")   \
	X(UNDER_LOAD, "under_load", "handshake under load: cookie reply or rate limit")     \
	X(NO_SESSION, "no_session", "frame dropped waiting for a handshake (queue, gave up)")

enum tk__drop {
	TK__PASS = 0,
#define TK__DROP_ENUM(name, key, desc) TK__DROP_##name,
	TK__DROP_MAP(TK__DROP_ENUM)
#undef TK__DROP_ENUM
		TK__DROP__COUNT
};

/* strerror_r (GNU form) into buf: thread-safe text for an errno value. */
const char *tk__errno_text(int e, char *buf, size_t size);

/*
 * An OS call that makes a descriptor failed: out of descriptors or memory (EMFILE, ENFILE,
 * ENOMEM, ENOBUFS) is TK_E_NO_MEMORY with the limit to raise; anything else TK_E_IO. what:
 * "cannot create the UDP socket".
 */
tk_status tk__tunnel_os_error(tk_error *err, const char *op, const char *object, int e,
			      const char *what);

/* "bad_vni"; "pass" for TK__PASS. */
const char *tk__drop_key(enum tk__drop d);

#define TK__ETH_HLEN	    14
#define TK__ETH_VLAN	    4 /* one 802.1Q tag may ride on top of the MTU */
#define TK__FRAME_MAX	    (65535 - 8)
#define TK__MAC_IS_GROUP(m) (((m)[0] & 1u) != 0) /* broadcast or multicast */

/* ---- VXLAN (RFC 7348), vxlan.c ---- */

#define TK__VXLAN_PORT 4789
#define TK__VXLAN_HLEN 8
#define TK__VNI_MAX    0xffffffu

/* Writes the 8-byte header: flags with the I bit, reserved zero, the 24-bit VNI. */
void tk__vxlan_encode(uint8_t hdr[TK__VXLAN_HLEN], uint32_t vni);
/*
 * Checks a VXLAN datagram (header + Ethernet frame). On TK__PASS *frame and *frame_len give the
 * frame inside buf. TK__DROP_MALFORMED: too short for a header and an Ethernet header, or the I
 * flag clear; TK__DROP_BAD_VNI: another VNI. Reserved bits are ignored, as RFC 7348 says.
 */
enum tk__drop tk__vxlan_decode(const uint8_t *buf, size_t len, uint32_t vni, const uint8_t **frame,
			       size_t *frame_len);

/* ---- sealed mode, seal.c (construction: docs/tunnel-crypto.md) ---- */

#define TK__KEY_LEN	  32
#define TK__SESSION_LEN	  16
#define TK__SEAL_HLEN	  (4 + TK__SESSION_LEN + 8) /* magic, session id, counter */
#define TK__SEAL_TAGLEN	  16
#define TK__SEAL_OVERHEAD (TK__SEAL_HLEN + TK__SEAL_TAGLEN)
/*
 * Sealed mode v2's per-datagram overhead: a transport message's header (type, receiver index,
 * counter: 16 bytes) and its tag (16). noise_internal.h checks it against its wire format; kept
 * here so the engine's size rules need no crypto header (the Windows build has none).
 */
#define TK__SEALED_OVERHEAD 32
#define TK__KEY_B64_LEN	    44 /* base64 of 32 bytes, with padding */
#define TK__REPLAY_BITS	    2048
#define TK__REPLAY_WORDS    (TK__REPLAY_BITS / 64)
/* How far behind the newest accepted counter a frame may be (one word is the ring's slack). */
#define TK__REPLAY_WINDOW (TK__REPLAY_BITS - 64)

/* A sliding window over 64-bit counters (replay.c), RFC 6479's ring of bitmap words. */
struct tk__replay {
	uint64_t top; /* the highest counter accepted */
	bool any;     /* top is meaningful */
	uint64_t bits[TK__REPLAY_WORDS];
};

void tk__replay_reset(struct tk__replay *r);
/* True if ctr is new: ahead of the window, or inside it and not marked. Changes nothing. */
bool tk__replay_check(const struct tk__replay *r, uint64_t ctr);
/* Marks ctr seen (call after the datagram authenticated); false if it was not new. */
bool tk__replay_mark(struct tk__replay *r, uint64_t ctr);

/*
 * XChaCha20's per-session key: HChaCha20(key, session id). The session id is the first 16
 * bytes of every nonce, so this is computed once per session, not once per frame.
 */
struct tk__seal_subkey {
	uint8_t key[TK__KEY_LEN];
	uint8_t session[TK__SESSION_LEN];
	uint8_t subkey[TK__KEY_LEN];
	bool ok;
};

/* Sending state towards one peer: its key, our session id and the next counter. */
struct tk__seal_tx {
	uint8_t key[TK__KEY_LEN];
	uint8_t session[TK__SESSION_LEN];
	uint64_t counter;
	struct tk__seal_subkey sub;
};

/* Receiving state from one peer: its key, the session we follow and its replay window. */
struct tk__seal_rx {
	uint8_t key[TK__KEY_LEN];
	bool have_session;
	uint8_t session[TK__SESSION_LEN];
	struct tk__replay win;
	uint64_t sessions; /* sessions accepted so far (1 + restarts of the peer seen) */
	struct tk__seal_subkey sub;
};

/*
 * Initialises libsodium (keys, randomness) and this thread's AEAD context (OpenSSL's
 * ChaCha20-Poly1305, several times faster than the portable code); false if either cannot.
 */
bool tk__seal_init(void);
/* Frees this thread's AEAD context (the tunnel's exit; tk__seal_init makes it again). */
void tk__seal_cleanup(void);
/* Makes a private key (clamped X25519 scalar). */
void tk__key_generate(uint8_t sk[TK__KEY_LEN]);
/* The X25519 public key of sk. */
void tk__key_public(const uint8_t sk[TK__KEY_LEN], uint8_t pk[TK__KEY_LEN]);
/* base64 (44 characters + NUL into out[TK__KEY_B64_LEN + 1]). */
void tk__key_to_base64(const uint8_t key[TK__KEY_LEN], char out[TK__KEY_B64_LEN + 1]);
/* Exactly one base64 key (surrounding spaces and a final newline allowed); false otherwise. */
bool tk__key_from_base64(const char *text, size_t len, uint8_t key[TK__KEY_LEN]);
/*
 * The two directional keys between us and a peer: X25519, then BLAKE2b keyed with the shared
 * secret over a label and both public keys in sender-receiver order. Returns false for a peer
 * key that gives an all-zero secret (a low-order point) or equals our own key.
 */
bool tk__seal_derive(const uint8_t sk[TK__KEY_LEN], const uint8_t pk[TK__KEY_LEN],
		     const uint8_t peer_pk[TK__KEY_LEN], uint8_t tx[TK__KEY_LEN],
		     uint8_t rx[TK__KEY_LEN]);
/*
 * A fresh session for tx: 8 bytes of start time (wall-clock ns, big endian, so a restarted
 * peer's session sorts after its previous one) and 8 random bytes; counter 0.
 */
void tk__seal_session_new(struct tk__seal_tx *tx, uint64_t realtime_ns);
/*
 * Seals plain (len bytes: VXLAN header + frame) into out: header, ciphertext, tag. Returns the
 * datagram length, or 0 when cap is too small. Never reuses a (session, counter) pair: when the
 * counter would wrap the session id moves on.
 */
size_t tk__seal_encrypt(struct tk__seal_tx *tx, const uint8_t *plain, size_t len, uint8_t *out,
			size_t cap);
/*
 * Opens a sealed datagram into out (cap bytes; out may not overlap buf). TK__PASS: *out_len
 * bytes of VXLAN header + frame. Drops: TK__DROP_MALFORMED (short, wrong magic or version),
 * TK__DROP_BAD_TAG (does not authenticate), TK__DROP_REPLAY (seen before, too old, or of a
 * session older than the one followed). rx changes only after the datagram authenticated.
 */
enum tk__drop tk__seal_open(struct tk__seal_rx *rx, const uint8_t *buf, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len);

/* ---- offloads: the virtio-net header, TSO split, checksums, coalescing; offload.c ---- */

/* struct virtio_net_hdr, in host byte order (the TAP's default on little-endian hosts). */
#define TK__VNET_F_NEEDS_CSUM 1u
#define TK__VNET_F_DATA_VALID 2u
#define TK__VNET_GSO_NONE     0u
#define TK__VNET_GSO_TCPV4    1u
#define TK__VNET_GSO_UDP      3u
#define TK__VNET_GSO_TCPV6    4u
#define TK__VNET_GSO_UDP_L4   5u
#define TK__VNET_GSO_ECN      0x80u

struct tk__vnet {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

void tk__vnet_read(const uint8_t p[TK_VNET_HDR_LEN], struct tk__vnet *v);
void tk__vnet_write(uint8_t p[TK_VNET_HDR_LEN], const struct tk__vnet *v);

/*
 * The Internet checksum (RFC 1071) in pieces: tk__csum_add sums n bytes onto acc (a 64-bit
 * ones' complement accumulator in host order; each piece must start at an even offset of the
 * checksummed data), tk__csum_fold folds it to 16 bits. Store ~fold (or fold, for a partial
 * checksum) with memcpy: host order in memory is the right wire order.
 */
uint64_t tk__csum_add(const void *data, size_t n, uint64_t acc);
uint16_t tk__csum_fold(uint64_t acc);

/*
 * A frame read with NEEDS_CSUM carries a partial checksum (the pseudo header's) at
 * csum_start + csum_offset: completes it over the bytes from csum_start. TK__DROP_MALFORMED
 * when the offsets do not fit the frame.
 */
enum tk__drop tk__csum_complete(uint8_t *frame, size_t len, const struct tk__vnet *v);

/*
 * Splitting one TCP super-frame (gso_type TCPV4/TCPV6, from a TAP with TSO) into wire-sized
 * frames the way the kernel's tcp_gso_segment does: headers copied, IPv4 length/id/checksum
 * or IPv6 length, TCP sequence, FIN/PSH on the last and CWR on the first only, and the TCP
 * checksum computed in full for each. Ethernet with at most one VLAN tag, IPv4 without
 * fragments, IPv6 without extension headers.
 */
struct tk__tso {
	const uint8_t *frame;
	size_t len;
	size_t l3, l4, hlen; /* offsets: network header, TCP or UDP header, payload */
	size_t mss;	     /* payload bytes per segment */
	size_t off;	     /* next payload byte, from hlen */
	unsigned idx;	     /* next segment */
	bool v6;
	bool udp; /* a UDP GSO datagram (VIRTIO_NET_HDR_GSO_UDP_L4), else a TCP super-frame */
};

/* TK__PASS, or TK__DROP_MALFORMED for a frame or header that cannot be split. */
enum tk__drop tk__tso_begin(struct tk__tso *s, const uint8_t *frame, size_t len,
			    const struct tk__vnet *v);
/* The length of a full segment (headers + mss), the size of every segment but the last. */
size_t tk__tso_seg_len(const struct tk__tso *s);
/* Segments still to come. */
size_t tk__tso_left(const struct tk__tso *s);
/* Writes the next segment to out (cap bytes); its length, or 0 when done or cap is short. */
size_t tk__tso_next(struct tk__tso *s, uint8_t *out, size_t cap);

/*
 * Coalescing TCP segments on their way to the TAP (the reverse of the split, like the kernel's
 * GRO): consecutive segments of one flow (same addresses, ports, ack, options; in-order
 * sequence; ACK or PSH only; all but the last of the same size) are merged into one
 * super-frame written with a GSO virtio-net header, so one write carries up to 64 KiB. With
 * uso, UDP datagrams of one flow likewise (all but the last of the same size, with a checksum,
 * IPv4 ids one up from the first: what the kernel's UDP GSO split gives back exactly).
 * Everything else passes through unchanged, after any pending frame of the same flow (order
 * within a flow is kept). A few flows are followed at once; the oldest is flushed first.
 */
#define TK__GRO_SLOTS 8
#define TK__GRO_MAX   65535 /* IPv4 total length limit of the merged packet */
#define TK__GRO_BUF   (TK_VNET_HDR_LEN + TK__GRO_MAX + 64)
#define TK__GRO_SEGS  64

/* Writes buf (virtio-net header + frame, len bytes) carrying nsegs received frames of tag. */
typedef void tk__gro_emit_fn(void *user, uint8_t *buf, size_t len, unsigned nsegs, uint32_t tag);

struct tk__gro_slot {
	uint8_t *buf; /* TK__GRO_BUF: header room + the merged frame */
	size_t len;   /* frame bytes at buf + TK_VNET_HDR_LEN */
	size_t l3, l4, hlen;
	uint32_t next_seq;
	uint16_t mss;
	uint16_t nsegs;
	uint32_t tag;
	uint64_t stamp; /* when it started: the oldest is flushed first */
	bool used, closed, v6;
	bool udp;	/* UDP datagrams (UDP GSO), else TCP segments */
	uint16_t ip_id; /* IPv4: the first datagram's id (UDP) */
};

struct tk__gro {
	struct tk__gro_slot slot[TK__GRO_SLOTS];
	uint8_t *single; /* TK__GRO_BUF: a frame that passes through */
	tk__gro_emit_fn *emit;
	void *user;
	uint64_t stamp;
	bool verify;	 /* merge only segments whose TCP (UDP) checksum is right */
	bool uso;	 /* UDP datagrams merge too: the adapter takes UDP GSO (Linux 6.2+) */
	uint64_t merged; /* segments that went out inside a super-frame */
	/* the slot the last frame went to: a guess, checked before use */
	struct tk__gro_slot *last;
};

/* false when out of memory. verify: check each segment's TCP checksum before merging it. */
bool tk__gro_init(struct tk__gro *g, tk__gro_emit_fn *emit, void *user, bool verify);
void tk__gro_free(struct tk__gro *g);
/* Takes one Ethernet frame received from a peer (tag: who sent it, given back to emit). */
void tk__gro_add(struct tk__gro *g, const uint8_t *frame, size_t len, uint32_t tag);
/* Writes one frame through emit as it is, merging nothing (an adapter without offloads). */
void tk__gro_pass(struct tk__gro *g, const uint8_t *frame, size_t len, uint32_t tag);
/* Emits everything pending (end of a batch). */
void tk__gro_flush(struct tk__gro *g);

/* ---- the learning switch's MAC table, mactable.c ---- */

#define TK__MAC_NONE  UINT32_MAX
#define TK__MAC_LOCAL (UINT32_MAX - 1) /* behind our own adapter, not a peer */

struct tk__mac_entry {
	uint8_t mac[TK_MAC_LEN];
	uint32_t port;	    /* peer index */
	uint64_t seen_ns;   /* last frame from this MAC */
	uint32_t hash_next; /* chain in the bucket; TK__MAC_NONE ends it */
	uint32_t older;	    /* LRU list: towards the oldest */
	uint32_t newer;	    /* towards the newest */
	bool used;
};

struct tk__mac_static {
	uint8_t mac[TK_MAC_LEN];
	uint32_t port;
	uint32_t next; /* chain in the bucket; TK__MAC_NONE ends it */
};

/*
 * A bounded table: capacity entries allocated once, a hash of chains for lookup and a list by
 * last use, so learning, lookup, ageing and eviction of the oldest are O(1) per frame.
 */
struct tk__mactable {
	struct tk__mac_entry *e;
	uint32_t *buckets;
	uint32_t nbuckets; /* a power of two */
	uint32_t capacity;
	uint32_t count;
	uint32_t oldest, newest, free_head;
	uint64_t age_ns;
	uint64_t evictions;
	/*
	 * Static entries (a peer's AllowedMACs): found before the learned ones, never aged,
	 * evicted or re-learned. Their own chained hash, rebuilt with the peers.
	 */
	struct tk__mac_static *st;
	uint32_t *st_buckets;
	uint32_t st_nbuckets, st_count, st_cap;
};

/* false when out of memory. capacity >= 1. */
bool tk__mac_init(struct tk__mactable *t, uint32_t capacity, uint64_t age_ns);
void tk__mac_free(struct tk__mactable *t);
void tk__mac_flush(struct tk__mactable *t);
/* Learns (or refreshes) mac -> port at now; the oldest entry goes when the table is full. */
void tk__mac_learn(struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN], uint32_t port,
		   uint64_t now_ns);
/* The port of mac, or TK__MAC_NONE (unknown, or aged out: entries older than age_ns go). */
uint32_t tk__mac_lookup(struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN], uint64_t now_ns);
/* Removes entries older than the age. */
void tk__mac_expire(struct tk__mactable *t, uint64_t now_ns);
/*
 * Replaces the static entries with room for n (false when out of memory: the old ones stay).
 * Then tk__mac_add_static for each; a MAC given twice keeps its first port.
 */
bool tk__mac_statics_reset(struct tk__mactable *t, uint32_t n);
void tk__mac_add_static(struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN], uint32_t port);
/* The port of a static mac, or TK__MAC_NONE. */
uint32_t tk__mac_static_port(const struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN]);
/* Forgets every entry of a port (a peer removed on reload). */
void tk__mac_forget_port(struct tk__mactable *t, uint32_t port);

/* ---- configuration, tunnel_config.c (format: docs/tunnel.md) ---- */

enum tk__tunnel_mode {
	TK__TUNNEL_PLAIN = 0,
	TK__TUNNEL_SEALED = 1,
};

#define TK__ALLOWED_MACS_MAX 64
#define TK__PEERS_MAX	     4096
#define TK__PATH_MAX	     256

struct tk__peer_conf {
	struct sockaddr_storage ep;
	socklen_t ep_len;
	char ep_text[64];
	bool has_key;
	uint8_t pk[TK__KEY_LEN];
	size_t nmacs;
	uint8_t macs[TK__ALLOWED_MACS_MAX][TK_MAC_LEN];
	unsigned line; /* its [Peer] line, 0 from flags */
	/* sealed mode v2 (docs/tunnel-crypto.md) */
	bool has_psk; /* PresharedKey: mixed into the handshake (all zero: none) */
	uint8_t psk[TK__KEY_LEN];
	uint32_t keepalive_s; /* PersistentKeepalive, 0: off */
};

struct tk__tunnel_conf {
	char origin[TK__PATH_MAX]; /* the file, "" from flags */
	char dev[64];
	enum tk__tunnel_mode mode;
	uint32_t vni;
	struct sockaddr_storage listen; /* family AF_UNSPEC: any address, dual stack */
	socklen_t listen_len;
	uint16_t port;
	char key_file[TK__PATH_MAX];
	bool has_key;
	uint8_t sk[TK__KEY_LEN];
	uint8_t pk[TK__KEY_LEN];
	uint32_t mtu; /* 0: the default for mode and underlay */
	size_t naddrs;
	tk_ip_addr addrs[TK_MAX_ADDRS];
	uint32_t mac_table_size;
	uint32_t mac_age_s;
	bool forward; /* hub: frames from a peer are switched to the other peers too */
	char control[TK__PATH_MAX];
	bool has_mac; /* MACAddress: the adapter's, set at every open */
	uint8_t mac[TK_MAC_LEN];
	size_t npeers;
	struct tk__peer_conf *peers; /* allocated: tk__tunnel_conf_free */
	/* User = USER[:GROUP] / --user (privilege.c): whom the tunnel becomes once started */
	bool has_user;
	bool user_group_given; /* USER:GROUP: that group alone, no supplementary groups */
	uid_t uid;
	gid_t gid;
	char user[64];	     /* the user's name, "" for a uid without a passwd entry */
	bool wg_identifiers; /* Identifiers = wireguard: WireGuard's strings, interop tests only */
};

#define TK__MAC_TABLE_DEFAULT 4096
#define TK__MAC_AGE_DEFAULT   300

/* Defaults: mode plain, VNI 1, port 4789, MAC table 4096 entries aged after 300 s. */
void tk__tunnel_conf_init(struct tk__tunnel_conf *c);
void tk__tunnel_conf_free(struct tk__tunnel_conf *c); /* wipes the private key */
/* Reads a configuration file into c (initialised here); errors: TK_E_CONFIG at FILE:LINE. */
tk_status tk__tunnel_conf_load(const char *path, struct tk__tunnel_conf *c, tk_error *err);
/*
 * tk__tunnel_conf_load for a reload of the tunnel running keep: with a User, its key is kept
 * while PrivateKeyFile names the same file, never read again; another file is refused.
 */
tk_status tk__tunnel_conf_reload(const char *path, const struct tk__tunnel_conf *keep,
				 struct tk__tunnel_conf *c, tk_error *err);
tk_status tk__tunnel_conf_parse(const char *text, size_t len, const char *origin,
				struct tk__tunnel_conf *c, tk_error *err);
/*
 * One [Interface] or [Peer] key from its text: the one place each value is checked, used by the
 * file reader and by tk_tunnel_config_set (the CLI's flags). false with the reason in why.
 */
bool tk__tunnel_conf_set(struct tk__tunnel_conf *c, const char *key, const char *value, char *why,
			 size_t size);
bool tk__tunnel_peer_set(struct tk__peer_conf *p, const char *key, const char *value, char *why,
			 size_t size);
/* Adds an empty peer (line) and returns it; NULL when there are too many or no memory. */
struct tk__peer_conf *tk__tunnel_conf_add_peer(struct tk__tunnel_conf *c, unsigned line);
/*
 * Checks what the keys mean together (a mode without its key, families that cannot meet, ...)
 * and reads the private key file; fills the defaults that depend on others (MTU, control path).
 * `line` names where the problem is in a file (0: from flags).
 */
tk_status tk__tunnel_conf_finish(struct tk__tunnel_conf *c, tk_error *err);
/*
 * Reads a private key file: refused (TK_E_CONFIG, remedy `chmod 600 FILE`) when group or others
 * may read it, or not a regular file, or owned by a user other than root and this process's
 * (tk__key_file_read_for), or not exactly one base64 key. where names the configuration line in
 * errors ("" for a flag).
 */
tk_status tk__key_file_read(const char *path, const char *where, uint8_t sk[TK__KEY_LEN],
			    tk_error *err);
/* "ADDR:PORT", "[V6]:PORT", "ADDR" (default_port) into ss. */
bool tk__endpoint_parse(const char *text, uint16_t default_port, struct sockaddr_storage *ss,
			socklen_t *len);
/* "10.0.0.1:4789", "[fd00::1]:4789" (a v4-mapped address prints as v4). */
char *tk__endpoint_format(const struct sockaddr *sa, char *buf, size_t size);
/* The IPv6 any address with port into ss (a dual-stack socket's bind): its length. */
socklen_t tk__endpoint_any6(struct sockaddr_storage *ss, uint16_t port);
/* The MTU used when none is set: 1500 minus the underlay, UDP, VXLAN (and seal) headers. */
uint32_t tk__tunnel_default_mtu(enum tk__tunnel_mode mode, bool ipv6);

/* ---- the running tunnel, engine.h (public calls: tk_tunnel_* in tapkit.h) ---- */

struct tk__peer_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t last_seen_ns; /* CLOCK_REALTIME of the last accepted datagram, 0: never */
	uint64_t drops[TK__DROP__COUNT];
	/* sealed mode v2 */
	uint64_t handshakes;	    /* completed (either side) */
	uint64_t last_handshake_ns; /* CLOCK_REALTIME, 0: never */
	uint64_t keepalives_rx;	    /* empty transport messages received and authenticated */
};

/* At most one log line per interval for a kind of event (send.c: tk__log_due). */
struct tk__log_limit {
	uint64_t last_ns;  /* CLOCK_MONOTONIC of the last line, 0: none yet */
	uint64_t unlogged; /* events since that line, not logged */
};

struct tk__peer {
	struct tk__peer_conf conf;
	struct sockaddr_storage addr; /* conf.ep in the socket's family (v4-mapped) */
	socklen_t addr_len;
	struct tk__seal_tx tx;
	struct tk__seal_rx rx;
	struct tk__peer_stats st;
	int last_errno; /* the last send error, for the log (once per change) */
	/*
	 * Unreachability (ICMP errors, refused sends) is logged at most once per interval per
	 * peer: anyone on the path can forge ICMP errors, and a line per event floods the log.
	 */
	struct tk__log_limit icmp_log, send_log;
	uint32_t next_exact, next_addr; /* chains of the peer hashes (peer.c); UINT32_MAX ends */
	bool fail_logged;		/* a send failure was logged: log the recovery once */
	struct tk__v2peer *v2;		/* sealed mode: the protocol state (sealed.c) */
};

/* The public configuration object (tapkit.h): the parsed form and whether it was checked. */
struct tk_tunnel_config {
	struct tk__tunnel_conf c;
	tk_ctx *ctx;
	bool checked; /* tk__tunnel_conf_finish passed since the last change */
};

/* tk_tunnel_config_load through tk__tunnel_conf_reload (keep: see there; NULL: a plain load). */
tk_status tk__tunnel_config_reload(tk_ctx *ctx, const char *path,
				   const struct tk__tunnel_conf *keep, tk_tunnel_config **out,
				   tk_error *err);

/* ---- privileges, privilege.c ---- */

/*
 * Resolves "USER[:GROUP]" (names or numeric ids) into c's user fields. false with the reason in
 * why (no such user or group, root, a uid without a passwd entry and no group) otherwise.
 */
bool tk__user_resolve(const char *spec, struct tk__tunnel_conf *c, char *why, size_t size);
/*
 * tk__key_file_read for a tunnel that drops to uid `user` ((uid_t)-1: none): a file that user
 * owns is refused as well (the unprivileged process could read or replace it).
 */
tk_status tk__key_file_read_for(const char *path, const char *where, uid_t user,
				uint8_t sk[TK__KEY_LEN], tk_error *err);
#endif /* TK_TUNNEL_INTERNAL_H */
