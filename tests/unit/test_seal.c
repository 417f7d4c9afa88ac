/* SPDX-License-Identifier: MIT */
/*
 * Sealed mode: keys per direction, round trips, and every refusal: a forged tag, a truncated
 * datagram, a replay, a frame older than the window, a counter at the end of its range, and a
 * restarted peer (new session accepted, its old session refused afterwards). And secrets: a
 * freed or refused configuration leaves its private key zeroed, a refusal writes no partial key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunnel/tunnel_internal.h"

struct pair {
	uint8_t ska[32], pka[32], skb[32], pkb[32];
	struct tk__seal_tx a_tx;
	struct tk__seal_rx b_rx;
};

static uint8_t plain[200], dgram[300], out[300];

static void pair_make(struct pair *p, uint64_t start)
{
	uint8_t b_tx[32], a_rx[32];
	memset(p, 0, sizeof(*p));
	tk__key_generate(p->ska);
	tk__key_generate(p->skb);
	tk__key_public(p->ska, p->pka);
	tk__key_public(p->skb, p->pkb);
	assert_true(tk__seal_derive(p->ska, p->pka, p->pkb, p->a_tx.key, a_rx));
	assert_true(tk__seal_derive(p->skb, p->pkb, p->pka, b_tx, p->b_rx.key));
	/* each side's sending key is the other's receiving key, and the directions differ */
	assert_memory_equal(a_rx, b_tx, 32);
	assert_memory_not_equal(p->a_tx.key, a_rx, 32);
	tk__seal_session_new(&p->a_tx, start);
	tk__vxlan_encode(plain, 42);
	for (size_t i = 8; i < sizeof(plain); i++)
		plain[i] = (uint8_t)i;
}

static enum tk__drop open_(struct pair *p, const uint8_t *d, size_t n)
{
	size_t ol = 0;
	enum tk__drop v = tk__seal_open(&p->b_rx, d, n, out, sizeof(out), &ol);
	if (v == TK__PASS) {
		assert_int_equal(ol, sizeof(plain));
		assert_memory_equal(out, plain, sizeof(plain));
	}
	return v;
}

static size_t seal(struct pair *p)
{
	size_t n = tk__seal_encrypt(&p->a_tx, plain, sizeof(plain), dgram, sizeof(dgram));
	assert_int_equal(n, sizeof(plain) + TK__SEAL_OVERHEAD);
	return n;
}

static void setup_sodium(void **state)
{
	(void)state;
	assert_true(tk__seal_init());
}

static void round_trip(void **state)
{
	struct pair p;
	(void)state;
	pair_make(&p, 1000);
	for (int i = 0; i < 10; i++) {
		size_t n = seal(&p);
		assert_int_equal(open_(&p, dgram, n), TK__PASS);
	}
	assert_int_equal(p.b_rx.sessions, 1);
	/* nothing of the plaintext shows */
	size_t n = seal(&p);
	assert_null(memmem(dgram, n, plain + 8, 16));
}

/*
 * The frames are sealed with OpenSSL's ChaCha20-Poly1305 under a per-session HChaCha20 subkey:
 * the bytes must be exactly libsodium's XChaCha20-Poly1305-IETF (the documented wire format),
 * both ways, across sessions and counters.
 */
static void wire_format_is_libsodium_xchacha(void **state)
{
	struct pair p;
	uint8_t mine[sizeof(plain)];
	(void)state;
	pair_make(&p, 1000);
	for (int i = 0; i < 40; i++) {
		if (i == 20)
			tk__seal_session_new(&p.a_tx, 2000); /* a new subkey */
		size_t n = seal(&p);
		size_t clen = n - TK__SEAL_OVERHEAD;
		assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
					 mine, NULL, dgram + TK__SEAL_HLEN, clen,
					 dgram + TK__SEAL_HLEN + clen, dgram, TK__SEAL_HLEN,
					 dgram + 4, p.a_tx.key),
				 0);
		assert_memory_equal(mine, plain, sizeof(plain));
	}
	/* and libsodium's datagram opens with ours */
	size_t n = seal(&p);
	uint8_t ls[sizeof(dgram)];
	memcpy(ls, dgram, TK__SEAL_HLEN);
	ls[4 + TK__SESSION_LEN + 7] ^= 0x55; /* a counter not seen yet */
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
		ls + TK__SEAL_HLEN, ls + n - TK__SEAL_TAGLEN, NULL, plain, sizeof(plain), ls,
		TK__SEAL_HLEN, NULL, ls + 4, p.a_tx.key);
	assert_int_equal(open_(&p, ls, n), TK__PASS);
	ls[TK__SEAL_HLEN] ^= 1;
	ls[4 + TK__SESSION_LEN + 7] ^= 0x0f;
	assert_int_equal(open_(&p, ls, n), TK__DROP_BAD_TAG);
}

