/* gateway.c — sessions, channel subscriptions and delivery from the log
 * (include/rill/gateway.h; protocol in docs/gateway.md).
 *
 * Threads: the HTTP thread (rill_http_server's) accepts connections, checks
 * the token and does the WebSocket handshake (libsoup), then steals the
 * connection and hands it to a shard, the one with the fewest sessions. A
 * shard is a thread holding a share of the sessions. It runs a control
 * context (the pump, hand-overs, acks) and group contexts of GROUP_SIZE
 * connections each through an epoll loop (runtime/epoll-loop.h): each
 * SoupWebsocketConnection is created with its group as thread-default
 * (libsoup ties a connection to that context), so an event costs a walk
 * over one group's sources, not over every connection (one context with
 * 10,000 connections spent its time in poll() and g_main_context_check(),
 * and even 5,000 per context took ~8 ms per iteration). A session lives
 * on one shard for its life; everything about it runs on that thread
 * (callbacks of every context of the loop run there). The storage's
 * callbacks (waiter wake-ups and pending appends) only post to a shard's
 * control context through its "waker", a small refcounted object that
 * outlives the gateway while callbacks may still hold it.
 *
 * Storage is behind storage.h (the embedded log or a Kafka cluster); "the
 * log" below is whichever it is. Shards call it concurrently.
 *
 * Delivery: each shard is a gateway without the listener. Per partition it
 * keeps `next`, the first offset it has not yet dispatched, and its own
 * waiter on the partition; the waiter wakes the shard's pump, which reads
 * every batch from `next` to the high watermark in one go (so a burst of
 * publishes costs each shard one wake-up and one read, not one per
 * message), builds each message's deliver frame once and queues it to every
 * live subscriber of its channel on this shard, then flushes the sessions
 * it touched. The log is MT-safe and a read of recent data is a page-cache
 * copy (on Kafka, the poller's latest fetch, shared by the shards), so
 * reading per shard costs less than handing frames across threads.
 *
 * Invariants:
 * - A subscription is either live (it has seen every message of its
 *   channel before part->next and gets the rest from the pump) or catching
 *   up (cursor < part->next: it reads [cursor, part->next) from the log,
 *   filtered by channel, while its session has room; at part->next it turns
 *   live). Both run on the session's shard thread with that shard's
 *   part->next, so no message is skipped or repeated.
 * - A session's queued bytes never exceed max_queue_bytes: a frame that
 *   would pass it closes the session (RILL_GATEWAY_CLOSE_SLOW) instead,
 *   and only this session is affected. Frames are handed to libsoup only
 *   while the socket is writable, so libsoup's own queue stays small.
 * - A publish is acknowledged only after the log has it (after its
 *   fdatasync under rill.durability=sync).
 */
#include <rill/fields.h>
#include <rill/gateway.h>
#include <rill/prometheus.h>

#include "connectors/gateway/frame.h"
#include "connectors/gateway/rules.h"
#include "connectors/gateway/server.h"
#include "connectors/gateway/storage.h"
#include "runtime/epoll-loop.h"
#include "runtime/wire/partitioner.h"
#include "runtime/wire/recordbatch.h"

#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define READ_BYTES (1 << 20)     /* one log read of the pump */
#define CATCHUP_BYTES (256 << 10) /* one log read of a catching-up subscription */
#define FLUSH_BYTES (64 << 10)    /* handed to libsoup per writability check */
#define GROUP_SIZE 32             /* connections per group context (runtime/epoll-loop.h) */
#define FROM_HEADER "from"
#define RILL__GW_SOUP_LIMIT(max_frame) ((max_frame) * 4)

typedef struct session session;
typedef struct channel channel;
typedef struct shard shard;

typedef struct {
  session *s;
  channel *ch;
  gboolean live;
  int64_t cursor; /* catching up: next offset of the partition to read */
  char *ref;      /* of the subscribe frame */
} sub;

struct channel {
  char *name;
  int32_t partition;
  GPtrArray *subs; /* sub*, not owned (sessions own them) */
  guint n_live;
};

struct session {
  rill_gateway *gw;
  shard *sh; /* the thread it lives on */
  guint64 id;
  char *user;
  SoupWebsocketConnection *ws;
  GMainContext *group; /* the shard's group context holding ws's sources */
  GSocket *sock;
  GHashTable *subs; /* channel name -> sub* (owned) */
  GQueue out;       /* GBytes* not yet handed to libsoup */
  gsize out_bytes;
  GSource *out_watch; /* waiting for the socket to be writable */
  GSource *remove;    /* the idle that frees it after "closed" */
  gboolean dirty;     /* in sh->dirty */
  gsize unchecked;    /* bytes handed to libsoup since the socket was last seen writable */
  gboolean closing;
  double tokens; /* rate limit */
  gint64 tokens_us;
  guint over;
};

typedef struct {
  int64_t next; /* first offset not yet dispatched */
  gint wake;    /* set by the waiter, cleared by the pump */
  guint64 waiter; /* the last waiter armed (it may have fired since) */
  void *warg;     /* its argument, freed here if it is cancelled */
} part;

/* What the log's threads may touch. */
typedef struct {
  gint refs;
  GMutex lock;
  gboolean stopping;
  GMainContext *ctx;
  shard *sh; /* valid while !stopping */
} waker;

/* A thread and context serving a share of the sessions; all but the
 * incoming queue, its stop flag and its load counter is touched only on
 * its thread (and by rill_gateway_new/free while the thread is not
 * running). */
struct shard {
  rill_gateway *gw;
  GMainContext *ctx; /* control: the pump, hand-overs, acks, sessions' own sources */
  rill__epoll_loop *loop; /* runs ctx and the group contexts of the connections */
  GThread *thread;
  gint quit;    /* atomic: ends the thread's loop */
  gint load;    /* atomic: sessions on it, and handoffs on their way */
  gboolean stopped; /* shutdown_cb ran; under gw->stop_lock */
  int32_t n_parts;
  part *parts;
  waker *wk;
  GSource *pump_src; /* made ready (from any thread) when a partition has data */
  GMutex in_lock;
  GPtrArray *incoming; /* handoff*, from the HTTP thread, under in_lock */
  GSource *in_src;     /* made ready when incoming is not empty */
  GHashTable *channels; /* name -> channel* */
  GHashTable *sessions; /* &id -> session* */
  GPtrArray *dirty;    /* session* to flush */
  GPtrArray *catchups; /* sub* catching up */
  rill__batch_writer *writer;
};

struct rill_gateway {
  char *topic;
  guint8 *secret;
  gsize secret_len;
  gsize max_frame, max_queue;
  guint fps;
  rill__gw_rules *rules;
  rill__gw_storage *st; /* the topic: embedded log or Kafka (storage.h) */
  int32_t n_parts;
  guint n_shards;
  shard **shards;
  guint64 next_id;        /* atomic: session ids, unique across shards */
  GPtrArray *extensions;  /* WebSocket extension classes offered (permessage-deflate) */
  rill_http_server *http; /* its thread accepts and upgrades */
  guint collector;        /* in the http server's registry */
  GMutex stop_lock;
  GCond stop_cond;
  rill_gateway_stats stats;        /* updated with atomics */
  rill_prom_histogram latency;     /* record timestamp -> deliver queued, ns */
};

