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
 *
 * XChaCha20-Poly1305 is ChaCha20-Poly1305-IETF keyed with HChaCha20(key, nonce[0..16]) and
 * the nonce 0^4 || nonce[16..24] (draft-irtf-cfrg-xchacha, what libsodium computes). Since the
 * first 16 nonce bytes are the session id, the subkey is made once per session (libsodium's
 * HChaCha20) and each frame is plain ChaCha20-Poly1305 from OpenSSL's libcrypto, whose
 * vectorised code is several times faster than libsodium 1.0.18's here. The bytes on the wire
 * are exactly libsodium's: tests/unit/test_seal.c checks both ways.
 */
#include "tunnel_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
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

/*
 * This thread's ChaCha20-Poly1305 contexts, one per direction: the cipher is fetched once and
 * each context keeps the subkey it was last keyed with, so a run of frames under one session
 * (a TCP burst) only sets the nonce per frame: no key schedule, no provider parameter lookups.
 */
struct aead {
	EVP_CIPHER_CTX *c;
	uint8_t key[TK__KEY_LEN];
	bool keyed;
};
static _Thread_local struct aead aead_enc, aead_dec;
static _Thread_local EVP_CIPHER *aead_cipher;

static bool aead_ready(void)
{
	if (aead_cipher)
		return true;
	aead_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	aead_enc.c = EVP_CIPHER_CTX_new();
	aead_dec.c = EVP_CIPHER_CTX_new();
	if (!aead_cipher || !aead_enc.c || !aead_dec.c ||
	    EVP_CipherInit_ex(aead_enc.c, aead_cipher, NULL, NULL, NULL, 1) != 1 ||
	    EVP_CipherInit_ex(aead_dec.c, aead_cipher, NULL, NULL, NULL, 0) != 1) {
		tk__seal_cleanup();
		ERR_clear_error();
		return false;
	}
	return true;
}

void tk__seal_cleanup(void)
{
	EVP_CIPHER_CTX_free(aead_enc.c); /* clears its key schedule */
	EVP_CIPHER_CTX_free(aead_dec.c);
	EVP_CIPHER_free(aead_cipher);
	sodium_memzero(&aead_enc, sizeof(aead_enc));
	sodium_memzero(&aead_dec, sizeof(aead_dec));
	aead_cipher = NULL;
}

static const uint8_t *subkey(struct tk__seal_subkey *c, const uint8_t key[TK__KEY_LEN],
			     const uint8_t session[TK__SESSION_LEN])
{
	/* memcmp, not a constant-time compare: both keys are ours, nothing here is guessed */
	if (!c->ok || memcmp(c->session, session, TK__SESSION_LEN) != 0 ||
	    memcmp(c->key, key, TK__KEY_LEN) != 0) {
		crypto_core_hchacha20(c->subkey, session, key, NULL);
		memcpy(c->key, key, TK__KEY_LEN);
		memcpy(c->session, session, TK__SESSION_LEN);
		c->ok = true;
	}
	return c->subkey;
}

/* ChaCha20-Poly1305-IETF over the datagram: hdr (TK__SEAL_HLEN bytes, the additional data,
 * whose last 8 bytes are the nonce's), in (len bytes) to out, tag in or out. */
