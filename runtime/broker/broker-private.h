/* broker-private.h — the broker's internal structures, shared by the loop
 * (loop.c), connections (conn.c), the public API (broker.c) and the request
 * handlers that need more than handler.h (Fetch's zero-copy answer, the
 * count of Produce appends waiting for fdatasync).
 *
 * Threads: one I/O thread owns the epoll set, every connection, every timer
 * and every request (see handler.h). Other threads (the worker pool, log
 * appenders firing waiters, the log's sync thread acknowledging appends,
 * the caller of rill_broker_stop) talk to it only through
 * rill__broker_post() — a mutex-protected queue plus an eventfd.
 */
#pragma once

#include <rill/broker.h>

#include "runtime/broker/config.h"
#include "runtime/broker/group.h"
#include "runtime/broker/handler.h"
#include "runtime/broker/listeners.h"
#include "runtime/broker/stats.h"
#include "runtime/ratelimit.h"

/* What an epoll registration points at: the first member of each. */
typedef enum { RILL__SRC_LISTEN = 1, RILL__SRC_WAKE, RILL__SRC_CONN } rill__src_kind;

typedef struct rill__security rill__security; /* security.h */
typedef struct rill__conn_sec rill__conn_sec;

typedef enum { RILL__BROKER_NEW, RILL__BROKER_RUNNING, RILL__BROKER_STOPPED } rill__broker_state;

/* Event lines a peer (or an exhausted resource) can repeat at will: each
 * kind is rate-limited (broker.c: rill__broker_limited_events gives its
 * level, name and lines per second). */
typedef enum {
  RILL__EV_CONNECT,
  RILL__EV_DISCONNECT,
  RILL__EV_ACCEPT_FAILED,
  RILL__EV_CONNECTION_REFUSED,
  RILL__EV_BAD_FRAME,
  RILL__EV_MALFORMED_REQUEST,
  RILL__EV_UNSUPPORTED_REQUEST,
  RILL__EV_APPEND_FAILED,
  RILL__EV_PRODUCER_ID_FAILED,
  RILL__EV_AUTH_FAILED,
  RILL__EV_N_LIMITED
} rill__limited_event;

struct rill__broker {
  rill__broker_settings settings;
  rill_log *log;                 /* owned when owns_log */
  gboolean owns_log;
  rill__broker_state state;
  rill_broker_log_func log_func; /* NULL: g_debug */
  void *log_user_data;
  rill__group_coordinator *groups; /* owned */

  /* Listeners (listeners.h): rill__listener*, in configured order; empty
   * when not listening. */
  GPtrArray *listeners;
  gboolean accept_paused;        /* out of descriptors: the listeners are not watched */
  rill__broker_timer *accept_timer; /* retries accepting while paused */
  rill__security *security;      /* TLS contexts, credentials, ACLs (security.h); owned */

  /* The loop. */
  int epfd;
  rill__src_kind wake_kind;
  int wake_fd;                   /* eventfd */
  GThread *thread;
  gboolean quit;                 /* I/O thread only */
  gboolean draining;             /* I/O thread only: stop requested, answering what is left */
  int64_t drain_deadline_ms;
  gint stop_requested;           /* atomic */
  GMutex post_lock;
  GQueue posts;                  /* rill__post*, under post_lock */
  GThread *loop_thread;          /* atomic: the thread turning the loop, NULL before */
  gboolean loop_ended;           /* under post_lock: posts now run in stop() */
  GSequence *timers;             /* rill__broker_timer*, by deadline then seq */
  uint64_t timer_seq;
  rill__broker_timer *reaper;

  GQueue conns;                  /* rill__broker_conn*, open ones */
  guint n_offloaded;             /* requests on the pool + appends waiting for fdatasync */
  GThreadPool *pool;             /* blocking log calls (OffsetCommit) */
  GQueue parked_fetches;         /* rill__fetch_parked* (h-fetch.c) */
  /* queued.max.request.bytes: bytes of request frames read or being read and
   * not yet answered; connections that need more than is left wait, in
   * order, with reading paused (conn.c). */
  int64_t queued_request_bytes;
  GQueue mem_waiting;            /* rill__broker_conn*, via mem_link */
  rill__ratelimit event_rate[RILL__EV_N_LIMITED]; /* I/O thread only */
  int64_t partitions_pending;    /* partitions of creations running on the pool (h-admin.c) */
  gboolean inline_loop;          /* no I/O thread: the caller turns the loop (broker-inline.h) */
  int64_t clock_skew_ms;         /* inline only: added to the monotonic clock when time jumps */
  rill__broker_stats *stats;     /* owned: counters for /metrics (stats.h) */
  GSList *http;                  /* struct rill__broker_http* (http.c), owner's thread */
};

