/* SPDX-License-Identifier: MIT */
/*
 * The learning switch's MAC table: source MAC -> peer, with ageing and a hard bound. Entries
 * live in one array allocated at start; a chained hash finds them and a doubly linked list keeps
 * them by last use, so the oldest is at one end: ageing and eviction look only there. Nothing
 * is allocated per frame and every operation is O(1) (O(chain) for lookup). A peer's
 * AllowedMACs are static entries in a hash of their own, looked at first.
 */
#include "tunnel_internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * FNV-1a: MACs are not chosen by an attacker who can also see the table's layout, and the
 * chains are bounded by the table's size anyway (the static ones are configured MACs).
 */
static uint32_t mac_fnv(const uint8_t mac[TK_MAC_LEN])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < TK_MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

static uint32_t mac_hash(const struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN])
{
	return mac_fnv(mac) & (t->nbuckets - 1);
}

bool tk__mac_init(struct tk__mactable *t, uint32_t capacity, uint64_t age_ns)
{
	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > (1u << 24))
		return false;
	uint32_t nb = 1;
	while (nb < capacity * 2u)
		nb <<= 1;
	t->e = calloc(capacity, sizeof(*t->e));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (!t->e || !t->buckets) {
		tk__mac_free(t);
		return false;
	}
	t->nbuckets = nb;
	t->capacity = capacity;
	t->age_ns = age_ns;
	tk__mac_flush(t);
	return true;
}

void tk__mac_free(struct tk__mactable *t)
{
	free(t->e);
	free(t->buckets);
	free(t->st);
	free(t->st_buckets);
	memset(t, 0, sizeof(*t));
}

void tk__mac_flush(struct tk__mactable *t)
{
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = TK__MAC_NONE;
	for (uint32_t i = 0; i < t->capacity; i++) {
		t->e[i].used = false;
		t->e[i].hash_next = i + 1 < t->capacity ? i + 1 : TK__MAC_NONE; /* free list */
	}
	t->free_head = 0;
	t->oldest = t->newest = TK__MAC_NONE;
	t->count = 0;
}

static void lru_unlink(struct tk__mactable *t, uint32_t i)
{
	struct tk__mac_entry *e = &t->e[i];
	if (e->older != TK__MAC_NONE)
		t->e[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != TK__MAC_NONE)
		t->e[e->newer].older = e->older;
	else
		t->newest = e->older;
}

static void lru_push_newest(struct tk__mactable *t, uint32_t i)
{
	struct tk__mac_entry *e = &t->e[i];
	e->newer = TK__MAC_NONE;
	e->older = t->newest;
	if (t->newest != TK__MAC_NONE)
		t->e[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

static void remove_entry(struct tk__mactable *t, uint32_t i)
{
	struct tk__mac_entry *e = &t->e[i];
	uint32_t *link = &t->buckets[mac_hash(t, e->mac)];
	while (*link != TK__MAC_NONE && *link != i)
		link = &t->e[*link].hash_next;
	if (*link == i)
		*link = e->hash_next;
	lru_unlink(t, i);
	e->used = false;
	e->hash_next = t->free_head;
	t->free_head = i;
	t->count--;
}

static uint32_t find(const struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN])
{
	for (uint32_t i = t->buckets[mac_hash(t, mac)]; i != TK__MAC_NONE; i = t->e[i].hash_next)
		if (memcmp(t->e[i].mac, mac, TK_MAC_LEN) == 0)
			return i;
	return TK__MAC_NONE;
}

void tk__mac_expire(struct tk__mactable *t, uint64_t now_ns)
{
	while (t->oldest != TK__MAC_NONE && now_ns - t->e[t->oldest].seen_ns >= t->age_ns)
		remove_entry(t, t->oldest);
}

void tk__mac_learn(struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN], uint32_t port,
		   uint64_t now_ns)
{
	if (t->st_count && tk__mac_static_port(t, mac) != TK__MAC_NONE)
		return; /* pinned to its peer by AllowedMACs */
	uint32_t i = find(t, mac);
	if (i != TK__MAC_NONE) {
		t->e[i].port = port; /* a station that moved behind another peer */
		t->e[i].seen_ns = now_ns;
		lru_unlink(t, i);
		lru_push_newest(t, i);
		return;
	}
	tk__mac_expire(t, now_ns);
	if (t->free_head == TK__MAC_NONE) {
		remove_entry(t, t->oldest);
		t->evictions++;
	}
	i = t->free_head;
	struct tk__mac_entry *e = &t->e[i];
	t->free_head = e->hash_next;
	memcpy(e->mac, mac, TK_MAC_LEN);
	e->port = port;
	e->seen_ns = now_ns;
	e->used = true;
	uint32_t *bucket = &t->buckets[mac_hash(t, mac)];
	e->hash_next = *bucket;
	*bucket = i;
	lru_push_newest(t, i);
	t->count++;
}