static void pump(shard *sh);
static void session_flush(session *s);
static void catchup_run(shard *sh);

void rill_gateway_options_init(rill_gateway_options *o)
{
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->topic = "gateway";
  o->partitions = 8;
  o->max_frame_bytes = 65536;
  o->max_queue_bytes = 1 << 20;
  o->frames_per_second = 200;
  o->threads = 0;
}

/* Counters are written on the gateway thread, read by scrapes elsewhere. */
static void stat_add(guint64 *c, gint64 d)
{
  __atomic_fetch_add(c, (guint64)d, __ATOMIC_RELAXED);
}

/* ---- the waker: the log's threads -> a shard's thread --------------------- */

static waker *waker_ref(waker *w)
{
  g_atomic_int_inc(&w->refs);
  return w;
}

static void waker_unref(waker *w)
{
  if (!g_atomic_int_dec_and_test(&w->refs))
    return;
  g_mutex_clear(&w->lock);
  g_main_context_unref(w->ctx);
  g_free(w);
}

/* The pump is one source, made ready by wake-ups from any thread and
 * dispatched once per main loop iteration with the others of its priority:
 * the publishes that arrive in one iteration are read and delivered by one
 * pump (invoking it per wake-up ran it inside every publish: a log read, a
 * waiter and a flush of every subscriber per message). */
static gboolean pump_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
  g_source_set_ready_time(src, -1);
  return cb(data);
}

static GSourceFuncs pump_funcs = {NULL, NULL, pump_dispatch, NULL, NULL, NULL};

static gboolean pump_cb(gpointer data)
{
  pump(data);
  return G_SOURCE_CONTINUE;
}

/* A source dispatched once per iteration after g_source_set_ready_time(0)
 * from any thread. */
static GSource *ready_source_new(GMainContext *ctx, GSourceFunc cb, gpointer data)
{
  GSource *src = g_source_new(&pump_funcs, sizeof(GSource));
  g_source_set_callback(src, cb, data, NULL);
  g_source_set_ready_time(src, -1);
  g_source_attach(src, ctx);
  return src;
}

typedef struct {
  waker *wk;
  int32_t p;
} wait_arg;

static void wait_cb(rill_log_wake reason, int64_t hwm, void *user_data)
{
  wait_arg *a = user_data;
  waker *w = a->wk;
  g_mutex_lock(&w->lock);
  if (!w->stopping && reason == RILL_LOG_WAKE_DATA) {
    shard *sh = w->sh;
    g_atomic_int_set(&sh->parts[a->p].wake, 1);
    g_source_set_ready_time(sh->pump_src, 0); /* thread-safe; wakes the context */
  }
  g_mutex_unlock(&w->lock);
  g_free(a);
  waker_unref(w);
}

/* Waits for data at part->next (or wakes the pump now if it is there). */
static void arm(shard *sh, int32_t p)
{
  rill_gateway *gw = sh->gw;
  wait_arg *a = g_new(wait_arg, 1);
  a->wk = waker_ref(sh->wk);
  a->p = p;
  GError *e = NULL;
  guint64 id = gw->st->ops->wait_add(gw->st, p, sh->parts[p].next, wait_cb, a, &e);
  if (id) {
    sh->parts[p].waiter = id;
    sh->parts[p].warg = a;
  }
  if (e) { /* the topic went away: nothing more to deliver from it */
    g_warning("gateway: waiting on %s [%d]: %s", gw->topic, p, e->message);
    g_error_free(e);
    g_free(a);
    waker_unref(sh->wk);
  }
}

/* ---- sessions ----------------------------------------------------------- */

static void session_close(session *s, gushort code, const char *reason)
{
  if (s->closing)
    return;
  s->closing = TRUE;
  g_queue_clear_full(&s->out, (GDestroyNotify)g_bytes_unref);
  s->out_bytes = 0;
  if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(s->ws, code, reason);
}

static void mark_dirty(session *s)
{
  if (!s->dirty) {
    s->dirty = TRUE;
    g_ptr_array_add(s->sh->dirty, s);
  }
}

/* Queues @frame (transfer none); closes the session when over its bound. */
static void session_send(session *s, GBytes *frame)
{
  if (s->closing)
    return;
  gsize n = g_bytes_get_size(frame);
  if (s->out_bytes + n > s->gw->max_queue)
    session_flush(s); /* a burst larger than the bound is fine while the socket takes it */
  if (s->out_bytes + n > s->gw->max_queue) {
    stat_add(&s->gw->stats.slow_disconnects, 1);
    char *why = g_strdup_printf("slow consumer: over %" G_GSIZE_FORMAT " bytes queued", s->gw->max_queue);
    session_close(s, RILL_GATEWAY_CLOSE_SLOW, why);
    g_free(why);
    return;
  }
  g_queue_push_tail(&s->out, g_bytes_ref(frame));
  s->out_bytes += n;
  mark_dirty(s);
}

static void session_send_text(session *s, char *text /* transfer full */)
{
  GBytes *b = g_bytes_new_take(text, strlen(text));
  session_send(s, b);
  g_bytes_unref(b);
}

static void send_error(session *s, const char *ref, const char *code, const char *message)
{
  stat_add(&s->gw->stats.errors, 1);
  session_send_text(s, rill__gw_frame_error(ref, code, message));
}

static gboolean writable_cb(GSocket *sock, GIOCondition cond, gpointer data)
{
  session *s = data;
  g_source_unref(s->out_watch);
  s->out_watch = NULL;
  session_flush(s);
  if (s->sh->catchups->len)
    catchup_run(s->sh);
  return G_SOURCE_REMOVE;
}

