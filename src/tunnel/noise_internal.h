/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode v2: WireGuard's construction (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, cookies,
 * transport messages, timers) for Ethernet frames. The protocol is described byte by byte in
 * docs/tunnel-crypto.md. Everything here is pure: bytes and the current time in, a verdict
 * and bytes out; no sockets, no clocks, no globals but per-thread primitive contexts. The
 * engine owns the I/O, the clocks, the index table and the randomness for jitter.
 *
 *   noise.c      the handshake: identifiers, KDF chain, initiation and response, TAI64N
 *   cookie.c     mac1 / mac2 and the cookie reply (DoS mitigation)
 *   transport.c  keypairs (current / previous / next) and transport data messages
 *   timers.c     the timer state machine (rekey, retry, keepalive, key zeroing)
 *
 * Rule kept by every consume function: nothing of a message changes state before it has fully
 * authenticated; a refusal leaves the peer exactly as it was.
 */
#ifndef TK_NOISE_INTERNAL_H
#define TK_NOISE_INTERNAL_H

#include "tunnel_internal.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- sizes (docs/tunnel-crypto.md, "Messages") ---- */

#define TK__NOISE_KEY	    32 /* X25519 keys, BLAKE2s-256 hashes, symmetric keys */
#define TK__NOISE_TAG	    16 /* Poly1305 */
#define TK__NOISE_MAC	    16 /* mac1, mac2, cookie */
#define TK__NOISE_TAI64N    12
#define TK__NOISE_XNONCE    24
#define TK__NOISE_LABEL_LEN 8 /* "mac1----", "cookie--" */

enum tk__msg_type {
	TK__MSG_INITIATION = 1,
	TK__MSG_RESPONSE = 2,
	TK__MSG_COOKIE = 3,
	TK__MSG_DATA = 4,
};

#define TK__MSG_INITIATION_LEN 148 /* 4 + 4 + 32 + (32+16) + (12+16) + 16 + 16 */
#define TK__MSG_RESPONSE_LEN   92  /* 4 + 4 + 4 + 32 + (0+16) + 16 + 16 */
#define TK__MSG_COOKIE_LEN     64  /* 4 + 4 + 24 + (16+16) */
#define TK__MSG_DATA_HLEN      16  /* type, receiver index, counter */
#define TK__MSG_DATA_OVERHEAD  (TK__MSG_DATA_HLEN + TK__NOISE_TAG)
_Static_assert(TK__MSG_DATA_OVERHEAD == TK__SEALED_OVERHEAD, "tunnel_internal.h's sealed overhead");

/*
 * Little-endian fields of the wire format: one load or store each (a loop over the bytes
 * stayed a loop, about 30 instructions per counter, on every transport message).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TK__LE32(v) __builtin_bswap32(v)
#define TK__LE64(v) __builtin_bswap64(v)
#else
#define TK__LE32(v) (v)
#define TK__LE64(v) (v)
#endif

static inline void tk__put_le32(uint8_t *p, uint32_t v)
{
	uint32_t le = TK__LE32(v);
	memcpy(p, &le, sizeof(le));
}

static inline uint32_t tk__get_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return TK__LE32(v);
}

static inline void tk__put_le64(uint8_t *p, uint64_t v)
{
	uint64_t le = TK__LE64(v);
	memcpy(p, &le, sizeof(le));
}

static inline uint64_t tk__get_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return TK__LE64(v);
}

/* The message type of a datagram (its first 4 bytes, little endian), 0 when shorter. */
uint32_t tk__msg_type(const uint8_t *buf, size_t len);
/*
 * A sealed-mode v1 datagram ("tk" 1 1, docs/tunnel-crypto.md)? No v2 type looks like one: the
 * engine refuses it as malformed and can say in its log that the peer runs version 1.
 */
bool tk__msg_is_v1(const uint8_t *buf, size_t len);

/* ---- WireGuard's constants (whitepaper section 6.1), in nanoseconds where they are times ---- */

