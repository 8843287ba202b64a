/* test-gateway-frames.c — the frame parser on its own: every frame type of
 * the table with its fields, every required field missing, every encoded
 * prefix of valid frames (each must fail cleanly or parse), and
 * docs/gateway.md's client frame table against the parser's table. */
#include "connectors/gateway/frame.h"

#include <string.h>

static gboolean parse(const char *text, rill__gw_frame *f, const char **code)
{
  GError *e = NULL;
  gboolean ok = rill__gw_frame_parse(text, strlen(text), f, code, &e);
  g_assert_true(ok == (e == NULL));
  g_clear_error(&e);
  return ok;
}

static void test_fields(void)
{
  rill__gw_frame f;
  const char *code;
  g_assert_true(parse("{\"type\":\"publish\",\"ref\":\"r\",\"channel\":\"a:b\",\"body\":{ \"x\" : [1, \"\\u00e9\"] }}", &f, &code));
  g_assert_cmpint(f.op, ==, RILL__GW_PUBLISH);
  g_assert_cmpstr(f.ref, ==, "r");
  g_assert_cmpstr(f.channel, ==, "a:b");
  g_assert_cmpstr(f.body, ==, "{\"x\":[1,\"\u00e9\"]}"); /* compact */
  rill__gw_frame_clear(&f);
  g_assert_true(parse("{\"type\":\"subscribe\",\"channel\":\"c\",\"after\":12}", &f, &code));
  g_assert_cmpint(f.after, ==, 12);
  rill__gw_frame_clear(&f);
  g_assert_true(parse("{\"type\":\"history\",\"channel\":\"c\",\"since_time\":5,\"limit\":5000}", &f, &code));
  g_assert_cmpint(f.since_time, ==, 5);
  g_assert_cmpint(f.since, ==, -1);
  g_assert_cmpint(f.limit, ==, RILL__GW_HISTORY_MAX);
  rill__gw_frame_clear(&f);
  /* the ref of a refused frame is kept, to be echoed */
  g_assert_false(parse("{\"ref\":\"q\",\"type\":\"publish\",\"channel\":\"c\"}", &f, &code));
  g_assert_cmpstr(code, ==, "bad_frame");
  g_assert_cmpstr(f.ref, ==, "q");
  rill__gw_frame_clear(&f);
  /* json-glib alone takes these and yields invalid UTF-8 (a fuzzer find):
   * a \u escape cut short before a multi-byte character, a lone low
   * surrogate in the body, in a member name, and in the ref */
  const char *bad_utf8[] = {
    "{\"type\":\"publish\",\"channel\":\"c\",\"body\":{\"t\":\"h\\u00e\307\214lo\"}}",
    "{\"type\":\"publish\",\"channel\":\"c\",\"body\":[\"\\udc00x\"]}",
    "{\"type\":\"ping\",\"\\udc00x\":1}",
    "{\"type\":\"ping\",\"ref\":\"\\udc00x\"}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_utf8); i++) {
    g_assert_false(parse(bad_utf8[i], &f, &code));
    g_assert_null(f.body);
    g_assert_true(f.ref == NULL || g_utf8_validate(f.ref, -1, NULL));
    rill__gw_frame_clear(&f);
  }
  char longref[100];
  memset(longref, 'r', sizeof longref);
  longref[RILL__GW_MAX_REF + 1] = 0;
  char *t = g_strdup_printf("{\"type\":\"ping\",\"ref\":\"%s\"}", longref);
  g_assert_false(parse(t, &f, &code));
  g_free(t);
  rill__gw_frame_clear(&f);
  char longch[RILL__GW_MAX_CHANNEL + 2];
  memset(longch, 'c', sizeof longch);
  longch[RILL__GW_MAX_CHANNEL + 1] = 0;
  t = g_strdup_printf("{\"type\":\"subscribe\",\"channel\":\"%s\"}", longch);
  g_assert_false(parse(t, &f, &code));
  g_free(t);
  rill__gw_frame_clear(&f);
  longch[RILL__GW_MAX_CHANNEL] = 0;
  t = g_strdup_printf("{\"type\":\"subscribe\",\"channel\":\"%s\"}", longch);
  g_assert_true(parse(t, &f, &code));
  g_free(t);
  rill__gw_frame_clear(&f);
}