/* Hands queued frames to libsoup while the socket takes them. */
static void session_flush(session *s)
{
  if (s->closing || s->out_watch)
    return;
  if (soup_websocket_connection_get_state(s->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
    /* the client is closing: "closed" will follow; nothing more can go */
    s->closing = TRUE;
    g_queue_clear_full(&s->out, (GDestroyNotify)g_bytes_unref);
    s->out_bytes = 0;
    return;
  }
  while (s->out.length) {
    /* a poll() per flush of every subscriber was a syscall per delivery;
     * libsoup writes at once while the socket takes it, so looking every
     * FLUSH_BYTES still bounds what it holds */
    if (s->unchecked >= FLUSH_BYTES && !(g_socket_condition_check(s->sock, G_IO_OUT) & G_IO_OUT)) {
      s->out_watch = g_socket_create_source(s->sock, G_IO_OUT | G_IO_ERR | G_IO_HUP, NULL);
      g_source_set_callback(s->out_watch, G_SOURCE_FUNC(writable_cb), s, NULL);
      g_source_attach(s->out_watch, s->sh->ctx);
      return;
    }
    if (s->unchecked >= FLUSH_BYTES)
      s->unchecked = 0; /* just seen writable */
    while (s->out.length && s->unchecked < FLUSH_BYTES) {
      GBytes *b = g_queue_pop_head(&s->out);
      gsize n = g_bytes_get_size(b);
      s->out_bytes -= n;
      s->unchecked += n;
      soup_websocket_connection_send_message(s->ws, SOUP_WEBSOCKET_DATA_TEXT, b);
      g_bytes_unref(b);
    }
  }
}

static void flush_dirty(shard *sh)
{
  /* session_flush never adds to sh->dirty */
  for (guint i = 0; i < sh->dirty->len; i++) {
    session *s = g_ptr_array_index(sh->dirty, i);
    s->dirty = FALSE;
    session_flush(s);
  }
  g_ptr_array_set_size(sh->dirty, 0);
}

static void sub_free(sub *u)
{
  channel *ch = u->ch;
  if (u->live)
    ch->n_live--;
  g_ptr_array_remove_fast(ch->subs, u);
  g_ptr_array_remove_fast(u->s->sh->catchups, u);
  stat_add(&u->s->gw->stats.subscriptions, -1);
  if (ch->subs->len == 0)
    g_hash_table_remove(u->s->sh->channels, ch->name);
  g_free(u->ref);
  g_free(u);
}

static void channel_free(channel *ch)
{
  g_ptr_array_unref(ch->subs);
  g_free(ch->name);
  g_free(ch);
}

static gboolean remove_session_cb(gpointer data)
{
  session *s = data;
  g_hash_table_remove(s->sh->sessions, &s->id); /* frees it (session_free) */
  return G_SOURCE_REMOVE;
}

/* Freed from an idle callback: "closed" may come while the pump walks a
 * channel's subscribers. */
static void closed_cb(SoupWebsocketConnection *ws, gpointer data)
{
  session *s = data;
  s->closing = TRUE;
  g_signal_handlers_disconnect_by_data(s->ws, s);
  s->remove = g_idle_source_new();
  g_source_set_callback(s->remove, remove_session_cb, s, NULL);
  g_source_attach(s->remove, s->sh->ctx);
}

static void session_free(session *s)
{
  rill_gateway *gw = s->gw;
  shard *sh = s->sh;
  g_signal_handlers_disconnect_by_data(s->ws, s);
  if (s->out_watch) {
    g_source_destroy(s->out_watch);
    g_source_unref(s->out_watch);
  }
  if (s->remove) {
    g_source_destroy(s->remove);
    g_source_unref(s->remove);
  }
  if (s->dirty)
    g_ptr_array_remove_fast(sh->dirty, s);
  g_hash_table_unref(s->subs);
  g_queue_clear_full(&s->out, (GDestroyNotify)g_bytes_unref);
  g_object_unref(s->ws);
  rill__epoll_loop_leave(sh->loop, s->group);
  g_object_unref(s->sock);
  g_free(s->user);
  stat_add(&gw->stats.connections, -1);
  g_atomic_int_add(&sh->load, -1);
  g_free(s);
}

/* ---- reading the log ---------------------------------------------------- */

/* Calls @fn for each record in [@from, ...) up to @max_bytes of batches;
 * returns the offset after the last record seen (@from when none), or -1
 * on a read error. */
typedef void (*record_fn)(shard *sh, int32_t p, const rill__record *rec, void *data);

static int64_t read_records(shard *sh, int32_t p, int64_t from, size_t max_bytes, record_fn fn, void *data,
                            int64_t *hwm)
{
  rill_gateway *gw = sh->gw;
  GError *e = NULL;
  int64_t h;
  GBytes *bytes = gw->st->ops->read(gw->st, p, from, max_bytes, &h, &e);
  if (!bytes) {
    g_warning("gateway: reading %s [%d] at %" G_GINT64_FORMAT ": %s", gw->topic, p, from, e->message);
    g_error_free(e);
    return -1;
  }
  if (hwm)
    *hwm = h;
  int64_t next = from;
  gsize len;
  const uint8_t *d = g_bytes_get_data(bytes, &len);
  rill__batch_reader r;
  rill__batch_reader_init(&r);
  gsize pos = 0;
  while (pos < len) {
    if (!rill__batch_reader_open(&r, d + pos, len - pos, 0, 64 << 20, &e)) {
      g_warning("gateway: %s [%d]: %s", gw->topic, p, e->message);
      g_clear_error(&e);
      break;
    }
    pos += r.batch_size;
    rill__record rec;
    int rc;
    while ((rc = rill__batch_reader_next(&r, &rec, &e)) > 0) {
      if (rec.offset >= from && !rec.control)
        fn(sh, p, &rec, data);
      next = MAX(next, rec.offset + 1);
    }
    if (rc < 0) {
      g_warning("gateway: %s [%d]: %s", gw->topic, p, e->message);
      g_clear_error(&e);
    }
    /* a batch whose records are all filtered (control) still moves on */
    next = MAX(next, r.header.base_offset + r.header.last_offset_delta + 1);
  }
  rill__batch_reader_clear(&r);
  g_bytes_unref(bytes);
  return next;
}

static channel *channel_of(shard *sh, const rill__record *rec)
{
  char name[RILL__GW_MAX_CHANNEL + 1];
  if (!rec->key || rec->key_len <= 0 || rec->key_len > RILL__GW_MAX_CHANNEL)
    return NULL;
  memcpy(name, rec->key, (size_t)rec->key_len);
  name[rec->key_len] = 0;
  return g_hash_table_lookup(sh->channels, name);
}

static GBytes *deliver_frame(rill_gateway *gw, int32_t p, const rill__record *rec, gboolean history)
{
  const char *from = "";
  gsize from_len = 0;
  rill__record_header_iter it;
  rill__record_header h;
  rill__record_header_iter_init(&it, rec);
  while (rill__record_header_iter_next(&it, &h))
    if (h.key_len == sizeof FROM_HEADER - 1 && memcmp(h.key, FROM_HEADER, h.key_len) == 0 && h.value) {
      from = (const char *)h.value;
      from_len = (gsize)h.value_len;
    }
  if (from_len) /* written by a gateway: the body is compact JSON */
    return rill__gw_frame_deliver(gw->topic, (const char *)rec->key, (gsize)rec->key_len, p, rec->offset,
                                  rec->timestamp, from, from_len, rec->value ? (const char *)rec->value : "null",
                                  rec->value ? (gsize)rec->value_len : 4, history);
  /* written by someone else (a pipeline): the value, as a JSON string */
  GString *v = g_string_new(NULL);
  if (rec->value)
    rill_json_append_string(v, (const char *)rec->value, rec->value_len);
  else
    g_string_append(v, "null");
  GBytes *b = rill__gw_frame_deliver(gw->topic, (const char *)rec->key, (gsize)rec->key_len, p, rec->offset,
                                     rec->timestamp, "", 0, v->str, v->len, history);
  g_string_free(v, TRUE);
  return b;
}

static void dispatch_record(shard *sh, int32_t p, const rill__record *rec, void *data)
{
  rill_gateway *gw = sh->gw;
  channel *ch = channel_of(sh, rec);
  if (!ch || ch->n_live == 0)
    return;
  int64_t now_ms = g_get_real_time() / 1000;
  rill_prom_histogram_observe(&gw->latency, (guint64)MAX(now_ms - rec->timestamp, 0) * 1000000);
  GBytes *frame = deliver_frame(gw, p, rec, FALSE);
  for (guint i = 0; i < ch->subs->len; i++) {
    sub *u = g_ptr_array_index(ch->subs, i);
    if (u->live && !u->s->closing) {
      session_send(u->s, frame);
      stat_add(&gw->stats.delivered, 1);
    }
  }
  g_bytes_unref(frame);
}

static void pump(shard *sh)
{
  for (int32_t p = 0; p < sh->n_parts; p++) {
    part *pt = &sh->parts[p];
    if (!g_atomic_int_exchange(&pt->wake, 0))
      continue;
    for (;;) {
      int64_t hwm = -1;
      int64_t next = read_records(sh, p, pt->next, READ_BYTES, dispatch_record, NULL, &hwm);
      if (next < 0)
        break;
      gboolean more = next > pt->next && next < hwm;
      pt->next = MAX(pt->next, next);
      if (!more)
        break;
    }
    arm(sh, p);
  }
  flush_dirty(sh);
  if (sh->catchups->len)
    catchup_run(sh);
}

/* ---- catching up --------------------------------------------------------- */

typedef struct {
  sub *u;
  gboolean history;
  int64_t left;       /* messages still wanted (-1: all) */
  int64_t stopped_at; /* the first record not sent for want of room, or -1 */
} catchup_arg;

static void catchup_record(shard *sh, int32_t p, const rill__record *rec, void *data)
{
  rill_gateway *gw = sh->gw;
  catchup_arg *a = data;
  if (a->stopped_at >= 0 || rec->offset >= sh->parts[p].next || !rec->key ||
      (gsize)rec->key_len != strlen(a->u->ch->name) || memcmp(rec->key, a->u->ch->name, (size_t)rec->key_len) != 0)
    return;
  /* out of the limit, or of room (the rest when the client has read) */
  if (a->left == 0 || a->u->s->out_bytes >= gw->max_queue / 2) {
    a->stopped_at = rec->offset;
    return;
  }
  GBytes *frame = deliver_frame(gw, p, rec, a->history);
  session_send(a->u->s, frame);
  g_bytes_unref(frame);
  stat_add(&gw->stats.delivered, 1);
  a->left--;
}

/* Moves catching-up subscriptions forward while their sessions have room;
 * a subscription that reaches part->next turns live. */
static void catchup_run(shard *sh)
{
  rill_gateway *gw = sh->gw;
  for (guint i = 0; i < sh->catchups->len;) {
    sub *u = g_ptr_array_index(sh->catchups, i);
    session *s = u->s;
    part *pt = &sh->parts[u->ch->partition];
    while (!s->closing && !s->out_watch && u->cursor < pt->next && s->out_bytes < gw->max_queue / 2) {
      catchup_arg a = {u, FALSE, -1, -1};
      int64_t next = read_records(sh, u->ch->partition, u->cursor, CATCHUP_BYTES, catchup_record, &a, NULL);
      if (a.stopped_at >= 0)
        next = a.stopped_at;
      if (next <= u->cursor) {
        /* retention removed the start, or a read error: resume from the
         * oldest offset still there */
        int64_t start, hwm;
        if (next < 0 && gw->st->ops->offsets(gw->st, u->ch->partition, &start, &hwm, NULL) && start > u->cursor) {
          u->cursor = start;
          continue;
        }
        u->cursor = pt->next; /* nothing readable: give up on the gap */
        break;
      }
      u->cursor = MIN(next, pt->next);
      session_flush(s); /* while the socket takes it, go on */
    }
    if (u->cursor >= pt->next && !s->closing) {
      u->live = TRUE;
      u->ch->n_live++;
      g_ptr_array_remove_index_fast(sh->catchups, i);
      continue;
    }
    i++;
  }
  flush_dirty(sh);
}

/* ---- client frames ---------------------------------------------------------- */

static int32_t partition_of(rill_gateway *gw, const char *name)
{
  return rill__partition_for(RILL__PARTITIONER_MURMUR2_RANDOM, name, strlen(name), gw->n_parts);
}

static gboolean check_rules(session *s, const rill__gw_frame *f, gboolean write)
{
  switch (rill__gw_rules_check(s->gw->rules, s->user, f->channel, write)) {
  case RILL__GW_ALLOW:
    return TRUE;
  case RILL__GW_FORBIDDEN:
    send_error(s, f->ref, "forbidden", write ? "you may not publish to this channel" : "you may not read this channel");
    return FALSE;
  default:
    send_error(s, f->ref, "unknown_channel", "no such channel");
    return FALSE;
  }
}

static void on_subscribe(session *s, rill__gw_frame *f)
{
  rill_gateway *gw = s->gw;
  shard *sh = s->sh;
  if (!check_rules(s, f, FALSE))
    return;
  if (g_hash_table_contains(s->subs, f->channel)) {
    send_error(s, f->ref, "already_subscribed", "already subscribed to this channel");
    return;
  }
  channel *ch = g_hash_table_lookup(sh->channels, f->channel);
  if (!ch) {
    ch = g_new0(channel, 1);
    ch->name = g_strdup(f->channel);
    ch->partition = partition_of(gw, f->channel);
    ch->subs = g_ptr_array_new();
    g_hash_table_insert(sh->channels, ch->name, ch);
  }
  sub *u = g_new0(sub, 1);
  u->s = s;
  u->ch = ch;
  u->ref = g_strdup(f->ref);
  part *pt = &sh->parts[ch->partition];
  g_ptr_array_add(ch->subs, u);
  g_hash_table_insert(s->subs, ch->name, u);
  stat_add(&gw->stats.subscriptions, 1);
  session_send_text(s, rill__gw_frame_subscribed(f->ref, ch->name, ch->partition, f->after >= 0 ? f->after + 1 : pt->next));
  if (f->after >= 0 && f->after + 1 < pt->next) {
    u->cursor = f->after + 1;
    g_ptr_array_add(sh->catchups, u);
    catchup_run(sh);
  } else {
    u->live = TRUE;
    ch->n_live++;
  }
}

static void on_unsubscribe(session *s, rill__gw_frame *f)
{
  if (!g_hash_table_remove(s->subs, f->channel))
    send_error(s, f->ref, "not_subscribed", "not subscribed to this channel");
}

static void on_history(session *s, rill__gw_frame *f)
{
  rill_gateway *gw = s->gw;
  shard *sh = s->sh;
  if (!check_rules(s, f, FALSE))
    return;
  int32_t p = partition_of(gw, f->channel);
  int64_t from = f->since;
  if (f->since_time >= 0) {
    if (!gw->st->ops->offset_for_time(gw->st, p, f->since_time, &from, NULL))
      from = -1;
    if (from < 0)
      from = sh->parts[p].next;
  }
  int64_t start, hwm;
  if (gw->st->ops->offsets(gw->st, p, &start, &hwm, NULL) && from < start)
    from = start;
  /* a temporary catching-up view that never goes live */
  channel tmp = {f->channel, p, NULL, 0};
  sub u = {s, &tmp, FALSE, from, NULL};
  catchup_arg a = {&u, TRUE, f->limit, -1};
  int64_t end = sh->parts[p].next;
  /* at most half the send queue per request: the client asks again from
   * history_end's "next" */
  while (u.cursor < end && !s->closing) {
    a.stopped_at = -1;
    int64_t next = read_records(sh, p, u.cursor, CATCHUP_BYTES, catchup_record, &a, NULL);
    if (a.stopped_at >= 0)
      next = a.stopped_at;
    if (next <= u.cursor && a.stopped_at < 0)
      break;
    u.cursor = MIN(next, end);
    session_flush(s);
    if (a.left == 0 || s->out_bytes >= gw->max_queue / 2)
      break;
  }
  session_send_text(s, rill__gw_frame_history_end(f->ref, f->channel, u.cursor));
}

typedef struct {
  waker *wk;
  guint64 session;
  char *ref, *chan;
  int32_t partition;
  int64_t offset;
  char *error;
} ack;

static void ack_free(gpointer data)
{
  ack *a = data;
  g_free(a->ref);
  g_free(a->chan);
  g_free(a->error);
  g_free(a);
}

static gboolean ack_deliver(gpointer data)
{
  ack *a = data;
  rill_gateway *gw = a->wk->sh->gw;
  session *s = g_hash_table_lookup(a->wk->sh->sessions, &a->session);
  if (a->error) {
    if (s)
      send_error(s, a->ref, "storage", a->error);
  } else {
    stat_add(&gw->stats.published, 1);
    if (s)
      session_send_text(s, rill__gw_frame_ack(a->ref, a->chan, a->partition, a->offset));
  }
  if (s)
    session_flush(s);
  return G_SOURCE_REMOVE;
}

static void appended_cb(int64_t offset, const GError *error, void *user_data)
{
  ack *a = user_data;
  waker *w = a->wk;
  g_mutex_lock(&w->lock);
  if (!w->stopping) {
    a->offset = offset;
    if (error)
      a->error = g_strdup(error->message);
    g_main_context_invoke_full(w->ctx, G_PRIORITY_DEFAULT, ack_deliver, a, ack_free);
    a = NULL;
  }
  g_mutex_unlock(&w->lock);
  if (a)
    ack_free(a);
  waker_unref(w);
}

static void on_publish(session *s, rill__gw_frame *f)
{
  rill_gateway *gw = s->gw;
  if (!check_rules(s, f, TRUE))
    return;
  int32_t p = partition_of(gw, f->channel);
  rill__record_header h = {(const uint8_t *)FROM_HEADER, sizeof FROM_HEADER - 1, (const uint8_t *)s->user,
                           (int32_t)strlen(s->user)};
  rill__batch_writer_append(s->sh->writer, g_get_real_time() / 1000, f->channel, (int32_t)strlen(f->channel), f->body,
                            (int32_t)strlen(f->body), &h, 1);
  GBytes *b = rill__batch_writer_finish(s->sh->writer, NULL); /* uncompressed: cannot fail */
  gsize len;
  uint8_t *data = g_bytes_unref_to_data(b, &len);
  ack *a = g_new0(ack, 1);
  a->wk = waker_ref(s->sh->wk);
  a->session = s->id;
  a->ref = g_strdup(f->ref);
  a->chan = g_strdup(f->channel);
  a->partition = p;
  int64_t offset = -1;
  gboolean pending = FALSE;
  GError *e = NULL;
  gboolean ok = gw->st->ops->append(gw->st, p, data, len, &offset, &pending, appended_cb, a, &e);
  g_free(data);
  if (!ok) {
    send_error(s, f->ref, "storage", e->message);
    g_error_free(e);
  } else if (!pending) {
    stat_add(&gw->stats.published, 1);
    session_send_text(s, rill__gw_frame_ack(f->ref, f->channel, p, offset));
  }
  if (!pending) {
    waker_unref(a->wk);
    ack_free(a);
  }
}

/* Token bucket: fps per second, burst 2 * fps. */
static gboolean rate_ok(session *s)
{
  gint64 now = g_get_monotonic_time();
  double fps = s->gw->fps;
  s->tokens = MIN(2 * fps, s->tokens + (double)(now - s->tokens_us) * fps / 1e6);
  s->tokens_us = now;
  if (s->tokens >= 1) {
    s->tokens -= 1;
    s->over = 0;
    return TRUE;
  }
  return FALSE;
}

static void message_cb(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  session *s = data;
  rill_gateway *gw = s->gw;
  if (s->closing)
    return;
  if (!rate_ok(s)) {
    if (++s->over > 2 * gw->fps)
      session_close(s, RILL_GATEWAY_CLOSE_FLOOD, "flood: too many frames over the rate limit");
    else
      send_error(s, NULL, "rate_limited", "too many frames; this one was dropped");
    goto out;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    send_error(s, NULL, "bad_frame", "frames are JSON text, not binary");
    goto out;
  }
  gsize len;
  const char *text = g_bytes_get_data(message, &len);
  if (len > gw->max_frame) {
    char *m = g_strdup_printf("frame of %" G_GSIZE_FORMAT " bytes; the limit is %" G_GSIZE_FORMAT, len, gw->max_frame);
    send_error(s, NULL, "too_large", m);
    g_free(m);
    goto out;
  }
  rill__gw_frame f;
  const char *code = NULL;
  GError *e = NULL;
  if (!rill__gw_frame_parse(text, len, &f, &code, &e)) {
    send_error(s, f.ref, code, e->message);
    g_error_free(e);
    rill__gw_frame_clear(&f);
    goto out;
  }
  switch (f.op) {
  case RILL__GW_SUBSCRIBE: on_subscribe(s, &f); break;
  case RILL__GW_UNSUBSCRIBE: on_unsubscribe(s, &f); break;
  case RILL__GW_PUBLISH: on_publish(s, &f); break;
  case RILL__GW_HISTORY: on_history(s, &f); break;
  case RILL__GW_PING: session_send_text(s, rill__gw_frame_pong(f.ref)); break;
  default: break;
  }
  rill__gw_frame_clear(&f);
out:
  flush_dirty(s->sh);
}

static void sub_destroy(gpointer p)
{
  sub_free(p);
}

/* ---- connections: upgraded on the HTTP thread, served on a shard --------- */

/* A stolen, upgraded connection on its way to a shard. */
typedef struct {
  GIOStream *stream;
  GSocket *sock;
  GUri *uri;
  char *origin, *protocol;
  GList *extensions; /* SoupWebsocketExtension*, accepted in the handshake */
  char *user;        /* NULL: refused, closed with close_code */
  gushort close_code;
  char *reason;
} handoff;

static void handoff_free(handoff *h)
{
  g_clear_object(&h->stream);
  g_clear_object(&h->sock);
  if (h->uri)
    g_uri_unref(h->uri);
  g_free(h->origin);
  g_free(h->protocol);
  g_list_free_full(h->extensions, g_object_unref);
  g_free(h->user);
  g_free(h->reason);
  g_free(h);
}

/* On the shard thread (its context thread-default): the SoupWebsocketConnection
 * is created here so that its sources land on this context. */
static void session_start(shard *sh, handoff *h)
{
  rill_gateway *gw = sh->gw;
  /* a refused one lives on the control context for its few moments */
  GMainContext *group = h->user ? rill__epoll_loop_join(sh->loop) : NULL;
  if (group)
    g_main_context_push_thread_default(group);
  SoupWebsocketConnection *ws = soup_websocket_connection_new(h->stream, h->uri, SOUP_WEBSOCKET_CONNECTION_SERVER,
                                                              h->origin, h->protocol, h->extensions);
  h->extensions = NULL; /* taken by the connection */
  if (!h->user) {
    /* kept until closed: dropping the last reference would cut the
     * connection before the close frame is out */
    g_signal_connect(ws, "closed", G_CALLBACK(g_object_unref), NULL);
    soup_websocket_connection_close(ws, h->close_code, h->reason);
    g_atomic_int_add(&sh->load, -1);
    return;
  }
  session *s = g_new0(session, 1);
  s->gw = gw;
  s->sh = sh;
  s->id = __atomic_add_fetch(&gw->next_id, 1, __ATOMIC_RELAXED);
  s->user = g_steal_pointer(&h->user);
  s->ws = ws;
  s->group = group;
  s->sock = g_object_ref(h->sock);
  /* frames are small and written one by one: with Nagle, a frame written
   * while the previous one is unacknowledged waits for the peer's delayed
   * ACK (up to 40 ms on Linux) */
  g_socket_set_option(s->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  s->subs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, sub_destroy);
  g_queue_init(&s->out);
  s->tokens = 2.0 * gw->fps;
  s->tokens_us = g_get_monotonic_time();
  /* up to 4x the limit a frame is refused with an error frame; past that
   * libsoup drops the connection rather than buffer it */
  soup_websocket_connection_set_max_incoming_payload_size(ws, RILL__GW_SOUP_LIMIT(gw->max_frame));
  soup_websocket_connection_set_keepalive_interval(ws, 30); /* its timer goes to the group too */
  g_main_context_pop_thread_default(group);
  g_signal_connect(ws, "message", G_CALLBACK(message_cb), s);
  g_signal_connect(ws, "closed", G_CALLBACK(closed_cb), s);
  g_hash_table_insert(sh->sessions, &s->id, s);
  stat_add(&gw->stats.connections, 1);
  session_send_text(s, rill__gw_frame_welcome(s->user, gw->topic));
}

static GPtrArray *incoming_take(shard *sh)
{
  g_mutex_lock(&sh->in_lock);
  GPtrArray *in = sh->incoming;
  sh->incoming = g_ptr_array_new();
  g_mutex_unlock(&sh->in_lock);
  return in;
}

/* The connections handed over since the last call, all in one wake-up. */
static gboolean incoming_cb(gpointer data)
{
  shard *sh = data;
  GPtrArray *in = incoming_take(sh);
  for (guint i = 0; i < in->len; i++) {
    session_start(sh, in->pdata[i]);
    handoff_free(in->pdata[i]);
  }
  g_ptr_array_unref(in);
  flush_dirty(sh);
  return G_SOURCE_CONTINUE;
}

/* The shard with the fewest sessions (reconnect storms after a restart
 * would leave round-robin shards uneven as clients come and go). */
static shard *pick_shard(rill_gateway *gw)
{
  shard *best = gw->shards[0];
  for (guint i = 1; i < gw->n_shards; i++)
    if (g_atomic_int_get(&gw->shards[i]->load) < g_atomic_int_get(&best->load))
      best = gw->shards[i];
  return best;
}

/* What the handler decided, until libsoup has written the 101. */
typedef struct {
  rill_gateway *gw;
  GList *extensions;
  char *user;
  gushort close_code;
  char *reason;
} upgrade;

static void upgrade_free(gpointer data, GClosure *closure)
{
  upgrade *u = data;
  g_list_free_full(u->extensions, g_object_unref);
  g_free(u->user);
  g_free(u->reason);
  g_free(u);
}

/* On the HTTP thread once the 101 is out: the connection leaves libsoup's
 * server for a shard. */
static void upgraded_cb(SoupServerMessage *msg, gpointer data)
{
  upgrade *u = data;
  rill_gateway *gw = u->gw;
  handoff *h = g_new0(handoff, 1);
  g_object_ref(msg);
  h->sock = g_object_ref(soup_server_message_get_socket(msg));
  h->stream = soup_server_message_steal_connection(msg);
  h->uri = g_uri_ref(soup_server_message_get_uri(msg));
  h->origin = g_strdup(soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin"));
  h->protocol =
    g_strdup(soup_message_headers_get_one(soup_server_message_get_response_headers(msg), "Sec-WebSocket-Protocol"));
  g_object_unref(msg);
  h->extensions = g_steal_pointer(&u->extensions);
  h->user = g_steal_pointer(&u->user);
  h->close_code = u->close_code;
  h->reason = g_steal_pointer(&u->reason);
  shard *sh = pick_shard(gw);
  g_atomic_int_inc(&sh->load);
  g_mutex_lock(&sh->in_lock);
  g_ptr_array_add(sh->incoming, h);
  g_mutex_unlock(&sh->in_lock);
  g_source_set_ready_time(sh->in_src, 0); /* one wake-up for all handed over meanwhile */
}

/* /ws on the HTTP thread: libsoup checks the handshake and answers 101 (or
 * the error); the token is checked here, and a refused client still gets
 * the upgrade so that it can be told why with a close code. */
static void ws_handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                       gpointer data)
{
  rill_gateway *gw = data;
  GList *accepted = NULL;
  if (!soup_websocket_server_process_handshake(msg, NULL, NULL, gw->extensions, &accepted))
    return; /* libsoup has set the error response */
  upgrade *u = g_new0(upgrade, 1);
  u->gw = gw;
  u->extensions = accepted;
  const char *token = query ? g_hash_table_lookup(query, "token") : NULL;
  GError *e = NULL;
  u->user = rill_gateway_token_verify(gw->secret, gw->secret_len, token, g_get_real_time() / G_USEC_PER_SEC, &e);
  if (!u->user) {
    gboolean expired = g_error_matches(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_EXPIRED);
    u->close_code = expired ? RILL_GATEWAY_CLOSE_EXPIRED : RILL_GATEWAY_CLOSE_UNAUTHENTICATED;
    u->reason = g_strdup(token ? e->message : "no token");
    g_error_free(e);
  }
  g_signal_connect_data(msg, "wrote-informational", G_CALLBACK(upgraded_cb), u, upgrade_free, 0);
}

/* ---- life cycle ------------------------------------------------------------- */

static const rill_prom_desc m_connections = {"rill_gateway_connections", RILL_PROM_GAUGE,
                                             "WebSocket connections open"};
static const rill_prom_desc m_subscriptions = {"rill_gateway_subscriptions", RILL_PROM_GAUGE,
                                               "Channel subscriptions open"};
static const rill_prom_desc m_published = {"rill_gateway_published_total", RILL_PROM_COUNTER,
                                           "Publishes acknowledged (in the log)"};
static const rill_prom_desc m_delivered = {"rill_gateway_delivered_total", RILL_PROM_COUNTER,
                                           "Deliver frames queued to clients"};
static const rill_prom_desc m_slow = {"rill_gateway_slow_disconnects_total", RILL_PROM_COUNTER,
                                      "Connections closed because their send queue was full (4008)"};
static const rill_prom_desc m_errors = {"rill_gateway_errors_total", RILL_PROM_COUNTER,
                                        "Error frames sent to clients"};
static const rill_prom_desc m_latency = {"rill_gateway_delivery_latency_seconds", RILL_PROM_HISTOGRAM,
                                         "Publish (record timestamp) to deliver frame queued"};

static void collect(rill_prom_writer *w, gpointer data)
{
  rill_gateway *gw = data;
  rill_gateway_stats st;
  rill_gateway_stats_get(gw, &st);
  rill_prom_sample(w, &m_connections, (double)st.connections, "topic", gw->topic, NULL);
  rill_prom_sample(w, &m_subscriptions, (double)st.subscriptions, "topic", gw->topic, NULL);
  rill_prom_sample(w, &m_published, (double)st.published, "topic", gw->topic, NULL);
  rill_prom_sample(w, &m_delivered, (double)st.delivered, "topic", gw->topic, NULL);
  rill_prom_sample(w, &m_slow, (double)st.slow_disconnects, "topic", gw->topic, NULL);
  rill_prom_sample(w, &m_errors, (double)st.errors, "topic", gw->topic, NULL);
  rill_prom_sample_histogram(w, &m_latency, &gw->latency, "topic", gw->topic, NULL);
}

static gpointer shard_thread(gpointer data)
{
  shard *sh = data;
  rill__epoll_loop_run(sh->loop, &sh->quit);
  return NULL;
}

/* A shard whose cursors start at @hwm (per partition); not yet running. */
static shard *shard_new(rill_gateway *gw, const int64_t *hwm)
{
  shard *sh = g_new0(shard, 1);
  sh->gw = gw;
  sh->ctx = g_main_context_new();
  sh->loop = rill__epoll_loop_new(sh->ctx, GROUP_SIZE);
  sh->n_parts = gw->n_parts;
  sh->parts = g_new0(part, gw->n_parts);
  for (int32_t p = 0; p < gw->n_parts; p++)
    sh->parts[p].next = hwm[p]; /* live from now; the past by resume or history */
  sh->channels = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)channel_free);
  sh->sessions = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)session_free);
  sh->dirty = g_ptr_array_new();
  sh->catchups = g_ptr_array_new();
  sh->incoming = g_ptr_array_new();
  g_mutex_init(&sh->in_lock);
  rill__batch_writer_options wo = RILL__BATCH_WRITER_OPTIONS_INIT;
  sh->writer = rill__batch_writer_new(&wo, NULL);
  sh->pump_src = ready_source_new(sh->ctx, pump_cb, sh);
  sh->in_src = ready_source_new(sh->ctx, incoming_cb, sh);
  sh->wk = g_new0(waker, 1);
  sh->wk->refs = 1;
  g_mutex_init(&sh->wk->lock);
  sh->wk->ctx = g_main_context_ref(sh->ctx);
  sh->wk->sh = sh;
  return sh;
}

