/* SPDX-License-Identifier: MIT */
/*
 * Receiver index -> peer (noise_internal.h). Linear probing in a table at most half full, keys
 * spread by a multiplicative hash; indices are random (an attacker learns nothing from them and
 * cannot aim at a bucket it does not know is used). No deletion: the table is rebuilt from the
 * peers whenever their indices change, which keeps it exact without tracking each keypair's
 * coming and going.
 */
#include "noise_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool tk__index_init(struct tk__index *t, uint32_t npeers)
{
	uint64_t want = (uint64_t)(npeers ? npeers : 1) * 4 * 2; /* 4 live indices per peer */
	uint32_t size = 16;
	while (size < want && size < (1u << 28))
		size <<= 1;
	memset(t, 0, sizeof(*t));
	t->e = malloc((size_t)size * sizeof(*t->e));
	if (!t->e)
		return false;
	t->size = size;
	for (uint32_t i = 0; i < size; i++)
		t->e[i].peer = TK__INDEX_NONE;
	return true;
}

void tk__index_free(struct tk__index *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static uint32_t slot_of(const struct tk__index *t, uint32_t idx)
{
	return (uint32_t)((idx * 2654435761u) & (t->size - 1));
}

uint32_t tk__index_find(const struct tk__index *t, uint32_t idx)
{
	if (!t->e)
		return TK__INDEX_NONE;
	for (uint32_t i = slot_of(t, idx), n = 0; n < t->size; i = (i + 1) & (t->size - 1), n++) {
		if (t->e[i].peer == TK__INDEX_NONE)
			return TK__INDEX_NONE;
		if (t->e[i].index == idx)
			return t->e[i].peer;
	}
	return TK__INDEX_NONE;
}

bool tk__index_add(struct tk__index *t, uint32_t idx, uint32_t peer)
{
	if (!t->e || peer == TK__INDEX_NONE || t->count + 1 > t->size / 2)
		return false; /* at most half full: probes stay short */
	uint32_t i = slot_of(t, idx);
	while (t->e[i].peer != TK__INDEX_NONE) {
		if (t->e[i].index == idx)
			return false;
		i = (i + 1) & (t->size - 1);
	}
	t->e[i].index = idx;
	t->e[i].peer = peer;
	t->count++;
	return true;
}

uint32_t tk__index_fresh(const struct tk__index *t)
{
	uint32_t idx;
	do
		idx = randombytes_random();
	while (tk__index_find(t, idx) != TK__INDEX_NONE);
	return idx;
}

bool tk__index_sync(struct tk__index *t, struct tk__noise_peer *const *peers, size_t n)
{
	bool ok = true;
	if (!t->e || n >= TK__INDEX_NONE)
		return false;
	for (uint32_t i = 0; i < t->size; i++)
		t->e[i].peer = TK__INDEX_NONE;
	t->count = 0;
	for (size_t p = 0; p < n; p++) {
		const struct tk__noise_peer *peer = peers[p];
		if (peer->hs.state == TK__HS_CREATED_INITIATION)
			ok &= tk__index_add(t, peer->hs.local_index, (uint32_t)p);
		for (int s = 0; s < 3; s++)
			if (peer->kp.slot[s].valid)
				ok &= tk__index_add(t, peer->kp.slot[s].local_index, (uint32_t)p);
	}
	return ok;
}
