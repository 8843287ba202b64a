/* conn.c — client connections: framing, the ordered response queue, writes.
 *
 * Framing: `Size int32 | Size bytes`. A Size below 8 (no room for a request
 * header) or above socket.request.max.bytes closes the connection before
 * anything is allocated for it. The request keeps its frame (decoded
 * strings and Produce's batches point into it): a small frame is copied out
 * of the read buffer; a large one (>= OWN_FRAME_MIN) gets a buffer of its
 * own as soon as its header is seen and is read straight into it, with the
 * read buffer as a second iovec so the next frames' headers arrive in the
 * same recvmsg(). Frames are dispatched as soon as complete, so clients may
 * pipeline.
 *
 * Ordering: every dispatched request gets a slot at the tail of
 * conn->slots. Answers fill their slot; bytes leave strictly from the head,
 * so responses keep request order even when a later request is answered
 * first (a parked Fetch, an acks=all Produce waiting for fdatasync). An acks=0 Produce
 * removes its slot. Memory chunks are gathered into one sendmsg() across
 * ready slots; file chunks go by sendfile() (zero copy), with MSG_MORE on the
 * memory part before them so header and data share packets. Answers made
 * while a read's frames are dispatched (acks=1 Produce, Metadata, a Fetch
 * with data) are written once after that read, so a client that queued
 * several requests gets its answers in one sendmsg() (a broker that fell
 * behind catches up with fewer syscalls). A read that fills less than the
 * buffer drained the socket: reading stops there without another recvmsg()
 * (epoll is level-triggered and reports what arrives later).
 *
 * Lifetime: a connection is referenced by the open list and by each live
 * request; closing it drops the socket at once, and the struct goes with the
 * last request (whose answer is then discarded).
 *
 * Backpressure: with 256 responses queued a connection stops being read
 * until the queue drains, so a client that never reads cannot grow memory.
 * Request memory is bounded broker-wide by queued.max.request.bytes: a frame
 * is counted from the moment its buffer is taken (a large frame's header, a
 * small frame's last byte) until its request is answered; a connection whose
 * next frame does not fit stops being read and waits in broker->mem_waiting,
 * first come first served (a resumed connection is granted its frame's bytes
 * before it reads, so later small frames cannot starve it). A frame is
 * always let in when nothing else is counted, so one frame larger than the
 * budget (up to socket.request.max.bytes) still gets through, alone. A
 * connection that is not being read is not watched for EPOLLRDHUP either (a
 * level-triggered hang-up it cannot act on would wake the loop forever); its
 * close is seen when reading resumes, or as EPOLLHUP/EPOLLERR.
 *
 * Accepting: out of descriptors (EMFILE, ENFILE) or kernel memory, the
 * listener is taken off the epoll set and retried on the next closed
 * connection or after ACCEPT_RETRY_MS, so waiting clients stay queued in the
 * backlog instead of spinning the loop.
 */
#define _GNU_SOURCE /* accept4 */
#include "runtime/broker/broker-private.h"
#include "runtime/broker/security.h"
#include "runtime/broker/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_QUEUED_SLOTS 256
#define READ_CHUNK 65536
/* Frames at least this large are read straight into a buffer of their own,
 * which the request then keeps: no copy out of the read buffer. */
#define OWN_FRAME_MIN 16384
#define ACCEPT_RETRY_MS 100

static void conn_flush(rill__broker_conn *c);
static void conn_read(rill__broker_conn *c);

/* TLS (tls.h): the session may hold received bytes the socket no longer
 * signals; read them from a timer (next loop turn) while reading is on. */
static void conn_kick_run(void *user_data)
{
  rill__broker_conn *c = user_data;
  c->sec->kick_pending = FALSE;
  if (!c->dead && !c->read_paused && !c->mem_waiting)
    rill__broker_conn_event(c, EPOLLIN);
  rill__broker_conn_unref(c);
}

static void conn_kick(rill__broker_conn *c)
{
  if (c->dead || !c->sec || !c->sec->tls || c->sec->kick_pending || c->read_paused || c->mem_waiting ||
      !rill__tls_has_input(c->sec->tls))
    return;
  c->sec->kick_pending = TRUE;
  c->refs++;
  rill__broker_timer_add(c->broker, 0, conn_kick_run, c);
}

