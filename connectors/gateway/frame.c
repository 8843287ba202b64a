/* frame.c — parsing and writing the gateway's JSON frames (frame.h; the
 * reference is docs/gateway.md).
 *
 * Invariants: a parsed frame has exactly the fields its type allows, each of
 * the right JSON type and range (anything else is "bad_frame"), and its
 * strings are valid UTF-8; bodies are stored re-written as compact JSON, so
 * a stored body can be embedded in a deliver frame as is.
 *
 * json-glib 1.6 (Debian 12) is lenient where JSON is strict: it takes
 * "\u00e" followed by any byte as a four-digit escape and lets a lone low
 * surrogate through, and both come out as invalid UTF-8. So every \u escape
 * is checked before parsing (four hex digits; a low surrogate only right
 * after a high one), and a frame failing that is "bad_json"; with the input
 * valid UTF-8 (json-glib checks), every string it yields then is too.
 */
#include "connectors/gateway/frame.h"

#include <rill/fields.h>
#include <rill/gateway.h>

#include <json-glib/json-glib.h>
#include <string.h>

#define F(x) RILL__GW_F_##x
const rill__gw_frame_type rill__gw_client_frames[RILL__GW_N_OPS] = {
  [RILL__GW_SUBSCRIBE] = {"subscribe", F(CHANNEL), F(REF) | F(CHANNEL) | F(AFTER)},
  [RILL__GW_UNSUBSCRIBE] = {"unsubscribe", F(CHANNEL), F(REF) | F(CHANNEL)},
  [RILL__GW_PUBLISH] = {"publish", F(CHANNEL) | F(BODY), F(REF) | F(CHANNEL) | F(BODY)},
  [RILL__GW_HISTORY] = {"history", F(CHANNEL), F(REF) | F(CHANNEL) | F(SINCE) | F(SINCE_TIME) | F(LIMIT)},
  [RILL__GW_PING] = {"ping", 0, F(REF)},
};
#undef F

static const struct {
  const char *name;
  unsigned bit;
} fields[] = {
  {"type", 0},
  {"ref", RILL__GW_F_REF},
  {"channel", RILL__GW_F_CHANNEL},
  {"body", RILL__GW_F_BODY},
  {"after", RILL__GW_F_AFTER},
  {"since", RILL__GW_F_SINCE},
  {"since_time", RILL__GW_F_SINCE_TIME},
  {"limit", RILL__GW_F_LIMIT},
};

gboolean rill__gw_channel_valid(const char *name, gsize len)
{
  if (len == 0 || len > RILL__GW_MAX_CHANNEL)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    char c = name[i];
    if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != ':' && c != '@' && c != '-')
      return FALSE;
  }
  return TRUE;
}

void rill__gw_frame_clear(rill__gw_frame *f)
{
  g_free(f->ref);
  g_free(f->channel);
  g_free(f->body);
  memset(f, 0, sizeof *f);
  f->after = f->since = f->since_time = -1;
}