/* After its thread has stopped (or never ran). */
static void shard_free(shard *sh)
{
  rill_gateway *gw = sh->gw;
  for (int32_t p = 0; p < sh->n_parts; p++)
    if (sh->parts[p].waiter && gw->st->ops->wait_cancel(gw->st, p, sh->parts[p].waiter)) {
      g_free(sh->parts[p].warg);
      waker_unref(sh->wk); /* the cancelled waiter's reference */
    }
  g_main_context_push_thread_default(sh->ctx);
  GPtrArray *in = incoming_take(sh);
  g_ptr_array_set_free_func(in, (GDestroyNotify)handoff_free);
  g_ptr_array_unref(in);
  g_ptr_array_set_size(sh->dirty, 0);
  g_hash_table_remove_all(sh->sessions);
  /* run what the thread left (idle closures, libsoup's teardown) so their
   * data is freed */
  while (g_main_context_iteration(sh->ctx, FALSE))
    ;
  rill__epoll_loop_free(sh->loop);
  g_main_context_pop_thread_default(sh->ctx);
  g_hash_table_unref(sh->sessions);
  g_hash_table_unref(sh->channels);
  g_ptr_array_unref(sh->dirty);
  g_ptr_array_unref(sh->catchups);
  g_ptr_array_unref(sh->incoming);
  g_mutex_clear(&sh->in_lock);
  rill__batch_writer_free(sh->writer);
  g_source_destroy(sh->pump_src);
  g_source_unref(sh->pump_src);
  g_source_destroy(sh->in_src);
  g_source_unref(sh->in_src);
  waker_unref(sh->wk);
  g_main_context_unref(sh->ctx);
  g_free(sh->parts);
  g_free(sh);
}

