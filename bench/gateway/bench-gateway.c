/* bench-gateway.c — rill-gateway under many WebSocket connections, against
 * a minimal libsoup broadcast server with no storage, side by side.
 *
 *   bench-gateway [--conns 10000] [--channels 1000] [--rate 1000]
 *                 [--seconds 10] [--warmup 3] [--rounds 1] [--threads N]
 *                 [--durability none|sync] [--bootstrap-servers HOSTS]
 *
 * --bootstrap-servers: the gateway's topic lives on that Kafka cluster
 * (e.g. a rill-broker started beside the bench), a fresh topic per run,
 * instead of its embedded log.
 *
 * Each server runs in a child process (fork) with the same thread layout
 * (an HTTP thread that upgrades, --threads shards that serve the
 * WebSockets): the baseline parses each publish frame with json-glib (as
 * the gateway does) and broadcasts a deliver frame to the channel's
 * subscribers on every shard straight away; the gateway appends it to its
 * embedded log and each shard delivers it from there. The soft
 * RLIMIT_NOFILE is raised to the hard limit (the forked servers inherit
 * it) and both servers listen with a backlog of 4096. This process is the
 * load: --conns connections (one epoll thread, a small hand-written WebSocket
 * client so the load costs little), connection i subscribed to channel
 * i % channels; the first 100 connections also publish, --rate publishes/s
 * in total (so delivered/s = rate * conns / channels), each body carrying
 * its send time (CLOCK_MONOTONIC, shared by the processes). After --warmup
 * seconds, --seconds are measured: delivered messages/s and publish ->
 * deliver latency p50/p99 of the deliveries in that window.
 *
 * RESULT ratio = gateway delivered/s / baseline delivered/s (medians over
 * --rounds); the gateway's p50/p99 are printed beside it.
 */
#define _GNU_SOURCE /* memmem */
#include <rill/gateway.h>

#include "bench/stats.h"
#include "runtime/epoll-loop.h"

#include <errno.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET "bench-secret"
#define PUBLISHERS 100
#define CONNECTING_MAX 256

static int64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- servers (child processes) ------------------------------------------ */

/* The baseline has the gateway's thread layout: the HTTP thread (here the
 * process's main loop) upgrades with libsoup and hands each connection to
 * one of --threads shards, each a thread with its own context that creates
 * the SoupWebsocketConnection; a publish is broadcast to every shard's
 * inbox (one wake-up per shard per burst), and each shard sends to its own
 * subscribers of the channel. Only the storage is missing. */
typedef struct bshard bshard;

typedef struct {
  guint n;
  bshard **shards;
  GPtrArray *extensions; /* offered: permessage-deflate, as the gateway */
} baseline;

typedef struct {
  char *channel;
  GBytes *frame;
} bcast;

typedef struct {
  GIOStream *stream;
  GSocket *sock;
  GUri *uri;
  GList *extensions;
} bhandoff;

struct bshard {
  baseline *b;
  GMainContext *ctx;
  rill__epoll_loop *loop; /* ctx and the connections' group contexts, as the gateway's shards */
  GHashTable *channels; /* name -> GPtrArray of SoupWebsocketConnection (not owned); shard thread only */
  GMutex lock;
  GPtrArray *incoming; /* bhandoff*, under lock */
  GArray *inbox;       /* bcast, under lock */
  GSource *ready;      /* made ready when incoming or inbox has something */
  gint load;
};

static gboolean ready_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
  g_source_set_ready_time(src, -1);
  return cb(data);
}

static GSourceFuncs ready_funcs = {NULL, NULL, ready_dispatch, NULL, NULL, NULL};

static void base_closed(SoupWebsocketConnection *ws, gpointer data)
{
  bshard *sh = data;
  const char *ch = g_object_get_data(G_OBJECT(ws), "channel");
  GPtrArray *subs = ch ? g_hash_table_lookup(sh->channels, ch) : NULL;
  if (subs)
    g_ptr_array_remove_fast(subs, ws);
  g_atomic_int_add(&sh->load, -1);
  rill__epoll_loop_leave(sh->loop, g_object_get_data(G_OBJECT(ws), "group"));
  g_object_unref(ws);
}

