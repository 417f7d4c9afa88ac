/* SPDX-License-Identifier: MIT */
/*
 * The handshake of sealed mode v2: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s exactly as WireGuard
 * runs it (whitepaper section 5.4, the kernel's noise.c), with tapkit's identifier (the VNI and
 * the protocol version inside) in place of WireGuard's. docs/tunnel-crypto.md has the
 * messages and the chain step by step; the comments below name each Noise token.
 *
 * Primitives: BLAKE2s-256, keyed BLAKE2s and HMAC-BLAKE2s from OpenSSL 3 (EVP digest
 * BLAKE2S-256, EVP_MAC BLAKE2SMAC and HMAC), X25519 and ChaCha20-Poly1305 from libsodium. The
 * handshake is not the fast path; its contexts are per thread and reused, so a flood of
 * initiations costs no allocation either.
 *
 * Consume functions work on copies of the chaining key and hash and commit to the peer only
 * once everything authenticated: a refused message leaves no trace.
 */
#include "noise_internal.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

static const char *const result_keys[] = {
#define TK__NOISE_KEY_STR(name, key, desc) key,
	TK__NOISE_MAP(TK__NOISE_KEY_STR)
#undef TK__NOISE_KEY_STR
};

const char *tk__noise_result_key(enum tk__noise_result r)
{
	return (unsigned)r < TK__NOISE__COUNT ? result_keys[r] : "?";
}

uint32_t tk__msg_type(const uint8_t *buf, size_t len)
{
	return len < 4 ? 0 : tk__get_le32(buf);
}

bool tk__msg_is_v1(const uint8_t *buf, size_t len)
{
	return len >= 4 && buf[0] == 't' && buf[1] == 'k' && buf[2] == 1 && buf[3] == 1;
}

uint32_t tk__msg_receiver(const uint8_t *msg, size_t len)
{
	uint32_t type = tk__msg_type(msg, len);
	if (type == TK__MSG_RESPONSE && len >= 12)
		return tk__get_le32(msg + 8);
	if ((type == TK__MSG_COOKIE || type == TK__MSG_DATA) && len >= 8)
		return tk__get_le32(msg + 4);
	return 0;
}

/* ---- BLAKE2s from OpenSSL 3: one context of each kind per thread, fetched once ---- */

static _Thread_local EVP_MD *md_b2s;
static _Thread_local EVP_MD_CTX *md_ctx;
static _Thread_local EVP_MAC_CTX *hmac_ctx, *kmac_ctx;

void tk__noise_cleanup(void)
{
	tk__transport_cleanup();
	EVP_MD_CTX_free(md_ctx);
	EVP_MAC_CTX_free(hmac_ctx);
	EVP_MAC_CTX_free(kmac_ctx);
	EVP_MD_free(md_b2s);
	md_ctx = NULL;
	hmac_ctx = kmac_ctx = NULL;
	md_b2s = NULL;
}

static EVP_MAC_CTX *mac_ctx_new(const char *alg, const OSSL_PARAM *params)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, alg, NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (c && EVP_MAC_CTX_set_params(c, params) != 1) {
		EVP_MAC_CTX_free(c);
		c = NULL;
	}
	return c;
}

static bool primitives_ready(void)
{
	if (md_b2s && md_ctx && hmac_ctx && kmac_ctx)
		return true;
	if (sodium_init() < 0)
		return false;
	char digest[] = "BLAKE2S-256";
	size_t outlen = TK__NOISE_MAC;
	OSSL_PARAM hp[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			    OSSL_PARAM_construct_end() };
	OSSL_PARAM kp[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen),
			    OSSL_PARAM_construct_end() };
	if (!md_b2s)
		md_b2s = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	if (!md_ctx)
		md_ctx = EVP_MD_CTX_new();
	if (!hmac_ctx)
		hmac_ctx = mac_ctx_new("HMAC", hp);
	if (!kmac_ctx)
		kmac_ctx = mac_ctx_new("BLAKE2SMAC", kp);
	if (md_b2s && md_ctx && hmac_ctx && kmac_ctx)
		return true;
	tk__noise_cleanup();
	ERR_clear_error();
	return false;
}