rill_gateway *rill_gateway_new(const rill_gateway_options *o, GError **error)
{
  g_return_val_if_fail(o != NULL, NULL);
  if (!o->secret || o->secret_len == 0) {
    g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, "a token secret is required");
    return NULL;
  }
  if ((unsigned)o->durability > RILL_LOG_DURABILITY_SYNC) {
    g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, "unknown durability");
    return NULL;
  }
  if (!!o->log + !!o->data_dir + !!o->bootstrap_servers != 1) {
    g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG,
                        "storage: give one of a log, a data directory or bootstrap servers");
    return NULL;
  }
  if (o->threads > RILL_GATEWAY_MAX_THREADS) {
    g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, "threads: at most %d", RILL_GATEWAY_MAX_THREADS);
    return NULL;
  }
  rill_gateway *gw = g_new0(rill_gateway, 1);
  gw->topic = g_strdup(o->topic ? o->topic : "gateway");
  gw->secret = g_memdup2(o->secret, o->secret_len);
  gw->secret_len = o->secret_len;
  gw->max_frame = o->max_frame_bytes ? o->max_frame_bytes : 65536;
  gw->max_queue = o->max_queue_bytes ? o->max_queue_bytes : 1 << 20;
  gw->fps = o->frames_per_second ? o->frames_per_second : 200;
  /* what soup_server_add_websocket_handler offers: permessage-deflate */
  gw->extensions = g_ptr_array_new_with_free_func(g_type_class_unref);
  g_ptr_array_add(gw->extensions, g_type_class_ref(SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE));
  rill_prom_histogram_init_latency(&gw->latency);
  g_mutex_init(&gw->stop_lock);
  g_cond_init(&gw->stop_cond);
  if (!(gw->rules = rill__gw_rules_new(o->rules, error)))
    goto fail;
  int32_t partitions = o->partitions > 0 ? o->partitions : 8;
  if (o->bootstrap_servers)
    gw->st = rill__gw_storage_kafka_new(o->bootstrap_servers, o->kafka_properties, gw->topic, partitions,
                                        o->durability, error);
  else
    gw->st = rill__gw_storage_log_new(o->log, o->data_dir, gw->topic, partitions, o->durability, error);
  if (!gw->st)
    goto fail;
  gw->n_parts = gw->st->n_parts;
  int64_t *hwm = g_new0(int64_t, gw->n_parts);
  for (int32_t p = 0; p < gw->n_parts; p++) {
    int64_t start;
    if (!gw->st->ops->offsets(gw->st, p, &start, &hwm[p], error)) {
      g_free(hwm);
      goto fail;
    }
  }
  gw->n_shards = o->threads ? o->threads : MAX(1, g_get_num_processors());
  gw->shards = g_new0(shard *, gw->n_shards);
  for (guint i = 0; i < gw->n_shards; i++)
    gw->shards[i] = shard_new(gw, hwm);
  g_free(hwm);
  if (!(gw->http = rill__gw_http_new(o->static_dir, ws_handler, gw, error)))
    goto fail;
  if (o->tls_cert_file) {
    GError *te = NULL;
    if (!rill_http_server_set_tls(gw->http, o->tls_cert_file, o->tls_key_file, &te)) {
      g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, te->message);
      g_error_free(te);
      goto fail;
    }
  }
  gw->collector = rill_prom_registry_add(rill_http_server_get_registry(gw->http), collect, gw, NULL);
  for (guint i = 0; i < gw->n_shards; i++) {
    shard *sh = gw->shards[i];
    char *name = g_strdup_printf("rill-gw-%u", i);
    sh->thread = g_thread_new(name, shard_thread, sh);
    g_free(name);
    for (int32_t p = 0; p < sh->n_parts; p++)
      arm(sh, p);
  }
  char *addr = g_strdup_printf(strchr(o->host ? o->host : "127.0.0.1", ':') ? "[%s]:%d" : "%s:%d",
                               o->host ? o->host : "127.0.0.1", o->port);
  GError *e = NULL;
  gboolean ok = rill_http_server_listen(gw->http, addr, &e);
  g_free(addr);
  if (!ok) {
    g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_LISTEN, e->message);
    g_error_free(e);
    goto fail;
  }
  return gw;
