/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode (docs/tunnel-crypto.md has the construction and what it does not protect):
 *
 *   0       4                    20          28                         len-16   len
 *   | magic | session id (16)    | counter   | XChaCha20(VXLAN hdr + frame) | tag |
 *   "tk" 1 1  start time || rand   big endian
 *
 * AEAD: XChaCha20-Poly1305-IETF with nonce = session id || counter (24 bytes) and the first 28
 * bytes as additional data. Keys are per direction (tk__seal_derive), so the two directions of
 * a pair never share a (key, nonce) pair even though both count from 0.
 */
#include "tunnel_internal.h"

#include <sodium.h>
#include <string.h>

static const uint8_t seal_magic[4] = { 't', 'k', 1, 1 }; /* name, version 1, type 1: data */
static const char kdf_label[] = "tapkit seal v1 direction key";

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void tk__key_generate(uint8_t sk[TK__KEY_LEN])
{
	randombytes_buf(sk, TK__KEY_LEN);
	/* clamp as RFC 7748 does, so the stored key is the one X25519 uses (WireGuard does too) */
	sk[0] &= 248;
	sk[31] = (uint8_t)((sk[31] & 127) | 64);
}

void tk__key_public(const uint8_t sk[TK__KEY_LEN], uint8_t pk[TK__KEY_LEN])
{
	crypto_scalarmult_base(pk, sk);
}

void tk__key_to_base64(const uint8_t key[TK__KEY_LEN], char out[TK__KEY_B64_LEN + 1])
{
	sodium_bin2base64(out, TK__KEY_B64_LEN + 1, key, TK__KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

bool tk__key_from_base64(const char *text, size_t len, uint8_t key[TK__KEY_LEN])
{
	while (len > 0 && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
			   text[len - 1] == '\t'))
		len--;
	if (len != TK__KEY_B64_LEN)
		return false;
	/* libsodium 1.0.18 reads a byte >= 0x80 as some base64 digit: one key, one spelling */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '='))
			return false;
	}
	uint8_t tmp[TK__KEY_LEN];
	size_t bin_len = 0;
	const char *end = NULL;
	if (sodium_base642bin(tmp, sizeof(tmp), text, len, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != TK__KEY_LEN || end != text + len) {
		sodium_memzero(tmp, sizeof(tmp));
		return false;
	}
	memcpy(key, tmp, TK__KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return true;
}

static void direction_key(const uint8_t shared[crypto_scalarmult_BYTES],
			  const uint8_t from[TK__KEY_LEN], const uint8_t to[TK__KEY_LEN],
			  uint8_t out[TK__KEY_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, shared, crypto_scalarmult_BYTES, TK__KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)kdf_label, sizeof(kdf_label) - 1);
	crypto_generichash_update(&st, from, TK__KEY_LEN);
	crypto_generichash_update(&st, to, TK__KEY_LEN);
	crypto_generichash_final(&st, out, TK__KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

bool tk__seal_derive(const uint8_t sk[TK__KEY_LEN], const uint8_t pk[TK__KEY_LEN],
		     const uint8_t peer_pk[TK__KEY_LEN], uint8_t tx[TK__KEY_LEN],
		     uint8_t rx[TK__KEY_LEN])
{
	uint8_t shared[crypto_scalarmult_BYTES];

	/* our own key as a peer would make both directions one key: reflections would pass */
	if (sodium_memcmp(pk, peer_pk, TK__KEY_LEN) == 0)
		return false;
	/* fails (-1) when the result is all zero: peer_pk is a low-order point */
	if (crypto_scalarmult(shared, sk, peer_pk) != 0) {
		sodium_memzero(shared, sizeof(shared));
		return false;
	}
	direction_key(shared, pk, peer_pk, tx);
	direction_key(shared, peer_pk, pk, rx);
	sodium_memzero(shared, sizeof(shared));
	return true;
}

void tk__seal_session_new(struct tk__seal_tx *tx, uint64_t realtime_ns)
{
	put_be64(tx->session, realtime_ns);
	randombytes_buf(tx->session + 8, 8);
	tx->counter = 0;
}

size_t tk__seal_encrypt(struct tk__seal_tx *tx, const uint8_t *plain, size_t len, uint8_t *out,
			size_t cap)
{
	if (cap < TK__SEAL_OVERHEAD || len > cap - TK__SEAL_OVERHEAD)
		return 0;
	if (tx->counter == UINT64_MAX) {
		/* 2^64 frames: move to a later session rather than ever reuse a nonce */
		tk__seal_session_new(tx, get_be64(tx->session) + 1);
	}
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	memcpy(out, seal_magic, sizeof(seal_magic));
	memcpy(out + 4, tx->session, TK__SESSION_LEN);
	put_be64(out + 4 + TK__SESSION_LEN, tx->counter);
	memcpy(nonce, out + 4, sizeof(nonce));
	tx->counter++;
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
		out + TK__SEAL_HLEN, out + TK__SEAL_HLEN + len, NULL, plain, len, out,
		TK__SEAL_HLEN, NULL, nonce, tx->key);
	return len + TK__SEAL_OVERHEAD;
}

enum tk__drop tk__seal_open(struct tk__seal_rx *rx, const uint8_t *buf, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	if (len < TK__SEAL_OVERHEAD + TK__VXLAN_HLEN + TK__ETH_HLEN)
		return TK__DROP_MALFORMED;
	if (memcmp(buf, seal_magic, sizeof(seal_magic)) != 0)
		return TK__DROP_MALFORMED;
	size_t clen = len - TK__SEAL_OVERHEAD;
	if (clen > cap)
		return TK__DROP_TOO_BIG;
	const uint8_t *session = buf + 4;
	uint64_t ctr = get_be64(buf + 4 + TK__SESSION_LEN);
	bool same = rx->have_session && memcmp(session, rx->session, TK__SESSION_LEN) == 0;

	/* cheap refusal first: a replay of the session we follow costs no decryption */
	if (same && !tk__replay_check(&rx->win, ctr))
		return TK__DROP_REPLAY;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
		    out, NULL, buf + TK__SEAL_HLEN, clen, buf + TK__SEAL_HLEN + clen, buf,
		    TK__SEAL_HLEN, buf + 4, rx->key) != 0)
		return TK__DROP_BAD_TAG;
	if (!same) {
		/*
		 * Authentic, but another session: the peer restarted (its session id starts with
		 * a later start time) or this is an old session's datagram replayed (earlier or
		 * equal start time), which must not take the window back.
		 */
		if (rx->have_session && memcmp(session, rx->session, TK__SESSION_LEN) <= 0) {
			sodium_memzero(out, clen);
			return TK__DROP_REPLAY;
		}
		memcpy(rx->session, session, TK__SESSION_LEN);
		rx->have_session = true;
		rx->sessions++;
		tk__replay_reset(&rx->win);
	}
	tk__replay_mark(&rx->win, ctr);
	*out_len = clen;
	return TK__PASS;
}

bool tk__seal_init(void)
{
	return sodium_init() >= 0; /* 1: already done, which is fine */
}