bool tk__noise_hash(uint8_t out[TK__NOISE_KEY], const uint8_t *a, size_t alen, const uint8_t *b,
		    size_t blen)
{
	unsigned int n = 0;
	if (!primitives_ready())
		return false;
	bool ok = EVP_DigestInit_ex2(md_ctx, md_b2s, NULL) == 1 &&
		  EVP_DigestUpdate(md_ctx, a, alen) == 1 &&
		  (blen == 0 || EVP_DigestUpdate(md_ctx, b, blen) == 1) &&
		  EVP_DigestFinal_ex(md_ctx, out, &n) == 1 && n == TK__NOISE_KEY;
	if (!ok)
		ERR_clear_error();
	return ok;
}

/* out = mac(key, a || b) with the context c (HMAC-BLAKE2s or keyed BLAKE2s). */
static bool mac_run(EVP_MAC_CTX *c, uint8_t *out, size_t outlen, const uint8_t *key, size_t klen,
		    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = 0;
	bool ok = EVP_MAC_init(c, key, klen, NULL) == 1 && EVP_MAC_update(c, a, alen) == 1 &&
		  (blen == 0 || EVP_MAC_update(c, b, blen) == 1) &&
		  EVP_MAC_final(c, out, &n, outlen) == 1 && n == outlen;
	if (!ok)
		ERR_clear_error();
	return ok;
}

bool tk__noise_mac(uint8_t out[TK__NOISE_MAC], const uint8_t *key, size_t klen, const uint8_t *msg,
		   size_t len)
{
	return primitives_ready() &&
	       mac_run(kmac_ctx, out, TK__NOISE_MAC, key, klen, msg, len, NULL, 0);
}

static bool hmac(uint8_t out[TK__NOISE_KEY], const uint8_t key[TK__NOISE_KEY], const uint8_t *a,
		 size_t alen, const uint8_t *b, size_t blen)
{
	return primitives_ready() &&
	       mac_run(hmac_ctx, out, TK__NOISE_KEY, key, TK__NOISE_KEY, a, alen, b, blen);
}

/*
 * KDF_n(key, input) of the whitepaper (HKDF with HMAC-BLAKE2s): t0 = HMAC(key, input),
 * t1 = HMAC(t0, 0x1), t2 = HMAC(t0, t1 || 0x2), t3 = HMAC(t0, t2 || 0x3). Outputs may alias the
 * key (ck = KDF1(ck, ...)); NULL outputs are not computed.
 */
static bool kdf(uint8_t *o1, uint8_t *o2, uint8_t *o3, const uint8_t key[TK__NOISE_KEY],
		const uint8_t *in, size_t inlen)
{
	uint8_t t0[TK__NOISE_KEY], t[3][TK__NOISE_KEY];
	uint8_t one = 1, two = 2, three = 3;
	bool ok = hmac(t0, key, in, inlen, NULL, 0) && hmac(t[0], t0, &one, 1, NULL, 0) &&
		  ((!o2 && !o3) || hmac(t[1], t0, t[0], TK__NOISE_KEY, &two, 1)) &&
		  (!o3 || hmac(t[2], t0, t[1], TK__NOISE_KEY, &three, 1));
	if (ok) {
		memcpy(o1, t[0], TK__NOISE_KEY);
		if (o2)
			memcpy(o2, t[1], TK__NOISE_KEY);
		if (o3)
			memcpy(o3, t[2], TK__NOISE_KEY);
	}
	sodium_memzero(t0, sizeof(t0));
	sodium_memzero(t, sizeof(t));
	return ok;
}

/* ---- the symmetric state: ck (chaining key), h (hash), k (the current key) ---- */

