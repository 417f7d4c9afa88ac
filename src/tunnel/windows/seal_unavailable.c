/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode and keys where the engine has no libsodium/OpenSSL: the Windows build when
 * scripts/mingw-deps.sh has not cross-built them (Debian has no mingw-w64 package of either;
 * CMakeLists.txt picks this file then). Plain mode runs; everything sealed fails with the
 * reason, so a sealed configuration is refused at load, never half-run.
 */
#include "../engine.h"

#define NO_SEAL "sealed mode and keys are not in the Windows build (it has no libsodium/OpenSSL)"
#define NO_SEAL_FIX                                                                               \
	"build it with them: scripts/mingw-deps.sh, then make windows (docs/windows.md); or use " \
	"Mode = plain"

tk_status tk__no_seal(tk_error *err, const char *op, const char *object)
{
	tk__error_set_quiet(err, TK_E_UNSUPPORTED, op, object, TK_OS_NONE, 0, "%s", NO_SEAL);
	if (err)
		tk__error_remedy(err, "%s", NO_SEAL_FIX);
	return TK_E_UNSUPPORTED;
}

bool tk__seal_init(void)
{
	return sodium_init() == 0;
}

void tk__seal_cleanup(void)
{
}

bool tk__seal_derive(const uint8_t sk[TK__KEY_LEN], const uint8_t pk[TK__KEY_LEN],
		     const uint8_t peer_pk[TK__KEY_LEN], uint8_t tx[TK__KEY_LEN],
		     uint8_t rx[TK__KEY_LEN])
{
	(void)sk;
	(void)pk;
	(void)peer_pk;
	memset(tx, 0, TK__KEY_LEN);
	memset(rx, 0, TK__KEY_LEN);
	return false;
}

void tk__seal_session_new(struct tk__seal_tx *tx, uint64_t realtime_ns)
{
	(void)tx;
	(void)realtime_ns;
}

size_t tk__seal_encrypt(struct tk__seal_tx *tx, const uint8_t *plain, size_t len, uint8_t *out,
			size_t cap)
{
	(void)tx;
	(void)plain;
	(void)len;
	(void)out;
	(void)cap;
	return 0;
}

enum tk__drop tk__seal_open(struct tk__seal_rx *rx, const uint8_t *buf, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	(void)rx;
	(void)buf;
	(void)len;
	(void)out;
	(void)cap;
	*out_len = 0;
	return TK__DROP_BAD_TAG;
}

bool tk__key_from_base64(const char *text, size_t len, uint8_t key[TK__KEY_LEN])
{
	(void)text;
	(void)len;
	memset(key, 0, TK__KEY_LEN);
	return false;
}

void tk__key_public(const uint8_t sk[TK__KEY_LEN], uint8_t pk[TK__KEY_LEN])
{
	(void)sk;
	memset(pk, 0, TK__KEY_LEN);
}

tk_status tk_key_generate(char out[TK_KEY_TEXT_MAX], tk_error *err)
{
	if (out)
		out[0] = '\0';
	return tk__no_seal(err, "genkey", "key");
}

tk_status tk_key_public(const char *private_text, size_t len, char out[TK_KEY_TEXT_MAX],
			tk_error *err)
{
	(void)private_text;
	(void)len;
	if (out)
		out[0] = '\0';
	return tk__no_seal(err, "pubkey", "key");
}

void tk_key_wipe(void *buf, size_t len)
{
	if (buf)
		sodium_memzero(buf, len);
}

/* No keys are ever loaded here (stats.c prints them only when has_key): nothing to show. */
void tk__key_to_base64(const uint8_t key[TK__KEY_LEN], char out[TK__KEY_B64_LEN + 1])
{
	(void)key;
	out[0] = '\0';
}

/*
 * Sealed mode v2's engine hooks (sealed.c is not in this build). A sealed configuration never
 * reaches them: it is refused at load (tk__no_seal). Plain mode calls the ones that are no-ops.
 */
bool tk__v2_attach(struct tk_tunnel *t, bool fresh)
{
	(void)t;
	(void)fresh;
	return true; /* plain mode: nothing to attach */
}

void tk__v2_free(struct tk_tunnel *t)
{
	(void)t;
}

void tk__v2_peer_free(struct tk__peer *p)
{
	(void)p;
}

void tk__v2_begin(struct tk_tunnel *t, uint64_t now)
{
	(void)t;
	(void)now;
}

void tk__v2_tick(struct tk_tunnel *t)
{
	(void)t;
}

uint64_t tk__v2_deadline(const struct tk_tunnel *t)
{
	(void)t;
	return UINT64_MAX;
}

bool tk__v2_ready(const struct tk__peer *p)
{
	(void)p;
	return false;
}

size_t tk__v2_seal(struct tk_tunnel *t, struct tk__peer *p, const uint8_t *vx, size_t len,
		   uint8_t *out, size_t cap)
{
	(void)t;
	(void)p;
	(void)vx;
	(void)len;
	(void)out;
	(void)cap;
	return 0;
}

void tk__v2_from_peer(struct tk_tunnel *t, const struct sockaddr_storage *src, uint8_t *buf,
		      size_t n, struct tk__run *run)
{
	(void)t;
	(void)src;
	(void)buf;
	(void)n;
	(void)run;
}
