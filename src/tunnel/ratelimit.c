/* SPDX-License-Identifier: MIT */
/*
 * The per-address limit on handshake messages under load (noise_internal.h; WireGuard's
 * kernel ratelimiter.c with a fixed-size table instead of a growing hash table with GC).
 *
 * Each address has a token bucket counted in nanoseconds: it refills at one nanosecond per
 * nanosecond up to TOKEN_MAX (5 messages' worth), and each message costs 1/20 s. An entry whose
 * bucket would be full again holds nothing worth keeping, so it is free for another address:
 * the table never needs a collector, and its memory is allocated once.
 */
#include "noise_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool tk__ratelimit_init(struct tk__ratelimit *r, uint32_t capacity)
{
	uint32_t sets = 1;
	while (sets * TK__RL_WAYS < capacity && sets < (1u << 24))
		sets <<= 1;
	memset(r, 0, sizeof(*r));
	r->e = calloc((size_t)sets * TK__RL_WAYS, sizeof(*r->e));
	if (!r->e || sodium_init() < 0) {
		free(r->e);
		r->e = NULL;
		return false;
	}
	r->nsets = sets;
	randombytes_buf(r->key, sizeof(r->key));
	return true;
}

void tk__ratelimit_free(struct tk__ratelimit *r)
{
	free(r->e);
	memset(r, 0, sizeof(*r));
}

static bool refilled(const struct tk__rl_entry *e, uint64_t now)
{
	return e->len == 0 || now - e->last >= TK__RL_TOKEN_MAX;
}

bool tk__ratelimit_allow(struct tk__ratelimit *r, const uint8_t *src, size_t len, uint64_t now)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t set = 0;

	if (!r->e || len == 0 || len > TK__RL_ADDR_MAX)
		return false;
	crypto_shorthash(h, src, len, r->key);
	memcpy(&set, h, sizeof(set));
	struct tk__rl_entry *ways = &r->e[(set & (r->nsets - 1)) * TK__RL_WAYS], *free_way = NULL;
	for (int i = 0; i < TK__RL_WAYS; i++) {
		struct tk__rl_entry *e = &ways[i];
		if (e->len == len && memcmp(e->addr, src, len) == 0) {
			uint64_t tokens = e->tokens + (now - e->last);
			if (now < e->last || tokens > TK__RL_TOKEN_MAX || tokens < e->tokens)
				tokens = TK__RL_TOKEN_MAX; /* a long pause (or a clock oddity) */
			e->last = now;
			bool ok = tokens >= TK__RL_COST;
			e->tokens = ok ? tokens - TK__RL_COST : tokens;
			return ok;
		}
		if (!free_way && refilled(e, now))
			free_way = e;
	}
	if (!free_way)
		return false; /* every way busy with an active address */
	memcpy(free_way->addr, src, len);
	free_way->len = (uint8_t)len;
	free_way->last = now;
	free_way->tokens = TK__RL_TOKEN_MAX - TK__RL_COST;
	return true;
}
