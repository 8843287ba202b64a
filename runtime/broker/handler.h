/* handler.h — the contract between the broker's network loop and the code
 * that answers Kafka requests (the handlers in runtime/broker/h-*.c and the
 * group coordinator in runtime/broker/group*.c).
 *
 * Threads (@locality): everything declared here runs on, and must be called
 * from, the broker's single I/O thread — handlers, timers, posted callbacks.
 * Handlers therefore need no locks for state only they touch (e.g. group
 * state). The one exception is rill__broker_post(), which any thread may call
 * to get a function run on the I/O thread.
 *
 * Request lifetime:
 *
 *   frame read ──▶ decode ──▶ handler(req) ──▶ ... ──▶ rill__broker_respond(req, &resp)
 *                                    │                         (or _respond_none)
 *                                    └─ may return without answering: the request
 *                                       is then "parked" until answered later from
 *                                       a timer, a posted callback or another
 *                                       request's handler.
 *
 * - Every request MUST be answered exactly once (respond or respond_none).
 *   Answering frees @req: do not touch it afterwards.
 * - Responses go out in request order per connection: answering a later
 *   request first is fine, its bytes wait until the earlier ones are sent.
 * - If the client disconnects while its request is parked, @req stays valid
 *   (rill__broker_req_orphaned() turns TRUE) and answering it just frees it.
 * - The decoded body, the client id and every string in them point into the
 *   request's frame and arena; they stay valid until the request is answered.
 *   Response arrays may be allocated with rill__broker_req_alloc() and live
 *   just as long, so a handler never frees what it hands to respond.
 * - At rill_broker_stop() the broker first stops reading new requests, then
 *   calls each module's shutdown hook (rill__group_coordinator_shutdown),
 *   which must answer every request it has parked; then it drains the
 *   responses and closes connections.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include <rill/kafka-error.h>
#include <rill/log.h>

#include "runtime/wire/message.h"

typedef struct rill__broker rill__broker;           /* the broker (runtime/broker/broker-private.h) */
typedef struct rill__broker_conn rill__broker_conn; /* one client connection */
typedef struct rill__broker_timer rill__broker_timer;
typedef struct rill__broker_settings rill__broker_settings; /* runtime/broker/config.h */

/* One request being handled. Fields are read-only for handlers. */
typedef struct rill__broker_req {
  rill__broker *broker;             /* not refcounted; outlives every request */
  rill__broker_conn *conn;          /* not refcounted; use the accessors below */
  rill__wire_request_header header; /* api key, version, correlation id, client id */
  rill__wire_request_body *body;    /* the member named after header.request_api_key */
  rill__wire_arena *arena;          /* owns the decoded arrays; free-for-all for the response */
  void *handler_data;               /* free for the handler of a parked request */
} rill__broker_req;

typedef void (*rill__broker_handler)(rill__broker_req *req);

/* ---- Answering -------------------------------------------------------------- */

/* Encodes @body (a rill__wire_<api>_response for the request's API, at the
 * request's version) and queues it on the connection, then frees @req.
 * An encode failure (a value the version cannot carry: a handler bug) is
 * logged and the connection closed. (@body: transfer none) */
void rill__broker_respond(rill__broker_req *req, const void *body);
/* Frees @req without sending anything (acks=0 Produce). */
void rill__broker_respond_none(rill__broker_req *req);

/* Zeroed memory that lives until @req is answered (response arrays). Never
 * NULL: a request's arena allows far more than any response needs. */
void *rill__broker_req_alloc(rill__broker_req *req, size_t size);
#define rill__broker_req_new0(req, type, n) ((type *)rill__broker_req_alloc((req), sizeof(type) * (size_t)(n)))
/* A NUL-terminated copy of @s in the request's memory (NULL for a null string). */
char *rill__broker_req_strdup(rill__broker_req *req, rill__wire_str s);