#define TK__NS			     1000000000ull
#define TK__REKEY_AFTER_MESSAGES     (1ull << 60)
#define TK__REJECT_AFTER_MESSAGES    (UINT64_MAX - (1ull << 13)) /* 2^64 - 2^13 - 1 */
#define TK__REKEY_AFTER_TIME	     (120 * TK__NS)
#define TK__REJECT_AFTER_TIME	     (180 * TK__NS)
#define TK__REKEY_ATTEMPT_TIME	     (90 * TK__NS)
#define TK__REKEY_TIMEOUT	     (5 * TK__NS)
#define TK__REKEY_TIMEOUT_JITTER_MAX (TK__NS / 3)
#define TK__KEEPALIVE_TIMEOUT	     (10 * TK__NS)
#define TK__COOKIE_SECRET_MAX_AGE    (120 * TK__NS)
#define TK__COOKIE_SECRET_LATENCY    (5 * TK__NS)
#define TK__MAX_TIMER_HANDSHAKES     (TK__REKEY_ATTEMPT_TIME / TK__REKEY_TIMEOUT) /* 18 */
#define TK__INITIATIONS_PER_SECOND   50 /* per peer, beyond which initiations are a flood */

/* ---- verdicts (names are the JSON keys the engine will count them under) ---- */

#define TK__NOISE_MAP(X)                                                                      \
	X(OK, "ok", "accepted")                                                               \
	X(MALFORMED, "malformed", "wrong length, type or reserved bytes")                     \
	X(BAD_MAC1, "bad_mac1", "handshake message whose mac1 is not for us")                 \
	X(NEED_COOKIE, "need_cookie", "under load and no valid mac2: answer with a cookie")   \
	X(BAD_AUTH, "bad_auth", "does not authenticate (AEAD tag)")                           \
	X(BAD_KEY, "bad_key", "a key that gives an all-zero X25519 result (low-order point)") \
	X(UNKNOWN_PEER, "unknown_peer", "initiation from a static key that is no peer")       \
	X(UNKNOWN_INDEX, "unknown_index", "no handshake or keypair with that receiver index") \
	X(REPLAY, "replay", "timestamp not newer than the last one, or counter seen before")  \
	X(FLOOD, "flood", "initiations from one peer faster than 50 per second")              \
	X(FUTURE, "future", "timestamp further ahead of our clock than the parameters allow") \
	X(WRONG_STATE, "wrong_state", "response or cookie that answers nothing we sent")      \
	X(EXPIRED, "expired", "keypair past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES")      \
	X(NO_KEYPAIR, "no_keypair", "nothing to send with: a handshake is needed")            \
	X(TOO_BIG, "too_big", "output buffer too small")                                      \
	X(CRYPTO, "crypto", "the crypto library failed (out of memory, provider missing)")

enum tk__noise_result {
#define TK__NOISE_ENUM(name, key, desc) TK__NOISE_##name,
	TK__NOISE_MAP(TK__NOISE_ENUM)
#undef TK__NOISE_ENUM
		TK__NOISE__COUNT
};

/* "bad_mac1" for TK__NOISE_BAD_MAC1. */
const char *tk__noise_result_key(enum tk__noise_result r);

/* ---- primitives (noise.c): BLAKE2s from OpenSSL 3, X25519 from libsodium ---- */

/* out = BLAKE2s-256(a || b) (b may be NULL with blen 0). */
bool tk__noise_hash(uint8_t out[TK__NOISE_KEY], const uint8_t *a, size_t alen, const uint8_t *b,
		    size_t blen);
/* out = keyed BLAKE2s with a 16-byte output (WireGuard's MAC), key 1..32 bytes. */
bool tk__noise_mac(uint8_t out[TK__NOISE_MAC], const uint8_t *key, size_t klen, const uint8_t *msg,
		   size_t len);
/* Frees this thread's BLAKE2s, HMAC and ChaCha20-Poly1305 objects (made again on next use). */
void tk__noise_cleanup(void);
/* The transport's part of tk__noise_cleanup (keyed contexts keep their own reference). */
void tk__transport_cleanup(void);

/* ---- identifiers: one parameter set per tunnel (noise.c) ---- */

struct tk__noise_params {
	uint8_t ck0[TK__NOISE_KEY]; /* HASH(construction) */
	uint8_t h0[TK__NOISE_KEY];  /* HASH(ck0 || identifier) */
	uint8_t label_mac1[TK__NOISE_LABEL_LEN];
	uint8_t label_cookie[TK__NOISE_LABEL_LEN];
	/*
	 * How far an initiation's timestamp may be ahead of our wall clock (ns; 0: no limit, as
	 * WireGuard). A bound stops a recorded initiation from a time the peer's clock ran fast
	 * from locking the peer out (its later, correct timestamps would be "replays").
	 */
	uint64_t max_future;
};