static void base_message(SoupWebsocketConnection *ws, gint type, GBytes *msg, gpointer data)
{
  bshard *sh = data;
  baseline *b = sh->b;
  gsize len;
  const char *text = g_bytes_get_data(msg, &len);
  JsonParser *p = json_parser_new_immutable();
  if (!json_parser_load_from_data(p, text, (gssize)len, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
    g_object_unref(p);
    return;
  }
  JsonObject *o = json_node_get_object(json_parser_get_root(p));
  const char *t = json_object_get_string_member_with_default(o, "type", "");
  const char *ch = json_object_get_string_member_with_default(o, "channel", "");
  if (strcmp(t, "subscribe") == 0 && !g_object_get_data(G_OBJECT(ws), "channel")) {
    GPtrArray *subs = g_hash_table_lookup(sh->channels, ch);
    if (!subs) {
      subs = g_ptr_array_new();
      g_hash_table_insert(sh->channels, g_strdup(ch), subs);
    }
    g_ptr_array_add(subs, ws);
    g_object_set_data_full(G_OBJECT(ws), "channel", g_strdup(ch), g_free);
    char *r = g_strdup_printf("{\"type\":\"subscribed\",\"channel\":\"%s\"}", ch);
    soup_websocket_connection_send_text(ws, r);
    g_free(r);
  } else if (strcmp(t, "publish") == 0 && json_object_has_member(o, "body")) {
    char *body = json_to_string(json_object_get_member(o, "body"), FALSE);
    char *frame = g_strdup_printf("{\"type\":\"deliver\",\"channel\":\"%s\",\"body\":%s}", ch, body);
    GBytes *fb = g_bytes_new_take(frame, strlen(frame));
    for (guint i = 0; i < b->n; i++) {
      bshard *to = b->shards[i];
      bcast c = {g_strdup(ch), g_bytes_ref(fb)};
      g_mutex_lock(&to->lock);
      g_array_append_val(to->inbox, c);
      g_mutex_unlock(&to->lock);
      g_source_set_ready_time(to->ready, 0);
    }
    g_bytes_unref(fb);
    g_free(body);
    soup_websocket_connection_send_text(ws, "{\"type\":\"ack\"}");
  }
  g_object_unref(p);
}

static gboolean base_ready(gpointer data)
{
  bshard *sh = data;
  g_mutex_lock(&sh->lock);
  GPtrArray *in = sh->incoming;
  GArray *box = sh->inbox;
  sh->incoming = g_ptr_array_new();
  sh->inbox = g_array_new(FALSE, FALSE, sizeof(bcast));
  g_mutex_unlock(&sh->lock);
  for (guint i = 0; i < in->len; i++) {
    bhandoff *h = in->pdata[i];
    GMainContext *group = rill__epoll_loop_join(sh->loop);
    g_main_context_push_thread_default(group);
    SoupWebsocketConnection *ws =
      soup_websocket_connection_new(h->stream, h->uri, SOUP_WEBSOCKET_CONNECTION_SERVER, NULL, NULL, h->extensions);
    g_main_context_pop_thread_default(group);
    g_object_set_data(G_OBJECT(ws), "group", group);
    /* as the gateway does (Nagle would hold frames behind delayed ACKs) */
    g_socket_set_option(h->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    g_signal_connect(ws, "message", G_CALLBACK(base_message), sh);
    g_signal_connect(ws, "closed", G_CALLBACK(base_closed), sh);
    g_object_unref(h->stream);
    g_object_unref(h->sock);
    g_uri_unref(h->uri);
    g_free(h);
  }
  g_ptr_array_unref(in);
  for (guint i = 0; i < box->len; i++) {
    bcast *c = &g_array_index(box, bcast, i);
    GPtrArray *subs = g_hash_table_lookup(sh->channels, c->channel);
    for (guint j = 0; subs && j < subs->len; j++)
      soup_websocket_connection_send_message(g_ptr_array_index(subs, j), SOUP_WEBSOCKET_DATA_TEXT, c->frame);
    g_bytes_unref(c->frame);
    g_free(c->channel);
  }
  g_array_unref(box);
  return G_SOURCE_CONTINUE;
}

static gpointer base_thread(gpointer data)
{
  static gint never; /* runs until the process exits */
  bshard *sh = data;
  rill__epoll_loop_run(sh->loop, &never);
  return NULL;
}

static void base_upgraded(SoupServerMessage *msg, gpointer data)
{
  baseline *b = g_object_get_data(G_OBJECT(msg), "baseline");
  bhandoff *h = g_new0(bhandoff, 1);
  h->extensions = data;
  g_object_ref(msg);
  h->sock = g_object_ref(soup_server_message_get_socket(msg));
  h->stream = soup_server_message_steal_connection(msg);
  h->uri = g_uri_ref(soup_server_message_get_uri(msg));
  g_object_unref(msg);
  bshard *sh = b->shards[0];
  for (guint i = 1; i < b->n; i++)
    if (g_atomic_int_get(&b->shards[i]->load) < g_atomic_int_get(&sh->load))
      sh = b->shards[i];
  g_atomic_int_inc(&sh->load);
  g_mutex_lock(&sh->lock);
  g_ptr_array_add(sh->incoming, h);
  g_mutex_unlock(&sh->lock);
  g_source_set_ready_time(sh->ready, 0);
}

static void base_ws(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  baseline *b = data;
  GList *accepted = NULL;
  if (!soup_websocket_server_process_handshake(msg, NULL, NULL, b->extensions, &accepted))
    return;
  g_object_set_data(G_OBJECT(msg), "baseline", b);
  g_signal_connect(msg, "wrote-informational", G_CALLBACK(base_upgraded), accepted);
}

static baseline *baseline_new(guint threads)
{
  baseline *b = g_new0(baseline, 1);
  b->n = threads;
  b->extensions = g_ptr_array_new();
  g_ptr_array_add(b->extensions, g_type_class_ref(SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE));
  b->shards = g_new0(bshard *, threads);
  for (guint i = 0; i < threads; i++) {
    bshard *sh = g_new0(bshard, 1);
    sh->b = b;
    sh->ctx = g_main_context_new();
    sh->loop = rill__epoll_loop_new(sh->ctx, 32); /* the gateway's GROUP_SIZE */
    sh->channels = g_hash_table_new(g_str_hash, g_str_equal);
    g_mutex_init(&sh->lock);
    sh->incoming = g_ptr_array_new();
    sh->inbox = g_array_new(FALSE, FALSE, sizeof(bcast));
    sh->ready = g_source_new(&ready_funcs, sizeof(GSource));
    g_source_set_callback(sh->ready, base_ready, sh, NULL);
    g_source_set_ready_time(sh->ready, -1);
    g_source_attach(sh->ready, sh->ctx);
    b->shards[i] = sh;
    g_thread_new("base-shard", base_thread, sh);
  }
  return b;
}

static gboolean quit_cb(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

/* Runs a server; writes its port to @fd; returns at SIGTERM. */
/* --bootstrap-servers: the gateway on a Kafka cluster (NULL: embedded log). */
static char *bootstrap;

static void server_main(gboolean gateway, const char *durability, guint threads, int fd)
{
  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  g_unix_signal_add(SIGTERM, quit_cb, loop);
  int port = 0;
  rill_gateway *gw = NULL;
  SoupServer *server = NULL;
  char *dir = NULL;
  GError *e = NULL;
  if (gateway) {
    dir = g_dir_make_tmp("rill-bench-gw-XXXXXX", NULL);
    rill_gateway_options o;
    rill_gateway_options_init(&o);
    char *topic = g_strdup_printf("bench-gateway-%d-%" G_GINT64_FORMAT, (int)getpid(), g_get_real_time());
    if (bootstrap) {
      o.bootstrap_servers = bootstrap;
      o.topic = topic; /* a fresh topic: nothing of an earlier run to read */
    } else {
      o.data_dir = dir;
    }
    o.secret = (const guint8 *)SECRET;
    o.secret_len = strlen(SECRET);
    o.durability = strcmp(durability, "sync") == 0 ? RILL_LOG_DURABILITY_SYNC : RILL_LOG_DURABILITY_NONE;
    o.threads = threads;
    if (!(gw = rill_gateway_new(&o, &e)))
      g_error("gateway: %s", e->message);
    g_free(topic);
    port = rill_gateway_port(gw);
  } else {
    baseline *b = baseline_new(threads);
    server = soup_server_new(NULL, NULL);
    soup_server_add_handler(server, "/ws", base_ws, b, NULL);
    /* the same listen backlog as the gateway's (libsoup's own is 10) */
    GSocket *sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &e);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *sa = g_inet_socket_address_new(lo, 0);
    g_socket_set_listen_backlog(sock, 4096);
    if (!g_socket_bind(sock, sa, TRUE, &e) || !g_socket_listen(sock, &e) ||
        !soup_server_listen_socket(server, sock, 0, &e))
      g_error("baseline: %s", e->message);
    GSocketAddress *local = g_socket_get_local_address(sock, NULL);
    port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_object_unref(local);
    g_object_unref(sa);
    g_object_unref(lo);
    g_object_unref(sock);
  }
  if (write(fd, &port, sizeof port) != sizeof port)
    _exit(1);
  close(fd);
  g_main_loop_run(loop);
  rill_gateway_free(gw);
  if (dir) {
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", dir);
    g_free(cmd);
  }
  _exit(0);
}

/* ---- the load (this process) -------------------------------------------- */

enum { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DEAD };

typedef struct {
  int fd, state, channel;
  GByteArray *in;
  gboolean subscribed;
} conn;

typedef struct {
  int port, n_conns, n_channels;
  double rate;
  double warmup_s, seconds;
  conn *conns;
  int ep;
  int next_connect, connecting, open, subscribed, dead;
  char *token;
  int64_t measure_from, measure_to;
  guint64 delivered, published, closed_by_server;
  GArray *lat_us; /* double */
} load;

static void conn_dead(load *L, conn *c)
{
  if (c->state == C_DEAD)
    return;
  if (c->state == C_CONNECTING || c->state == C_HANDSHAKE)
    L->connecting--;
  c->state = C_DEAD;
  L->dead++;
  epoll_ctl(L->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
}

/* Sends one masked text frame (the whole of it: loopback buffers are large
 * and frames small; a short write marks the connection dead). */
static void ws_send(load *L, conn *c, const char *text, size_t len)
{
  uint8_t hdr[14];
  size_t h = 0;
  hdr[h++] = 0x81;
  if (len < 126) {
    hdr[h++] = 0x80 | (uint8_t)len;
  } else {
    hdr[h++] = 0x80 | 126;
    hdr[h++] = (uint8_t)(len >> 8);
    hdr[h++] = (uint8_t)len;
  }
  memset(hdr + h, 0, 4); /* mask key 0: the payload goes as is */
  h += 4;
  struct iovec iov[2] = {{hdr, h}, {(void *)text, len}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
  if (n != (ssize_t)(h + len))
    conn_dead(L, c);
}

static void start_connects(load *L)
{
  while (L->connecting < CONNECTING_MAX && L->next_connect < L->n_conns) {
    conn *c = &L->conns[L->next_connect];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)L->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->state = C_CONNECTING;
    c->in = g_byte_array_new();
    c->channel = L->next_connect % L->n_channels;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u32 = (uint32_t)L->next_connect};
    epoll_ctl(L->ep, EPOLL_CTL_ADD, c->fd, &ev);
    L->connecting++;
    L->next_connect++;
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
      conn_dead(L, c);
  }
}

static void on_frame(load *L, conn *c, const uint8_t *p, size_t len)
{
  if (len > 16 && memcmp(p, "{\"type\":\"deliver\"", 17) == 0) {
    const uint8_t *t = memmem(p, len, "\"t\":", 4);
    if (!t)
      return;
    int64_t sent = strtoll((const char *)t + 4, NULL, 10);
    int64_t now = now_ns();
    if (now >= L->measure_from && now < L->measure_to) {
      L->delivered++;
      double us = (double)(now - sent) / 1000.0;
      g_array_append_val(L->lat_us, us);
    }
  } else if (!c->subscribed && len > 19 && memcmp(p, "{\"type\":\"subscribed\"", 20) == 0) {
    c->subscribed = TRUE;
    L->subscribed++;
  }
}

static void parse_frames(load *L, conn *c)
{
  size_t pos = 0;
  GByteArray *in = c->in;
  while (in->len - pos >= 2) {
    const uint8_t *b = in->data + pos;
    uint8_t op = b[0] & 0x0f;
    uint64_t len = b[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (in->len - pos < 4)
        break;
      len = ((uint64_t)b[2] << 8) | b[3];
      h = 4;
    } else if (len == 127) {
      if (in->len - pos < 10)
        break;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | b[2 + i];
      h = 10;
    }
    if (in->len - pos < h + len)
      break;
    if (op == 1)
      on_frame(L, c, b + h, (size_t)len);
    else if (op == 8)
      L->closed_by_server++;
    pos += h + (size_t)len;
  }
  g_byte_array_remove_range(in, 0, (guint)pos);
}

static void on_event(load *L, conn *c, uint32_t events)
{
  if (c->state == C_CONNECTING && (events & EPOLLOUT)) {
    char *req = g_strdup_printf("GET /ws?token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n",
                                L->token);
    ssize_t n = send(c->fd, req, strlen(req), MSG_NOSIGNAL);
    gboolean ok = n == (ssize_t)strlen(req);
    g_free(req);
    if (!ok) {
      conn_dead(L, c);
      return;
    }
    c->state = C_HANDSHAKE;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)(c - L->conns)};
    epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev);
    return;
  }
  if (events & EPOLLIN) {
    uint8_t buf[65536];
    for (;;) {
      ssize_t n = recv(c->fd, buf, sizeof buf, 0);
      if (n > 0) {
        g_byte_array_append(c->in, buf, (guint)n);
        if ((size_t)n < sizeof buf)
          break;
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        conn_dead(L, c);
        return;
      }
      break;
    }
    if (c->state == C_HANDSHAKE) {
      const uint8_t *end = memmem(c->in->data, c->in->len, "\r\n\r\n", 4);
      if (!end)
        return;
      if (c->in->len < 12 || memcmp(c->in->data, "HTTP/1.1 101", 12) != 0) {
        conn_dead(L, c);
        return;
      }
      g_byte_array_remove_range(c->in, 0, (guint)(end + 4 - c->in->data));
      c->state = C_OPEN;
      L->connecting--;
      L->open++;
      char *sub = g_strdup_printf("{\"type\":\"subscribe\",\"channel\":\"c%d\"}", c->channel);
      ws_send(L, c, sub, strlen(sub));
      g_free(sub);
    }
    parse_frames(L, c);
  } else if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    conn_dead(L, c);
  }
}

