/* format.c — record formatting for rill-consume (see format.h). A format
 * is compiled once into a list of literal runs and tokens, so printing a
 * record does no parsing. */
#include "format.h"

#include <rill/fields.h>

#include "tool.h"

typedef struct {
  char token;  /* 0 for a literal */
  char *text;  /* literal text (escapes resolved) */
  gsize len;
} piece;

struct tool_format {
  GArray *pieces; /* piece */
  char *null_text;
};

static void piece_clear(gpointer p)
{
  g_free(((piece *)p)->text);
}

tool_format *tool_format_new(const char *fmt, GError **error)
{
  tool_format *f = g_new0(tool_format, 1);
  f->pieces = g_array_new(FALSE, TRUE, sizeof(piece));
  g_array_set_clear_func(f->pieces, piece_clear);
  f->null_text = g_strdup("");
  GString *lit = g_string_new(NULL);
  for (const char *c = fmt; *c; c++) {
    if (*c == '\\' && c[1]) {
      c++;
      switch (*c) {
      case 'n': g_string_append_c(lit, '\n'); break;
      case 'r': g_string_append_c(lit, '\r'); break;
      case 't': g_string_append_c(lit, '\t'); break;
      case '\\': g_string_append_c(lit, '\\'); break;
      default:
        g_string_append_c(lit, '\\');
        g_string_append_c(lit, *c);
      }
      continue;
    }
    if (*c != '%') {
      g_string_append_c(lit, *c);
      continue;
    }
    c++;
    if (*c == '%') {
      g_string_append_c(lit, '%');
      continue;
    }
    if (!*c || !strchr("tpoTkKsvSh", *c)) {
      tool_usage_error(error, "format: unknown token '%%%s' (known: %%t %%p %%o %%T %%k %%K %%s %%v %%S %%h %%%%)",
                       *c ? (char[]){*c, 0} : "");
      g_string_free(lit, TRUE);
      tool_format_free(f);
      return NULL;
    }
    if (lit->len) {
      piece p = {0, g_strndup(lit->str, lit->len), lit->len};
      g_array_append_val(f->pieces, p);
      g_string_truncate(lit, 0);
    }
    piece p = {*c == 'v' ? 's' : *c, NULL, 0};
    g_array_append_val(f->pieces, p);
  }
  if (lit->len) {
    piece p = {0, g_strndup(lit->str, lit->len), lit->len};
    g_array_append_val(f->pieces, p);
  }
  g_string_free(lit, TRUE);
  return f;
}

void tool_format_free(tool_format *f)
{
  if (!f)
    return;
  g_array_unref(f->pieces);
  g_free(f->null_text);
  g_free(f);
}

void tool_format_set_null_text(tool_format *f, const char *text)
{
  g_free(f->null_text);
  f->null_text = g_strdup(text);
}

static void append_bytes(GString *out, const uint8_t *p, int32_t len, const char *null_text)
{
  if (!p || len < 0)
    g_string_append(out, null_text);
  else
    g_string_append_len(out, (const char *)p, len);
}

void tool_format_record(const tool_format *f, GString *out, const char *topic, int32_t partition,
                        const rill__record *r)
{
  for (guint i = 0; i < f->pieces->len; i++) {
    const piece *p = &g_array_index(f->pieces, piece, i);
    switch (p->token) {
    case 0: g_string_append_len(out, p->text, (gssize)p->len); break;
    case 't': g_string_append(out, topic); break;
    case 'p': g_string_append_printf(out, "%d", partition); break;
    case 'o': g_string_append_printf(out, "%" G_GINT64_FORMAT, r->offset); break;
    case 'T': g_string_append_printf(out, "%" G_GINT64_FORMAT, r->timestamp); break;
    case 'k': append_bytes(out, r->key, r->key_len, f->null_text); break;
    case 'K': g_string_append_printf(out, "%d", r->key ? r->key_len : -1); break;
    case 's': append_bytes(out, r->value, r->value_len, f->null_text); break;
    case 'S': g_string_append_printf(out, "%d", r->value ? r->value_len : -1); break;
    case 'h': {
      rill__record_header_iter it;
      rill__record_header h;
      rill__record_header_iter_init(&it, r);
      gboolean first = TRUE;
      while (rill__record_header_iter_next(&it, &h)) {
        if (!first)
          g_string_append_c(out, ',');
        first = FALSE;
        g_string_append_len(out, (const char *)h.key, h.key_len);
        g_string_append_c(out, '=');
        append_bytes(out, h.value, h.value_len, f->null_text);
      }
      break;
    }
    }
  }
}

/* A JSON string, or null for a null field (@len < 0). */
static void json_string(GString *out, const uint8_t *p, int32_t len)
{
  if (!p || len < 0)
    g_string_append(out, "null");
  else
    rill_json_append_string(out, (const char *)p, len);
}

void tool_format_json(GString *out, const char *topic, int32_t partition, const rill__record *r)
{
  g_string_append(out, "{\"topic\":");
  json_string(out, (const uint8_t *)topic, (int32_t)strlen(topic));
  g_string_append_printf(out, ",\"partition\":%d,\"offset\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT
                         ",\"headers\":[", partition, r->offset, r->timestamp);
  rill__record_header_iter it;
  rill__record_header h;
  rill__record_header_iter_init(&it, r);
  gboolean first = TRUE;
  while (rill__record_header_iter_next(&it, &h)) {
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    json_string(out, h.key, h.key_len);
    g_string_append_c(out, ',');
    json_string(out, h.value, h.value_len);
  }
  g_string_append(out, "],\"key\":");
  json_string(out, r->key, r->key_len);
  g_string_append(out, ",\"payload\":");
  json_string(out, r->value, r->value_len);
  g_string_append(out, "}\n");
}