fail:
  rill_gateway_free(gw);
  return NULL;
}

int rill_gateway_port(rill_gateway *gw)
{
  return (int)rill_http_server_get_port(gw->http);
}

void rill_gateway_stats_get(rill_gateway *gw, rill_gateway_stats *st)
{
  st->connections = __atomic_load_n(&gw->stats.connections, __ATOMIC_RELAXED);
  st->subscriptions = __atomic_load_n(&gw->stats.subscriptions, __ATOMIC_RELAXED);
  st->published = __atomic_load_n(&gw->stats.published, __ATOMIC_RELAXED);
  st->delivered = __atomic_load_n(&gw->stats.delivered, __ATOMIC_RELAXED);
  st->slow_disconnects = __atomic_load_n(&gw->stats.slow_disconnects, __ATOMIC_RELAXED);
  st->errors = __atomic_load_n(&gw->stats.errors, __ATOMIC_RELAXED);
}

/* On a shard's thread: tells its clients, then lets rill_gateway_free go on. */
static gboolean shutdown_cb(gpointer data)
{
  shard *sh = data;
  rill_gateway *gw = sh->gw;
  incoming_cb(sh); /* handed over before the listener stopped: they get 1001 too */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, sh->sessions);
  while (g_hash_table_iter_next(&it, NULL, &v))
    session_close(v, RILL_GATEWAY_CLOSE_SHUTDOWN, "gateway stopping");
  flush_dirty(sh);
  g_mutex_lock(&gw->stop_lock);
  sh->stopped = TRUE;
  g_cond_broadcast(&gw->stop_cond);
  g_mutex_unlock(&gw->stop_lock);
  return G_SOURCE_REMOVE;
}