/* Every prefix of a valid frame fails with bad_json (or parses, for the
 * whole); nothing crashes or leaks. */
static void test_prefixes(void)
{
  const char *frames[] = {
    "{\"type\":\"publish\",\"ref\":\"r\",\"channel\":\"a:b\",\"body\":{\"x\":[1,\"\\u00e9\",null,true,2.5]}}",
    "{\"type\":\"history\",\"channel\":\"c\",\"since\":3,\"limit\":2}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(frames); i++) {
    gsize n = strlen(frames[i]);
    for (gsize k = 0; k <= n; k++) {
      rill__gw_frame f;
      const char *code = NULL;
      GError *e = NULL;
      gboolean ok = rill__gw_frame_parse(frames[i], k, &f, &code, &e);
      g_assert_true(ok == (k == n));
      if (!ok) {
        g_assert_nonnull(code);
        g_assert_nonnull(e);
        g_error_free(e);
      }
      rill__gw_frame_clear(&f);
    }
  }
}

static void test_required(void)
{
  for (int op = 0; op < RILL__GW_N_OPS; op++) {
    const rill__gw_frame_type *ft = &rill__gw_client_frames[op];
    unsigned req = ft->required;
    if (op == RILL__GW_HISTORY)
      continue; /* one of since/since_time: covered in test-gateway */
    for (unsigned drop = 0; drop < 8; drop++) {
      unsigned bit = 1u << drop;
      GString *s = g_string_new(NULL);
      g_string_append_printf(s, "{\"type\":\"%s\"", ft->name);
      if ((req & RILL__GW_F_CHANNEL) && bit != RILL__GW_F_CHANNEL)
        g_string_append(s, ",\"channel\":\"c\"");
      if ((req & RILL__GW_F_BODY) && bit != RILL__GW_F_BODY)
        g_string_append(s, ",\"body\":null");
      g_string_append_c(s, '}');
      rill__gw_frame f;
      const char *code;
      gboolean ok = parse(s->str, &f, &code);
      g_assert_true(ok == !(req & bit));
      rill__gw_frame_clear(&f);
      g_string_free(s, TRUE);
    }
  }
}

static const char *field_name(unsigned bit)
{
  switch (bit) {
  case RILL__GW_F_REF: return "ref";
  case RILL__GW_F_CHANNEL: return "channel";
  case RILL__GW_F_BODY: return "body";
  case RILL__GW_F_AFTER: return "after";
  case RILL__GW_F_SINCE: return "since";
  case RILL__GW_F_SINCE_TIME: return "since_time";
  case RILL__GW_F_LIMIT: return "limit";
  default: return "?";
  }
}

static char *fields_cell(unsigned bits)
{
  GString *s = g_string_new(NULL);
  for (unsigned b = 1; b <= RILL__GW_F_LIMIT; b <<= 1)
    if (bits & b)
      g_string_append_printf(s, "%s`%s`", s->len ? ", " : "", field_name(b));
  return g_string_free(s, FALSE);
}

/* docs/gateway.md has one row per client frame type: | `type` | required | optional | */
static void test_docs_table(void)
{
  char *path = g_build_filename(RILL_SOURCE_DIR, "docs", "gateway.md", NULL), *doc;
  g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
  const char *table = strstr(doc, "<!-- client-frames");
  g_assert_nonnull(table);
  for (int op = 0; op < RILL__GW_N_OPS; op++) {
    const rill__gw_frame_type *ft = &rill__gw_client_frames[op];
    char *req = fields_cell(ft->required), *opt = fields_cell(ft->allowed & ~ft->required);
    char *row = g_strdup_printf("| `%s` | %s | %s |", ft->name, req, opt);
    if (!strstr(table, row))
      g_error("docs/gateway.md lacks the row: %s", row);
    g_free(row);
    g_free(req);
    g_free(opt);
  }
  g_free(doc);
  g_free(path);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/gateway-frames/fields", test_fields);
  g_test_add_func("/gateway-frames/prefixes", test_prefixes);
  g_test_add_func("/gateway-frames/required", test_required);
  g_test_add_func("/gateway-frames/docs", test_docs_table);
  return g_test_run();
}
