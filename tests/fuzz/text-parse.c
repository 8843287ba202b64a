/* text-parse.c — libFuzzer target for the plain-text and CSV readers of
 * rill-run: each input is one line for regex-parse (the access-log and
 * syslog grok formats and a pattern of typed named groups), a text for
 * every typed-value conversion, and a CSV row written as typed JSON. Any
 * bytes, invalid UTF-8 included, must either be refused with an error or
 * give valid JSON (checked with json-glib); never a crash.
 */
#include <rill/fields.h>
#include <rill/regex-parse.h>

#include <json-glib/json-glib.h>
#include <stdlib.h>

static void must_be_json(const GString *s)
{
  JsonParser *p = json_parser_new_immutable();
  if (!json_parser_load_from_data(p, s->str, (gssize)s->len, NULL))
    abort();
  g_object_unref(p);
}

static void parse_line(rill_regex_parser *p, const uint8_t *data, size_t size)
{
  GString *out = g_string_new(NULL);
  if (rill_regex_parser_parse(p, (const char *)data, size, out, NULL))
    must_be_json(out);
  else if (out->len)
    abort(); /* a failure leaves the output as it was */
  g_string_free(out, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const patterns[] = {"^%{COMBINEDAPACHELOG}$", "%{SYSLOGLINE}",
                                         "(?<a>\\S+) (?<b>\\d+) %{TIMESTAMP_ISO8601:t:timestamp}"};
  /* Compiled once for the whole run (JIT compiling per input is most of the time). */
  static rill_regex_parser *parsers[G_N_ELEMENTS(patterns)];
  for (guint i = 0; i < G_N_ELEMENTS(patterns); i++) {
    if (!parsers[i] && !(parsers[i] = rill_regex_parser_new(patterns[i], NULL)))
      abort();
    parse_line(parsers[i], data, size);
  }
  for (int t = RILL_VALUE_AUTO; t <= RILL_VALUE_TIMESTAMP; t++) {
    GString *out = g_string_new(NULL);
    if (rill_value_append_json(out, (const char *)data, size, (rill_value_type)t, NULL))
      must_be_json(out);
    g_string_free(out, TRUE);
  }
  rill_fields *f = rill_fields_new(RILL_FIELDS_CSV);
  if (rill_fields_parse(f, data, size, NULL)) {
    GString *out = g_string_new(NULL);
    rill_fields_write(f, RILL_FIELDS_JSON, out);
    must_be_json(out);
    g_string_free(out, TRUE);
  }
  rill_fields_free(f);
  return 0;
}
