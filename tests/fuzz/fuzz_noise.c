/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode v2's receive paths (noise.c, cookie.c, transport.c) driven by a sequence of
 * operations between two fixed hosts A and B, with libsodium's randomness made deterministic
 * (so a saved input replays exactly):
 *
 *   initiate   A makes an initiation, maybe with one byte flipped (and mac1 made right again or
 *              not), B checks and consumes it: a flipped message never passes, and a refusal
 *              leaves B's peer unchanged
 *   respond    B answers what it consumed, maybe flipped, A consumes: the same properties
 *   data       A or B seals a frame with its current keypair, maybe flipped or cut, the other
 *              opens it: the frame comes back unchanged, or (changed) it is refused and the
 *              keypair is unchanged; a second delivery is a replay
 *   cookie     B makes a cookie reply to A's last message, maybe flipped, A consumes it
 *   raw        input bytes as a message of any type to A and to B: never accepted unless
 *              authentic, and a refusal changes nothing
 *   time       the clocks move on
 */
#include "fuzz.h"
#include "tunnel/noise_internal.h"

#include <sodium.h>
#include <string.h>

#define OPS_MAX 64

static uint64_t rng_calls;

static void det_buf(void *const buf, const size_t size)
{
	uint8_t seed[randombytes_SEEDBYTES] = { 0 };
	memcpy(seed, &rng_calls, sizeof(rng_calls));
	rng_calls++;
	randombytes_buf_deterministic(buf, size, seed);
}

static uint32_t det_random(void)
{
	uint32_t v;
	det_buf(&v, sizeof(v));
	return v;
}

static const char *det_name(void)
{
	return "fuzz";
}

static randombytes_implementation det = {
	.implementation_name = det_name,
	.random = det_random,
	.buf = det_buf,
};

static struct tk__noise_params params;
static struct tk__noise_local la, lb;
static struct tk__noise_peer pa, pb; /* A's view of B, B's view of A */
static uint8_t ini[TK__MSG_INITIATION_LEN], rsp[TK__MSG_RESPONSE_LEN], msg[2048], out[2048];
static bool have_ini;
static const uint8_t src[6] = { 192, 168, 1, 2, 0xca, 0xfe };

static struct tk__noise_peer *lookup_b(void *user, const uint8_t pk[32])
{
	(void)user;
	return memcmp(pk, pb.remote_static, 32) == 0 ? &pb : NULL;
}

/* A peer's state without its pointers (the AEAD contexts). */
static void snap(const struct tk__noise_peer *p, struct tk__noise_peer *copy)
{
	memcpy(copy, p, sizeof(*copy));
	for (int i = 0; i < 3; i++)
		copy->kp.slot[i].enc = copy->kp.slot[i].dec = NULL;
}

static bool same(const struct tk__noise_peer *p, const struct tk__noise_peer *before)
{
	struct tk__noise_peer now;
	snap(p, &now);
	return memcmp(&now, before, sizeof(now)) == 0;
}

/*
 * Flips one byte of m (len) at a position from the input; with `by` (the sender's view of the
 * receiver) mac1 is made right again, so the check after mac1 is what refuses.
 */
static size_t flip(struct fuzz_in *in, uint8_t *m, size_t len, const struct tk__noise_peer *by)
{
	size_t pos = fuzz_u16(in) % len;
	m[pos] ^= (uint8_t)(fuzz_u8(in) | 1u);
	if (by) {
		struct tk__cookie_maker c = by->cookie; /* a copy: the sender's state stays */
		FUZZ_CHECK(tk__cookie_add_macs(&c, m, len, 0));
	}
	return pos;
}

/*
 * Must a handshake message of len bytes with byte pos flipped be refused? Without a new mac1,
 * every byte before mac2; with one, the bytes the AEADs and DHs cover (from `first` to mac1).
 */
static bool covered(size_t pos, size_t len, bool remac, size_t first)
{
	return remac ? pos >= first && pos < len - 32 : pos < len - 16;
}

static enum tk__noise_result b_takes_initiation(const uint8_t *m, size_t len, uint64_t now,
						uint64_t wall)
{
	struct tk__noise_peer *who = NULL;
	enum tk__noise_result r = tk__cookie_check(&lb, m, len, src, sizeof(src), false, now);
	if (r == TK__NOISE_OK)
		r = tk__noise_initiation_consume(&lb, m, len, now, wall, lookup_b, NULL, &who);
	FUZZ_CHECK(r == TK__NOISE_OK ? who == &pb : who == NULL);
	return r;
}

