/* broker-inline.h — driving a broker's loop from the caller's thread, for
 * the in-process fuzz target (tests/fuzz/broker-request.c). Not public API.
 *
 * A broker started with rill__broker_start_inline has no I/O thread: the
 * caller is the I/O thread and turns the loop with rill__broker_turn. Work
 * meant for the worker pool runs on the caller's thread too, from a post
 * (a later turn), so it costs no thread hand-off and replays in the same
 * order. The log's threads (the fdatasync of durability sync) still post
 * back through the wake eventfd, so a turn with a timeout waits for them.
 * Such a broker is meant to live until the process exits (rill_broker_stop
 * does not drain it); rill__broker_reset_inline brings it back to an empty
 * broker between independent fuzz inputs.
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
/* Requests whose offloaded work has not answered yet, or waiting for
 * fdatasync. */
guint rill__broker_offloaded(rill_broker *broker);
/* Serves @fd (one end of a connected non-blocking stream socket, e.g. a
 * socketpair; transfer full) as a client connection, as if accepted. */
void rill__broker_adopt_inline(rill_broker *broker, int fd);
/* Back to an empty broker: answers what is parked, waits for offloaded
 * work and the log's sync thread, then deletes every topic, group and
 * committed offset. Open connections stay open: one whose requests were all answered
 * sees nothing. FALSE with @error when the log refuses (the broker is then
 * in an unknown state). Producer ids keep counting and the clock keeps its
 * jumps. */
gboolean rill__broker_reset_inline(rill_broker *broker, GError **error);
