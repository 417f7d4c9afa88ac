/* SPDX-License-Identifier: MIT */
/*
 * The timer state machine (timers.c), each timer of WireGuard's section 6 with fixed times and
 * jitter: handshake retransmission and giving up after REKEY_ATTEMPT_TIME, the rate limit of
 * initiations, the passive keepalive (and the one more it owes), the new handshake when sent data
 * gets no answer, key zeroing after 3 x REJECT_AFTER_TIME, the persistent keepalive, and the
 * rekey decisions on sending (time, message count) and on receiving (once, near the end).
 */
#include "noise_pair.h"

#define T0 NP_T0
#define S  TK__NS

static void an_unanswered_initiation_is_retried_until_rekey_attempt_time(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	assert_int_equal(tk__timers_next(&t), UINT64_MAX);
	assert_true(tk__timers_may_initiate(&t, T0));
	tk__timers_initiation_sent(&t, T0, 100, false);
	assert_int_equal(tk__timers_next(&t), T0 + 5 * S + 100);
	assert_int_equal(tk__timers_tick(&t, T0 + 5 * S + 99), 0);
	uint64_t now = T0 + 5 * S + 100;
	unsigned retries = 0;
	for (;;) {
		unsigned act = tk__timers_tick(&t, now);
		if (act & TK__TIMER_GIVE_UP)
			break;
		assert_int_equal(act, TK__TIMER_SEND_INITIATION | TK__TIMER_RETRY);
		assert_true(tk__timers_may_initiate(&t, now));
		tk__timers_initiation_sent(&t, now, 0, true);
		retries++;
		now += 5 * S;
		assert_true(retries <= 30);
	}
	/* as the kernel: retries while attempts <= MAX_TIMER_HANDSHAKES (18), i.e. 19 of them */
	assert_int_equal(retries, TK__MAX_TIMER_HANDSHAKES + 1);
	assert_true(now - T0 >= TK__REKEY_ATTEMPT_TIME);
	/* giving up arms the wipe of what the exchange left, and stops retrying */
	assert_int_equal(t.zero_keys_at, now + 3 * TK__REJECT_AFTER_TIME);
	assert_int_equal(tk__timers_tick(&t, now + 100 * S), 0);
	assert_int_equal(tk__timers_tick(&t, now + 3 * TK__REJECT_AFTER_TIME), TK__TIMER_ZERO_KEYS);
}

static void a_completed_handshake_stops_the_retries(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_initiation_sent(&t, T0, 0, false);
	assert_int_equal(tk__timers_tick(&t, T0 + 5 * S),
			 TK__TIMER_SEND_INITIATION | TK__TIMER_RETRY);
	tk__timers_initiation_sent(&t, T0 + 5 * S, 0, true);
	assert_int_equal(t.handshake_attempts, 1);
	tk__timers_handshake_complete(&t);
	assert_int_equal(t.handshake_attempts, 0);
	assert_int_equal(tk__timers_tick(&t, T0 + 60 * S), 0);
}

static void initiations_are_rate_limited_to_one_per_rekey_timeout(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_initiation_sent(&t, T0, 0, false);
	assert_false(tk__timers_may_initiate(&t, T0 + 5 * S - 1));
	assert_true(tk__timers_may_initiate(&t, T0 + 5 * S));
	/* a new (not retried) initiation starts the attempt count again */
	t.handshake_attempts = 7;
	tk__timers_initiation_sent(&t, T0 + 5 * S, 0, false);
	assert_int_equal(t.handshake_attempts, 0);
}

static void received_data_is_answered_by_a_keepalive_after_10s(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_data_received(&t, T0);
	assert_int_equal(tk__timers_next(&t), T0 + 10 * S);
	assert_int_equal(tk__timers_tick(&t, T0 + 10 * S - 1), 0);
	assert_int_equal(tk__timers_tick(&t, T0 + 10 * S), TK__TIMER_SEND_KEEPALIVE);
	assert_int_equal(tk__timers_next(&t), UINT64_MAX);
	/* anything sent meanwhile makes the keepalive unnecessary */
	tk__timers_data_received(&t, T0 + 20 * S);
	tk__timers_any_sent(&t, T0 + 21 * S);
	assert_int_equal(tk__timers_tick(&t, T0 + 40 * S), 0);
}

static void data_received_while_a_keepalive_is_pending_owes_another(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_data_received(&t, T0);
	tk__timers_data_received(&t, T0 + 3 * S); /* does not push the first one back */
	assert_int_equal(tk__timers_tick(&t, T0 + 10 * S), TK__TIMER_SEND_KEEPALIVE);
	assert_int_equal(tk__timers_next(&t), T0 + 20 * S);
	assert_int_equal(tk__timers_tick(&t, T0 + 20 * S), TK__TIMER_SEND_KEEPALIVE);
	assert_int_equal(tk__timers_next(&t), UINT64_MAX);
}