static void op_initiate(struct fuzz_in *in, uint64_t now, uint64_t wall)
{
	uint8_t flags = fuzz_u8(in);
	struct tk__noise_peer before;
	uint64_t ts_wall = wall - (uint64_t)fuzz_u8(in) * TK__NS; /* maybe older than the last */
	FUZZ_CHECK(tk__noise_initiation_create(&pa, &la, det_random(), ts_wall, now, ini) ==
		   TK__NOISE_OK);
	have_ini = true;
	memcpy(msg, ini, sizeof(ini));
	bool flipped = flags & 1, remac = flags & 2;
	size_t pos = flipped ? flip(in, msg, sizeof(ini), remac ? &pa : NULL) : 0;
	snap(&pb, &before);
	enum tk__noise_result r = b_takes_initiation(msg, sizeof(ini), now, wall);
	if (flipped && covered(pos, sizeof(ini), remac, 8))
		FUZZ_CHECK(r != TK__NOISE_OK);
	if (r != TK__NOISE_OK)
		FUZZ_CHECK(same(&pb, &before));
	else
		FUZZ_CHECK(pb.hs.state == TK__HS_CONSUMED_INITIATION);
}

static void op_respond(struct fuzz_in *in, uint64_t now)
{
	uint8_t flags = fuzz_u8(in);
	struct tk__noise_peer before;
	if (tk__noise_response_create(&pb, det_random(), now, rsp) != TK__NOISE_OK)
		return;
	memcpy(msg, rsp, sizeof(rsp));
	bool flipped = flags & 1, remac = flags & 2;
	size_t pos = flipped ? flip(in, msg, sizeof(rsp), remac ? &pb : NULL) : 0;
	snap(&pa, &before);
	enum tk__noise_result r = tk__cookie_check(&la, msg, sizeof(rsp), src, 6, false, now);
	if (r == TK__NOISE_OK)
		r = tk__noise_response_consume(&pa, &la, msg, sizeof(rsp), now);
	if (flipped && covered(pos, sizeof(rsp), remac, 12))
		FUZZ_CHECK(r != TK__NOISE_OK);
	if (r != TK__NOISE_OK)
		FUZZ_CHECK(same(&pa, &before));
	else
		FUZZ_CHECK(tk__keypairs_current(&pa.kp) != NULL);
}

static void op_data(struct fuzz_in *in, uint64_t now)
{
	uint8_t flags = fuzz_u8(in);
	struct tk__noise_peer *from = (flags & 1) ? &pb : &pa, *to = (flags & 1) ? &pa : &pb;
	uint8_t plain[600];
	size_t len = fuzz_bytes(in, plain, fuzz_u8(in) % sizeof(plain)), n = 0, ol = 0;
	enum tk__noise_result r = tk__transport_seal(tk__keypairs_current(&from->kp), plain, len,
						     msg, sizeof(msg), &n, now);
	if (r != TK__NOISE_OK) {
		FUZZ_CHECK(r == TK__NOISE_NO_KEYPAIR || r == TK__NOISE_EXPIRED);
		return;
	}
	struct tk__keypair *kp = tk__keypairs_find(&to->kp, tk__msg_receiver(msg, n));
	struct tk__noise_peer before;
	snap(to, &before);
	size_t cut = (flags & 4) ? 1 + fuzz_u8(in) % n : 0;
	if (flags & 2)
		flip(in, msg, n, NULL);
	r = tk__transport_open(kp, msg, n - cut, out, sizeof(out), &ol, now);
	FUZZ_CHECK(!(flags & 6) || r != TK__NOISE_OK); /* a changed message never opens */
	if (r != TK__NOISE_OK) {
		FUZZ_CHECK(same(to, &before));
		return;
	}
	FUZZ_CHECK(ol == len && memcmp(out, plain, len) == 0);
	tk__keypairs_received_with(&to->kp, kp);
	FUZZ_CHECK(tk__transport_open(kp, msg, n, out, sizeof(out), &ol, now) == TK__NOISE_REPLAY);
}