/* One piece of a response on the wire: memory or a file range (sendfile). */
typedef struct {
  const uint8_t *p; /* memory chunk, or NULL for a file chunk */
  int fd;           /* file chunk: not owned */
  int64_t pos;
  size_t len;       /* bytes still to send; advanced as they go out */
} rill__chunk;

/* A response place in the connection's queue, in request order. */
typedef struct {
  gboolean ready;
  GArray *chunks;       /* rill__chunk */
  guint cur;            /* first chunk not fully sent */
  uint8_t *mem;         /* owned: the bytes memory chunks point into */
  GPtrArray *fetches;   /* owned rill_log_fetch* (their fds back the file chunks) */
} rill__slot;

struct rill__broker_conn {
  rill__src_kind kind;
  int fd;
  rill__broker *broker;
  guint refs;               /* the connection list + each live request */
  gboolean dead;            /* socket closed; answers are discarded */
  gboolean read_paused;     /* too much in flight, or draining */
  gboolean mem_waiting;     /* in broker->mem_waiting: its next frame needs mem_need bytes */
  gboolean reading;         /* in conn_read: answers made meanwhile leave in one write after it */
  size_t mem_need;
  size_t mem_granted;       /* counted for its next frame before reading it (resumed from waiting) */
  GList mem_link;
  uint32_t events;          /* current epoll interest */
  rill__listener *listener; /* accepted on (NULL: adopted inline) */
  rill__conn_sec *sec;      /* TLS session, SASL exchange, principal (security.h); owned */
  char host[64];
  GList link;               /* in broker->conns while open */
  uint8_t *in;              /* bytes read, not yet framed */
  size_t in_len, in_cap;
  uint8_t *frame;           /* a large frame being read straight into its own buffer (counted
                               in queued_request_bytes from its header on) */
  size_t frame_len, frame_got;
  GQueue slots;             /* rill__slot*, oldest first */
  int64_t last_active_ms;
  GQueue serial_waiting;    /* offloaded requests waiting for the previous one */
  gboolean serial_busy;
};

/* The full request behind a rill__broker_req. */
typedef struct {
  rill__broker_req pub;
  uint8_t *frame;            /* owned: the bytes after the size prefix; its frame_len bytes count
                                in broker->queued_request_bytes until it is freed */
  size_t frame_len;
  rill__wire_request request; /* decoded; pub.body points into it */
  rill__wire_arena arena;
  rill__slot *slot;          /* in conn->slots */
  rill__broker_func offload_work;   /* runs on the pool */
  rill__broker_func offload_done;   /* then on the loop */
  int64_t start_us;          /* monotonic time at decode: request latency (stats.h) */
} rill__req_priv;

/* ---- broker.c ---- */
/* rill__broker_event for a kind a peer can repeat: at most the kind's lines
 * per second; the first line after held-back ones carries suppressed=N.
 * I/O thread only (or after the loop ended). */