static void sent_data_without_an_answer_starts_a_new_handshake(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_data_sent(&t, T0, 200);
	tk__timers_data_sent(&t, T0 + 2 * S, 0); /* the first deadline stands */
	uint64_t at = T0 + TK__KEEPALIVE_TIMEOUT + TK__REKEY_TIMEOUT + 200;
	assert_int_equal(tk__timers_next(&t), at);
	assert_int_equal(tk__timers_tick(&t, at - 1), 0);
	unsigned act = tk__timers_tick(&t, at);
	assert_int_equal(act, TK__TIMER_SEND_INITIATION); /* a new one, not a retry */
	/* any authenticated message from the peer cancels it */
	tk__timers_data_sent(&t, T0 + 30 * S, 0);
	tk__timers_any_received(&t, T0 + 31 * S);
	assert_int_equal(tk__timers_tick(&t, T0 + 60 * S), 0);
}

static void keys_are_zeroed_three_reject_times_after_the_last_session(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_session_derived(&t, T0);
	tk__timers_session_derived(&t, T0 + 120 * S); /* a rekey pushes it back */
	uint64_t at = T0 + 120 * S + 3 * TK__REJECT_AFTER_TIME;
	assert_int_equal(tk__timers_next(&t), at);
	assert_int_equal(tk__timers_tick(&t, at - 1), 0);
	assert_int_equal(tk__timers_tick(&t, at), TK__TIMER_ZERO_KEYS);
	assert_int_equal(tk__timers_tick(&t, at + 1000 * S), 0);
}

static void persistent_keepalive_follows_the_last_authenticated_message(void **state)
{
	struct tk__timers t, off;
	(void)state;
	tk__timers_init(&t, 25 * S);
	tk__timers_init(&off, 0);
	tk__timers_any_received(&t, T0);
	tk__timers_any_received(&off, T0);
	assert_int_equal(tk__timers_next(&t), T0 + 25 * S);
	assert_int_equal(tk__timers_next(&off), UINT64_MAX);
	tk__timers_any_sent(&t, T0 + 10 * S);
	assert_int_equal(tk__timers_tick(&t, T0 + 25 * S), 0);
	assert_int_equal(tk__timers_tick(&t, T0 + 35 * S), TK__TIMER_SEND_KEEPALIVE);
}

static void several_timers_due_at_once_all_fire(void **state)
{
	struct tk__timers t;
	(void)state;
	tk__timers_init(&t, 0);
	tk__timers_initiation_sent(&t, T0, 0, false);
	tk__timers_data_received(&t, T0);
	tk__timers_session_derived(&t, T0);
	unsigned act = tk__timers_tick(&t, T0 + 3 * TK__REJECT_AFTER_TIME);
	assert_int_equal(act, TK__TIMER_SEND_INITIATION | TK__TIMER_RETRY |
				      TK__TIMER_SEND_KEEPALIVE | TK__TIMER_ZERO_KEYS);
}

static void rekey_on_send_after_two_minutes_only_for_the_initiator(void **state)
{
	struct np_pair p;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	assert_false(tk__timers_want_rekey_on_send(&p.a.peer.kp, T0)); /* no keypair */
	np_handshake(&p, T0);
	struct tk__keypair *b = &p.b.peer.kp.slot[p.b.peer.kp.next];
	assert_true(tk__keypairs_received_with(&p.b.peer.kp, b));
	assert_false(tk__timers_want_rekey_on_send(&p.a.peer.kp, T0 + TK__REKEY_AFTER_TIME - 1));
	assert_true(tk__timers_want_rekey_on_send(&p.a.peer.kp, T0 + TK__REKEY_AFTER_TIME));
	/* the responder does not: both would initiate at once otherwise */
	assert_false(tk__timers_want_rekey_on_send(&p.b.peer.kp, T0 + TK__REKEY_AFTER_TIME));
	/* but either side after REKEY_AFTER_MESSAGES */
	b->send_counter = TK__REKEY_AFTER_MESSAGES + 1;
	assert_true(tk__timers_want_rekey_on_send(&p.b.peer.kp, T0));
	np_pair_free(&p);
}

static void rekey_on_receive_once_near_reject_after_time(void **state)
{
	struct np_pair p;
	(void)state;
	np_pair_make(&p, 42, NULL, NULL);
	np_handshake(&p, T0);
	uint64_t at = T0 + TK__REJECT_AFTER_TIME - TK__KEEPALIVE_TIMEOUT - TK__REKEY_TIMEOUT;
	assert_false(tk__timers_want_rekey_on_receive(&p.a.peer.timers, &p.a.peer.kp, at - 1));
	assert_true(tk__timers_want_rekey_on_receive(&p.a.peer.timers, &p.a.peer.kp, at));
	assert_false(tk__timers_want_rekey_on_receive(&p.a.peer.timers, &p.a.peer.kp, at + 1));
	/* a completed handshake allows it again (for the next keypair) */
	tk__timers_handshake_complete(&p.a.peer.timers);
	assert_true(tk__timers_want_rekey_on_receive(&p.a.peer.timers, &p.a.peer.kp, at + 2));
	np_pair_free(&p);
}