static void update_events(rill__broker_conn *c)
{
  if (c->dead)
    return;
  uint32_t ev = 0;
  if (!c->read_paused && !c->mem_waiting)
    ev |= EPOLLIN | EPOLLRDHUP;
  rill__slot *head = g_queue_peek_head(&c->slots);
  if ((head && head->ready) || (c->sec && c->sec->tls && rill__tls_want_write(c->sec->tls)))
    ev |= EPOLLOUT;
  if (ev != c->events) {
    c->events = ev;
    rill__broker_loop_watch(c->broker, c->fd, ev, c, FALSE);
  }
  if (ev & EPOLLIN)
    conn_kick(c);
}

static void slot_free(rill__slot *s)
{
  if (s->chunks)
    g_array_unref(s->chunks);
  g_free(s->mem);
  if (s->fetches)
    g_ptr_array_unref(s->fetches);
  g_free(s);
}

void rill__broker_conn_unref(rill__broker_conn *c)
{
  if (--c->refs > 0)
    return;
  g_assert(c->dead);
  rill__conn_sec_free(c->sec);
  g_queue_clear_full(&c->slots, (GDestroyNotify)slot_free);
  g_free(c->in);
  g_free(c);
}

void rill__broker_conn_close(rill__broker_conn *c, const char *reason)
{
  if (c->dead)
    return;
  rill__broker *b = c->broker;
  c->dead = TRUE;
  rill__broker_loop_unwatch(b, c->fd);
  close(c->fd);
  c->fd = -1;
  g_queue_unlink(&b->conns, &c->link);
  rill__broker_event_limited(b, RILL__EV_DISCONNECT, "peer=%s reason=%s", c->host, reason);
  if (c->frame) {
    rill__broker_frame_free(b, c->frame, c->frame_len);
    c->frame = NULL;
  }
  if (c->mem_waiting) {
    g_queue_unlink(&b->mem_waiting, &c->mem_link);
    c->mem_waiting = FALSE;
  }
  b->queued_request_bytes -= (int64_t)c->mem_granted;
  c->mem_granted = 0;
  rill__broker_accept_resume(b); /* a descriptor is free */
  /* Slots of requests still live are freed with them; finished ones now. */
  GList *l = c->slots.head;
  while (l) {
    GList *next = l->next;
    rill__slot *s = l->data;
    if (s->ready) {
      g_queue_delete_link(&c->slots, l);
      slot_free(s);
    }
    l = next;
  }
  rill__broker_conn_unref(c);
}

void rill__broker_conn_pause_reading(rill__broker_conn *c)
{
  c->read_paused = TRUE;
  update_events(c);
}

static void accept_retry(void *user_data)
{
  rill__broker *b = user_data;
  b->accept_timer = NULL;
  rill__broker_accept_resume(b);
}

void rill__broker_accept_resume(rill__broker *b)
{
  if (!b->accept_paused)
    return;
  b->accept_paused = FALSE;
  if (b->accept_timer) {
    rill__broker_timer_cancel(b, b->accept_timer);
    b->accept_timer = NULL;
  }
  for (guint i = 0; i < b->listeners->len && !b->draining; i++) {
    rill__listener *l = b->listeners->pdata[i];
    if (l->fd >= 0)
      rill__broker_loop_watch(b, l->fd, EPOLLIN, l, TRUE);
  }
}

/* Stops watching the listeners until a connection closes or a while passes. */
static void accept_pause(rill__broker *b)
{
  b->accept_paused = TRUE;
  for (guint i = 0; i < b->listeners->len; i++) {
    rill__listener *l = b->listeners->pdata[i];
    if (l->fd >= 0)
      rill__broker_loop_unwatch(b, l->fd);
  }
  b->accept_timer = rill__broker_timer_add(b, ACCEPT_RETRY_MS, accept_retry, b);
}

void rill__broker_conn_add(rill__broker *b, rill__listener *l, int fd, const char *host)
{
  rill__broker_conn *c = g_new0(rill__broker_conn, 1);
  c->kind = RILL__SRC_CONN;
  c->fd = fd;
  c->listener = l;
  c->sec = rill__conn_sec_new(b, l);
  c->broker = b;
  c->refs = 1;
  c->last_active_ms = rill__broker_now_ms(b);
  c->link.data = c;
  g_strlcpy(c->host, host, sizeof c->host);
  g_queue_push_tail_link(&b->conns, &c->link);
  c->events = EPOLLIN | EPOLLRDHUP;
  rill__broker_loop_watch(b, fd, c->events, c, TRUE);
  rill__broker_event_limited(b, RILL__EV_CONNECT, "peer=%s", c->host);
}

