/* SPDX-License-Identifier: MIT */
/*
 * The replay window of sealed mode: RFC 6479's ring of bitmap words, as WireGuard uses it.
 * Counters ahead of the newest accepted one slide the window (clearing the words they pass);
 * counters within TK__REPLAY_WINDOW behind it are checked against their bit; older ones are
 * refused outright. Checking and marking are separate so a datagram is only marked once it has
 * authenticated: a forged counter must not move the window.
 */
#include "tunnel_internal.h"

#include <string.h>

void tk__replay_reset(struct tk__replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool tk__replay_check(const struct tk__replay *r, uint64_t ctr)
{
	if (!r->any || ctr > r->top)
		return true;
	if (r->top - ctr >= TK__REPLAY_WINDOW)
		return false;
	uint64_t word = (ctr / 64) % TK__REPLAY_WORDS;
	return !(r->bits[word] & (1ull << (ctr % 64)));
}

bool tk__replay_mark(struct tk__replay *r, uint64_t ctr)
{
	if (!tk__replay_check(r, ctr))
		return false;
	if (!r->any) {
		memset(r->bits, 0, sizeof(r->bits));
		r->any = true;
		r->top = ctr;
	} else if (ctr > r->top) {
		uint64_t from = r->top / 64, to = ctr / 64;
		uint64_t n = to - from;
		if (n > TK__REPLAY_WORDS)
			n = TK__REPLAY_WORDS;
		/* the words the window slides over hold counters too old to matter now */
		for (uint64_t i = 1; i <= n; i++)
			r->bits[(from + i) % TK__REPLAY_WORDS] = 0;
		r->top = ctr;
	}
	r->bits[(ctr / 64) % TK__REPLAY_WORDS] |= 1ull << (ctr % 64);
	return true;
}