static void op_cookie(struct fuzz_in *in, uint64_t now)
{
	uint8_t flags = fuzz_u8(in), reply[TK__MSG_COOKIE_LEN];
	if (!have_ini)
		return;
	FUZZ_CHECK(tk__cookie_reply_create(&lb, ini, sizeof(ini), src, 6, now, reply) ==
		   TK__NOISE_OK);
	size_t pos = sizeof(reply);
	if (flags & 1)
		pos = flip(in, reply, sizeof(reply), NULL);
	struct tk__noise_peer before;
	snap(&pa, &before);
	enum tk__noise_result r = tk__cookie_reply_consume(&pa, reply, sizeof(reply), now);
	if (pos < sizeof(reply) && (pos < 4 || pos >= 8))
		FUZZ_CHECK(r != TK__NOISE_OK);
	if (r != TK__NOISE_OK)
		FUZZ_CHECK(same(&pa, &before));
}

static void op_raw(struct fuzz_in *in, uint64_t now, uint64_t wall)
{
	size_t len = fuzz_bytes(in, msg, fuzz_u8(in));
	struct tk__noise_peer ba, bb;
	size_t ol = 0;
	snap(&pa, &ba);
	snap(&pb, &bb);
	enum tk__noise_result r;
	switch (tk__msg_type(msg, len)) {
	case TK__MSG_INITIATION:
		r = b_takes_initiation(msg, len, now, wall);
		FUZZ_CHECK(r == TK__NOISE_OK || same(&pb, &bb));
		break;
	case TK__MSG_RESPONSE:
		r = tk__noise_response_consume(&pa, &la, msg, len, now);
		FUZZ_CHECK(r == TK__NOISE_OK || same(&pa, &ba));
		break;
	case TK__MSG_COOKIE:
		r = tk__cookie_reply_consume(&pa, msg, len, now);
		FUZZ_CHECK(r == TK__NOISE_OK || same(&pa, &ba));
		break;
	default: {
		struct tk__keypair *kp = tk__keypairs_find(&pb.kp, tk__msg_receiver(msg, len));
		r = tk__transport_open(kp, msg, len, out, sizeof(out), &ol, now);
		FUZZ_CHECK(r == TK__NOISE_OK || same(&pb, &bb));
		break;
	}
	}
	/* checked with every length and type: never a crash, and only well-formed ones pass */
	r = tk__cookie_check(&lb, msg, len, src, 6, true, now);
	FUZZ_CHECK(r == TK__NOISE_OK || r == TK__NOISE_MALFORMED || r == TK__NOISE_BAD_MAC1 ||
		   r == TK__NOISE_NEED_COOKIE);
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t ska[32], skb[32];
	(void)argc;
	(void)argv;
	randombytes_set_implementation(&det);
	if (!tk__seal_init() || !tk__noise_params_tapkit(&params, 1))
		abort();
	for (int i = 0; i < 32; i++) {
		ska[i] = (uint8_t)(i * 7 + 1);
		skb[i] = (uint8_t)(i * 13 + 5);
	}
	if (!tk__noise_local_init(&la, &params, ska) || !tk__noise_local_init(&lb, &params, skb))
		abort();
	if (tk__noise_peer_init(&pa, &la, lb.pk, NULL) != TK__NOISE_OK ||
	    tk__noise_peer_init(&pb, &lb, la.pk, NULL) != TK__NOISE_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t now = 1000 * TK__NS, wall = 1767225600ull * TK__NS;

	/* fresh peers (their contexts are kept: only keys and state go) */
	rng_calls = 0;
	have_ini = false;
	tk__noise_peer_zero(&pa);
	tk__noise_peer_zero(&pb);
	memset(pa.latest_timestamp, 0, sizeof(pa.latest_timestamp));
	memset(pb.latest_timestamp, 0, sizeof(pb.latest_timestamp));
	pa.has_consumed_initiation = pb.has_consumed_initiation = false;
	memset(&pa.cookie.cookie, 0, sizeof(pa.cookie.cookie));
	pa.cookie.has_cookie = pa.cookie.has_sent_mac1 = false;
	lb.has_cookie_secret = false;
	for (int n = 0; n < OPS_MAX && in.left > 0; n++) {
		switch (fuzz_u8(&in) % 6) {
		case 0:
			op_initiate(&in, now, wall);
			break;
		case 1:
			op_respond(&in, now);
			break;
		case 2:
			op_data(&in, now);
			break;
		case 3:
			op_cookie(&in, now);
			break;
		case 4:
			op_raw(&in, now, wall);
			break;
		default: {
			uint64_t step = (uint64_t)fuzz_u16(&in) * (TK__NS / 100);
			now += step;
			wall += step;
			break;
		}
		}
	}
	return 0;
}