void rill__broker_accept(rill__broker *b, rill__listener *l)
{
  while (l->fd >= 0) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EINTR || err == ECONNABORTED)
        continue;
      if (err == EAGAIN || err == EWOULDBLOCK)
        return;
      rill__broker_event_limited(b, RILL__EV_ACCEPT_FAILED, "error=\"%s\" connections=%u", g_strerror(err),
                                 b->conns.length);
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
        accept_pause(b);
      return;
    }
    if ((int32_t)b->conns.length >= b->settings.max_connections) {
      close(fd);
      rill__broker_event_limited(b, RILL__EV_CONNECTION_REFUSED, "reason=max.connections");
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Keepalive finds half-open peers that hold a parked request. */
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    char host[64] = "unknown";
    if (ss.ss_family == AF_INET)
      inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    else if (ss.ss_family == AF_INET6)
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    rill__broker_conn_add(b, l, fd, host);
  }
}

/* Frames and dispatches whole requests from the read buffer. FALSE if the
 * connection was closed. */
static gboolean mem_fits(rill__broker *b, size_t size)
{
  int64_t limit = b->settings.queued_max_request_bytes;
  return limit < 0 || b->queued_request_bytes == 0 || b->queued_request_bytes + (int64_t)size <= limit;
}

/* Counts @size bytes of request memory for @c's next frame, or queues @c to
 * wait for them (reading paused) and returns FALSE. */
static gboolean mem_reserve(rill__broker_conn *c, size_t size)
{
  rill__broker *b = c->broker;
  if (c->mem_granted) {
    g_assert(c->mem_granted == size); /* granted for this very frame, still unread */
    c->mem_granted = 0;
    return TRUE;
  }
  if (b->mem_waiting.length == 0 && mem_fits(b, size)) {
    b->queued_request_bytes += (int64_t)size;
    return TRUE;
  }
  c->mem_waiting = TRUE;
  c->mem_need = size;
  c->mem_link.data = c;
  g_queue_push_tail_link(&b->mem_waiting, &c->mem_link);
  update_events(c);
  return FALSE;
}

void rill__broker_frame_free(rill__broker *b, uint8_t *frame, size_t len)
{
  g_free(frame);
  b->queued_request_bytes -= (int64_t)len;
}

static gboolean process_input(rill__broker_conn *c);

void rill__broker_resume_mem_waiting(rill__broker *b)
{
  rill__broker_conn *c;
  while ((c = g_queue_peek_head(&b->mem_waiting)) && mem_fits(b, c->mem_need)) {
    g_queue_unlink(&b->mem_waiting, &c->mem_link);
    c->mem_waiting = FALSE;
    b->queued_request_bytes += (int64_t)c->mem_need;
    c->mem_granted = c->mem_need;
    c->refs++;
    update_events(c);
    process_input(c);
    rill__broker_conn_unref(c);
  }
}

static gboolean process_input(rill__broker_conn *c)
{
  size_t off = 0;
  gboolean ok = TRUE;
  while (!c->dead && c->in_len - off >= 4 && !c->read_paused && !c->mem_waiting) {
    int32_t size = (int32_t)((uint32_t)c->in[off] << 24 | (uint32_t)c->in[off + 1] << 16 |
                             (uint32_t)c->in[off + 2] << 8 | c->in[off + 3]);
    if (size < 8 || size > c->broker->settings.socket_request_max_bytes) {
      rill__broker_event_limited(c->broker, RILL__EV_BAD_FRAME, "peer=%s size=%d max=%d", c->host, size,
                                 c->broker->settings.socket_request_max_bytes);
      rill__broker_conn_close(c, "bad_frame_size");
      ok = FALSE;
      break;
    }
    gboolean whole = c->in_len - off - 4 >= (size_t)size;
    if ((whole || size >= OWN_FRAME_MIN) && !mem_reserve(c, (size_t)size))
      break;
    if (!whole && size >= OWN_FRAME_MIN) {
      /* Everything buffered after the header belongs to this frame: move it
       * to the frame's own buffer; the rest is read straight into it. */
      c->frame_len = (size_t)size;
      c->frame_got = c->in_len - off - 4;
      c->frame = g_malloc(c->frame_len);
      memcpy(c->frame, c->in + off + 4, c->frame_got);
      off = c->in_len;
      break;
    }
    if (!whole) {
      /* Make room for the whole frame now: at most socket.request.max.bytes. */
      if (c->in_cap < (size_t)size + 4) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
        off = 0;
        c->in_cap = (size_t)size + 4;
        c->in = g_realloc(c->in, c->in_cap);
      }
      break;
    }
    uint8_t *frame = g_memdup2(c->in + off + 4, (gsize)size);
    off += 4 + (size_t)size;
    rill__broker_dispatch(c, frame, (size_t)size);
    if (c->slots.length >= MAX_QUEUED_SLOTS) {
      c->read_paused = TRUE;
      update_events(c);
    }
  }
  if (!c->dead && off > 0) {
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
  return ok && !c->dead;
}

