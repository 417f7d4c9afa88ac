/* SPDX-License-Identifier: MIT */
/*
 * Transport data messages of sealed mode v2 and the keypairs they use (whitepaper 5.4.6; the
 * kernel's noise.c add_new_keypair / received_with_keypair and send.c / receive.c):
 *
 *   0      4                8             16                      len-16  len
 *   | 4 0 0 0 | receiver index | counter (LE) | ChaCha20(VXLAN hdr + frame) | tag |
 *
 * ChaCha20-Poly1305 (RFC 8439) with the nonce 0^4 || counter (64-bit little endian) and no
 * additional data, exactly as WireGuard. This is the fast path: each keypair owns two OpenSSL
 * contexts keyed once when the handshake derives it, so a frame is one AEAD call with only the
 * nonce set, and nothing is allocated per frame. The counter is checked against the replay
 * window of replay.c (RFC 6479) before decryption and marked after authentication.
 */
#include "noise_internal.h"

#include <openssl/err.h>
#include <sodium.h>
#include <string.h>

static _Thread_local EVP_CIPHER *chacha;

void tk__transport_cleanup(void)
{
	EVP_CIPHER_free(chacha);
	chacha = NULL;
}

static bool cipher_ready(void)
{
	if (!chacha)
		chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (!chacha)
		ERR_clear_error();
	return chacha != NULL;
}

/* ---- keypairs ---- */

/* Forgets a keypair: its contexts are reset (OpenSSL wipes the key schedule), kept for reuse. */
static void keypair_clear(struct tk__keypair *kp)
{
	EVP_CIPHER_CTX *enc = kp->enc, *dec = kp->dec;
	if (enc)
		EVP_CIPHER_CTX_reset(enc);
	if (dec)
		EVP_CIPHER_CTX_reset(dec);
	sodium_memzero(kp, sizeof(*kp));
	kp->enc = enc;
	kp->dec = dec;
}

bool tk__keypairs_init(struct tk__keypairs *k)
{
	memset(k, 0, sizeof(*k));
	k->current = k->previous = k->next = -1;
	for (int i = 0; i < 3; i++) {
		k->slot[i].enc = EVP_CIPHER_CTX_new();
		k->slot[i].dec = EVP_CIPHER_CTX_new();
		if (!k->slot[i].enc || !k->slot[i].dec) {
			tk__keypairs_free(k);
			return false;
		}
	}
	return true;
}

void tk__keypairs_free(struct tk__keypairs *k)
{
	for (int i = 0; i < 3; i++) {
		EVP_CIPHER_CTX_free(k->slot[i].enc);
		EVP_CIPHER_CTX_free(k->slot[i].dec);
	}
	sodium_memzero(k, sizeof(*k));
	k->current = k->previous = k->next = -1;
}

void tk__keypairs_clear(struct tk__keypairs *k)
{
	for (int i = 0; i < 3; i++)
		keypair_clear(&k->slot[i]);
	k->current = k->previous = k->next = -1;
}

static void drop(struct tk__keypairs *k, int *which)
{
	if (*which >= 0)
		keypair_clear(&k->slot[*which]);
	*which = -1;
}

bool tk__keypairs_add(struct tk__keypairs *k, const uint8_t send_key[TK__NOISE_KEY],
		      const uint8_t recv_key[TK__NOISE_KEY], uint32_t local_index,
		      uint32_t remote_index, bool initiator, uint64_t now)
{
	if (initiator) {
		/*
		 * Our initiation was answered: the new keypair is confirmed and becomes current.
		 * A pending next (from a peer's initiation we answered meanwhile) becomes previous,
		 * else the current does, so frames still in flight under it are received.
		 */
		if (k->next >= 0) {
			drop(k, &k->previous);
			k->previous = k->next;
			k->next = -1;
			drop(k, &k->current);
		} else {
			drop(k, &k->previous);
			k->previous = k->current;
			k->current = -1;
		}
	} else {
		/* unconfirmed until the initiator's first transport message: only next moves */
		drop(k, &k->next);
		drop(k, &k->previous);
	}
	int s = 0;
	while (s == k->current || s == k->previous || s == k->next)
		s++;
	struct tk__keypair *kp = &k->slot[s];
	if (!cipher_ready() || EVP_CipherInit_ex(kp->enc, chacha, NULL, send_key, NULL, 1) != 1 ||
	    EVP_CipherInit_ex(kp->dec, chacha, NULL, recv_key, NULL, 0) != 1) {
		keypair_clear(kp);
		ERR_clear_error();
		return false;
	}
	kp->birth = now;
	kp->send_counter = 0;
	tk__replay_reset(&kp->win);
	kp->local_index = local_index;
	kp->remote_index = remote_index;
	kp->initiator = initiator;
	kp->valid = true;
	if (initiator)
		k->current = s;
	else
		k->next = s;
	return true;
}

