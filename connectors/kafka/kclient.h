/* kclient.h — the Kafka client core (internal): connections to the brokers of
 * one cluster, API version negotiation, request pipelining, and the cluster
 * map (brokers, topics, partition leaders) learnt from Metadata.
 *
 * Threads: each client runs one I/O thread (poll(2) over one non-blocking
 * socket per broker plus a wake-up pipe). Any thread submits requests; they
 * never block. A request completes exactly once, on the I/O thread, either
 * by calling its callback (which then owns it) or, without a callback, by
 * waking rill__kreq_wait().
 *
 * Invariants kept per connection: requests are written in submission order
 * and responses are matched to them in that order (Kafka answers in order
 * per connection); a request without response (Produce acks=0) completes
 * when written. A connection that fails, or whose oldest request outlives
 * request.timeout.ms (+ its extra wait), is closed and every request on it
 * completes with NETWORK_EXCEPTION (13) / REQUEST_TIMED_OUT (7): the caller
 * decides whether to retry (nothing is retried behind its back, so the
 * producer keeps control of its sequences). */
#pragma once

#include <glib.h>

#include "connectors/kafka/kconf.h"
#include "runtime/wire/message.h"

/* Node id meaning "any broker" (the least busy connected one). */
#define RILL__KNODE_ANY (-1)

typedef struct rill__kclient rill__kclient;
typedef struct rill__kreq rill__kreq;

/* Called on the I/O thread when @req completes; takes ownership of @req. */
typedef void (*rill__kreq_cb)(rill__kreq *req, void *user_data);

struct rill__kreq {
  /* set by the caller (rill__kreq_new) */
  int16_t api_key;
  int16_t max_version;     /* highest version the caller can handle */
  const void *body;        /* not owned: the rill__wire_<api>_request; must live until completion */
  int extra_timeout_ms;    /* added to request.timeout.ms (a Fetch's max wait) */
  gboolean no_response;    /* Produce acks=0: complete when written */
  /* set on completion */
  int32_t node_id;         /* the broker it went to */
  int16_t version;         /* version used */
  int16_t error;           /* 0, or a Kafka error code for transport failures
                            * (13 network, 7 timeout, 35 unsupported API) or -1 (bad response) */
  char *error_message;     /* NULL when error == 0 */
  rill__wire_response_body resp; /* decoded response (valid while the req lives) */
  uint8_t *frame;          /* owned: the response bytes resp points into */
  size_t frame_len;
  /* private */
  rill__wire_arena arena;
  rill__kreq_cb cb;
  void *cb_data;
  int32_t target;
  int32_t correlation_id;
  gint64 deadline;         /* monotonic us; set when written */
  gboolean done;
};

/* A request for @api_key with @body (transfer none; must outlive completion),
 * sent at the highest version <= @max_version both sides support. (transfer full) */
rill__kreq *rill__kreq_new(int16_t api_key, int16_t max_version, const void *body);
void rill__kreq_free(rill__kreq *req);

/* Starts the I/O thread; no connection is made yet. NULL with @error when
 * bootstrap.servers is empty or malformed. (transfer full) */
rill__kclient *rill__kclient_new(const rill_kafka_conf *conf, GError **error);
/* Stops the I/O thread; pending requests complete with NETWORK_EXCEPTION first. */
void rill__kclient_free(rill__kclient *client);
const rill_kafka_conf *rill__kclient_conf(const rill__kclient *client); /* (transfer none) */

/* Queues @req (transfer full) for @node_id (or RILL__KNODE_ANY). With @cb
 * NULL the caller keeps a claim on @req: wait with rill__kreq_wait, then free. */
void rill__kclient_submit(rill__kclient *client, int32_t node_id, rill__kreq *req, rill__kreq_cb cb, void *cb_data);
/* Waits until @req (submitted without callback) completes or @deadline
 * (monotonic us) passes. TRUE when complete. */
gboolean rill__kreq_wait(rill__kclient *client, rill__kreq *req, gint64 deadline);

/* Submits and waits, retrying transport failures with retry.backoff.ms for
 * up to request.timeout.ms. Returns the completed request (transfer full;
 * its error may be a broker-level one) or NULL with @error. */
rill__kreq *rill__kclient_call(rill__kclient *client, int32_t node_id, int16_t api_key, int16_t max_version,
                               const void *body, GError **error);

/* ---- cluster map --------------------------------------------------------- */

/* Refreshes metadata for @topics (NULL-terminated; NULL = all topics).
 * FALSE with @error when no broker answered. */
gboolean rill__kclient_refresh_metadata(rill__kclient *client, const char *const *topics, GError **error);
/* Whether refresh_metadata asks the broker to create missing topics
 * (default TRUE, what producers expect; consumers set FALSE before any
 * request). */
void rill__kclient_set_auto_create(rill__kclient *client, gboolean auto_create);
/* The one Metadata request (v8 at most) for @topics (NULL-terminated; NULL =
 * every topic), asking the broker to create missing ones when @auto_create.
 * Changes nothing in the cluster map; resp.metadata of the returned request
 * is the answer. (transfer full; rill__kreq_free) */
rill__kreq *rill__kclient_metadata(rill__kclient *client, const char *const *topics, gboolean auto_create,
                                   GError **error);
/* Partition count of @topic from the last metadata, or -1 (unknown topic)
 * with *@topic_error set to the topic's error code when not NULL. */
int32_t rill__kclient_partition_count(rill__kclient *client, const char *topic, int16_t *topic_error);
/* Leader node of @topic/@partition, or -1 when unknown / leaderless. */
int32_t rill__kclient_leader(rill__kclient *client, const char *topic, int32_t partition);
/* Sets @error for a failed request (transport or broker error @code on
 * @what). */
void rill__kclient_set_error(GError **error, int16_t code, const char *what, const char *detail);
/* TRUE for errors after which a retry (with metadata refresh) may succeed. */
gboolean rill__kerror_retriable(int16_t code);