static void conn_read(rill__broker_conn *c)
{
  for (int rounds = 0; rounds < 16 && !c->dead && !c->read_paused && !c->mem_waiting; rounds++) {
    if (c->in_cap - c->in_len < READ_CHUNK / 4) {
      c->in_cap = MAX(c->in_cap * 2, (size_t)READ_CHUNK);
      c->in = g_realloc(c->in, c->in_cap);
    }
    /* The rest of a large frame, then what follows it (the next headers)
     * into the read buffer, in one call. */
    struct iovec iov[2];
    int niov = 0;
    if (c->frame)
      iov[niov++] = (struct iovec){c->frame + c->frame_got, c->frame_len - c->frame_got};
    iov[niov++] = (struct iovec){c->in + c->in_len, c->in_cap - c->in_len};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
    ssize_t n = c->sec && c->sec->tls ? rill__tls_recv(c->sec->tls, c->fd, iov, niov) : recvmsg(c->fd, &mh, 0);
    if (c->sec && c->sec->tls)
      rill__conn_sec_on_input(c);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EPROTO && c->sec && c->sec->tls) {
        rill__security_event_tls_failed(c);
        rill__broker_conn_close(c, "tls_error");
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        rill__broker_conn_close(c, "read_error");
      }
      return;
    }
    if (n == 0) {
      rill__broker_conn_close(c, "peer_closed");
      return;
    }
    size_t got = (size_t)n;
    gboolean drained = got < iov[0].iov_len + (niov > 1 ? iov[1].iov_len : 0);
    c->last_active_ms = rill__broker_now_ms(c->broker);
    if (c->frame) {
      size_t take = MIN(got, c->frame_len - c->frame_got);
      c->frame_got += take;
      got -= take;
      if (c->frame_got == c->frame_len) {
        uint8_t *frame = c->frame;
        c->frame = NULL;
        rill__broker_dispatch(c, frame, c->frame_len);
        if (!c->dead && c->slots.length >= MAX_QUEUED_SLOTS) {
          c->read_paused = TRUE;
          update_events(c);
        }
      }
    }
    c->in_len += got;
    if (c->dead || !process_input(c) || drained)
      return;
  }
}

void rill__broker_conn_event(rill__broker_conn *c, uint32_t events)
{
  c->refs++; /* the connection may close while handling */
  if (events & EPOLLOUT)
    conn_flush(c);
  if (!c->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
    c->reading = TRUE;
    conn_read(c);
    c->reading = FALSE;
    conn_flush(c);
  }
  if (!c->dead && (events & (EPOLLHUP | EPOLLERR)))
    rill__broker_conn_close(c, "hangup");
  if (!c->dead && c->sec && c->sec->tls)
    update_events(c); /* handshake bytes to send, or input left in the session */
  rill__broker_conn_unref(c);
}

/* ---- Writing ------------------------------------------------------------------ */

/* Writes from the head of the queue until it is empty, not ready, or the
 * socket is full. */
