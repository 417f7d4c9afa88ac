/* SPDX-License-Identifier: MIT */
/*
 * WireGuard's timer state machine (whitepaper section 6; the kernel's timers.c and the key
 * freshness checks of send.c / receive.c) as a pure function of the time: the engine reports
 * events (sent, received, handshake done) with the monotonic time, asks tk__timers_tick what is
 * due, and arms its own timer for tk__timers_next. Jitter is the engine's random number (below
 * REKEY_TIMEOUT_JITTER_MAX) so tests can fix it.
 *
 *   retransmit     REKEY_TIMEOUT + jitter after an initiation without a response: another one,
 *                  up to MAX_TIMER_HANDSHAKES retries (REKEY_ATTEMPT_TIME), then give up
 *   keepalive      KEEPALIVE_TIMEOUT after data was received and nothing was sent back
 *   new handshake  KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after data was sent and nothing
 *                  was received back: the peer may have lost its keys
 *   zero keys      3 x REJECT_AFTER_TIME after the last keypair was derived: wipe them all
 *   persistent     a keepalive every interval (PersistentKeepalive, for NAT mappings)
 */
#include "noise_internal.h"

void tk__timers_init(struct tk__timers *t, uint64_t persistent_interval)
{
	*t = (struct tk__timers){ .persistent_interval = persistent_interval };
}

/* The earlier of next and at, where an at of 0 is unarmed (at - 1 wraps it to the latest). */
static uint64_t earlier(uint64_t next, uint64_t at)
{
	return at - 1 < next ? at : next;
}

/* Sets the deadline *at to when, remembered for tk__timers_take_armed. */
static void arm(struct tk__timers *t, uint64_t *at, uint64_t when)
{
	*at = when;
	t->armed = t->armed ? earlier(t->armed, when) : when;
}

static bool due(uint64_t at, uint64_t now)
{
	return at != 0 && now >= at;
}

static bool past(uint64_t since, uint64_t now, uint64_t span)
{
	return now >= since && now - since >= span;
}

bool tk__timers_may_initiate(const struct tk__timers *t, uint64_t now)
{
	return !t->has_initiated || past(t->last_initiation, now, TK__REKEY_TIMEOUT);
}

void tk__timers_any_sent(struct tk__timers *t, uint64_t now)
{
	t->keepalive_at = 0; /* whatever we sent tells the peer we are alive */
	if (t->persistent_interval)
		arm(t, &t->persistent_at, now + t->persistent_interval);
}

void tk__timers_any_received(struct tk__timers *t, uint64_t now)
{
	t->new_handshake_at = 0; /* the peer answers: its keys work */
	if (t->persistent_interval)
		arm(t, &t->persistent_at, now + t->persistent_interval);
}

void tk__timers_initiation_sent(struct tk__timers *t, uint64_t now, uint64_t jitter, bool is_retry)
{
	if (!is_retry)
		t->handshake_attempts = 0;
	t->last_initiation = now;
	t->has_initiated = true;
	tk__timers_any_sent(t, now);
	arm(t, &t->retransmit_at, now + TK__REKEY_TIMEOUT + jitter);
}

void tk__timers_data_sent(struct tk__timers *t, uint64_t now, uint64_t jitter)
{
	if (!t->new_handshake_at)
		arm(t, &t->new_handshake_at,
		    now + TK__KEEPALIVE_TIMEOUT + TK__REKEY_TIMEOUT + jitter);
}

void tk__timers_data_received(struct tk__timers *t, uint64_t now)
{
	if (!t->keepalive_at)
		arm(t, &t->keepalive_at, now + TK__KEEPALIVE_TIMEOUT);
	else
		t->need_another_keepalive = true;
}

void tk__timers_handshake_complete(struct tk__timers *t)
{
	t->retransmit_at = 0;
	t->handshake_attempts = 0;
	t->sent_lastminute_handshake = false;
}

void tk__timers_session_derived(struct tk__timers *t, uint64_t now)
{
	arm(t, &t->zero_keys_at, now + 3 * TK__REJECT_AFTER_TIME);
}

unsigned tk__timers_tick(struct tk__timers *t, uint64_t now)
{
	unsigned act = 0;

	if (due(t->retransmit_at, now)) {
		t->retransmit_at = 0;
		if (t->handshake_attempts > TK__MAX_TIMER_HANDSHAKES) {
			/* REKEY_ATTEMPT_TIME spent: stop, and wipe what a partial exchange left */
			t->keepalive_at = 0;
			act |= TK__TIMER_GIVE_UP;
			if (!t->zero_keys_at)
				arm(t, &t->zero_keys_at, now + 3 * TK__REJECT_AFTER_TIME);
		} else {
			t->handshake_attempts++;
			act |= TK__TIMER_SEND_INITIATION | TK__TIMER_RETRY;
		}
	}
	if (due(t->keepalive_at, now)) {
		t->keepalive_at = 0;
		act |= TK__TIMER_SEND_KEEPALIVE;
		if (t->need_another_keepalive) {
			t->need_another_keepalive = false;
			arm(t, &t->keepalive_at, now + TK__KEEPALIVE_TIMEOUT);
		}
	}
	if (due(t->new_handshake_at, now)) {
		t->new_handshake_at = 0;
		act |= TK__TIMER_SEND_INITIATION;
	}
	if (due(t->zero_keys_at, now)) {
		t->zero_keys_at = 0;
		act |= TK__TIMER_ZERO_KEYS;
	}
	if (due(t->persistent_at, now)) {
		t->persistent_at = 0;
		if (t->persistent_interval)
			act |= TK__TIMER_SEND_KEEPALIVE;
	}
	return act;
}

uint64_t tk__timers_next(const struct tk__timers *t)
{
	/* for each peer on every tick: five compares, no loop over a copy */
	uint64_t next = earlier(UINT64_MAX, t->retransmit_at);
	next = earlier(next, t->keepalive_at);
	next = earlier(next, t->new_handshake_at);
	next = earlier(next, t->zero_keys_at);
	return earlier(next, t->persistent_at);
}

uint64_t tk__timers_take_armed(struct tk__timers *t)
{
	uint64_t a = t->armed;
	t->armed = 0;
	return a ? a : UINT64_MAX;
}

bool tk__timers_want_rekey_on_send(const struct tk__keypairs *k, uint64_t now)
{
	const struct tk__keypair *kp = k->current >= 0 ? &k->slot[k->current] : NULL;
	if (!kp || !kp->valid)
		return false;
	return kp->send_counter > TK__REKEY_AFTER_MESSAGES ||
	       (kp->initiator && past(kp->birth, now, TK__REKEY_AFTER_TIME));
}

bool tk__timers_want_rekey_on_receive(struct tk__timers *t, const struct tk__keypairs *k,
				      uint64_t now)
{
	const struct tk__keypair *kp = k->current >= 0 ? &k->slot[k->current] : NULL;
	if (t->sent_lastminute_handshake || !kp || !kp->valid || !kp->initiator ||
	    !past(kp->birth, now,
		  TK__REJECT_AFTER_TIME - TK__KEEPALIVE_TIMEOUT - TK__REKEY_TIMEOUT))
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}