struct sym {
	uint8_t ck[TK__NOISE_KEY];
	uint8_t h[TK__NOISE_KEY];
	uint8_t k[TK__NOISE_KEY];
};

static void sym_wipe(struct sym *s)
{
	sodium_memzero(s, sizeof(*s));
}

static bool mix_hash(struct sym *s, const uint8_t *d, size_t n)
{
	return tk__noise_hash(s->h, s->h, TK__NOISE_KEY, d, n);
}

/* ck, k = KDF2(ck, in) */
static bool mix_key(struct sym *s, const uint8_t *in, size_t n)
{
	return kdf(s->ck, s->k, NULL, s->ck, in, n);
}

/* Ci = HASH(construction), Hi = HASH(HASH(Ci || identifier) || responder's static public key) */
static bool sym_init(struct sym *s, const struct tk__noise_params *p,
		     const uint8_t responder_pk[TK__NOISE_KEY])
{
	memcpy(s->ck, p->ck0, TK__NOISE_KEY);
	memcpy(s->h, p->h0, TK__NOISE_KEY);
	memset(s->k, 0, TK__NOISE_KEY);
	return mix_hash(s, responder_pk, TK__NOISE_KEY);
}

/* Token e (psk mode): h = HASH(h || e), ck = KDF1(ck, e). */
static bool mix_ephemeral(struct sym *s, const uint8_t e[TK__NOISE_KEY])
{
	return mix_hash(s, e, TK__NOISE_KEY) && kdf(s->ck, NULL, NULL, s->ck, e, TK__NOISE_KEY);
}

/* Tokens es, se, ss, ee: ck, k = KDF2(ck, X25519(sk, pk)); false for an all-zero result. */
static enum tk__noise_result mix_dh(struct sym *s, const uint8_t sk[TK__NOISE_KEY],
				    const uint8_t pk[TK__NOISE_KEY])
{
	uint8_t dh[TK__NOISE_KEY];
	if (crypto_scalarmult(dh, sk, pk) != 0) {
		sodium_memzero(dh, sizeof(dh));
		return TK__NOISE_BAD_KEY;
	}
	bool ok = mix_key(s, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return ok ? TK__NOISE_OK : TK__NOISE_CRYPTO;
}

/* Token psk: ck, tau, k = KDF3(ck, psk); h = HASH(h || tau). */
static bool mix_psk(struct sym *s, const uint8_t psk[TK__NOISE_KEY])
{
	uint8_t tau[TK__NOISE_KEY];
	bool ok =
		kdf(s->ck, tau, s->k, s->ck, psk, TK__NOISE_KEY) && mix_hash(s, tau, TK__NOISE_KEY);
	sodium_memzero(tau, sizeof(tau));
	return ok;
}

/* EncryptAndHash: out = AEAD(k, 0, in, h); h = HASH(h || out). */
static bool encrypt_and_hash(struct sym *s, uint8_t *out, const uint8_t *in, size_t n)
{
	static const uint8_t nonce0[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, n, s->h, TK__NOISE_KEY, NULL,
						  nonce0, s->k);
	return mix_hash(s, out, n + TK__NOISE_TAG);
}

/* DecryptAndHash over n bytes of ciphertext and tag; out gets n - 16 bytes (may be NULL). */
static enum tk__noise_result decrypt_and_hash(struct sym *s, uint8_t *out, const uint8_t *in,
					      size_t n)
{
	static const uint8_t nonce0[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	uint8_t none[1] = { 0 };
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out ? out : none, NULL, NULL, in, n, s->h,
						      TK__NOISE_KEY, nonce0, s->k) != 0)
		return TK__NOISE_BAD_AUTH;
	return mix_hash(s, in, n) ? TK__NOISE_OK : TK__NOISE_CRYPTO;
}