static void conn_flush(rill__broker_conn *c)
{
  rill__tls *tls = c->sec ? c->sec->tls : NULL;
  if (tls && !rill__tls_flush(tls, c->fd)) {
    rill__broker_conn_close(c, "write_error");
    return;
  }
  while (!c->dead) {
    rill__slot *head = g_queue_peek_head(&c->slots);
    if (!head || !head->ready)
      break;
    rill__chunk *ch = head->cur < head->chunks->len ? &g_array_index(head->chunks, rill__chunk, head->cur) : NULL;
    if (!ch) {
      g_queue_pop_head(&c->slots);
      slot_free(head);
      continue;
    }
    ssize_t n;
    if (ch->p) {
      /* Gather consecutive memory chunks across ready slots. */
      struct iovec iov[64];
      int niov = 0;
      gboolean more = FALSE;
      for (GList *l = c->slots.head; l && niov < 64; l = l->next) {
        rill__slot *s = l->data;
        if (!s->ready)
          break;
        guint i = s == head ? head->cur : 0;
        for (; i < s->chunks->len && niov < 64; i++) {
          rill__chunk *x = &g_array_index(s->chunks, rill__chunk, i);
          if (!x->p) {
            more = TRUE;
            break;
          }
          if (x->len)
            iov[niov++] = (struct iovec){(void *)x->p, x->len};
        }
        if (more)
          break;
      }
      if (niov == 0) {
        ch->len = 0;
        n = 0;
      } else {
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
        n = tls ? rill__tls_send(tls, c->fd, iov, niov) : sendmsg(c->fd, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
      }
    } else if (tls) {
      /* No sendfile under TLS: pread in large chunks and encrypt. */
      n = ch->len ? rill__tls_send_file(tls, c->fd, ch->fd, ch->pos, ch->len) : 0;
      if (n == 0 && ch->len) {
        rill__broker_conn_close(c, "sendfile_short");
        return;
      }
    } else {
      off_t pos = (off_t)ch->pos;
      n = ch->len ? sendfile(c->fd, ch->fd, &pos, ch->len) : 0;
      if (n == 0 && ch->len) {
        /* The file is shorter than the range: nothing sane can follow. */
        rill__broker_conn_close(c, "sendfile_short");
        return;
      }
    }
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        rill__broker_conn_close(c, "write_error");
      break;
    }
    c->last_active_ms = rill__broker_now_ms(c->broker);
    /* Advance by n bytes over the chunks just written. */
    size_t left = (size_t)n;
    if (!ch->p) {
      ch->pos += (int64_t)left;
      ch->len -= left;
      if (ch->len == 0)
        head->cur++;
      continue;
    }
    for (;;) {
      rill__slot *s = g_queue_peek_head(&c->slots);
      if (!s || !s->ready)
        break;
      while (s->cur < s->chunks->len) {
        rill__chunk *x = &g_array_index(s->chunks, rill__chunk, s->cur);
        if (!x->p)
          break;
        size_t take = MIN(left, x->len);
        x->p += take;
        x->len -= take;
        left -= take;
        if (x->len > 0)
          break;
        s->cur++;
      }
      if (s->cur < s->chunks->len)
        break;
      g_queue_pop_head(&c->slots);
      slot_free(s);
    }
  }
  if (c->dead)
    return;
  if (c->sec && rill__conn_sec_close_due(c)) {
    rill__broker_conn_close(c, "authentication_failed");
    return;
  }
  if (tls && c->slots.length == 0)
    rill__tls_trim(tls);
  if (c->read_paused && c->slots.length < MAX_QUEUED_SLOTS / 2 && !c->broker->draining) {
    c->read_paused = FALSE;
    update_events(c);
    process_input(c); /* frames already buffered */
    if (c->dead)
      return;
  }
  update_events(c);
}

/* ---- Answers ------------------------------------------------------------------ */

/* Frees @r; @keep: its slot stays queued (answered), else it is dropped. */
static void req_finish(rill__req_priv *r, rill__slot *keep)
{
  rill__broker_conn *c = r->pub.conn;
  rill__broker_stats_request(r->pub.broker->stats, r->pub.header.request_api_key,
                             (guint64)(g_get_monotonic_time() - r->start_us) * 1000);
  if (r->slot && !keep) {
    g_queue_remove(&c->slots, r->slot);
    slot_free(r->slot);
  }
  r->slot = NULL;
  rill__wire_arena_clear(&r->arena);
  rill__broker_frame_free(r->pub.broker, r->frame, r->frame_len);
  g_free(r);
  if (!c->dead && !c->reading)
    conn_flush(c); /* a ready or removed slot may unblock the head */
  rill__broker_conn_unref(c);
}

void rill__broker_respond_chunks(rill__broker_req *req, uint8_t *mem, GArray *chunks, GPtrArray *fetches)
{
  rill__req_priv *r = (rill__req_priv *)req;
  if (req->conn->dead) {
    g_free(mem);
    g_array_unref(chunks);
    if (fetches)
      g_ptr_array_unref(fetches);
    req_finish(r, NULL);
    return;
  }
  rill__slot *s = r->slot;
  s->mem = mem;
  s->chunks = chunks;
  s->fetches = fetches;
  s->ready = TRUE;
  req_finish(r, s);
}

