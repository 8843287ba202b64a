/* gateway.c — sessions, channel subscriptions and delivery from the log
 * (include/rill/gateway.h; protocol in docs/gateway.md).
 *
 * Storage is behind storage.h (the embedded log or a Kafka cluster); "the
 * log" below is whichever it is.
 *
 * Threads: everything here runs on the gateway thread (its own
 * GMainContext) except the storage's callbacks (waiter wake-ups and
 * pending appends), which only post to that context through the "waker", a small
 * refcounted object that outlives the gateway while callbacks may still
 * hold it.
 *
 * Delivery: per partition the gateway keeps `next`, the first offset not yet
 * dispatched. A waiter on the partition wakes the pump, which reads every
 * batch from `next` to the high watermark in one go (so a burst of
 * publishes costs one wake-up and one read, not one per message), builds
 * each message's deliver frame once and queues it to every live subscriber
 * of its channel, then flushes the sessions it touched.
 *
 * Invariants:
 * - A subscription is either live (it has seen every message of its
 *   channel before part->next and gets the rest from the pump) or catching
 *   up (cursor < part->next: it reads [cursor, part->next) from the log,
 *   filtered by channel, while its session has room; at part->next it turns
 *   live). Both run on this thread, so no message is skipped or repeated.
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
#include "runtime/wire/partitioner.h"
#include "runtime/wire/recordbatch.h"

#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define READ_BYTES (1 << 20)     /* one log read of the pump */
#define CATCHUP_BYTES (256 << 10) /* one log read of a catching-up subscription */
#define FLUSH_BYTES (64 << 10)    /* handed to libsoup per writability check */
#define FROM_HEADER "from"
#define RILL__GW_SOUP_LIMIT(max_frame) ((max_frame) * 4)

typedef struct session session;
typedef struct channel channel;

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
  guint64 id;
  char *user;
  SoupWebsocketConnection *ws;
  GSocket *sock;
  GHashTable *subs; /* channel name -> sub* (owned) */
  GQueue out;       /* GBytes* not yet handed to libsoup */
  gsize out_bytes;
  GSource *out_watch; /* waiting for the socket to be writable */
  GSource *remove;    /* the idle that frees it after "closed" */
  gboolean dirty;     /* in gw->dirty */
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
  rill_gateway *gw; /* valid while !stopping */
} waker;

struct rill_gateway {
  char *topic;
  guint8 *secret;
  gsize secret_len;
  gsize max_frame, max_queue;
  guint fps;
  rill__gw_rules *rules;
  rill__gw_storage *st; /* the topic: embedded log or Kafka (storage.h) */
  int32_t n_parts;
  part *parts;
  waker *wk;
  GSource *pump_src; /* made ready (from any thread) when a partition has data */
  GHashTable *channels; /* name -> channel* */
  GHashTable *sessions; /* &id -> session* */
  guint64 next_id;
  GPtrArray *dirty;    /* session* to flush */
  GPtrArray *catchups; /* sub* catching up */
  rill__batch_writer *writer;
  rill_http_server *http; /* its thread is the gateway thread */
  GMainContext *ctx;      /* the http server's */
  guint collector;        /* in the http server's registry */
  GMutex stop_lock;
  GCond stop_cond;
  gboolean stopped; /* shutdown_cb ran */
  rill_gateway_stats stats;        /* updated with atomics */
  rill_prom_histogram latency;     /* record timestamp -> deliver queued, ns */
};

static void pump(rill_gateway *gw);
static void session_flush(session *s);
static void catchup_run(rill_gateway *gw);

void rill_gateway_options_init(rill_gateway_options *o)
{
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->topic = "gateway";
  o->partitions = 8;
  o->max_frame_bytes = 65536;
  o->max_queue_bytes = 1 << 20;
  o->frames_per_second = 200;
}

/* Counters are written on the gateway thread, read by scrapes elsewhere. */
static void stat_add(guint64 *c, gint64 d)
{
  __atomic_fetch_add(c, (guint64)d, __ATOMIC_RELAXED);
}

