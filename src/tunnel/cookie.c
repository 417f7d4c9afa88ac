/* SPDX-License-Identifier: MIT */
/*
 * mac1, mac2 and the cookie reply (whitepaper section 5.4.4, 5.4.7; the kernel's cookie.c).
 *
 * Every handshake message ends with mac1 = MAC(HASH(label_mac1 || receiver's static pk), msg
 * up to mac1): a sender must know whom it talks to, so scans and garbage cost the receiver one
 * keyed BLAKE2s, never an X25519. Under load (the engine decides: its queue of handshakes is
 * long), a message must also carry mac2 = MAC(cookie, msg up to mac2), where the cookie is
 * MAC(secret, sender's address) and the secret changes every two minutes: that proves the
 * sender receives at its address. A message without it is answered with a cookie reply, the
 * cookie sealed with XChaCha20-Poly1305 under HASH(label_cookie || responder's pk) with the
 * message's mac1 as additional data, so only the sender of that message can read it.
 */
#include "noise_internal.h"

#include <sodium.h>
#include <string.h>

#define COOKIE_RECEIVER 4
#define COOKIE_NONCE	8
#define COOKIE_SEALED	32

/* Where mac1 starts in a handshake message of len bytes (mac2 follows it, up to the end). */
static size_t mac1_off(size_t len)
{
	return len - TK__NOISE_MAC - TK__NOISE_MAC;
}

static size_t handshake_len(uint32_t type)
{
	return type == TK__MSG_INITIATION ? TK__MSG_INITIATION_LEN
	       : type == TK__MSG_RESPONSE ? TK__MSG_RESPONSE_LEN
					  : 0;
}

static bool is_handshake(const uint8_t *msg, size_t len)
{
	uint32_t type = tk__msg_type(msg, len);
	return len > 0 && handshake_len(type) == len;
}

bool tk__cookie_maker_init(struct tk__cookie_maker *m, const struct tk__noise_params *params,
			   const uint8_t peer_pk[TK__NOISE_KEY])
{
	memset(m, 0, sizeof(*m));
	return tk__noise_hash(m->mac1_key, params->label_mac1, TK__NOISE_LABEL_LEN, peer_pk,
			      TK__NOISE_KEY) &&
	       tk__noise_hash(m->cookie_key, params->label_cookie, TK__NOISE_LABEL_LEN, peer_pk,
			      TK__NOISE_KEY);
}

bool tk__cookie_add_macs(struct tk__cookie_maker *m, uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t *mac1 = msg + mac1_off(len), *mac2 = msg + len - TK__NOISE_MAC;

	if (!tk__noise_mac(mac1, m->mac1_key, TK__NOISE_KEY, msg, mac1_off(len)))
		return false;
	memcpy(m->last_mac1, mac1, TK__NOISE_MAC);
	m->has_sent_mac1 = true;
	/* a cookie is used a little less long than the secret behind it lives */
	if (m->has_cookie &&
	    now - m->cookie_birth < TK__COOKIE_SECRET_MAX_AGE - TK__COOKIE_SECRET_LATENCY)
		return tk__noise_mac(mac2, m->cookie, TK__NOISE_MAC, msg, len - TK__NOISE_MAC);
	memset(mac2, 0, TK__NOISE_MAC);
	return true;
}

/*
 * The cookie of a source address. The secret is renewed when it is two minutes old: a matter of
 * time only, whatever the message that asks.
 */
static bool make_cookie(struct tk__noise_local *l, const uint8_t *src, size_t src_len, uint64_t now,
			uint8_t cookie[TK__NOISE_MAC])
{
	if (!l->has_cookie_secret || now - l->cookie_secret_birth >= TK__COOKIE_SECRET_MAX_AGE) {
		randombytes_buf(l->cookie_secret, sizeof(l->cookie_secret));
		l->cookie_secret_birth = now;
		l->has_cookie_secret = true;
	}
	return tk__noise_mac(cookie, l->cookie_secret, sizeof(l->cookie_secret), src, src_len);
}