#define TK__NOISE_MAX_FUTURE (60 * TK__NS)

#define TK__NOISE_CONSTRUCTION "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
#define TK__NOISE_VERSION      2
/* tapkit's identifier: this text, then the version byte and the VNI (4 bytes, big endian). */
#define TK__NOISE_IDENTIFIER "tapkit sealed"
#define TK__NOISE_ID_LEN     (sizeof(TK__NOISE_IDENTIFIER) - 1 + 1 + 4)
#define TK__WG_IDENTIFIER    "WireGuard v1 zx2c4 Jason@zx2c4.com"

/* tapkit's parameters for a tunnel with this VNI: false if the crypto library failed. */
bool tk__noise_params_tapkit(struct tk__noise_params *p, uint32_t vni);
/* WireGuard's exact identifiers and labels: for interoperability tests only. */
bool tk__noise_params_wireguard(struct tk__noise_params *p);
/* tapkit's identifier bytes for vni (TK__NOISE_ID_LEN), as docs/tunnel-crypto.md spells it. */
void tk__noise_identifier(uint8_t out[TK__NOISE_ID_LEN], uint32_t vni);

/* ---- the local identity, one per tunnel ---- */

struct tk__noise_local {
	const struct tk__noise_params *params;
	uint8_t sk[TK__NOISE_KEY];
	uint8_t pk[TK__NOISE_KEY];
	uint8_t mac1_key[TK__NOISE_KEY];   /* HASH(label_mac1 || pk): checks mac1 sent to us */
	uint8_t cookie_key[TK__NOISE_KEY]; /* HASH(label_cookie || pk): seals our cookie replies */
	uint8_t cookie_secret[TK__NOISE_KEY];
	uint64_t cookie_secret_birth; /* monotonic ns */
	bool has_cookie_secret;
};

/* false if the crypto library failed. The params must outlive l. */
bool tk__noise_local_init(struct tk__noise_local *l, const struct tk__noise_params *params,
			  const uint8_t sk[TK__NOISE_KEY]);
void tk__noise_local_wipe(struct tk__noise_local *l);

/* ---- cookies (cookie.c): what we keep towards one peer ---- */

struct tk__cookie_maker {
	uint8_t mac1_key[TK__NOISE_KEY];   /* HASH(label_mac1 || peer's pk) */
	uint8_t cookie_key[TK__NOISE_KEY]; /* HASH(label_cookie || peer's pk) */
	uint8_t cookie[TK__NOISE_MAC];	   /* the last cookie the peer gave us */
	uint64_t cookie_birth;		   /* monotonic ns */
	bool has_cookie;
	uint8_t last_mac1[TK__NOISE_MAC]; /* of our last handshake message: the cookie's AD */
	bool has_sent_mac1;
};

/* ---- transport keypairs (transport.c) ---- */

struct tk__keypair {
	EVP_CIPHER_CTX *enc, *dec; /* allocated once per slot, keyed once per keypair */
	uint64_t birth;		   /* monotonic ns of the handshake that made it */
	uint64_t send_counter;	   /* next counter to send */
	struct tk__replay win;	   /* counters received */
	uint32_t local_index;	   /* what the peer writes as receiver index to reach it */
	uint32_t remote_index;	   /* what we write */
	bool valid;
	bool initiator; /* we sent the initiation of the handshake that made it */
};

/*
 * Three keypairs as WireGuard keeps them: current (sending and receiving), previous (still
 * receiving, so frames in flight across a rekey are not lost) and next (the responder's new
 * keypair, used once the initiator's first transport message confirms it).
 */
struct tk__keypairs {
	struct tk__keypair slot[3];
	int current, previous, next; /* slot numbers, -1: none */
};

/* ---- the handshake state towards one peer (noise.c) ---- */

enum tk__hs_state {
	TK__HS_ZEROED = 0,
	TK__HS_CREATED_INITIATION,
	TK__HS_CONSUMED_INITIATION,
	TK__HS_CREATED_RESPONSE,
	TK__HS_CONSUMED_RESPONSE,
};