/* The transport keys: (initiator's sending, initiator's receiving) = KDF2(ck, empty). */
static bool split(const struct sym *s, uint8_t t1[TK__NOISE_KEY], uint8_t t2[TK__NOISE_KEY])
{
	return kdf(t1, t2, NULL, s->ck, NULL, 0);
}

/* ---- identifiers ---- */

void tk__noise_identifier(uint8_t out[TK__NOISE_ID_LEN], uint32_t vni)
{
	size_t n = sizeof(TK__NOISE_IDENTIFIER) - 1;
	memcpy(out, TK__NOISE_IDENTIFIER, n);
	out[n] = TK__NOISE_VERSION;
	for (int i = 0; i < 4; i++)
		out[n + 1 + (size_t)i] = (uint8_t)(vni >> (24 - 8 * i));
}

static bool params_make(struct tk__noise_params *p, const uint8_t *id, size_t idlen,
			const char *mac1, const char *cookie)
{
	memcpy(p->label_mac1, mac1, TK__NOISE_LABEL_LEN);
	memcpy(p->label_cookie, cookie, TK__NOISE_LABEL_LEN);
	return tk__noise_hash(p->ck0, (const uint8_t *)TK__NOISE_CONSTRUCTION,
			      sizeof(TK__NOISE_CONSTRUCTION) - 1, NULL, 0) &&
	       tk__noise_hash(p->h0, p->ck0, TK__NOISE_KEY, id, idlen);
}

bool tk__noise_params_tapkit(struct tk__noise_params *p, uint32_t vni)
{
	uint8_t id[TK__NOISE_ID_LEN];
	tk__noise_identifier(id, vni);
	/* labels of our own: a WireGuard peer's mac1 never passes ours, nor ours its */
	p->max_future = TK__NOISE_MAX_FUTURE;
	return params_make(p, id, sizeof(id), "tk-mac1-", "tk-cook-");
}

bool tk__noise_params_wireguard(struct tk__noise_params *p)
{
	p->max_future = 0; /* WireGuard bounds nothing */
	return params_make(p, (const uint8_t *)TK__WG_IDENTIFIER, sizeof(TK__WG_IDENTIFIER) - 1,
			   "mac1----", "cookie--");
}

bool tk__noise_local_init(struct tk__noise_local *l, const struct tk__noise_params *params,
			  const uint8_t sk[TK__NOISE_KEY])
{
	memset(l, 0, sizeof(*l));
	l->params = params;
	memcpy(l->sk, sk, TK__NOISE_KEY);
	if (sodium_init() < 0 || crypto_scalarmult_base(l->pk, l->sk) != 0)
		return false;
	return tk__noise_hash(l->mac1_key, params->label_mac1, TK__NOISE_LABEL_LEN, l->pk,
			      TK__NOISE_KEY) &&
	       tk__noise_hash(l->cookie_key, params->label_cookie, TK__NOISE_LABEL_LEN, l->pk,
			      TK__NOISE_KEY);
}

void tk__noise_local_wipe(struct tk__noise_local *l)
{
	sodium_memzero(l, sizeof(*l));
}

/* ---- peers ---- */

enum tk__noise_result tk__noise_peer_init(struct tk__noise_peer *p, const struct tk__noise_local *l,
					  const uint8_t remote_static[TK__NOISE_KEY],
					  const uint8_t *psk)
{
	memset(p, 0, sizeof(*p));
	p->kp.current = p->kp.previous = p->kp.next = -1;
	/* our own key as a peer: its messages would be our reflections */
	if (sodium_memcmp(remote_static, l->pk, TK__NOISE_KEY) == 0)
		return TK__NOISE_BAD_KEY;
	if (crypto_scalarmult(p->ss, l->sk, remote_static) != 0) {
		sodium_memzero(p->ss, sizeof(p->ss));
		return TK__NOISE_BAD_KEY; /* low-order point: every session key would be known */
	}
	memcpy(p->remote_static, remote_static, TK__NOISE_KEY);
	if (psk)
		memcpy(p->psk, psk, TK__NOISE_KEY);
	tk__timers_init(&p->timers, 0);
	if (!tk__cookie_maker_init(&p->cookie, l->params, remote_static) ||
	    !tk__keypairs_init(&p->kp)) {
		tk__noise_peer_free(p);
		return TK__NOISE_CRYPTO;
	}
	return TK__NOISE_OK;
}