enum tk__noise_result tk__cookie_check(struct tk__noise_local *l, const uint8_t *msg, size_t len,
				       const uint8_t *src, size_t src_len, bool under_load,
				       uint64_t now)
{
	uint8_t mac[TK__NOISE_MAC], cookie[TK__NOISE_MAC];
	enum tk__noise_result r = TK__NOISE_MALFORMED;

	if (!is_handshake(msg, len))
		return r;
	r = TK__NOISE_CRYPTO;
	if (!tk__noise_mac(mac, l->mac1_key, TK__NOISE_KEY, msg, mac1_off(len)))
		goto out;
	r = TK__NOISE_BAD_MAC1;
	if (sodium_memcmp(mac, msg + mac1_off(len), TK__NOISE_MAC) != 0)
		goto out;
	r = TK__NOISE_OK;
	if (!under_load)
		goto out;
	r = TK__NOISE_CRYPTO;
	if (!make_cookie(l, src, src_len, now, cookie) ||
	    !tk__noise_mac(mac, cookie, TK__NOISE_MAC, msg, len - TK__NOISE_MAC))
		goto out;
	r = sodium_memcmp(mac, msg + len - TK__NOISE_MAC, TK__NOISE_MAC) == 0
		    ? TK__NOISE_OK
		    : TK__NOISE_NEED_COOKIE;
out:
	sodium_memzero(cookie, sizeof(cookie));
	return r;
}

enum tk__noise_result tk__cookie_reply_create(struct tk__noise_local *l, const uint8_t *msg,
					      size_t len, const uint8_t *src, size_t src_len,
					      uint64_t now, uint8_t out[TK__MSG_COOKIE_LEN])
{
	uint8_t cookie[TK__NOISE_MAC];

	if (!is_handshake(msg, len))
		return TK__NOISE_MALFORMED;
	if (!make_cookie(l, src, src_len, now, cookie))
		return TK__NOISE_CRYPTO;
	memset(out, 0, TK__MSG_COOKIE_LEN);
	out[0] = TK__MSG_COOKIE;
	memcpy(out + COOKIE_RECEIVER, msg + 4, 4); /* the sender index of msg */
	randombytes_buf(out + COOKIE_NONCE, TK__NOISE_XNONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		out + COOKIE_SEALED, NULL, cookie, sizeof(cookie), msg + mac1_off(len),
		TK__NOISE_MAC, NULL, out + COOKIE_NONCE, l->cookie_key);
	sodium_memzero(cookie, sizeof(cookie));
	return TK__NOISE_OK;
}

enum tk__noise_result tk__cookie_reply_consume(struct tk__noise_peer *p, const uint8_t *msg,
					       size_t len, uint64_t now)
{
	struct tk__cookie_maker *m = &p->cookie;
	uint8_t cookie[TK__NOISE_MAC];

	if (len != TK__MSG_COOKIE_LEN || tk__msg_type(msg, len) != TK__MSG_COOKIE)
		return TK__NOISE_MALFORMED;
	/* only an answer to a message we sent: its mac1 is the additional data */
	if (!m->has_sent_mac1)
		return TK__NOISE_WRONG_STATE;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    cookie, NULL, NULL, msg + COOKIE_SEALED, TK__NOISE_MAC + TK__NOISE_TAG,
		    m->last_mac1, TK__NOISE_MAC, msg + COOKIE_NONCE, m->cookie_key) != 0)
		return TK__NOISE_BAD_AUTH;
	memcpy(m->cookie, cookie, TK__NOISE_MAC);
	m->cookie_birth = now;
	m->has_cookie = true;
	m->has_sent_mac1 = false; /* one cookie per message sent: replays of the reply do nothing */
	sodium_memzero(cookie, sizeof(cookie));
	return TK__NOISE_OK;
}