struct tk__handshake {
	enum tk__hs_state state;
	uint8_t eph_sk[TK__NOISE_KEY];
	uint8_t remote_eph[TK__NOISE_KEY];
	uint8_t hash[TK__NOISE_KEY];
	uint8_t ck[TK__NOISE_KEY];
	uint32_t local_index;
	uint32_t remote_index;
};

/* ---- the timers towards one peer (timers.c); times in monotonic ns, 0: not armed ---- */

struct tk__timers {
	uint64_t retransmit_at;	   /* no response to our initiation: send another */
	uint64_t keepalive_at;	   /* data received, nothing sent back: send a keepalive */
	uint64_t new_handshake_at; /* data sent, nothing received back: initiate */
	uint64_t zero_keys_at;	   /* 3 x REJECT_AFTER_TIME after the last session: wipe keys */
	uint64_t persistent_at;	   /* PersistentKeepalive */
	uint64_t last_initiation;  /* when we last sent an initiation */
	bool has_initiated;
	uint64_t persistent_interval; /* ns, 0: off */
	unsigned handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	uint64_t armed; /* the earliest deadline set since tk__timers_take_armed, 0: none */
};

/* What tk__timers_tick asks the engine to do (bits). */
enum {
	TK__TIMER_SEND_INITIATION = 1u << 0, /* call tk__noise_initiation_create and send it */
	TK__TIMER_SEND_KEEPALIVE = 1u << 1,  /* send an empty transport message */
	TK__TIMER_GIVE_UP = 1u << 2,	     /* handshake attempts exhausted: drop queued frames */
	TK__TIMER_ZERO_KEYS = 1u << 3,	     /* tk__noise_peer_zero */
	TK__TIMER_RETRY = 1u << 4,	     /* with SEND_INITIATION: a retransmission */
};

/* ---- one peer: everything the protocol keeps about it ---- */

struct tk__noise_peer {
	uint8_t remote_static[TK__NOISE_KEY];
	uint8_t psk[TK__NOISE_KEY]; /* all zero: no preshared key (as WireGuard) */
	uint8_t ss[TK__NOISE_KEY];  /* X25519(our sk, remote_static), computed once */
	uint8_t latest_timestamp[TK__NOISE_TAI64N];
	uint64_t last_initiation_consumed; /* monotonic ns */
	bool has_consumed_initiation;
	struct tk__handshake hs;
	struct tk__cookie_maker cookie;
	struct tk__keypairs kp;
	struct tk__timers timers;
};

/*
 * Sets up a peer for the local identity: precomputes the static-static DH and the cookie keys,
 * allocates the keypairs' AEAD contexts. psk may be NULL. TK__NOISE_BAD_KEY for a peer key that
 * is our own or a low-order point; TK__NOISE_CRYPTO when out of memory.
 */
enum tk__noise_result tk__noise_peer_init(struct tk__noise_peer *p, const struct tk__noise_local *l,
					  const uint8_t remote_static[TK__NOISE_KEY],
					  const uint8_t *psk);
/* Wipes every key of the peer and frees its contexts. */
void tk__noise_peer_free(struct tk__noise_peer *p);
/* Wipes the handshake and all keypairs (the zero-keys timer, or a peer's key change). */
void tk__noise_peer_zero(struct tk__noise_peer *p);

/* ---- the handshake (noise.c) ---- */

/* TAI64N of a wall-clock time, the low 24 bits of nanoseconds cleared (as WireGuard). */
void tk__tai64n(uint8_t out[TK__NOISE_TAI64N], uint64_t realtime_ns);

/*
 * Writes an initiation to peer p (out: TK__MSG_INITIATION_LEN bytes, mac1 and mac2 included).
 * local_index: a fresh index, unique among this tunnel's handshakes and keypairs (the engine's
 * table). realtime_ns: the wall clock for the timestamp; now: monotonic ns (cookie age).
 */
enum tk__noise_result tk__noise_initiation_create(struct tk__noise_peer *p,
						  const struct tk__noise_local *l,
						  uint32_t local_index, uint64_t realtime_ns,
						  uint64_t now,
						  uint8_t out[TK__MSG_INITIATION_LEN]);

/* Finds the peer with a static public key (the engine's table); NULL: no such peer. */
typedef struct tk__noise_peer *tk__noise_lookup_fn(void *user, const uint8_t pk[TK__NOISE_KEY]);