uint32_t tk__mac_lookup(struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN], uint64_t now_ns)
{
	if (t->st_count) {
		uint32_t port = tk__mac_static_port(t, mac);
		if (port != TK__MAC_NONE)
			return port;
	}
	uint32_t i = find(t, mac);
	if (i == TK__MAC_NONE)
		return TK__MAC_NONE;
	if (now_ns - t->e[i].seen_ns >= t->age_ns) {
		remove_entry(t, i);
		return TK__MAC_NONE;
	}
	return t->e[i].port;
}

void tk__mac_forget_port(struct tk__mactable *t, uint32_t port)
{
	for (uint32_t i = 0; i < t->capacity; i++)
		if (t->e[i].used && t->e[i].port == port)
			remove_entry(t, i);
}

/* ---- static entries ---- */

bool tk__mac_statics_reset(struct tk__mactable *t, uint32_t n)
{
	uint32_t nb = 1;
	while (nb < (n ? n : 1) * 2u)
		nb <<= 1;
	struct tk__mac_static *st = calloc(n ? n : 1, sizeof(*st));
	uint32_t *b = malloc((size_t)nb * sizeof(*b));
	if (!st || !b) {
		free(st);
		free(b);
		return false;
	}
	for (uint32_t i = 0; i < nb; i++)
		b[i] = TK__MAC_NONE;
	free(t->st);
	free(t->st_buckets);
	t->st = st;
	t->st_buckets = b;
	t->st_nbuckets = nb;
	t->st_cap = n;
	t->st_count = 0;
	return true;
}

static uint32_t static_find(const struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN])
{
	uint32_t h = mac_fnv(mac);
	for (uint32_t i = t->st_buckets[h & (t->st_nbuckets - 1)]; i != TK__MAC_NONE;
	     i = t->st[i].next)
		if (memcmp(t->st[i].mac, mac, TK_MAC_LEN) == 0)
			return i;
	return TK__MAC_NONE;
}

void tk__mac_add_static(struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN], uint32_t port)
{
	if (t->st_count >= t->st_cap || static_find(t, mac) != TK__MAC_NONE)
		return; /* full (cannot happen: sized for them), or listed by an earlier peer */
	uint32_t h = mac_fnv(mac);
	struct tk__mac_static *e = &t->st[t->st_count];
	memcpy(e->mac, mac, TK_MAC_LEN);
	e->port = port;
	e->next = t->st_buckets[h & (t->st_nbuckets - 1)];
	t->st_buckets[h & (t->st_nbuckets - 1)] = t->st_count++;
	/* a learned entry of the same MAC is shadowed from now on: drop it */
	uint32_t i = find(t, mac);
	if (i != TK__MAC_NONE)
		remove_entry(t, i);
}

uint32_t tk__mac_static_port(const struct tk__mactable *t, const uint8_t mac[TK_MAC_LEN])
{
	if (!t->st_count)
		return TK__MAC_NONE;
	uint32_t i = static_find(t, mac);
	return i == TK__MAC_NONE ? TK__MAC_NONE : t->st[i].port;
}
