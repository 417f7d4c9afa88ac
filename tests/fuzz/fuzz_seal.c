/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode's receive path (src/tunnel/seal.c, replay.c) driven by a sequence of operations
 * decoded from the input, with a fixed key pair so every datagram the fuzzer seals is authentic:
 *
 *   seal    seals a frame (chosen session and counter) and opens it: the verdict must be the one a
 *           simple model of the replay rules gives (a set of accepted counters, not a ring), the
 *           frame must come back unchanged; the same datagram with one byte flipped or cut
 *           short must fail and leave the receiver's state untouched
 *   raw     opens input bytes as a datagram: header and length checks, AEAD rejection
 *   wrong   seals with the other direction's key: never opens
 *   reset   a new receiver
 */
#include "fuzz.h"
#include "tunnel/tunnel_internal.h"

#include <string.h>

#define OPS_MAX	  256
#define BUF_MAX	  (TK__FRAME_MAX + TK__VXLAN_HLEN + TK__SEAL_OVERHEAD)
#define FRAME_LIM 9216

static uint8_t a_tx[TK__KEY_LEN], b_rx[TK__KEY_LEN], b_tx[TK__KEY_LEN];
static uint8_t plain[BUF_MAX], dgram[BUF_MAX], bad[BUF_MAX], out[BUF_MAX];

/* What the receiver should accept: the session followed and every counter accepted in it. */
struct model {
	bool have;
	uint8_t session[TK__SESSION_LEN];
	uint64_t top;
	size_t nacc;
	uint64_t acc[OPS_MAX];
	uint64_t sessions;
};

static bool model_accepts(const struct model *m, const uint8_t session[TK__SESSION_LEN],
			  uint64_t ctr)
{
	if (!m->have)
		return true;
	int c = memcmp(session, m->session, TK__SESSION_LEN);
	if (c != 0)
		return c > 0; /* a restarted peer, or an old session replayed */
	if (ctr > m->top)
		return true;
	if (m->top - ctr >= TK__REPLAY_WINDOW)
		return false;
	for (size_t i = 0; i < m->nacc; i++)
		if (m->acc[i] == ctr)
			return false;
	return true;
}

/* Same session and refused: the cheap check before decryption answers. */
static bool model_replay_early(const struct model *m, const uint8_t session[TK__SESSION_LEN],
			       uint64_t ctr)
{
	return m->have && memcmp(session, m->session, TK__SESSION_LEN) == 0 &&
	       !model_accepts(m, session, ctr);
}

