/* SPDX-License-Identifier: MIT */
/*
 * The learning switch's MAC table (src/tunnel/mactable.c) under a sequence of learn, lookup,
 * expire, forget-port and flush operations decoded from the input, with a clock that only moves
 * forward (the datapath uses CLOCK_MONOTONIC). Checked against a plain model (an array kept in
 * last-use order) after every operation: the same answers, the size bound, never an entry older
 * than the age, a lookup right after a learn finds it; and the table's own structure (hash
 * chains, LRU list, free list) is walked to see every entry is exactly where it should be.
 */
#include "fuzz.h"
#include "tunnel/tunnel_internal.h"

#include <string.h>

#define CAP_MAX 32
#define OPS_MAX 2048

struct ref_entry {
	uint8_t mac[TK_MAC_LEN];
	uint32_t port;
	uint64_t seen;
};

/* The model: entries oldest first. */
struct ref {
	uint32_t cap;
	uint64_t age;
	uint32_t n;
	struct ref_entry e[CAP_MAX];
};

static int ref_find(const struct ref *r, const uint8_t mac[TK_MAC_LEN])
{
	for (uint32_t i = 0; i < r->n; i++)
		if (memcmp(r->e[i].mac, mac, TK_MAC_LEN) == 0)
			return (int)i;
	return -1;
}

static void ref_remove(struct ref *r, uint32_t i)
{
	memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(r->e[0]));
	r->n--;
}

static void ref_expire(struct ref *r, uint64_t now)
{
	for (uint32_t i = 0; i < r->n;)
		if (now - r->e[i].seen >= r->age)
			ref_remove(r, i);
		else
			i++;
}

static uint64_t evictions;

static void ref_learn(struct ref *r, const uint8_t mac[TK_MAC_LEN], uint32_t port, uint64_t now)
{
	int i = ref_find(r, mac);
	if (i >= 0)
		ref_remove(r, (uint32_t)i);
	else {
		ref_expire(r, now);
		if (r->n == r->cap) {
			ref_remove(r, 0);
			evictions++;
		}
	}
	struct ref_entry *e = &r->e[r->n++];
	memcpy(e->mac, mac, TK_MAC_LEN);
	e->port = port;
	e->seen = now;
}

static uint32_t ref_lookup(struct ref *r, const uint8_t mac[TK_MAC_LEN], uint64_t now)
{
	int i = ref_find(r, mac);
	if (i < 0)
		return TK__MAC_NONE;
	if (now - r->e[i].seen >= r->age) {
		ref_remove(r, (uint32_t)i);
		return TK__MAC_NONE;
	}
	return r->e[i].port;
}

/* The table's structure against the model. */
static void check_table(const struct tk__mactable *t, const struct ref *r)
{
	FUZZ_CHECK(t->count == r->n && t->count <= t->capacity);
	FUZZ_CHECK(t->evictions == evictions);
	/* the LRU list, oldest to newest, is the model's order */
	uint32_t i = t->oldest, k = 0, prev = TK__MAC_NONE;
	while (i != TK__MAC_NONE) {
		FUZZ_CHECK(i < t->capacity && k < r->n);
		const struct tk__mac_entry *e = &t->e[i];
		FUZZ_CHECK(e->used && e->older == prev);
		FUZZ_CHECK(memcmp(e->mac, r->e[k].mac, TK_MAC_LEN) == 0);
		FUZZ_CHECK(e->port == r->e[k].port && e->seen_ns == r->e[k].seen);
		prev = i;
		i = e->newer;
		k++;
	}
	FUZZ_CHECK(k == r->n && t->newest == prev);
	/* every chain holds used entries only, each in its own bucket; all used ones are found */
	uint32_t chained = 0;
	for (uint32_t b = 0; b < t->nbuckets; b++) {
		for (uint32_t c = t->buckets[b]; c != TK__MAC_NONE; c = t->e[c].hash_next) {
			FUZZ_CHECK(c < t->capacity && t->e[c].used);
			FUZZ_CHECK(++chained <= t->count);
		}
	}
	FUZZ_CHECK(chained == t->count);
	/* the free list holds the rest */
	uint32_t nfree = 0;
	for (uint32_t c = t->free_head; c != TK__MAC_NONE; c = t->e[c].hash_next) {
		FUZZ_CHECK(c < t->capacity && !t->e[c].used);
		FUZZ_CHECK(++nfree <= t->capacity);
	}
	FUZZ_CHECK(nfree + t->count == t->capacity);
}

static void pick_mac(struct fuzz_in *in, uint8_t mac[TK_MAC_LEN])
{
	uint8_t b = fuzz_u8(in);
	if (b & 0x80) {
		fuzz_bytes(in, mac, TK_MAC_LEN);
	} else {
		/* a few stations, so learning hits existing entries and chains collide */
		static const uint8_t base[TK_MAC_LEN] = { 0x02, 0, 0, 0, 0, 0 };
		memcpy(mac, base, TK_MAC_LEN);
		mac[5] = (uint8_t)(b % 48);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct tk__mactable t;
	static struct ref r;
	uint64_t now;

	memset(&r, 0, sizeof(r));
	evictions = 0;
	r.cap = 1 + fuzz_u8(&in) % CAP_MAX;
	r.age = fuzz_u8(&in);				/* 0: everything is stale at once */
	now = fuzz_u64(&in) >> (1 + fuzz_u8(&in) % 63); /* any start; steps never wrap it */
	if (!tk__mac_init(&t, r.cap, r.age))
		return 0;
	check_table(&t, &r);
	for (int n = 0; n < OPS_MAX && in.left > 0; n++) {
		uint8_t op = fuzz_u8(&in);
		uint8_t mac[TK_MAC_LEN];
		uint64_t step = (op >> 3) & 3u;
		now += step == 3 ? fuzz_u8(&in) : step; /* mostly small steps, sometimes a jump */
		switch (op & 7) {
		case 0:
		case 1:
		case 2: {
			pick_mac(&in, mac);
			uint32_t port = fuzz_u8(&in) % 4;
			tk__mac_learn(&t, mac, port, now);
			ref_learn(&r, mac, port, now);
			/* found right after: the age is positive or it is gone at once */
			uint32_t got = tk__mac_lookup(&t, mac, now);
			FUZZ_CHECK(got == ref_lookup(&r, mac, now));
			FUZZ_CHECK(got == (r.age > 0 ? port : TK__MAC_NONE));
			break;
		}
		case 3:
		case 4: {
			pick_mac(&in, mac);
			int i = ref_find(&r, mac);
			uint64_t seen = i >= 0 ? r.e[i].seen : 0;
			uint32_t got = tk__mac_lookup(&t, mac, now);
			FUZZ_CHECK(got == ref_lookup(&r, mac, now));
			if (got != TK__MAC_NONE)
				FUZZ_CHECK(now - seen < r.age); /* never an expired entry */
			break;
		}
		case 5:
			tk__mac_expire(&t, now);
			ref_expire(&r, now);
			for (uint32_t i = 0; i < r.n; i++)
				FUZZ_CHECK(now - r.e[i].seen < r.age);
			break;
		case 6: {
			uint32_t port = fuzz_u8(&in) % 4;
			tk__mac_forget_port(&t, port);
			for (uint32_t i = 0; i < r.n;)
				if (r.e[i].port == port)
					ref_remove(&r, i);
				else
					i++;
			break;
		}
		default:
			if (fuzz_u8(&in) == 0) {
				tk__mac_flush(&t);
				r.n = 0;
			}
			break;
		}
		check_table(&t, &r);
	}
	tk__mac_free(&t);
	return 0;
}