void tk__noise_peer_zero(struct tk__noise_peer *p)
{
	sodium_memzero(&p->hs, sizeof(p->hs));
	tk__keypairs_clear(&p->kp);
}

void tk__noise_peer_free(struct tk__noise_peer *p)
{
	tk__keypairs_free(&p->kp);
	sodium_memzero(p, sizeof(*p));
	p->kp.current = p->kp.previous = p->kp.next = -1;
}

/* ---- TAI64N ---- */

void tk__tai64n(uint8_t out[TK__NOISE_TAI64N], uint64_t realtime_ns)
{
	uint64_t secs = 0x400000000000000aull + realtime_ns / TK__NS;
	/*
	 * The low 24 bits of the nanoseconds are cleared as WireGuard does: the timestamp is not a
	 * fine clock for an observer of the (encrypted) field, and 2^24 ns is below the 1/50 s an
	 * initiation needs anyway.
	 */
	uint32_t nanos = (uint32_t)(realtime_ns % TK__NS) & ~0xffffffu;
	for (int i = 7; i >= 0; i--, secs >>= 8)
		out[i] = (uint8_t)secs;
	for (int i = 11; i >= 8; i--, nanos >>= 8)
		out[i] = (uint8_t)nanos;
}

/* ---- the initiation: e, es, s, ss, {t} ---- */

/* offsets in the initiation */
#define INI_SENDER    4
#define INI_EPHEMERAL 8
#define INI_STATIC    40
#define INI_TIMESTAMP 88

enum tk__noise_result tk__noise_initiation_create(struct tk__noise_peer *p,
						  const struct tk__noise_local *l,
						  uint32_t local_index, uint64_t realtime_ns,
						  uint64_t now, uint8_t out[TK__MSG_INITIATION_LEN])
{
	struct sym s;
	uint8_t eph[TK__NOISE_KEY], ts[TK__NOISE_TAI64N];
	enum tk__noise_result r = TK__NOISE_CRYPTO;

	memset(out, 0, TK__MSG_INITIATION_LEN);
	tk__put_le32(out, TK__MSG_INITIATION);
	tk__put_le32(out + INI_SENDER, local_index);
	tk__key_generate(eph);
	tk__key_public(eph, out + INI_EPHEMERAL);
	tk__tai64n(ts, realtime_ns);
	if (!sym_init(&s, l->params, p->remote_static) || !mix_ephemeral(&s, out + INI_EPHEMERAL))
		goto out;
	if ((r = mix_dh(&s, eph, p->remote_static)) != TK__NOISE_OK) /* es */
		goto out;
	r = TK__NOISE_CRYPTO;
	if (!encrypt_and_hash(&s, out + INI_STATIC, l->pk, TK__NOISE_KEY) || /* s */
	    !mix_key(&s, p->ss, TK__NOISE_KEY) ||			     /* ss */
	    !encrypt_and_hash(&s, out + INI_TIMESTAMP, ts, sizeof(ts)) ||    /* {t} */
	    !tk__cookie_add_macs(&p->cookie, out, TK__MSG_INITIATION_LEN, now))
		goto out;
	p->hs.state = TK__HS_CREATED_INITIATION;
	memcpy(p->hs.eph_sk, eph, TK__NOISE_KEY);
	memcpy(p->hs.hash, s.h, TK__NOISE_KEY);
	memcpy(p->hs.ck, s.ck, TK__NOISE_KEY);
	p->hs.local_index = local_index;
	r = TK__NOISE_OK;
out:
	sym_wipe(&s);
	sodium_memzero(eph, sizeof(eph));
	return r;
}