static bool aead_run(const uint8_t *sub, const uint8_t *hdr, const uint8_t *in, size_t len,
		     uint8_t *out, uint8_t tag[TK__SEAL_TAGLEN], int enc)
{
	struct aead *a = enc ? &aead_enc : &aead_dec;
	uint8_t iv[12] = { 0 };
	int ol = 0, fl = 0;

	if ((!aead_cipher && !aead_ready()) || len > INT32_MAX)
		return false;
	memcpy(iv + 4, hdr + 4 + TK__SESSION_LEN, 8);
	bool same_key = a->keyed && memcmp(a->key, sub, TK__KEY_LEN) == 0;
	bool ok = EVP_CipherInit_ex(a->c, NULL, NULL, same_key ? NULL : sub, iv, enc) == 1;
	if (ok && !same_key) {
		memcpy(a->key, sub, TK__KEY_LEN);
		a->keyed = true;
	}
	ok = ok &&
	     (enc || EVP_CIPHER_CTX_ctrl(a->c, EVP_CTRL_AEAD_SET_TAG, TK__SEAL_TAGLEN, tag) == 1) &&
	     EVP_CipherUpdate(a->c, NULL, &ol, hdr, TK__SEAL_HLEN) == 1 &&
	     EVP_CipherUpdate(a->c, out, &ol, in, (int)len) == 1 &&
	     EVP_CipherFinal_ex(a->c, out + ol, &fl) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(a->c, EVP_CTRL_AEAD_GET_TAG, TK__SEAL_TAGLEN, tag) == 1);
	if (!ok) {
		a->keyed = false;  /* key again next time: nothing half-set is trusted */
		ERR_clear_error(); /* a forged datagram must not grow the error queue */
	}
	return ok;
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
	memcpy(out, seal_magic, sizeof(seal_magic));
	memcpy(out + 4, tx->session, TK__SESSION_LEN);
	put_be64(out + 4 + TK__SESSION_LEN, tx->counter);
	uint8_t tag[TK__SEAL_TAGLEN];
	if (!aead_run(subkey(&tx->sub, tx->key, tx->session), out, plain, len, out + TK__SEAL_HLEN,
		      tag, 1))
		return 0;
	tx->counter++;
	memcpy(out + TK__SEAL_HLEN + len, tag, TK__SEAL_TAGLEN);
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
	uint8_t tag[TK__SEAL_TAGLEN];
	memcpy(tag, buf + TK__SEAL_HLEN + clen, TK__SEAL_TAGLEN);
	if (!aead_run(subkey(&rx->sub, rx->key, session), buf, buf + TK__SEAL_HLEN, clen, out, tag,
		      0)) {
		sodium_memzero(out, clen); /* decrypted before the tag was checked: unusable */
		return TK__DROP_BAD_TAG;
	}
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
	return sodium_init() >= 0 /* 1: already done, which is fine */ && aead_ready();
}

/* ---- keys as text, the public calls (tapkit.h) ---- */

tk_status tk_key_generate(char out[TK_KEY_TEXT_MAX], tk_error *err)
{
	uint8_t sk[TK__KEY_LEN];

	if (!out)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "genkey", "out", TK_OS_NONE, 0,
					   "out is NULL");
	if (!tk__seal_init())
		return tk__error_set_quiet(err, TK_E_INTERNAL, "sodium_init", "libsodium",
					   TK_OS_NONE, 0, "libsodium cannot be initialised");
	tk__key_generate(sk);
	tk__key_to_base64(sk, out);
	sodium_memzero(sk, sizeof(sk));
	return TK_OK;
}

tk_status tk_key_public(const char *private_text, size_t len, char out[TK_KEY_TEXT_MAX],
			tk_error *err)
{
	uint8_t sk[TK__KEY_LEN], pk[TK__KEY_LEN];

	if (!private_text || !out)
		return tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "pubkey", "key", TK_OS_NONE, 0,
					   "the key or out is NULL");
	if (!tk__seal_init())
		return tk__error_set_quiet(err, TK_E_INTERNAL, "sodium_init", "libsodium",
					   TK_OS_NONE, 0, "libsodium cannot be initialised");
	if (!tk__key_from_base64(private_text, len, sk)) {
		tk__error_set_quiet(err, TK_E_BAD_ARGUMENT, "read key", "private key", TK_OS_NONE,
				    0, "the text does not hold one base64 private key");
		if (err)
			tk__error_remedy(err, "give it a key made by genkey");
		return TK_E_BAD_ARGUMENT;
	}
	tk__key_public(sk, pk);
	sodium_memzero(sk, sizeof(sk));
	tk__key_to_base64(pk, out);
	return TK_OK;
}

void tk_key_wipe(void *buf, size_t len)
{
	if (buf)
		sodium_memzero(buf, len);
}