/* The engine's looks at one peer after an event (sealed.c, note): eager and incremental. */
struct bounds {
	uint64_t eager;	      /* lowered to tk__timers_next after every event */
	uint64_t incremental; /* lowered to tk__timers_take_armed after every event */
};

static void look(struct bounds *b, struct tk__timers *t)
{
	uint64_t n = tk__timers_next(t), a = tk__timers_take_armed(t);
	if (n < b->eager)
		b->eager = n;
	if (a < b->incremental)
		b->incremental = a;
}

static uint64_t next_of_all(struct tk__timers *t, size_t n)
{
	uint64_t m = UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (tk__timers_next(&t[i]) < m)
			m = tk__timers_next(&t[i]);
	return m;
}

/*
 * sealed.c keeps the earliest deadline of all peers by lowering it to the deadlines each event
 * set (tk__timers_take_armed) rather than asking tk__timers_next after every frame: over a long
 * pseudo-random run of the engine's event sequences and ticks on three peers (one with a
 * persistent keepalive), the bound it keeps is the one the eager look kept, never later than a
 * deadline, so the loop's timer wakes at the same times.
 */
static void deadlines_taken_as_armed_equal_the_eager_minimum(void **state)
{
	struct tk__timers t[3];
	struct bounds b = { UINT64_MAX, UINT64_MAX };
	uint64_t now = T0, rnd = 42, ticks = 0, fired = 0;
	(void)state;
	tk__timers_init(&t[0], 0);
	tk__timers_init(&t[1], 25 * S);
	tk__timers_init(&t[2], 0);
	for (int step = 0; step < 20000; step++) {
		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		unsigned r = (unsigned)(rnd >> 33);
		struct tk__timers *p = &t[r % 3];
		uint64_t jitter = (r >> 8) % (S / 3);
		switch ((r >> 4) % 9) {
		case 0: /* a frame sealed (tk__v2_seal) */
			tk__timers_data_sent(p, now, jitter);
			tk__timers_any_sent(p, now);
			break;
		case 1: /* a frame opened (on_data) */
			tk__timers_any_received(p, now);
			tk__timers_data_received(p, now);
			break;
		case 2: /* a keepalive opened */
			tk__timers_any_received(p, now);
			break;
		case 3: /* an initiation sent (initiate) */
			if (tk__timers_may_initiate(p, now))
				tk__timers_initiation_sent(p, now, jitter, false);
			break;
		case 4: /* a response consumed (on_response) */
			tk__timers_handshake_complete(p);
			tk__timers_session_derived(p, now);
			tk__timers_any_received(p, now);
			break;
		case 5: /* an initiation answered (on_initiation) */
			tk__timers_any_sent(p, now);
			tk__timers_session_derived(p, now);
			break;
		case 6: /* a keepalive sent */
			tk__timers_any_sent(p, now);
			break;
		default: /* time passes; the loop's timer fires when the bound is due (tk__v2_tick) */
			now += (rnd >> 20) % (4 * S);
			if (b.incremental > now)
				continue;
			ticks++;
			for (size_t i = 0; i < 3; i++) {
				unsigned act = tk__timers_tick(&t[i], now);
				fired += act != 0;
				if (act & TK__TIMER_SEND_INITIATION)
					tk__timers_initiation_sent(&t[i], now, jitter,
								   (act & TK__TIMER_RETRY) != 0);
				if (act & TK__TIMER_SEND_KEEPALIVE)
					tk__timers_any_sent(&t[i], now);
				(void)tk__timers_take_armed(&t[i]);
			}
			b.eager = b.incremental = next_of_all(t, 3);
			continue;
		}
		look(&b, p);
		assert_int_equal(b.incremental, b.eager);
		assert_true(b.incremental <= next_of_all(t, 3));
	}
	/* the run went through the timers, not around them */
	assert_true(ticks > 100);
	assert_true(fired > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_unanswered_initiation_is_retried_until_rekey_attempt_time),
		cmocka_unit_test(a_completed_handshake_stops_the_retries),
		cmocka_unit_test(initiations_are_rate_limited_to_one_per_rekey_timeout),
		cmocka_unit_test(received_data_is_answered_by_a_keepalive_after_10s),
		cmocka_unit_test(data_received_while_a_keepalive_is_pending_owes_another),
		cmocka_unit_test(sent_data_without_an_answer_starts_a_new_handshake),
		cmocka_unit_test(keys_are_zeroed_three_reject_times_after_the_last_session),
		cmocka_unit_test(persistent_keepalive_follows_the_last_authenticated_message),
		cmocka_unit_test(several_timers_due_at_once_all_fire),
		cmocka_unit_test(rekey_on_send_after_two_minutes_only_for_the_initiator),
		cmocka_unit_test(rekey_on_receive_once_near_reject_after_time),
		cmocka_unit_test(deadlines_taken_as_armed_equal_the_eager_minimum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