static void forged_tag_and_body_are_refused(void **state)
{
	struct pair p;
	(void)state;
	pair_make(&p, 1000);
	size_t n = seal(&p);
	for (size_t i = 0; i < n; i++) {
		if (i < 4)
			continue; /* the magic: malformed, checked below */
		dgram[i] ^= 0x40;
		assert_int_equal(open_(&p, dgram, n), TK__DROP_BAD_TAG);
		dgram[i] ^= 0x40;
	}
	/* forgeries moved nothing: the genuine one still passes */
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
}

static void truncated_is_refused(void **state)
{
	struct pair p;
	(void)state;
	pair_make(&p, 1000);
	size_t n = seal(&p);
	for (size_t len = 0; len < TK__SEAL_OVERHEAD + 8 + 14; len++)
		assert_int_equal(open_(&p, dgram, len), TK__DROP_MALFORMED);
	for (size_t len = TK__SEAL_OVERHEAD + 8 + 14; len < n; len++)
		assert_int_equal(open_(&p, dgram, len), TK__DROP_BAD_TAG);
	dgram[0] = 'x';
	assert_int_equal(open_(&p, dgram, n), TK__DROP_MALFORMED);
}

static void replay_and_too_old_are_refused(void **state)
{
	struct pair p;
	static uint8_t first[300];
	(void)state;
	pair_make(&p, 1000);
	size_t n0 = seal(&p);
	memcpy(first, dgram, n0);
	assert_int_equal(open_(&p, first, n0), TK__PASS);
	assert_int_equal(open_(&p, first, n0), TK__DROP_REPLAY);
	for (int i = 0; i < TK__REPLAY_WINDOW + 10; i++) {
		size_t n = seal(&p);
		assert_int_equal(open_(&p, dgram, n), TK__PASS);
	}
	assert_int_equal(open_(&p, first, n0), TK__DROP_REPLAY);
}

static void the_wrong_key_does_not_open(void **state)
{
	struct pair p, q;
	(void)state;
	pair_make(&p, 1000);
	pair_make(&q, 1000);
	size_t n = seal(&p);
	assert_int_equal(open_(&q, dgram, n), TK__DROP_BAD_TAG);
}

static void counter_at_the_end_moves_to_a_new_session(void **state)
{
	struct pair p;
	uint8_t s0[16];
	(void)state;
	pair_make(&p, 1000);
	p.a_tx.counter = UINT64_MAX - 1;
	size_t n = seal(&p);
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
	memcpy(s0, p.a_tx.session, 16);
	/* UINT64_MAX is never sent: the session moves on (start time + 1) and counts from 0 */
	n = seal(&p);
	assert_memory_not_equal(s0, p.a_tx.session, 16);
	assert_true(memcmp(p.a_tx.session, s0, 16) > 0);
	assert_int_equal(p.a_tx.counter, 1);
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
	assert_int_equal(p.b_rx.sessions, 2);
}

static void restarted_peer_is_accepted_old_session_is_not(void **state)
{
	struct pair p;
	static uint8_t old[300];
	(void)state;
	pair_make(&p, 1000);
	size_t n = seal(&p);
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
	n = seal(&p);
	memcpy(old, dgram, n); /* captured, never delivered */
	size_t nold = n;
	/* the peer restarts: same keys, a later session, counters from 0 again */
	tk__seal_session_new(&p.a_tx, 2000);
	n = seal(&p);
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
	assert_int_equal(p.b_rx.sessions, 2);
	/* the old session's datagram authenticates but must not take the window back */
	assert_int_equal(open_(&p, old, nold), TK__DROP_REPLAY);
	n = seal(&p);
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
}