static void model_mark(struct model *m, const uint8_t session[TK__SESSION_LEN], uint64_t ctr)
{
	if (!m->have || memcmp(session, m->session, TK__SESSION_LEN) != 0) {
		m->have = true;
		memcpy(m->session, session, TK__SESSION_LEN);
		m->nacc = 0;
		m->top = ctr;
		m->sessions++;
	}
	if (ctr > m->top)
		m->top = ctr;
	if (m->nacc < OPS_MAX)
		m->acc[m->nacc++] = ctr;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The receiver's state field by field (its padding is not state). */
static bool rx_same(const struct tk__seal_rx *a, const struct tk__seal_rx *b)
{
	return memcmp(a->key, b->key, sizeof(a->key)) == 0 && a->have_session == b->have_session &&
	       memcmp(a->session, b->session, sizeof(a->session)) == 0 &&
	       a->sessions == b->sessions && a->win.top == b->win.top && a->win.any == b->win.any &&
	       memcmp(a->win.bits, b->win.bits, sizeof(a->win.bits)) == 0;
}

static void rx_init(struct tk__seal_rx *rx, struct model *m)
{
	memset(rx, 0, sizeof(*rx));
	memcpy(rx->key, b_rx, TK__KEY_LEN);
	tk__replay_reset(&rx->win);
	memset(m, 0, sizeof(*m));
}

/* Opening d must fail and change nothing. */
static void expect_refused(struct tk__seal_rx *rx, const uint8_t *d, size_t len)
{
	struct tk__seal_rx before;
	size_t out_len = 0;

	memcpy(&before, rx, sizeof(before));
	enum tk__drop v = tk__seal_open(rx, d, len, out, sizeof(out), &out_len);
	FUZZ_CHECK(v != TK__PASS);
	FUZZ_CHECK(v == TK__DROP_MALFORMED || v == TK__DROP_BAD_TAG || v == TK__DROP_REPLAY ||
		   v == TK__DROP_TOO_BIG);
	FUZZ_CHECK(rx_same(&before, rx));
}

static void pick_session(struct fuzz_in *in, uint8_t session[TK__SESSION_LEN])
{
	uint8_t sel = fuzz_u8(in);
	memset(session, 0, TK__SESSION_LEN);
	session[0] = (uint8_t)(0x10 + (sel & 3)); /* four start times, ordered */
	session[15] = (uint8_t)(sel >> 2);	  /* and the random part */
}

static uint64_t pick_counter(struct fuzz_in *in, uint8_t flags, uint64_t last)
{
	uint64_t c;
	switch ((flags >> 4) & 3) {
	case 0:
		c = fuzz_u16(in);
		break;
	case 1:
		c = last + fuzz_u8(in);
		break;
	case 2: {
		uint64_t d = fuzz_u16(in);
		c = last > d ? last - d : 0;
		break;
	}
	default:
		c = fuzz_u64(in);
		break;
	}
	return c == UINT64_MAX ? c - 1 : c; /* the last counter moves to a new session */
}

static size_t make_plain(struct fuzz_in *in, uint8_t flags)
{
	size_t flen = TK__ETH_HLEN + fuzz_u8(in);
	if (flags & 4)
		flen += fuzz_u16(in) % FRAME_LIM;
	tk__vxlan_encode(plain, 1);
	fuzz_bytes(in, plain + TK__VXLAN_HLEN, flen);
	return TK__VXLAN_HLEN + flen;
}

static void op_seal(struct fuzz_in *in, struct tk__seal_rx *rx, struct model *m, uint64_t *last,
		    bool wrong_key)
{
	uint8_t flags = fuzz_u8(in);
	struct tk__seal_tx tx;

	memset(&tx, 0, sizeof(tx));
	memcpy(tx.key, wrong_key ? b_tx : a_tx, TK__KEY_LEN);
	pick_session(in, tx.session);
	tx.counter = pick_counter(in, flags, *last);
	uint64_t ctr = tx.counter;
	size_t plen = make_plain(in, flags);

	size_t dlen = tk__seal_encrypt(&tx, plain, plen, dgram, sizeof(dgram));
	FUZZ_CHECK(dlen == plen + TK__SEAL_OVERHEAD);
	FUZZ_CHECK(tx.counter == ctr + 1);
	FUZZ_CHECK(be64(dgram + 4 + TK__SESSION_LEN) == ctr);
	/* too small a buffer: nothing written, nothing counted */
	FUZZ_CHECK(tk__seal_encrypt(&tx, plain, plen, bad, dlen - 1) == 0);
	FUZZ_CHECK(tx.counter == ctr + 1);

	if (wrong_key) {
		struct tk__seal_rx before;
		size_t out_len = 0;
		memcpy(&before, rx, sizeof(before));
		enum tk__drop v = tk__seal_open(rx, dgram, dlen, out, sizeof(out), &out_len);
		FUZZ_CHECK(v == (model_replay_early(m, tx.session, ctr) ? TK__DROP_REPLAY
									: TK__DROP_BAD_TAG));
		FUZZ_CHECK(rx_same(&before, rx));
		return;
	}
	*last = ctr;
	if (flags & 2) {
		/* any one byte flipped */
		memcpy(bad, dgram, dlen);
		size_t pos = fuzz_u16(in) % dlen;
		bad[pos] ^= (uint8_t)(fuzz_u8(in) | 1u);
		expect_refused(rx, bad, dlen);
	}
	if (flags & 8) {
		/* cut short (the tag is checked over exactly what arrived) */
		size_t cut = 1 + fuzz_u8(in) % dlen;
		expect_refused(rx, dgram, dlen - cut);
	}
	if (flags & 64) {
		/* the output buffer one byte too small */
		struct tk__seal_rx before;
		size_t out_len = 0;
		memcpy(&before, rx, sizeof(before));
		FUZZ_CHECK(tk__seal_open(rx, dgram, dlen, out, plen - 1, &out_len) ==
			   TK__DROP_TOO_BIG);
		FUZZ_CHECK(rx_same(&before, rx));
	}

	size_t out_len = 0;
	bool accept = model_accepts(m, tx.session, ctr);
	enum tk__drop v = tk__seal_open(rx, dgram, dlen, out, sizeof(out), &out_len);
	FUZZ_CHECK(v == (accept ? TK__PASS : TK__DROP_REPLAY));
	if (accept) {
		FUZZ_CHECK(out_len == plen && memcmp(out, plain, plen) == 0);
		model_mark(m, tx.session, ctr);
		FUZZ_CHECK(rx->sessions == m->sessions);
		/* the same datagram again is a replay */
		expect_refused(rx, dgram, dlen);
	}
}

static void op_raw(struct fuzz_in *in, struct tk__seal_rx *rx, struct model *m)
{
	uint8_t flags = fuzz_u8(in);
	size_t len = fuzz_u8(in);
	if (flags & 1)
		len += fuzz_u16(in) % FRAME_LIM;
	len = fuzz_bytes(in, bad, len);
	size_t cap = (flags & 2) ? fuzz_u8(in) : sizeof(out);

	struct tk__seal_rx before;
	size_t out_len = 0;
	memcpy(&before, rx, sizeof(before));
	enum tk__drop v = tk__seal_open(rx, bad, len, out, cap, &out_len);
	if (len < TK__SEAL_OVERHEAD + TK__VXLAN_HLEN + TK__ETH_HLEN ||
	    memcmp(bad, "tk\x01\x01", 4) != 0) {
		FUZZ_CHECK(v == TK__DROP_MALFORMED);
	} else if (len - TK__SEAL_OVERHEAD > cap) {
		FUZZ_CHECK(v == TK__DROP_TOO_BIG);
	} else {
		const uint8_t *session = bad + 4;
		uint64_t ctr = be64(bad + 4 + TK__SESSION_LEN);
		if (model_replay_early(m, session, ctr))
			FUZZ_CHECK(v == TK__DROP_REPLAY);
		else if (v == TK__PASS) {
			/* authentic: a sealed datagram from the seed corpus, say */
			FUZZ_CHECK(model_accepts(m, session, ctr));
			FUZZ_CHECK(out_len == len - TK__SEAL_OVERHEAD);
			model_mark(m, session, ctr);
			return;
		} else if (v == TK__DROP_REPLAY) {
			FUZZ_CHECK(!model_accepts(m, session, ctr));
		} else {
			FUZZ_CHECK(v == TK__DROP_BAD_TAG);
		}
	}
	FUZZ_CHECK(v != TK__PASS);
	FUZZ_CHECK(rx_same(&before, rx));
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	uint8_t sk_a[TK__KEY_LEN], sk_b[TK__KEY_LEN], pk_a[TK__KEY_LEN], pk_b[TK__KEY_LEN];
	uint8_t a_rx[TK__KEY_LEN];

	if (!tk__seal_init())
		abort();
	for (int i = 0; i < TK__KEY_LEN; i++) {
		sk_a[i] = (uint8_t)(i * 7 + 1);
		sk_b[i] = (uint8_t)(i * 13 + 5);
	}
	sk_a[0] &= 248;
	sk_a[31] = (uint8_t)((sk_a[31] & 127) | 64);
	sk_b[0] &= 248;
	sk_b[31] = (uint8_t)((sk_b[31] & 127) | 64);
	tk__key_public(sk_a, pk_a);
	tk__key_public(sk_b, pk_b);
	if (!tk__seal_derive(sk_a, pk_a, pk_b, a_tx, a_rx) ||
	    !tk__seal_derive(sk_b, pk_b, pk_a, b_tx, b_rx))
		abort();
	/* the two ends agree, and the two directions differ */
	if (memcmp(a_tx, b_rx, TK__KEY_LEN) != 0 || memcmp(a_rx, b_tx, TK__KEY_LEN) != 0 ||
	    memcmp(a_tx, a_rx, TK__KEY_LEN) == 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct tk__seal_rx rx;
	struct model m;
	uint64_t last = 0;

	rx_init(&rx, &m);
	for (int n = 0; n < OPS_MAX && in.left > 0; n++) {
		switch (fuzz_u8(&in) % 8) {
		case 0:
		case 1:
		case 2:
		case 3:
			op_seal(&in, &rx, &m, &last, false);
			break;
		case 4:
		case 5:
			op_raw(&in, &rx, &m);
			break;
		case 6:
			op_seal(&in, &rx, &m, &last, true);
			break;
		default:
			rx_init(&rx, &m);
			break;
		}
	}
	return 0;
}