/* ---- the waker: the log's threads -> the gateway thread ------------------ */

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
    rill_gateway *gw = w->gw;
    g_atomic_int_set(&gw->parts[a->p].wake, 1);
    g_source_set_ready_time(gw->pump_src, 0); /* thread-safe; wakes the context */
  }
  g_mutex_unlock(&w->lock);
  g_free(a);
  waker_unref(w);
}

/* Waits for data at part->next (or wakes the pump now if it is there). */
static void arm(rill_gateway *gw, int32_t p)
{
  wait_arg *a = g_new(wait_arg, 1);
  a->wk = waker_ref(gw->wk);
  a->p = p;
  GError *e = NULL;
  guint64 id = gw->st->ops->wait_add(gw->st, p, gw->parts[p].next, wait_cb, a, &e);
  if (id) {
    gw->parts[p].waiter = id;
    gw->parts[p].warg = a;
  }
  if (e) { /* the topic went away: nothing more to deliver from it */
    g_warning("gateway: waiting on %s [%d]: %s", gw->topic, p, e->message);
    g_error_free(e);
    g_free(a);
    waker_unref(gw->wk);
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
    g_ptr_array_add(s->gw->dirty, s);
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
  if (s->gw->catchups->len)
    catchup_run(s->gw);
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
      g_source_attach(s->out_watch, s->gw->ctx);
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

static void flush_dirty(rill_gateway *gw)
{
  /* session_flush never adds to gw->dirty */
  for (guint i = 0; i < gw->dirty->len; i++) {
    session *s = g_ptr_array_index(gw->dirty, i);
    s->dirty = FALSE;
    session_flush(s);
  }
  g_ptr_array_set_size(gw->dirty, 0);
}

static void sub_free(sub *u)
{
  channel *ch = u->ch;
  if (u->live)
    ch->n_live--;
  g_ptr_array_remove_fast(ch->subs, u);
  g_ptr_array_remove_fast(u->s->gw->catchups, u);
  stat_add(&u->s->gw->stats.subscriptions, -1);
  if (ch->subs->len == 0)
    g_hash_table_remove(u->s->gw->channels, ch->name);
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
  g_hash_table_remove(s->gw->sessions, &s->id); /* frees it (session_free) */
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
  g_source_attach(s->remove, s->gw->ctx);
}

static void session_free(session *s)
{
  rill_gateway *gw = s->gw;
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
    g_ptr_array_remove_fast(gw->dirty, s);
  g_hash_table_unref(s->subs);
  g_queue_clear_full(&s->out, (GDestroyNotify)g_bytes_unref);
  g_object_unref(s->ws);
  g_object_unref(s->sock);
  g_free(s->user);
  stat_add(&gw->stats.connections, -1);
  g_free(s);
}

/* ---- reading the log ---------------------------------------------------- */

/* Calls @fn for each record in [@from, ...) up to @max_bytes of batches;
 * returns the offset after the last record seen (@from when none), or -1
 * on a read error. */
typedef void (*record_fn)(rill_gateway *gw, int32_t p, const rill__record *rec, void *data);

static int64_t read_records(rill_gateway *gw, int32_t p, int64_t from, size_t max_bytes, record_fn fn, void *data,
                            int64_t *hwm)
{
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
        fn(gw, p, &rec, data);
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

static channel *channel_of(rill_gateway *gw, const rill__record *rec)
{
  char name[RILL__GW_MAX_CHANNEL + 1];
  if (!rec->key || rec->key_len <= 0 || rec->key_len > RILL__GW_MAX_CHANNEL)
    return NULL;
  memcpy(name, rec->key, (size_t)rec->key_len);
  name[rec->key_len] = 0;
  return g_hash_table_lookup(gw->channels, name);
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

static void dispatch_record(rill_gateway *gw, int32_t p, const rill__record *rec, void *data)
{
  channel *ch = channel_of(gw, rec);
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

static void pump(rill_gateway *gw)
{
  for (int32_t p = 0; p < gw->n_parts; p++) {
    part *pt = &gw->parts[p];
    if (!g_atomic_int_exchange(&pt->wake, 0))
      continue;
    for (;;) {
      int64_t hwm = -1;
      int64_t next = read_records(gw, p, pt->next, READ_BYTES, dispatch_record, NULL, &hwm);
      if (next < 0)
        break;
      gboolean more = next > pt->next && next < hwm;
      pt->next = MAX(pt->next, next);
      if (!more)
        break;
    }
    arm(gw, p);
  }
  flush_dirty(gw);
  if (gw->catchups->len)
    catchup_run(gw);
}

/* ---- catching up --------------------------------------------------------- */

typedef struct {
  sub *u;
  gboolean history;
  int64_t left;       /* messages still wanted (-1: all) */
  int64_t stopped_at; /* the first record not sent for want of room, or -1 */
} catchup_arg;

static void catchup_record(rill_gateway *gw, int32_t p, const rill__record *rec, void *data)
{
  catchup_arg *a = data;
  if (a->stopped_at >= 0 || rec->offset >= gw->parts[p].next || !rec->key ||
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
static void catchup_run(rill_gateway *gw)
{
  for (guint i = 0; i < gw->catchups->len;) {
    sub *u = g_ptr_array_index(gw->catchups, i);
    session *s = u->s;
    part *pt = &gw->parts[u->ch->partition];
    while (!s->closing && !s->out_watch && u->cursor < pt->next && s->out_bytes < gw->max_queue / 2) {
      catchup_arg a = {u, FALSE, -1, -1};
      int64_t next = read_records(gw, u->ch->partition, u->cursor, CATCHUP_BYTES, catchup_record, &a, NULL);
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
      g_ptr_array_remove_index_fast(gw->catchups, i);
      continue;
    }
    i++;
  }
  flush_dirty(gw);
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
  if (!check_rules(s, f, FALSE))
    return;
  if (g_hash_table_contains(s->subs, f->channel)) {
    send_error(s, f->ref, "already_subscribed", "already subscribed to this channel");
    return;
  }
  channel *ch = g_hash_table_lookup(gw->channels, f->channel);
  if (!ch) {
    ch = g_new0(channel, 1);
    ch->name = g_strdup(f->channel);
    ch->partition = partition_of(gw, f->channel);
    ch->subs = g_ptr_array_new();
    g_hash_table_insert(gw->channels, ch->name, ch);
  }
  sub *u = g_new0(sub, 1);
  u->s = s;
  u->ch = ch;
  u->ref = g_strdup(f->ref);
  part *pt = &gw->parts[ch->partition];
  g_ptr_array_add(ch->subs, u);
  g_hash_table_insert(s->subs, ch->name, u);
  stat_add(&gw->stats.subscriptions, 1);
  session_send_text(s, rill__gw_frame_subscribed(f->ref, ch->name, ch->partition, f->after >= 0 ? f->after + 1 : pt->next));
  if (f->after >= 0 && f->after + 1 < pt->next) {
    u->cursor = f->after + 1;
    g_ptr_array_add(gw->catchups, u);
    catchup_run(gw);
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
  if (!check_rules(s, f, FALSE))
    return;
  int32_t p = partition_of(gw, f->channel);
  int64_t from = f->since;
  if (f->since_time >= 0) {
    if (!gw->st->ops->offset_for_time(gw->st, p, f->since_time, &from, NULL))
      from = -1;
    if (from < 0)
      from = gw->parts[p].next;
  }
  int64_t start, hwm;
  if (gw->st->ops->offsets(gw->st, p, &start, &hwm, NULL) && from < start)
    from = start;
  /* a temporary catching-up view that never goes live */
  channel tmp = {f->channel, p, NULL, 0};
  sub u = {s, &tmp, FALSE, from, NULL};
  catchup_arg a = {&u, TRUE, f->limit, -1};
  int64_t end = gw->parts[p].next;
  /* at most half the send queue per request: the client asks again from
   * history_end's "next" */
  while (u.cursor < end && !s->closing) {
    a.stopped_at = -1;
    int64_t next = read_records(gw, p, u.cursor, CATCHUP_BYTES, catchup_record, &a, NULL);
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
  rill_gateway *gw = a->wk->gw;
  session *s = g_hash_table_lookup(gw->sessions, &a->session);
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
  rill__batch_writer_append(gw->writer, g_get_real_time() / 1000, f->channel, (int32_t)strlen(f->channel), f->body,
                            (int32_t)strlen(f->body), &h, 1);
  GBytes *b = rill__batch_writer_finish(gw->writer, NULL); /* uncompressed: cannot fail */
  gsize len;
  uint8_t *data = g_bytes_unref_to_data(b, &len);
  ack *a = g_new0(ack, 1);
  a->wk = waker_ref(gw->wk);
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
  flush_dirty(gw);
}

static void sub_destroy(gpointer p)
{
  sub_free(p);
}

static void websocket_cb(SoupServer *server, SoupServerMessage *msg, const char *path, SoupWebsocketConnection *ws,
                         gpointer data)
{
  rill_gateway *gw = data;
  const char *query = g_uri_get_query(soup_server_message_get_uri(msg));
  GHashTable *params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
  const char *token = params ? g_hash_table_lookup(params, "token") : NULL;
  GError *e = NULL;
  char *user = rill_gateway_token_verify(gw->secret, gw->secret_len, token, g_get_real_time() / G_USEC_PER_SEC, &e);
  if (params)
    g_hash_table_unref(params);
  if (!user) {
    gboolean expired = g_error_matches(e, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_EXPIRED);
    /* kept until closed: dropping the last reference would cut the
     * connection before the close frame is out */
    g_signal_connect(ws, "closed", G_CALLBACK(g_object_unref), NULL);
    g_object_ref(ws);
    soup_websocket_connection_close(ws, expired ? RILL_GATEWAY_CLOSE_EXPIRED : RILL_GATEWAY_CLOSE_UNAUTHENTICATED,
                                    token ? e->message : "no token");
    g_error_free(e);
    return;
  }
  session *s = g_new0(session, 1);
  s->gw = gw;
  s->id = ++gw->next_id;
  s->user = user;
  s->ws = g_object_ref(ws);
  s->sock = g_object_ref(soup_server_message_get_socket(msg));
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
  soup_websocket_connection_set_keepalive_interval(ws, 30);
  g_signal_connect(ws, "message", G_CALLBACK(message_cb), s);
  g_signal_connect(ws, "closed", G_CALLBACK(closed_cb), s);
  g_hash_table_insert(gw->sessions, &s->id, s);
  stat_add(&gw->stats.connections, 1);
  session_send_text(s, rill__gw_frame_welcome(user, gw->topic));
  flush_dirty(gw);
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
  rill_gateway *gw = g_new0(rill_gateway, 1);
  gw->topic = g_strdup(o->topic ? o->topic : "gateway");
  gw->secret = g_memdup2(o->secret, o->secret_len);
  gw->secret_len = o->secret_len;
  gw->max_frame = o->max_frame_bytes ? o->max_frame_bytes : 65536;
  gw->max_queue = o->max_queue_bytes ? o->max_queue_bytes : 1 << 20;
  gw->fps = o->frames_per_second ? o->frames_per_second : 200;
  gw->channels = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)channel_free);
  gw->sessions = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)session_free);
  gw->dirty = g_ptr_array_new();
  gw->catchups = g_ptr_array_new();
  rill__batch_writer_options wo = RILL__BATCH_WRITER_OPTIONS_INIT;
  gw->writer = rill__batch_writer_new(&wo, NULL);
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
  gw->parts = g_new0(part, gw->n_parts);
  for (int32_t p = 0; p < gw->n_parts; p++) {
    int64_t start;
    /* live from now; the past by resume or history */
    if (!gw->st->ops->offsets(gw->st, p, &start, &gw->parts[p].next, error))
      goto fail;
  }
  if (!(gw->http = rill__gw_http_new(o->static_dir, websocket_cb, gw, error)))
    goto fail;
  if (o->tls_cert_file) {
    GError *te = NULL;
    if (!rill_http_server_set_tls(gw->http, o->tls_cert_file, o->tls_key_file, &te)) {
      g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, te->message);
      g_error_free(te);
      goto fail;
    }
  }
  gw->ctx = g_main_context_ref(rill_http_server_get_context(gw->http));
  gw->pump_src = g_source_new(&pump_funcs, sizeof(GSource));
  g_source_set_callback(gw->pump_src, pump_cb, gw, NULL);
  g_source_set_ready_time(gw->pump_src, -1);
  g_source_attach(gw->pump_src, gw->ctx);
  gw->wk = g_new0(waker, 1);
  gw->wk->refs = 1;
  g_mutex_init(&gw->wk->lock);
  gw->wk->ctx = g_main_context_ref(gw->ctx);
  gw->wk->gw = gw;
  gw->collector = rill_prom_registry_add(rill_http_server_get_registry(gw->http), collect, gw, NULL);
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
  for (int32_t p = 0; p < gw->n_parts; p++)
    arm(gw, p);
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

/* On the gateway thread: tells every client, then lets rill_gateway_free go on. */
static gboolean shutdown_cb(gpointer data)
{
  rill_gateway *gw = data;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, gw->sessions);
  while (g_hash_table_iter_next(&it, NULL, &v))
    session_close(v, RILL_GATEWAY_CLOSE_SHUTDOWN, "gateway stopping");
  flush_dirty(gw);
  g_mutex_lock(&gw->stop_lock);
  gw->stopped = TRUE;
  g_cond_signal(&gw->stop_cond);
  g_mutex_unlock(&gw->stop_lock);
  return G_SOURCE_REMOVE;
}

void rill_gateway_free(rill_gateway *gw)
{
  if (!gw)
    return;
  if (gw->wk) {
    g_mutex_lock(&gw->wk->lock);
    gw->wk->stopping = TRUE;
    g_mutex_unlock(&gw->wk->lock);
  }
  if (gw->http && rill_http_server_get_port(gw->http)) { /* serving: close clients on its thread */
    g_main_context_invoke(gw->ctx, shutdown_cb, gw);
    g_mutex_lock(&gw->stop_lock);
    while (!gw->stopped)
      g_cond_wait(&gw->stop_cond, &gw->stop_lock);
    g_mutex_unlock(&gw->stop_lock);
  }
  if (gw->collector)
    rill_prom_registry_remove(rill_http_server_get_registry(gw->http), gw->collector);
  rill_http_server_free(gw->http); /* joins the gateway thread */
  if (gw->parts)
    for (int32_t p = 0; p < gw->n_parts; p++)
      if (gw->parts[p].waiter && gw->st->ops->wait_cancel(gw->st, p, gw->parts[p].waiter)) {
        g_free(gw->parts[p].warg);
        waker_unref(gw->wk); /* the cancelled waiter's reference */
      }
  g_ptr_array_set_size(gw->dirty, 0);
  g_hash_table_remove_all(gw->sessions);
  /* run what the thread left (idle closures) so their data is freed */
  if (gw->ctx)
    while (g_main_context_iteration(gw->ctx, FALSE))
      ;
  g_hash_table_unref(gw->sessions);
  g_hash_table_unref(gw->channels);
  g_ptr_array_unref(gw->dirty);
  g_ptr_array_unref(gw->catchups);
  rill__gw_storage_free(gw->st);
  rill__gw_rules_free(gw->rules);
  rill__batch_writer_free(gw->writer);
  if (gw->pump_src) {
    g_source_destroy(gw->pump_src);
    g_source_unref(gw->pump_src);
  }
  if (gw->ctx)
    g_main_context_unref(gw->ctx);
  if (gw->wk)
    waker_unref(gw->wk);
  g_mutex_clear(&gw->stop_lock);
  g_cond_clear(&gw->stop_cond);
  g_free(gw->parts);
  g_free(gw->topic);
  g_free(gw->secret);
  g_free(gw);
}