static void a_forged_new_session_changes_nothing(void **state)
{
	struct pair p;
	(void)state;
	pair_make(&p, 1000);
	size_t n = seal(&p);
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
	n = seal(&p);
	dgram[5] ^= 1; /* another session id, not authentic */
	assert_int_equal(open_(&p, dgram, n), TK__DROP_BAD_TAG);
	assert_int_equal(p.b_rx.sessions, 1);
	dgram[5] ^= 1;
	assert_int_equal(open_(&p, dgram, n), TK__PASS);
}

static void bad_peer_keys_are_refused(void **state)
{
	uint8_t sk[32], pk[32], tx[32], rx[32], zero[32] = { 0 };
	(void)state;
	tk__key_generate(sk);
	tk__key_public(sk, pk);
	assert_false(tk__seal_derive(sk, pk, pk, tx, rx));   /* our own */
	assert_false(tk__seal_derive(sk, pk, zero, tx, rx)); /* low order */
}

static void base64_keys(void **state)
{
	uint8_t k[32], back[32];
	char b64[TK__KEY_B64_LEN + 1], line[64];
	(void)state;
	tk__key_generate(k);
	tk__key_to_base64(k, b64);
	assert_int_equal(strlen(b64), 44);
	snprintf(line, sizeof(line), "  %s\n", b64);
	assert_true(tk__key_from_base64(line, strlen(line), back));
	assert_memory_equal(k, back, 32);
	assert_false(tk__key_from_base64(b64, 43, back));
	b64[10] = '*';
	assert_false(tk__key_from_base64(b64, 44, back));
	assert_false(tk__key_from_base64("", 0, back));
}

/* Found by tests/fuzz/fuzz_addr: libsodium 1.0.18 decodes a byte >= 0x80 as a base64 digit, so
 * a key with one such byte was accepted (as another key) instead of refused. */
static void base64_keys_refuse_high_bytes(void **state)
{
	uint8_t back[32];
	char b64[] = "qOX9WmIO3Y0k8rEeNyT8wpQxb5ZHtMHyUj8vKz2s4n0=";
	(void)state;
	assert_true(tk__key_from_base64(b64, strlen(b64), back));
	b64[19] = (char)0xda; /* was read as '/' */
	assert_false(tk__key_from_base64(b64, strlen(b64), back));
	for (unsigned c = 0x80; c <= 0xff; c++) {
		b64[19] = (char)c;
		assert_false(tk__key_from_base64(b64, strlen(b64), back));
	}
}

/* ---- secrets are wiped: what a freed or refused configuration leaves behind ---- */

static const uint8_t zero32[32];

/* A sealed configuration whose key file holds sk (mode 0600), peer key peer_b64. */
struct keyconf {
	char dir[64], key[128], text[512];
	uint8_t sk[32], pk[32];
};

static void keyconf_make(struct keyconf *k, const char *peer_b64)
{
	char b64[TK__KEY_B64_LEN + 1];
	snprintf(k->dir, sizeof(k->dir), "/tmp/tk-seal.XXXXXX");
	assert_non_null(mkdtemp(k->dir));
	snprintf(k->key, sizeof(k->key), "%s/private.key", k->dir);
	tk__key_generate(k->sk);
	tk__key_public(k->sk, k->pk);
	tk__key_to_base64(k->sk, b64);
	int fd = open(k->key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b64, TK__KEY_B64_LEN), TK__KEY_B64_LEN);
	close(fd);
	snprintf(k->text, sizeof(k->text),
		 "[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = %s\n"
		 "[Peer]\nEndpoint = 10.0.0.2\nPublicKey = %s\n",
		 k->key, peer_b64);
}

static void keyconf_remove(struct keyconf *k)
{
	unlink(k->key);
	rmdir(k->dir);
}

static void peer_b64_make(char b64[TK__KEY_B64_LEN + 1])
{
	uint8_t sk[32], pk[32];
	tk__key_generate(sk);
	tk__key_public(sk, pk);
	tk__key_to_base64(pk, b64);
}