/* TRUE when the client has gone; an answer will be discarded. */
gboolean rill__broker_req_orphaned(const rill__broker_req *req);
/* The client's address, "127.0.0.1" (for DescribeGroups' ClientHost).
 * (transfer none): valid while @req is. */
const char *rill__broker_req_client_host(const rill__broker_req *req);

/* The client's principal: "User:ANONYMOUS", "User:alice" (SASL) or
 * "User:CN=alice,O=example" (TLS client certificate). (transfer none) */
const char *rill__broker_req_principal(const rill__broker_req *req);

/* TRUE when the request's principal may do @op (acl.h: RILL__OP_*) on the
 * resource (@resource_type RILL__RES_*, @name): Kafka's authorizer with the
 * broker's ACLs, super.users and allow.everyone.if.no.acl.found. */
gboolean rill__broker_authorize(rill__broker_req *req, int8_t resource_type, const char *name, int8_t op);
/* TRUE when some ALLOW binding gives the principal @op on a resource of
 * @resource_type (InitProducerId: WRITE on any topic). */
gboolean rill__broker_authorize_any(rill__broker_req *req, int8_t resource_type, int8_t op);

/* ---- The broker, seen from a handler ---------------------------------------- */

rill_log *rill__broker_log(rill__broker *broker);                 /* (transfer none) */
const rill__broker_settings *rill__broker_settings_get(rill__broker *broker); /* (transfer none) */
/* Our node id, and the host/port the client of @req should connect to: the
 * advertised address of the listener it came through (never 0.0.0.0). */
int32_t rill__broker_node_id(rill__broker *broker);
const char *rill__broker_advertised_host(const rill__broker_req *req); /* (transfer none) */
int32_t rill__broker_advertised_port(const rill__broker_req *req);
/* Writes one structured log line: "event=NAME key=value ...". @fmt gives the
 * key=value part (may be NULL). */
void rill__broker_event(rill__broker *broker, const char *level, const char *event, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* ---- Timers and posted work --------------------------------------------------- */

typedef void (*rill__broker_func)(void *user_data);

/* Runs @func(@user_data) once on the I/O thread after @delay_ms (monotonic
 * clock; 0 = on the next loop iteration). Returns a handle for cancel, valid
 * until the timer has run or been cancelled. */
rill__broker_timer *rill__broker_timer_add(rill__broker *broker, int64_t delay_ms, rill__broker_func func,
                                           void *user_data);
/* Cancels a timer that has not run yet. Never call it from the timer's own
 * callback or after it ran. */
void rill__broker_timer_cancel(rill__broker *broker, rill__broker_timer *timer);
/* Milliseconds of the loop's monotonic clock (for deadlines). */
int64_t rill__broker_now_ms(rill__broker *broker);

/* MT safe: runs @func(@user_data) on the I/O thread soon (wakes the loop).
 * Posts made before rill_broker_stop() returns are run or, when the loop
 * has already ended, run by rill_broker_stop() itself on the calling thread. */
void rill__broker_post(rill__broker *broker, rill__broker_func func, void *user_data);

/* ---- Shared handler helpers ----------------------------------------------------- */

/* The Kafka error for a log error (see the table in include/rill/log.h). */
int16_t rill__broker_kafka_error(const GError *error);
/* What a client may read about @error: its message, except for storage and
 * unexpected errors, whose messages name server paths: those are logged
 * (event=storage_error) and the client gets a generic text. (transfer none:
 * lives as long as @req) */
rill__wire_str rill__broker_error_text(rill__broker_req *req, const GError *error);
/* The text clients get for KAFKA_STORAGE_ERROR (the details are logged). */
#define RILL__BROKER_STORAGE_ERROR_TEXT "The broker's storage failed; details are in the broker's log."
/* A topic name from the wire as a C string in @req's memory; NULL for a null
 * string or one holding a NUL byte (no legal name has one; cut at it, it
 * would name another topic). */
char *rill__broker_req_topic(rill__broker_req *req, rill__wire_str s);