enum tk__noise_result tk__noise_initiation_consume(const struct tk__noise_local *l,
						   const uint8_t *msg, size_t len, uint64_t now,
						   uint64_t realtime_ns,
						   tk__noise_lookup_fn *lookup, void *user,
						   struct tk__noise_peer **peer)
{
	struct sym s;
	uint8_t spk[TK__NOISE_KEY], ts[TK__NOISE_TAI64N], limit[TK__NOISE_TAI64N];
	struct tk__noise_peer *p = NULL;
	enum tk__noise_result r = TK__NOISE_MALFORMED;

	*peer = NULL;
	if (len != TK__MSG_INITIATION_LEN || tk__msg_type(msg, len) != TK__MSG_INITIATION)
		return r;
	r = TK__NOISE_CRYPTO;
	if (!sym_init(&s, l->params, l->pk) || !mix_ephemeral(&s, msg + INI_EPHEMERAL))
		goto out;
	if ((r = mix_dh(&s, l->sk, msg + INI_EPHEMERAL)) != TK__NOISE_OK || /* es */
	    (r = decrypt_and_hash(&s, spk, msg + INI_STATIC, TK__NOISE_KEY + TK__NOISE_TAG)) !=
		    TK__NOISE_OK) /* s */
		goto out;
	r = TK__NOISE_UNKNOWN_PEER;
	if (!(p = lookup(user, spk)))
		goto out;
	r = TK__NOISE_CRYPTO;
	if (!mix_key(&s, p->ss, TK__NOISE_KEY)) /* ss */
		goto out;
	if ((r = decrypt_and_hash(&s, ts, msg + INI_TIMESTAMP, sizeof(ts) + TK__NOISE_TAG)) !=
	    TK__NOISE_OK) /* {t} */
		goto out;
	/* authentic: now the checks against this peer's history, still without changing it */
	r = TK__NOISE_FUTURE;
	tk__tai64n(limit, realtime_ns + l->params->max_future);
	if (l->params->max_future && memcmp(ts, limit, sizeof(ts)) > 0)
		goto out;
	r = TK__NOISE_REPLAY;
	if (memcmp(ts, p->latest_timestamp, sizeof(ts)) <= 0)
		goto out;
	r = TK__NOISE_FLOOD;
	if (p->has_consumed_initiation &&
	    now < p->last_initiation_consumed + TK__NS / TK__INITIATIONS_PER_SECOND)
		goto out;
	memcpy(p->latest_timestamp, ts, sizeof(ts));
	p->last_initiation_consumed = now;
	p->has_consumed_initiation = true;
	sodium_memzero(p->hs.eph_sk, sizeof(p->hs.eph_sk)); /* an own initiation is superseded */
	memcpy(p->hs.remote_eph, msg + INI_EPHEMERAL, TK__NOISE_KEY);
	memcpy(p->hs.hash, s.h, TK__NOISE_KEY);
	memcpy(p->hs.ck, s.ck, TK__NOISE_KEY);
	p->hs.remote_index = tk__get_le32(msg + INI_SENDER);
	p->hs.state = TK__HS_CONSUMED_INITIATION;
	*peer = p;
	r = TK__NOISE_OK;
out:
	sym_wipe(&s);
	return r;
}

/* ---- the response: e, ee, se, psk, {} ---- */

#define RSP_SENDER    4
#define RSP_RECEIVER  8
#define RSP_EPHEMERAL 12
#define RSP_EMPTY     44