void rill_gateway_free(rill_gateway *gw)
{
  if (!gw)
    return;
  for (guint i = 0; gw->shards && i < gw->n_shards; i++) {
    waker *w = gw->shards[i]->wk;
    g_mutex_lock(&w->lock);
    w->stopping = TRUE;
    g_mutex_unlock(&w->lock);
  }
  if (gw->collector)
    rill_prom_registry_remove(rill_http_server_get_registry(gw->http), gw->collector);
  /* joins the HTTP thread first: no more connections are handed over */
  rill_http_server_free(gw->http);
  for (guint i = 0; gw->shards && i < gw->n_shards; i++) {
    shard *sh = gw->shards[i];
    if (!sh->thread)
      continue;
    g_main_context_invoke(sh->ctx, shutdown_cb, sh);
    g_mutex_lock(&gw->stop_lock);
    while (!sh->stopped)
      g_cond_wait(&gw->stop_cond, &gw->stop_lock);
    g_mutex_unlock(&gw->stop_lock);
    g_atomic_int_set(&sh->quit, 1);
    g_main_context_wakeup(sh->ctx);
    g_thread_join(sh->thread);
  }
  for (guint i = 0; gw->shards && i < gw->n_shards; i++)
    shard_free(gw->shards[i]);
  g_free(gw->shards);
  rill__gw_storage_free(gw->st);
  rill__gw_rules_free(gw->rules);
  g_ptr_array_unref(gw->extensions);
  g_mutex_clear(&gw->stop_lock);
  g_cond_clear(&gw->stop_cond);
  g_free(gw->topic);
  g_free(gw->secret);
  g_free(gw);
}