static gboolean fail(const char **code, const char *c, GError **error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean fail(const char **code, const char *c, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  *code = c;
  g_set_error_literal(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG, msg);
  g_free(msg);
  return FALSE;
}

/* A JSON integer >= 0 (json-glib keeps integers as int64; doubles refused). */
static gboolean get_offset(JsonNode *n, int64_t *out)
{
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int(n);
  return *out >= 0;
}

/* Every \u escape in TEXT has four hex digits, and one naming a low
 * surrogate directly follows one naming a high surrogate (json-glib itself
 * refuses a high surrogate without its low half). A backslash is only legal
 * inside a string, so scanning the raw text needs no string tracking: any
 * backslash outside one makes the parse fail anyway. */
static gboolean unicode_escapes_valid(const char *text, gsize len)
{
  gsize after_high = G_MAXSIZE; /* where a \u escape naming a high surrogate ended */
  for (gsize i = 0; i < len; i++) {
    if (text[i] != '\\')
      continue;
    if (i + 1 < len && text[i + 1] == 'u') {
      if (len - i < 6)
        return FALSE;
      unsigned cp = 0;
      for (gsize k = 2; k < 6; k++) {
        if (!g_ascii_isxdigit(text[i + k]))
          return FALSE;
        cp = cp << 4 | (unsigned)g_ascii_xdigit_value(text[i + k]);
      }
      if (cp >= 0xDC00 && cp <= 0xDFFF && after_high != i)
        return FALSE;
      after_high = cp >= 0xD800 && cp <= 0xDBFF ? i + 6 : G_MAXSIZE;
      i += 5;
      continue;
    }
    i++; /* the escaped character */
  }
  return TRUE;
}

gboolean rill__gw_frame_parse(const char *text, gsize len, rill__gw_frame *out, const char **code, GError **error)
{
  memset(out, 0, sizeof *out);
  rill__gw_frame_clear(out);
  out->limit = 100;
  gboolean ok = FALSE;
  JsonParser *parser = json_parser_new_immutable();
  GError *jerr = NULL;
  if (!unicode_escapes_valid(text, len)) {
    fail(code, "bad_json", error, "malformed JSON: a \\u escape needs four hex digits and no lone surrogate");
    goto out;
  }
  if (!json_parser_load_from_data(parser, text, (gssize)len, &jerr)) {
    fail(code, "bad_json", error, "malformed JSON: %s", jerr->message);
    g_error_free(jerr);
    goto out;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    fail(code, "bad_frame", error, "a frame is one JSON object");
    goto out;
  }
  JsonObject *o = json_node_get_object(root);
  /* ref first, so later errors can echo it */
  JsonNode *ref = json_object_get_member(o, "ref");
  if (ref) {
    if (!JSON_NODE_HOLDS_VALUE(ref) || json_node_get_value_type(ref) != G_TYPE_STRING ||
        strlen(json_node_get_string(ref)) > RILL__GW_MAX_REF) {
      fail(code, "bad_frame", error, "\"ref\" must be a string of at most %d bytes", RILL__GW_MAX_REF);
      goto out;
    }
    out->ref = g_strdup(json_node_get_string(ref));
  }
  JsonNode *type = json_object_get_member(o, "type");
  if (!type || !JSON_NODE_HOLDS_VALUE(type) || json_node_get_value_type(type) != G_TYPE_STRING) {
    fail(code, "bad_frame", error, "\"type\" (a string) is required");
    goto out;
  }
  const char *tname = json_node_get_string(type);
  int op = -1;
  for (int i = 0; i < RILL__GW_N_OPS; i++)
    if (strcmp(tname, rill__gw_client_frames[i].name) == 0)
      op = i;
  if (op < 0) {
    fail(code, "unknown_type", error, "unknown frame type");
    goto out;
  }
  out->op = (rill__gw_op)op;
  const rill__gw_frame_type *ft = &rill__gw_client_frames[op];
  unsigned seen = 0;
  JsonObjectIter it;
  const char *name;
  JsonNode *v;
  json_object_iter_init(&it, o);
  while (json_object_iter_next(&it, &name, &v)) {
    unsigned bit = G_MAXUINT;
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
      if (strcmp(name, fields[i].name) == 0)
        bit = fields[i].bit;
    if (bit == 0)
      continue; /* "type" */
    if (bit == G_MAXUINT || !(ft->allowed & bit)) {
      fail(code, "bad_frame", error, "field \"%s\" is not part of a %s frame", name, ft->name);
      goto out;
    }
    seen |= bit;
    switch (bit) {
    case RILL__GW_F_CHANNEL:
      if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_STRING ||
          !rill__gw_channel_valid(json_node_get_string(v), strlen(json_node_get_string(v)))) {
        fail(code, "bad_frame", error, "\"channel\" must be 1..%d of A-Z a-z 0-9 . _ : @ -", RILL__GW_MAX_CHANNEL);
        goto out;
      }
      out->channel = g_strdup(json_node_get_string(v));
      break;
    case RILL__GW_F_BODY:
      out->body = json_to_string(v, FALSE);
      break;
    case RILL__GW_F_AFTER:
    case RILL__GW_F_SINCE:
    case RILL__GW_F_SINCE_TIME:
    case RILL__GW_F_LIMIT: {
      int64_t x;
      if (!get_offset(v, &x)) {
        fail(code, "bad_frame", error, "\"%s\" must be an integer >= 0", name);
        goto out;
      }
      if (bit == RILL__GW_F_AFTER)
        out->after = x;
      else if (bit == RILL__GW_F_SINCE)
        out->since = x;
      else if (bit == RILL__GW_F_SINCE_TIME)
        out->since_time = x;
      else
        out->limit = MIN(x, RILL__GW_HISTORY_MAX);
      break;
    }
    default:
      break;
    }
  }
  if ((seen & ft->required) != ft->required) {
    fail(code, "bad_frame", error, "a %s frame needs%s%s", ft->name,
         (ft->required & ~seen & RILL__GW_F_CHANNEL) ? " \"channel\"" : "",
         (ft->required & ~seen & RILL__GW_F_BODY) ? " \"body\"" : "");
    goto out;
  }
  if (out->op == RILL__GW_HISTORY && (out->since >= 0) == (out->since_time >= 0)) {
    fail(code, "bad_frame", error, "a history frame needs one of \"since\" or \"since_time\"");
    goto out;
  }
  ok = TRUE;
out:
  g_object_unref(parser);
  if (!ok) {
    char *keep = out->ref;
    out->ref = NULL;
    rill__gw_frame_clear(out);
    out->ref = keep;
  }
  return ok;
}