enum tk__noise_result tk__noise_response_create(struct tk__noise_peer *p, uint32_t local_index,
						uint64_t now, uint8_t out[TK__MSG_RESPONSE_LEN])
{
	struct sym s;
	uint8_t eph[TK__NOISE_KEY], t1[TK__NOISE_KEY], t2[TK__NOISE_KEY];
	enum tk__noise_result r = TK__NOISE_WRONG_STATE;

	if (p->hs.state != TK__HS_CONSUMED_INITIATION)
		return r;
	memset(out, 0, TK__MSG_RESPONSE_LEN);
	tk__put_le32(out, TK__MSG_RESPONSE);
	tk__put_le32(out + RSP_SENDER, local_index);
	tk__put_le32(out + RSP_RECEIVER, p->hs.remote_index);
	memcpy(s.ck, p->hs.ck, TK__NOISE_KEY);
	memcpy(s.h, p->hs.hash, TK__NOISE_KEY);
	tk__key_generate(eph);
	tk__key_public(eph, out + RSP_EPHEMERAL);
	r = TK__NOISE_CRYPTO;
	if (!mix_ephemeral(&s, out + RSP_EPHEMERAL))
		goto out;
	if ((r = mix_dh(&s, eph, p->hs.remote_eph)) != TK__NOISE_OK || /* ee */
	    (r = mix_dh(&s, eph, p->remote_static)) != TK__NOISE_OK)   /* se */
		goto out;
	r = TK__NOISE_CRYPTO;
	if (!mix_psk(&s, p->psk) || !encrypt_and_hash(&s, out + RSP_EMPTY, NULL, 0) || /* {} */
	    !tk__cookie_add_macs(&p->cookie, out, TK__MSG_RESPONSE_LEN, now) || !split(&s, t1, t2))
		goto out;
	/* the responder receives with the initiator's sending key */
	if (!tk__keypairs_add(&p->kp, t2, t1, local_index, p->hs.remote_index, false, now))
		goto out;
	sodium_memzero(&p->hs, sizeof(p->hs)); /* the keypair now holds all that is needed */
	r = TK__NOISE_OK;
out:
	sym_wipe(&s);
	sodium_memzero(eph, sizeof(eph));
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	return r;
}

enum tk__noise_result tk__noise_response_consume(struct tk__noise_peer *p,
						 const struct tk__noise_local *l,
						 const uint8_t *msg, size_t len, uint64_t now)
{
	struct sym s;
	uint8_t t1[TK__NOISE_KEY], t2[TK__NOISE_KEY];
	enum tk__noise_result r = TK__NOISE_MALFORMED;

	if (len != TK__MSG_RESPONSE_LEN || tk__msg_type(msg, len) != TK__MSG_RESPONSE)
		return r;
	if (p->hs.state != TK__HS_CREATED_INITIATION ||
	    tk__get_le32(msg + RSP_RECEIVER) != p->hs.local_index)
		return TK__NOISE_WRONG_STATE;
	memcpy(s.ck, p->hs.ck, TK__NOISE_KEY);
	memcpy(s.h, p->hs.hash, TK__NOISE_KEY);
	r = TK__NOISE_CRYPTO;
	if (!mix_ephemeral(&s, msg + RSP_EPHEMERAL))
		goto out;
	if ((r = mix_dh(&s, p->hs.eph_sk, msg + RSP_EPHEMERAL)) != TK__NOISE_OK || /* ee */
	    (r = mix_dh(&s, l->sk, msg + RSP_EPHEMERAL)) != TK__NOISE_OK)	   /* se */
		goto out;
	r = TK__NOISE_CRYPTO;
	if (!mix_psk(&s, p->psk))
		goto out;
	if ((r = decrypt_and_hash(&s, NULL, msg + RSP_EMPTY, TK__NOISE_TAG)) != TK__NOISE_OK)
		goto out;
	r = TK__NOISE_CRYPTO;
	if (!split(&s, t1, t2) || !tk__keypairs_add(&p->kp, t1, t2, p->hs.local_index,
						    tk__get_le32(msg + RSP_SENDER), true, now))
		goto out;
	sodium_memzero(&p->hs, sizeof(p->hs));
	r = TK__NOISE_OK;
out:
	sym_wipe(&s);
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	return r;
}