/*
 * Consumes an initiation whose macs were checked (tk__cookie_check). On TK__NOISE_OK *peer is
 * the peer, whose handshake holds the state to answer with tk__noise_response_create. Refusals:
 * MALFORMED, BAD_KEY, BAD_AUTH (ephemeral-static, static or timestamp), UNKNOWN_PEER, REPLAY
 * (timestamp not after the greatest seen from this peer), FUTURE (timestamp more than
 * params->max_future ahead of realtime_ns, our wall clock), FLOOD (within 1/50 s of the last
 * accepted). No peer changes on a refusal.
 */
enum tk__noise_result tk__noise_initiation_consume(const struct tk__noise_local *l,
						   const uint8_t *msg, size_t len, uint64_t now,
						   uint64_t realtime_ns,
						   tk__noise_lookup_fn *lookup, void *user,
						   struct tk__noise_peer **peer);

/*
 * Answers the consumed initiation (out: TK__MSG_RESPONSE_LEN bytes) and derives the keypair into
 * the peer's `next` slot (used once the initiator's first transport message arrives with it).
 * WRONG_STATE when there is no consumed initiation; BAD_KEY for a low-order ephemeral.
 */
enum tk__noise_result tk__noise_response_create(struct tk__noise_peer *p, uint32_t local_index,
						uint64_t now, uint8_t out[TK__MSG_RESPONSE_LEN]);

/* The receiver index of a response, cookie reply or transport message (little endian). */
uint32_t tk__msg_receiver(const uint8_t *msg, size_t len);

/*
 * Consumes a response (macs checked) addressed to p's pending initiation (the engine found p by
 * the receiver index). On TK__NOISE_OK the new keypair is current. Refusals: MALFORMED,
 * WRONG_STATE (no initiation pending, or another index), BAD_KEY, BAD_AUTH. Nothing changes on
 * a refusal.
 */
enum tk__noise_result tk__noise_response_consume(struct tk__noise_peer *p,
						 const struct tk__noise_local *l,
						 const uint8_t *msg, size_t len, uint64_t now);

/* ---- cookies (cookie.c) ---- */

/* Sets up the maker towards a peer (its public key) for the local parameters. */
bool tk__cookie_maker_init(struct tk__cookie_maker *m, const struct tk__noise_params *params,
			   const uint8_t peer_pk[TK__NOISE_KEY]);
/*
 * Writes mac1 and mac2 at the end of a handshake message we send (len: its full length). mac2
 * is zero unless the peer gave us a cookie less than 115 s ago.
 */
bool tk__cookie_add_macs(struct tk__cookie_maker *m, uint8_t *msg, size_t len, uint64_t now);
/*
 * Checks the macs of a handshake message sent to us. src: the sender's address as bytes (any
 * stable encoding of address and port). TK__NOISE_OK, BAD_MAC1, or NEED_COOKIE when under_load
 * and mac2 is not the cookie of src (answer with tk__cookie_reply_create; do not consume).
 */
enum tk__noise_result tk__cookie_check(struct tk__noise_local *l, const uint8_t *msg, size_t len,
				       const uint8_t *src, size_t src_len, bool under_load,
				       uint64_t now);
/*
 * Writes a cookie reply (out: TK__MSG_COOKIE_LEN) to a handshake message that was refused with
 * NEED_COOKIE: the cookie of src, sealed to the mac1 of msg.
 */
enum tk__noise_result tk__cookie_reply_create(struct tk__noise_local *l, const uint8_t *msg,
					      size_t len, const uint8_t *src, size_t src_len,
					      uint64_t now, uint8_t out[TK__MSG_COOKIE_LEN]);
/*
 * Consumes a cookie reply addressed to p (by receiver index). MALFORMED, WRONG_STATE (we sent
 * no handshake message since the last cookie), BAD_AUTH. On OK the next handshake message
 * carries a mac2.
 */
enum tk__noise_result tk__cookie_reply_consume(struct tk__noise_peer *p, const uint8_t *msg,
					       size_t len, uint64_t now);

/*
 * Handshakes per source address under load (ratelimit.c, the kernel's ratelimiter.c): a token
 * bucket of 20 per second, burst 5, per address. Applied to handshake messages whose mac2
 * proved their address, so a flood from many (spoofed) addresses costs at most a cookie reply
 * each and one from a real address at most 20 X25519 handshakes per second. Memory is fixed
 * at init: sets of TK__RL_WAYS entries found by SipHash under a random key (an attacker cannot
 * aim at one set); an entry whose bucket has refilled is free again.
 */