typedef struct {
  double delivered_per_s, p50_ms, p99_ms, expected_per_s;
  guint64 dead;
} outcome;

static outcome run_load(int port, int n_conns, int n_channels, double rate, double warmup_s, double seconds)
{
  load L = {.port = port, .n_conns = n_conns, .n_channels = n_channels, .rate = rate, .warmup_s = warmup_s,
            .seconds = seconds};
  L.conns = g_new0(conn, n_conns);
  L.ep = epoll_create1(0);
  L.lat_us = g_array_new(FALSE, FALSE, sizeof(double));
  L.token = rill_gateway_token_mint((const guint8 *)SECRET, strlen(SECRET), "bench",
                                    g_get_real_time() / G_USEC_PER_SEC + 3600, NULL);
  L.measure_from = L.measure_to = INT64_MAX;
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec its = {.it_interval = {0, 1000000}, .it_value = {0, 1000000}};
  timerfd_settime(tfd, 0, &its, NULL);
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  epoll_ctl(L.ep, EPOLL_CTL_ADD, tfd, &tev);
  int64_t setup_start = now_ns(), pub_start = 0, end = INT64_MAX;
  struct epoll_event evs[512];
  while (now_ns() < end) {
    start_connects(&L);
    int n = epoll_wait(L.ep, evs, 512, 100);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u32 == UINT32_MAX) {
        uint64_t ticks;
        if (read(tfd, &ticks, sizeof ticks) < 0)
          continue;
        continue;
      }
      on_event(&L, &L.conns[evs[i].data.u32], evs[i].events);
    }
    int64_t now = now_ns();
    if (!pub_start && L.subscribed + L.dead >= n_conns) {
      pub_start = now;
      L.measure_from = now + (int64_t)(warmup_s * 1e9);
      L.measure_to = L.measure_from + (int64_t)(seconds * 1e9);
      end = L.measure_to + 500000000; /* in-flight deliveries of the window */
      fprintf(stderr, "  %d connections subscribed in %.1f s (%d failed)\n", L.subscribed,
              (double)(now - setup_start) / 1e9, L.dead);
    }
    static int64_t last_report;
    if (!pub_start && now - last_report > (int64_t)5e9) {
      if (last_report)
        fprintf(stderr, "  setting up: %d open, %d subscribed, %d connecting, %d failed\n", L.open, L.subscribed,
                L.connecting, L.dead);
      last_report = now;
    }
    if (!pub_start && now - setup_start > (int64_t)120e9)
      g_error("only %d of %d connections subscribed after 120 s", L.subscribed, n_conns);
    if (pub_start && now < L.measure_to) {
      guint64 due = (guint64)((double)(now - pub_start) / 1e9 * rate);
      while (L.published < due) {
        conn *c = &L.conns[L.published % PUBLISHERS];
        int ch = (int)(L.published % (guint64)n_channels);
        char body[128];
        int len = snprintf(body, sizeof body, "{\"type\":\"publish\",\"channel\":\"c%d\",\"body\":{\"t\":%" G_GINT64_FORMAT "}}",
                           ch, now_ns());
        if (c->state == C_OPEN)
          ws_send(&L, c, body, (size_t)len);
        L.published++;
      }
    }
  }
  outcome o = {0};
  o.delivered_per_s = (double)L.delivered / seconds;
  o.expected_per_s = rate * n_conns / n_channels;
  o.dead = L.dead;
  if (L.lat_us->len) {
    double *v = (double *)L.lat_us->data;
    qsort(v, L.lat_us->len, sizeof *v, bench_cmp_double);
    o.p50_ms = v[L.lat_us->len / 2] / 1000;
    o.p99_ms = v[(size_t)((double)L.lat_us->len * 0.99)] / 1000;
  }
  for (int i = 0; i < n_conns; i++) {
    if (L.conns[i].state != C_DEAD && L.conns[i].state != C_IDLE)
      close(L.conns[i].fd);
    if (L.conns[i].in)
      g_byte_array_unref(L.conns[i].in);
  }
  close(tfd);
  close(L.ep);
  g_array_unref(L.lat_us);
  g_free(L.conns);
  g_free(L.token);
  return o;
}