/* ---- writing ------------------------------------------------------------- */

static GString *begin(const char *type, const char *ref)
{
  GString *s = g_string_sized_new(128);
  g_string_append_printf(s, "{\"type\":\"%s\"", type);
  if (ref) {
    g_string_append(s, ",\"ref\":");
    rill_json_append_string(s, ref, -1);
  }
  return s;
}

static void add_str(GString *s, const char *name, const char *v, gssize len)
{
  g_string_append_printf(s, ",\"%s\":", name);
  rill_json_append_string(s, v, len);
}

char *rill__gw_frame_ack(const char *ref, const char *channel, int32_t partition, int64_t offset)
{
  GString *s = begin("ack", ref);
  add_str(s, "channel", channel, -1);
  g_string_append_printf(s, ",\"partition\":%d,\"id\":%" G_GINT64_FORMAT "}", partition, offset);
  return g_string_free(s, FALSE);
}

char *rill__gw_frame_error(const char *ref, const char *code, const char *message)
{
  GString *s = begin("error", ref);
  add_str(s, "code", code, -1);
  add_str(s, "message", message, -1);
  g_string_append_c(s, '}');
  return g_string_free(s, FALSE);
}

char *rill__gw_frame_subscribed(const char *ref, const char *channel, int32_t partition, int64_t next)
{
  GString *s = begin("subscribed", ref);
  add_str(s, "channel", channel, -1);
  g_string_append_printf(s, ",\"partition\":%d,\"next\":%" G_GINT64_FORMAT "}", partition, next);
  return g_string_free(s, FALSE);
}

char *rill__gw_frame_history_end(const char *ref, const char *channel, int64_t next)
{
  GString *s = begin("history_end", ref);
  add_str(s, "channel", channel, -1);
  g_string_append_printf(s, ",\"next\":%" G_GINT64_FORMAT "}", next);
  return g_string_free(s, FALSE);
}

char *rill__gw_frame_pong(const char *ref)
{
  GString *s = begin("pong", ref);
  g_string_append_c(s, '}');
  return g_string_free(s, FALSE);
}

char *rill__gw_frame_welcome(const char *user, const char *topic)
{
  GString *s = begin("welcome", NULL);
  add_str(s, "user", user, -1);
  add_str(s, "topic", topic, -1);
  g_string_append_c(s, '}');
  return g_string_free(s, FALSE);
}

GBytes *rill__gw_frame_deliver(const char *topic, const char *channel, gsize channel_len, int32_t partition,
                               int64_t offset, int64_t ts, const char *from, gsize from_len, const char *body,
                               gsize body_len, gboolean history)
{
  GString *s = g_string_sized_new(96 + channel_len + from_len + body_len);
  g_string_append(s, history ? "{\"type\":\"deliver\",\"history\":true" : "{\"type\":\"deliver\"");
  add_str(s, "topic", topic, -1);
  add_str(s, "channel", channel, (gssize)channel_len);
  g_string_append_printf(s, ",\"partition\":%d,\"id\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT, partition,
                         offset, ts);
  add_str(s, "from", from, (gssize)from_len);
  g_string_append(s, ",\"body\":");
  g_string_append_len(s, body, (gssize)body_len);
  g_string_append_c(s, '}');
  return g_string_free_to_bytes(s);
}