#define TK__RL_PER_SECOND 20
#define TK__RL_BURST	  5
#define TK__RL_COST	  (TK__NS / TK__RL_PER_SECOND)
#define TK__RL_TOKEN_MAX  (TK__RL_COST * TK__RL_BURST)
#define TK__RL_WAYS	  4
#define TK__RL_ADDR_MAX	  20 /* an IPv6 address and a port fit */

struct tk__rl_entry {
	uint64_t last;	 /* monotonic ns of the last message */
	uint64_t tokens; /* ns worth of messages left */
	uint8_t addr[TK__RL_ADDR_MAX];
	uint8_t len; /* 0: free */
};

struct tk__ratelimit {
	struct tk__rl_entry *e; /* nsets x TK__RL_WAYS */
	uint32_t nsets;		/* a power of two */
	uint8_t key[16];	/* SipHash key */
};

/* Room for about `capacity` addresses at once (rounded up); false when out of memory. */
bool tk__ratelimit_init(struct tk__ratelimit *r, uint32_t capacity);
void tk__ratelimit_free(struct tk__ratelimit *r);
/*
 * May a handshake message from src (len <= TK__RL_ADDR_MAX bytes) be processed at now? Takes
 * a token when it may. False also when src's set is full of addresses active within the last
 * TK__RL_TOKEN_MAX ns (refusing a newcomer, as the kernel refuses when its table is full).
 */
bool tk__ratelimit_allow(struct tk__ratelimit *r, const uint8_t *src, size_t len, uint64_t now);

/*
 * Receiver index -> peer (peerlookup.c, the kernel's index hashtable): responses, cookie
 * replies and transport messages name their receiver by the 32-bit index the receiver chose.
 * A fixed-size open-addressing table. A peer holds at most 4 live indices (a pending
 * initiation and three keypairs); rather than follow each change, the engine rebuilds the
 * table from its peers after every handshake event (tk__index_sync: cheap, and handshakes are
 * rate limited), and draws new indices with tk__index_fresh.
 */
#define TK__INDEX_NONE UINT32_MAX

struct tk__index_entry {
	uint32_t index;
	uint32_t peer; /* TK__INDEX_NONE: empty */
};

struct tk__index {
	struct tk__index_entry *e;
	uint32_t size; /* a power of two, at least twice the most live indices */
	uint32_t count;
};

/* Room for the indices of npeers peers; false when out of memory. */
bool tk__index_init(struct tk__index *t, uint32_t npeers);
void tk__index_free(struct tk__index *t);
/* A random index that is in no entry (the caller adds it, or syncs, once it is used). */
uint32_t tk__index_fresh(const struct tk__index *t);
/* Adds idx -> peer; false when idx is present or the table is full. */
bool tk__index_add(struct tk__index *t, uint32_t idx, uint32_t peer);
/* The peer of idx, or TK__INDEX_NONE. */
uint32_t tk__index_find(const struct tk__index *t, uint32_t idx);
/*
 * Rebuilds the table from the peers' live indices (peers[i] is peer number i): a pending
 * initiation's and every valid keypair's. False when the table is too small (never with
 * n <= the npeers of init).
 */
bool tk__index_sync(struct tk__index *t, struct tk__noise_peer *const *peers, size_t n);

/* ---- transport (transport.c) ---- */

/* Allocates the three slots' AEAD contexts; false when out of memory. */
bool tk__keypairs_init(struct tk__keypairs *k);
void tk__keypairs_free(struct tk__keypairs *k);
/* Wipes every keypair (their contexts stay allocated, unkeyed). */
void tk__keypairs_clear(struct tk__keypairs *k);
/*
 * Installs a keypair derived by a handshake: an initiator's becomes current at once (the
 * response confirmed it); a responder's becomes next until tk__keypairs_received_with.
 */
bool tk__keypairs_add(struct tk__keypairs *k, const uint8_t send_key[TK__NOISE_KEY],
		      const uint8_t recv_key[TK__NOISE_KEY], uint32_t local_index,
		      uint32_t remote_index, bool initiator, uint64_t now);