static outcome run_one(gboolean gateway, const char *durability, guint threads, int conns, int channels, double rate,
                       double warmup, double seconds)
{
  int fds[2];
  if (pipe(fds) != 0)
    g_error("pipe");
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    server_main(gateway, durability, threads, fds[1]);
  }
  close(fds[1]);
  int port = 0;
  if (read(fds[0], &port, sizeof port) != sizeof port)
    g_error("server did not start");
  close(fds[0]);
  outcome o = run_load(port, conns, channels, rate, warmup, seconds);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  return o;
}

int main(int argc, char **argv)
{
  gint conns = 10000, channels = 1000, rounds = 1, threads = 0;
  double rate = 1000, seconds = 10, warmup = 3;
  char *durability = NULL;
  GOptionEntry entries[] = {
    {"conns", 0, 0, G_OPTION_ARG_INT, &conns, "WebSocket connections (default 10000)", "N"},
    {"channels", 0, 0, G_OPTION_ARG_INT, &channels, "Channels (default 1000)", "N"},
    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Publishes per second, total (default 1000)", "R"},
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Measured seconds (default 10)", "S"},
    {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, "Seconds before measuring (default 3)", "S"},
    {"rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Baseline/gateway pairs; medians reported (default 1)", "N"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Shard threads of both servers (default: one per CPU)", "N"},
    {"durability", 0, 0, G_OPTION_ARG_STRING, &durability, "The gateway topic's rill.durability: none (default) or sync", "D"},
    {"bootstrap-servers", 0, 0, G_OPTION_ARG_STRING, &bootstrap, "The gateway's topic on this Kafka cluster (rill-broker)", "HOSTS"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("- rill-gateway vs a storage-less libsoup broadcast server");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *e = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    fprintf(stderr, "bench-gateway: %s\n", e->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (!durability)
    durability = g_strdup("none");
  if (conns < PUBLISHERS || channels < 1 || rounds < 1 || rate <= 0 || threads < 0 ||
      threads > RILL_GATEWAY_MAX_THREADS) {
    fprintf(stderr, "bench-gateway: need --conns >= %d, --channels >= 1, --rounds >= 1, --rate > 0, 0 <= --threads <= %d\n",
            PUBLISHERS, RILL_GATEWAY_MAX_THREADS);
    return 2;
  }
  if (threads == 0)
    threads = (gint)MAX(1, g_get_num_processors());
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < (rlim_t)conns + 256)
    fprintf(stderr, "warning: RLIMIT_NOFILE %llu is low for %d connections\n", (unsigned long long)rl.rlim_cur, conns);
  /* every connection of the load takes a loopback ephemeral port */
  int lo_port = 0, hi_port = 0;
  char *range = NULL;
  if (g_file_get_contents("/proc/sys/net/ipv4/ip_local_port_range", &range, NULL, NULL) &&
      sscanf(range, "%d %d", &lo_port, &hi_port) == 2 && hi_port - lo_port + 1 < conns)
    fprintf(stderr, "warning: ip_local_port_range %d-%d has fewer ports than %d connections\n", lo_port, hi_port,
            conns);
  g_free(range);
  printf("# %d connections, %d channels, %.0f publishes/s -> %.0f deliveries/s offered; %d shard threads per "
         "server; gateway durability %s, storage %s\n",
         conns, channels, rate, rate * conns / channels, threads, durability, bootstrap ? bootstrap : "embedded log");
  printf("%-8s %5s %14s %10s %10s %6s\n", "server", "round", "delivered/s", "p50 ms", "p99 ms", "dead");
  double *bt = g_new(double, rounds), *gt = g_new(double, rounds), *g50 = g_new(double, rounds),
         *g99 = g_new(double, rounds), *b50 = g_new(double, rounds), *b99 = g_new(double, rounds);
  for (int r = 0; r < rounds; r++) {
    outcome b = run_one(FALSE, durability, (guint)threads, conns, channels, rate, warmup, seconds);
    printf("%-8s %5d %14.0f %10.2f %10.2f %6" G_GUINT64_FORMAT "\n", "baseline", r + 1, b.delivered_per_s, b.p50_ms,
           b.p99_ms, b.dead);
    fflush(stdout);
    outcome g = run_one(TRUE, durability, (guint)threads, conns, channels, rate, warmup, seconds);
    printf("%-8s %5d %14.0f %10.2f %10.2f %6" G_GUINT64_FORMAT "\n", "gateway", r + 1, g.delivered_per_s, g.p50_ms,
           g.p99_ms, g.dead);
    fflush(stdout);
    bt[r] = b.delivered_per_s;
    gt[r] = g.delivered_per_s;
    b50[r] = b.p50_ms;
    b99[r] = b.p99_ms;
    g50[r] = g.p50_ms;
    g99[r] = g.p99_ms;
  }
  double mb = bench_median(bt, rounds), mg = bench_median(gt, rounds);
  printf("median   baseline %.0f/s p50 %.2f ms p99 %.2f ms | gateway %.0f/s p50 %.2f ms p99 %.2f ms\n", mb,
         bench_median(b50, rounds), bench_median(b99, rounds), mg, bench_median(g50, rounds), bench_median(g99, rounds));
  printf("RESULT name=gateway ours=%.0f baseline=%.0f unit=msg/s ratio=%.2f\n", mg, mb, mb > 0 ? mg / mb : 0);
  g_free(bt);
  g_free(gt);
  g_free(g50);
  g_free(g99);
  g_free(b50);
  g_free(b99);
  g_free(durability);
  return 0;
}