static void conf_free_wipes_the_private_key(void **state)
{
	struct keyconf k;
	struct tk__tunnel_conf c;
	tk_error err = { 0 };
	char peer[TK__KEY_B64_LEN + 1];
	(void)state;
	peer_b64_make(peer);
	keyconf_make(&k, peer);
	assert_int_equal(tk__tunnel_conf_parse(k.text, strlen(k.text), "t.conf", &c, &err), TK_OK);
	assert_true(c.has_key);
	assert_memory_equal(c.sk, k.sk, 32); /* the file's key was read in */
	tk__tunnel_conf_free(&c);
	assert_memory_equal(c.sk, zero32, 32);
	assert_false(c.has_key);
	assert_memory_equal(c.pk, k.pk, 32); /* public: kept, and proves the key had been there */
	keyconf_remove(&k);
}

/* Refused after the key file was read (a low-order peer key): the error path wipes it too. */
static void a_refused_configuration_leaves_no_key(void **state)
{
	struct keyconf k;
	struct tk__tunnel_conf c;
	tk_error err = { 0 };
	char zero_b64[TK__KEY_B64_LEN + 1];
	(void)state;
	tk__key_to_base64(zero32, zero_b64);
	keyconf_make(&k, zero_b64);
	assert_int_equal(tk__tunnel_conf_parse(k.text, strlen(k.text), "t.conf", &c, &err),
			 TK_E_CONFIG);
	assert_non_null(strstr(err.message, "low-order"));
	assert_memory_equal(c.pk, k.pk, 32); /* the key was read and used before the refusal */
	assert_memory_equal(c.sk, zero32, 32);
	assert_false(c.has_key);
	/* no error text carries the key, in either spelling */
	char b64[TK__KEY_B64_LEN + 1];
	tk__key_to_base64(k.sk, b64);
	assert_null(strstr(err.message, b64));
	assert_null(strstr(err.remedy, b64));
	keyconf_remove(&k);
}

/* A refusal writes nothing to the output key: no half-decoded or half-derived key remains. */
static void refusals_leave_the_output_untouched(void **state)
{
	struct keyconf k;
	uint8_t key[32], tx[32], rx[32], mark[32];
	tk_error err = { 0 };
	char peer[TK__KEY_B64_LEN + 1], b64[TK__KEY_B64_LEN + 1];
	(void)state;
	memset(mark, 0x5a, sizeof(mark));
	/* base64 that decodes up to its last character */
	tk__key_generate(key);
	tk__key_to_base64(key, b64);
	b64[42] = '*';
	memcpy(key, mark, 32);
	assert_false(tk__key_from_base64(b64, TK__KEY_B64_LEN, key));
	assert_memory_equal(key, mark, 32);
	/* a low-order peer: no direction key comes key */
	uint8_t sk[32], pk[32];
	tk__key_generate(sk);
	tk__key_public(sk, pk);
	memcpy(tx, mark, 32);
	memcpy(rx, mark, 32);
	assert_false(tk__seal_derive(sk, pk, zero32, tx, rx));
	assert_memory_equal(tx, mark, 32);
	assert_memory_equal(rx, mark, 32);
	/* a key file others may read is refused before its key is decoded */
	peer_b64_make(peer);
	keyconf_make(&k, peer);
	assert_int_equal(chmod(k.key, 0640), 0);
	memcpy(key, mark, 32);
	assert_int_equal(tk__key_file_read(k.key, "", key, &err), TK_E_CONFIG);
	assert_memory_equal(key, mark, 32);
	assert_int_equal(chmod(k.key, 0600), 0);
	assert_int_equal(tk__key_file_read(k.key, "", key, &err), TK_OK);
	assert_memory_equal(key, k.sk, 32);
	keyconf_remove(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(setup_sodium),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(wire_format_is_libsodium_xchacha),
		cmocka_unit_test(forged_tag_and_body_are_refused),
		cmocka_unit_test(truncated_is_refused),
		cmocka_unit_test(replay_and_too_old_are_refused),
		cmocka_unit_test(the_wrong_key_does_not_open),
		cmocka_unit_test(counter_at_the_end_moves_to_a_new_session),
		cmocka_unit_test(restarted_peer_is_accepted_old_session_is_not),
		cmocka_unit_test(a_forged_new_session_changes_nothing),
		cmocka_unit_test(bad_peer_keys_are_refused),
		cmocka_unit_test(base64_keys),
		cmocka_unit_test(base64_keys_refuse_high_bytes),
		cmocka_unit_test(conf_free_wipes_the_private_key),
		cmocka_unit_test(a_refused_configuration_leaves_no_key),
		cmocka_unit_test(refusals_leave_the_output_untouched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
