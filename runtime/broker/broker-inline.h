/* broker-inline.h — driving a broker's loop from the caller's thread, for
 * the in-process fuzz target (tests/fuzz/broker-request.c). Not public API.
 *
 * A broker started with rill__broker_start_inline has no I/O thread: the
 * caller is the I/O thread and turns the loop with rill__broker_turn. Its
 * other threads (worker pool, log threads) still post back through the
 * wake eventfd, so a turn with a timeout waits for them. Such a broker is
 * meant to live until the process exits: rill_broker_stop does not drain it.
 */
#pragma once

#include <rill/broker.h>

/* rill_broker_start without the I/O thread. */
gboolean rill__broker_start_inline(rill_broker *broker, GError **error);
/* One turn: waits up to @timeout_ms for events, handles them, runs posts,
 * then the timers that are due. With @expire_timers the broker's clock
 * (rill__broker_now_ms, also the group coordinator's) first jumps forward
 * to the earliest timer's deadline, so that timer runs now (a parked fetch's
 * max_wait ends, a rebalance delay passes) without anyone waiting. */ 
void rill__broker_turn(rill_broker *broker, int timeout_ms, gboolean expire_timers);
/* Requests on the worker pool or waiting for fdatasync. */
guint rill__broker_offloaded(rill_broker *broker);