struct tk__keypair *tk__keypairs_find(struct tk__keypairs *k, uint32_t idx)
{
	const int order[3] = { k->current, k->previous, k->next };
	for (int i = 0; i < 3; i++)
		if (order[i] >= 0 && k->slot[order[i]].valid &&
		    k->slot[order[i]].local_index == idx)
			return &k->slot[order[i]];
	return NULL;
}

struct tk__keypair *tk__keypairs_current(struct tk__keypairs *k)
{
	return k->current >= 0 && k->slot[k->current].valid ? &k->slot[k->current] : NULL;
}

bool tk__keypairs_received_with(struct tk__keypairs *k, const struct tk__keypair *kp)
{
	if (k->next < 0 || &k->slot[k->next] != kp)
		return false;
	drop(k, &k->previous);
	k->previous = k->current;
	k->current = k->next;
	k->next = -1;
	return true;
}

/* ---- transport messages ---- */

static bool expired(const struct tk__keypair *kp, uint64_t now)
{
	return now - kp->birth >= TK__REJECT_AFTER_TIME;
}

/* One ChaCha20-Poly1305 operation with the keypair's already keyed context. */
static bool aead(EVP_CIPHER_CTX *c, int enc, uint64_t ctr, const uint8_t *in, size_t len,
		 uint8_t *out, uint8_t tag[TK__NOISE_TAG])
{
	uint8_t iv[12] = { 0 };
	int ol = 0, fl = 0;

	tk__put_le64(iv + 4, ctr);
	bool ok = len <= INT32_MAX && EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) == 1 &&
		  (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TK__NOISE_TAG, tag) == 1) &&
		  (len == 0 || EVP_CipherUpdate(c, out, &ol, in, (int)len) == 1) &&
		  EVP_CipherFinal_ex(c, out + ol, &fl) == 1 &&
		  (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TK__NOISE_TAG, tag) == 1);
	if (!ok)
		ERR_clear_error(); /* a forged message must not grow the error queue */
	return ok;
}

enum tk__noise_result tk__transport_seal(struct tk__keypair *kp, const uint8_t *plain, size_t len,
					 uint8_t *out, size_t cap, size_t *out_len, uint64_t now)
{
	if (!kp || !kp->valid)
		return TK__NOISE_NO_KEYPAIR;
	if (expired(kp, now) || kp->send_counter >= TK__REJECT_AFTER_MESSAGES)
		return TK__NOISE_EXPIRED;
	if (cap < TK__MSG_DATA_OVERHEAD || len > cap - TK__MSG_DATA_OVERHEAD)
		return TK__NOISE_TOO_BIG;
	uint64_t ctr = kp->send_counter++; /* used once, whatever happens next */
	tk__put_le32(out, TK__MSG_DATA);
	tk__put_le32(out + 4, kp->remote_index);
	tk__put_le64(out + 8, ctr);
	if (!aead(kp->enc, 1, ctr, plain, len, out + TK__MSG_DATA_HLEN,
		  out + TK__MSG_DATA_HLEN + len))
		return TK__NOISE_CRYPTO;
	*out_len = len + TK__MSG_DATA_OVERHEAD;
	return TK__NOISE_OK;
}

enum tk__noise_result tk__transport_open(struct tk__keypair *kp, const uint8_t *msg, size_t len,
					 uint8_t *out, size_t cap, size_t *out_len, uint64_t now)
{
	if (len < TK__MSG_DATA_OVERHEAD || tk__msg_type(msg, len) != TK__MSG_DATA)
		return TK__NOISE_MALFORMED;
	if (!kp || !kp->valid || tk__msg_receiver(msg, len) != kp->local_index)
		return TK__NOISE_UNKNOWN_INDEX;
	uint64_t ctr = tk__get_le64(msg + 8);
	if (expired(kp, now) || ctr >= TK__REJECT_AFTER_MESSAGES)
		return TK__NOISE_EXPIRED;
	/* cheap refusal first: a replay costs no decryption */
	if (!tk__replay_check(&kp->win, ctr))
		return TK__NOISE_REPLAY;
	size_t clen = len - TK__MSG_DATA_OVERHEAD;
	if (clen > cap)
		return TK__NOISE_TOO_BIG;
	uint8_t tag[TK__NOISE_TAG];
	memcpy(tag, msg + TK__MSG_DATA_HLEN + clen, TK__NOISE_TAG);
	if (!aead(kp->dec, 0, ctr, msg + TK__MSG_DATA_HLEN, clen, out, tag)) {
		sodium_memzero(out, clen); /* decrypted before the tag was checked: unusable */
		return TK__NOISE_BAD_AUTH;
	}
	tk__replay_mark(&kp->win, ctr);
	*out_len = clen;
	return TK__NOISE_OK;
}
