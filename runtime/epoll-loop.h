/* epoll-loop.h — iterate a GMainContext with epoll instead of poll().
 *
 * GLib polls every descriptor of a context on every iteration; a context
 * holding thousands of sockets (the gateway's WebSocket shards) spends most
 * of its time in the kernel's per-socket poll. rill__epoll_loop_run()
 * iterates @context on the calling thread with a poll function that keeps
 * the descriptors in an epoll set, updating it only for the descriptors
 * whose events changed since the last iteration, so a wait costs what is
 * ready, not what is open. GLib's own semantics are kept: level-triggered,
 * the same revents, the same timeouts.
 *
 * The poll function is the context's: another thread that iterates the
 * context (e.g. to drain it after rill__epoll_loop_run returned) falls
 * back to g_poll().
 */
#pragma once

#include <glib.h>

/* Iterates @context (pushed as thread-default) until *@quit is set
 * (atomically; wake the context after setting it). */
void rill__epoll_loop_run(GMainContext *context, gint *quit);