void rill__broker_event_limited(rill__broker *b, rill__limited_event kind, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Writes "event=KIND suppressed=N" for kinds whose held-back lines no later
 * line has reported yet (the reaper's tick: about once a second). */
void rill__broker_report_suppressed(rill__broker *b);

/* ---- loop.c ---- */
gboolean rill__broker_loop_init(rill__broker *b, GError **error);
void rill__broker_loop_run(rill__broker *b);    /* the I/O thread's body */
void rill__broker_loop_clear(rill__broker *b);  /* after the thread ended */
void rill__broker_loop_watch(rill__broker *b, int fd, uint32_t events, void *src, gboolean add);
void rill__broker_loop_unwatch(rill__broker *b, int fd);
/* One turn of the loop on the caller's thread (broker-inline.h). */
void rill__broker_loop_turn(rill__broker *b, int timeout_ms, gboolean expire_timers);
/* Runs what was posted but not run (after the loop ended). */
void rill__broker_run_leftover_posts(rill__broker *b);

/* ---- conn.c ---- */
void rill__broker_accept(rill__broker *b, rill__listener *l);
/* Serves @fd (a connected non-blocking stream socket, transfer full) as a
 * client connection from @host, accepted on @l (NULL: plaintext, no
 * authentication). */
void rill__broker_conn_add(rill__broker *b, rill__listener *l, int fd, const char *host);
/* Watches the listener again if accepting was paused (out of descriptors). */
void rill__broker_accept_resume(rill__broker *b);
void rill__broker_conn_event(rill__broker_conn *c, uint32_t events);
void rill__broker_conn_close(rill__broker_conn *c, const char *reason);
void rill__broker_conn_unref(rill__broker_conn *c);
void rill__broker_conn_pause_reading(rill__broker_conn *c);
/* Frees a request frame and gives its bytes back to queued.max.request.bytes. */
void rill__broker_frame_free(rill__broker *b, uint8_t *frame, size_t len);
/* Resumes connections waiting for request memory while it lasts (the loop,
 * once per iteration: never from inside a handler). */
void rill__broker_resume_mem_waiting(rill__broker *b);
/* Idle reaping; returns the number closed. */
guint rill__broker_reap_idle(rill__broker *b);
/* Answers with prepared chunks (Fetch): @mem (transfer full) holds the memory
 * chunks' bytes, @fetches (transfer full, may be NULL) the file chunks'. */
void rill__broker_respond_chunks(rill__broker_req *req, uint8_t *mem, GArray *chunks, GPtrArray *fetches);
/* Runs @work on the pool, then @done on the loop; offloaded requests of one
 * connection run one at a time, in order (appends keep their order). */
void rill__broker_offload(rill__broker_req *req, rill__broker_func work, rill__broker_func done);
/* The pool's thread function (data: the rill__req_priv). */
void rill__broker_pool_run(gpointer data, gpointer unused);

/* ---- dispatch.c ---- */
typedef struct {
  int16_t min, max, flex;        /* advertised versions; flex = first flexible or -1 */
  rill__broker_handler handler;  /* NULL: not served */
} rill__api_entry;
extern const rill__api_entry rill__broker_apis[RILL_WIRE_MAX_API_KEY + 1];
/* Answers with raw bytes after the size prefix (@body, @len: copied). */
void rill__broker_respond_raw(rill__broker_req *req, const uint8_t *body, size_t len);
/* sasl.c: one bare SASL token (after SaslHandshake v0) in @req's frame. */
void rill__sasl_raw_token(rill__broker_req *req, const uint8_t *token, size_t len);
/* Decodes and dispatches one frame (transfer full). */
void rill__broker_dispatch(rill__broker_conn *c, uint8_t *frame, size_t len);

/* ---- handlers (h-*.c) ---- */
void rill__handle_api_versions(rill__broker_req *req);
void rill__handle_metadata(rill__broker_req *req);
void rill__handle_produce(rill__broker_req *req);
void rill__handle_fetch(rill__broker_req *req);
void rill__handle_list_offsets(rill__broker_req *req);
void rill__handle_create_topics(rill__broker_req *req);
void rill__handle_delete_topics(rill__broker_req *req);
void rill__handle_create_partitions(rill__broker_req *req);
void rill__handle_describe_configs(rill__broker_req *req);
void rill__handle_alter_configs(rill__broker_req *req);
void rill__handle_incremental_alter_configs(rill__broker_req *req);
void rill__handle_init_producer_id(rill__broker_req *req);
void rill__handle_sasl_handshake(rill__broker_req *req);
void rill__handle_sasl_authenticate(rill__broker_req *req);
void rill__handle_create_acls(rill__broker_req *req);
void rill__handle_describe_acls(rill__broker_req *req);
void rill__handle_delete_acls(rill__broker_req *req);
void rill__handle_describe_user_scram_credentials(rill__broker_req *req);
void rill__handle_alter_user_scram_credentials(rill__broker_req *req);
/* Answers every parked Fetch now (stop). */
void rill__fetch_complete_all(rill__broker *b);
/* h-admin.c: partitions of all topics in the log. */
int64_t rill__admin_count_partitions(rill_log *log);
/* h-admin.c: NONE and @added partitions reserved in b->partitions_pending
 * if a topic may grow by @added to @topic_total partitions next to
 * @existing ones (rill.max.partitions.per.topic, rill.max.partitions);
 * else the Kafka error with *@msg set (in @req's memory). */
int16_t rill__admin_reserve_partitions(rill__broker_req *req, int64_t existing, int32_t topic_total, int32_t added,
                                       rill__wire_str *msg);