/* The keypair whose local index is idx (current, previous or next), or NULL. */
struct tk__keypair *tk__keypairs_find(struct tk__keypairs *k, uint32_t idx);
/* The current keypair, or NULL. */
struct tk__keypair *tk__keypairs_current(struct tk__keypairs *k);
/*
 * After a transport message authenticated with kp: if kp is next, it becomes current and the
 * old current previous. True when that happened (the handshake is confirmed).
 */
bool tk__keypairs_received_with(struct tk__keypairs *k, const struct tk__keypair *kp);

/*
 * Seals plain (len bytes, 0 for a keepalive) into a transport message in out (cap bytes:
 * len + TK__MSG_DATA_OVERHEAD). TK__NOISE_OK with *out_len; NO_KEYPAIR (kp invalid), EXPIRED
 * (past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES: a handshake is needed), TOO_BIG.
 */
enum tk__noise_result tk__transport_seal(struct tk__keypair *kp, const uint8_t *plain, size_t len,
					 uint8_t *out, size_t cap, size_t *out_len, uint64_t now);
/*
 * Opens a transport message with kp (found by its receiver index) into out (cap bytes; out may
 * not overlap msg). TK__NOISE_OK with *out_len (0: a keepalive). Refusals: MALFORMED, EXPIRED,
 * REPLAY (before decrypting), BAD_AUTH, TOO_BIG. The window moves only after authentication.
 */
enum tk__noise_result tk__transport_open(struct tk__keypair *kp, const uint8_t *msg, size_t len,
					 uint8_t *out, size_t cap, size_t *out_len, uint64_t now);

/* ---- timers (timers.c): events, then tick ---- */

void tk__timers_init(struct tk__timers *t, uint64_t persistent_interval);
/* May an initiation go out now? At most one per REKEY_TIMEOUT. */
bool tk__timers_may_initiate(const struct tk__timers *t, uint64_t now);
/* An initiation was sent: retry after REKEY_TIMEOUT + jitter (jitter < 1/3 s, the engine's). */
void tk__timers_initiation_sent(struct tk__timers *t, uint64_t now, uint64_t jitter, bool is_retry);
/* A transport message with data (not a keepalive) was sent. */
void tk__timers_data_sent(struct tk__timers *t, uint64_t now, uint64_t jitter);
/* A transport message with data was received and authenticated. */
void tk__timers_data_received(struct tk__timers *t, uint64_t now);
/* Any authenticated message (handshake, data, keepalive) was sent / received. */
void tk__timers_any_sent(struct tk__timers *t, uint64_t now);
void tk__timers_any_received(struct tk__timers *t, uint64_t now);
/* A handshake completed (response consumed, or first data with a responder's keypair). */
void tk__timers_handshake_complete(struct tk__timers *t);
/* A new keypair was derived (either side): key material lives 3 x REJECT_AFTER_TIME at most. */
void tk__timers_session_derived(struct tk__timers *t, uint64_t now);
/* Fires what is due at now: TK__TIMER_* bits. */
unsigned tk__timers_tick(struct tk__timers *t, uint64_t now);
/* The earliest armed deadline (for the engine's timerfd), UINT64_MAX when none. */
uint64_t tk__timers_next(const struct tk__timers *t);
/*
 * The earliest deadline set by the events since the last call (UINT64_MAX: none), and forgets
 * it. An engine that keeps a bound at or below every peer's tk__timers_next (as of its last
 * look) lowers it to this after each event instead of asking tk__timers_next every frame: a
 * deadline not set since was looked at already, and one cleared can only come later.
 */
uint64_t tk__timers_take_armed(struct tk__timers *t);
/*
 * Sending with the current keypair: true when a new handshake is due (we initiated it and it is
 * REKEY_AFTER_TIME old, or it sent REKEY_AFTER_MESSAGES).
 */
bool tk__timers_want_rekey_on_send(const struct tk__keypairs *k, uint64_t now);
/*
 * Receiving with the current keypair: true (once per keypair) when we initiated it and it is
 * within KEEPALIVE_TIMEOUT + REKEY_TIMEOUT of REJECT_AFTER_TIME, so a fresh one arrives in time.
 */
bool tk__timers_want_rekey_on_receive(struct tk__timers *t, const struct tk__keypairs *k,
				      uint64_t now);

#endif /* TK_NOISE_INTERNAL_H */
