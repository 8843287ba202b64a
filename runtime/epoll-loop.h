/* epoll-loop.h — one thread serving many GMainContexts of a few sources
 * each, through epoll.
 *
 * GLib walks every source of a context on every iteration (prepare, query,
 * check) and polls every descriptor. With thousands of sockets in one
 * context that walk is the thread's whole time: at 5,000 WebSocket
 * connections per context perf showed g_source_ref, g_main_context_check
 * and g_main_context_prepare at ~60% and each iteration took ~8 ms.
 *
 * A rill__epoll_loop splits the sockets into groups: small contexts of at
 * most @group_size members each (a member is whatever its owner puts in a
 * group, e.g. one SoupWebsocketConnection with its sources), plus the
 * control context. Each context's descriptors sit in an epoll set of its
 * own, and those epoll descriptors in the loop's; a wait costs what is
 * ready, and only the contexts with something ready (a descriptor, a
 * timeout, a wake-up) are checked, dispatched and prepared again, so an
 * event costs a walk over one group, not over every connection.
 *
 * Invariants:
 * - Group contexts are created with G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING,
 *   so any change to their sources (attach, ready time), from this thread
 *   too, wakes them and they are prepared again; a context is prepared
 *   only after it was dispatched or woken, never walked otherwise.
 * - Every context is acquired by the running thread while run() runs, and
 *   released when it returns.
 * - Sources are attached to a group by making it thread-default while
 *   creating their owner; each context is thread-default while its own
 *   sources are dispatched, so what a callback (re)starts lands in the same
 *   context (libsoup 3 attaches a connection's input, output and keepalive
 *   sources to the thread-default context each time it starts one).
 */
#pragma once

#include <glib.h>

typedef struct rill__epoll_loop rill__epoll_loop;

/* A loop over @control (transfer none, referenced) and groups of at most
 * @group_size members. */
rill__epoll_loop *rill__epoll_loop_new(GMainContext *control, guint group_size);
/* After run() has returned (or never ran): drains and frees every group. */
void rill__epoll_loop_free(rill__epoll_loop *loop);

/* A group with room for one more member, counted until _leave (transfer
 * none; valid until free). On the loop's thread only. */
GMainContext *rill__epoll_loop_join(rill__epoll_loop *loop);
void rill__epoll_loop_leave(rill__epoll_loop *loop, GMainContext *group);

/* Iterates every context on this thread until *@quit is set (atomically;
 * wake @control after setting it). */
void rill__epoll_loop_run(rill__epoll_loop *loop, gint *quit);