void rill__broker_respond(rill__broker_req *req, const void *body)
{
  rill__req_priv *r = (rill__req_priv *)req;
  if (req->conn->dead) {
    req_finish(r, NULL);
    return;
  }
  rill__wire_writer w;
  rill__wire_error err = {0};
  rill__wire_writer_init(&w);
  if (!rill__wire_response_encode(&w, req->header.request_api_key, req->header.request_api_version,
                                  req->header.correlation_id, body, &err)) {
    rill__broker_event(req->broker, "error", "encode_failed", "api=%d version=%d field=%s reason=\"%s\"",
                       req->header.request_api_key, req->header.request_api_version,
                       err.field ? err.field : "?", err.reason ? err.reason : "?");
    rill__wire_writer_clear(&w);
    rill__broker_conn *c = req->conn;
    c->refs++;
    req_finish(r, NULL);
    rill__broker_conn_close(c, "encode_failed");
    rill__broker_conn_unref(c);
    return;
  }
  size_t len;
  uint8_t *mem = rill__wire_writer_steal(&w, &len);
  GArray *chunks = g_array_sized_new(FALSE, FALSE, sizeof(rill__chunk), 1);
  rill__chunk ch = {.p = mem, .fd = -1, .len = len};
  g_array_append_val(chunks, ch);
  rill__broker_respond_chunks(req, mem, chunks, NULL);
}

void rill__broker_respond_none(rill__broker_req *req)
{
  req_finish((rill__req_priv *)req, NULL);
}

void *rill__broker_req_alloc(rill__broker_req *req, size_t size)
{
  if (size == 0)
    size = 1;
  void *p = rill__wire_arena_alloc(req->arena, size);
  g_assert(p); /* limit far above any response (arena.h) */
  return p;
}

char *rill__broker_req_strdup(rill__broker_req *req, rill__wire_str s)
{
  if (s.len < 0)
    return NULL;
  char *p = rill__broker_req_alloc(req, (size_t)s.len + 1);
  if (s.len)
    memcpy(p, s.ptr, (size_t)s.len);
  p[s.len] = '\0';
  return p;
}

gboolean rill__broker_req_orphaned(const rill__broker_req *req)
{
  return req->conn->dead;
}

const char *rill__broker_req_client_host(const rill__broker_req *req)
{
  return req->conn->host;
}

/* ---- Off-loop work, one at a time per connection -------------------------------- */

static void offload_start(rill__req_priv *r);

static void offload_done_on_loop(void *user_data)
{
  rill__req_priv *r = user_data;
  rill__broker_conn *c = r->pub.conn;
  rill__broker *b = r->pub.broker;
  c->refs++;
  b->n_offloaded--;
  r->offload_done(&r->pub); /* answers: r is gone after this */
  c->serial_busy = FALSE;
  rill__req_priv *next = g_queue_pop_head(&c->serial_waiting);
  if (next)
    offload_start(next);
  rill__broker_conn_unref(c);
}

void rill__broker_pool_run(gpointer data, gpointer unused)
{
  rill__req_priv *r = data;
  (void)unused;
  r->offload_work(&r->pub);
  rill__broker_post(r->pub.broker, offload_done_on_loop, r);
}

static void offload_run_inline(void *user_data)
{
  rill__broker_pool_run(user_data, NULL);
}

static void offload_start(rill__req_priv *r)
{
  rill__broker *b = r->pub.broker;
  r->pub.conn->serial_busy = TRUE;
  b->n_offloaded++;
  /* An inline broker (broker-inline.h) has its caller run the work from a
   * post: after the handler, as on the pool, but with no thread hand-off
   * and in an order that replays. */
  if (b->inline_loop)
    rill__broker_post(b, offload_run_inline, r);
  else
    g_thread_pool_push(b->pool, r, NULL);
}

void rill__broker_offload(rill__broker_req *req, rill__broker_func work, rill__broker_func done)
{
  rill__req_priv *r = (rill__req_priv *)req;
  r->offload_work = work;
  r->offload_done = done;
  if (req->conn->serial_busy)
    g_queue_push_tail(&req->conn->serial_waiting, r);
  else
    offload_start(r);
}

guint rill__broker_reap_idle(rill__broker *b)
{
  int64_t now = rill__broker_now_ms(b);
  guint n = 0;
  GList *l = b->conns.head;
  while (l) {
    rill__broker_conn *c = l->data;
    l = l->next;
    if (c->slots.length == 0 && c->serial_waiting.length == 0 && !c->serial_busy &&
        now - c->last_active_ms > b->settings.connections_max_idle_ms) {
      rill__broker_conn_close(c, "idle");
      n++;
    }
  }
  return n;
}
