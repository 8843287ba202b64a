/* frame.h — the gateway's JSON frames (internal): parsing what clients send
 * and writing what the gateway sends. The frame reference is docs/gateway.md;
 * the table in frame.c (rill__gw_client_frames) is the one list of client
 * frame types and their fields, read by the parser and checked against the
 * docs by tests/connectors/test-gateway-frames.c.
 *
 * A client frame is one JSON object in one WebSocket text message:
 *   {"type": "subscribe" | "unsubscribe" | "publish" | "history" | "ping",
 *    "ref": "...", "channel": "...", "body": <any JSON>, "after": <id>,
 *    "since": <id>, "since_time": <ms>, "limit": <n>}
 * Parsing never trusts the peer: every failure is a code (the error frame's
 * "code") and a message, never a crash or an abort.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
  RILL__GW_SUBSCRIBE,
  RILL__GW_UNSUBSCRIBE,
  RILL__GW_PUBLISH,
  RILL__GW_HISTORY,
  RILL__GW_PING,
  RILL__GW_N_OPS,
} rill__gw_op;

/* Field bits: which fields a frame type requires / allows. */
enum {
  RILL__GW_F_REF = 1 << 0,
  RILL__GW_F_CHANNEL = 1 << 1,
  RILL__GW_F_BODY = 1 << 2,
  RILL__GW_F_AFTER = 1 << 3,
  RILL__GW_F_SINCE = 1 << 4,
  RILL__GW_F_SINCE_TIME = 1 << 5,
  RILL__GW_F_LIMIT = 1 << 6,
};

typedef struct {
  const char *name;  /* "type" value */
  unsigned required; /* RILL__GW_F_* */
  unsigned allowed;  /* RILL__GW_F_* (required ones included) */
} rill__gw_frame_type;

extern const rill__gw_frame_type rill__gw_client_frames[RILL__GW_N_OPS];

#define RILL__GW_MAX_CHANNEL 128 /* bytes of a channel name: [A-Za-z0-9._:@-] */
#define RILL__GW_MAX_REF 64      /* bytes of a ref */
#define RILL__GW_HISTORY_MAX 1000

typedef struct {
  rill__gw_op op;
  char *ref;          /* NULL when absent (owned) */
  char *channel;      /* NULL when absent (owned) */
  char *body;         /* publish: the body as compact JSON (owned) */
  int64_t after;      /* subscribe: resume after this id; -1 = live only */
  int64_t since;      /* history: first id; -1 = absent */
  int64_t since_time; /* history: first time (ms); -1 = absent */
  int64_t limit;      /* history: at most this many (default 100) */
} rill__gw_frame;

/* Parses @len bytes at @text into @out (cleared first; clear it after).
 * FALSE with *@code (static string: "bad_json", "bad_frame",
 * "unknown_type") and @error's message; *@out's ref is set when the frame
 * had a readable one, so the error can echo it. */
gboolean rill__gw_frame_parse(const char *text, gsize len, rill__gw_frame *out, const char **code, GError **error);
void rill__gw_frame_clear(rill__gw_frame *f);
/* TRUE for a valid channel name. */
gboolean rill__gw_channel_valid(const char *name, gsize len);

/* ---- frames the gateway sends (each a complete JSON text) ---------------- */
char *rill__gw_frame_ack(const char *ref, const char *channel, int32_t partition, int64_t offset);
char *rill__gw_frame_error(const char *ref, const char *code, const char *message);
char *rill__gw_frame_subscribed(const char *ref, const char *channel, int32_t partition, int64_t next);
char *rill__gw_frame_history_end(const char *ref, const char *channel, int64_t next);
char *rill__gw_frame_pong(const char *ref);
char *rill__gw_frame_welcome(const char *user, const char *topic);
/* One deliver frame; @history marks replies to a history request. */
GBytes *rill__gw_frame_deliver(const char *topic, const char *channel, gsize channel_len, int32_t partition,
                               int64_t offset, int64_t ts, const char *from, gsize from_len, const char *body,
                               gsize body_len, gboolean history);
