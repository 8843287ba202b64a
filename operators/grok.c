/* grok.c — the built-in pattern names of regex-parse and their expansion.
 *
 * The table follows Logstash's grok-patterns (same names and capture
 * fields, so a pattern written for grok reads the same here), trimmed to
 * what PCRE2 needs and to the log formats rill's docs promise: web server
 * access logs (COMMONAPACHELOG, COMBINEDAPACHELOG) and syslog (SYSLOGLINE),
 * plus their building blocks. Expansion is textual and recursive; a
 * definition may use other names but never itself (a depth limit catches
 * cycles). The table is static and read-only: no global state.
 */
#include "operators/grok.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *regex;
} grok_def;

/* Order: building blocks first, then the composite formats; docs list them so. */
static const grok_def table[] = {
  {"USERNAME", "[a-zA-Z0-9._-]+"},
  {"USER", "%{USERNAME}"},
  {"EMAILADDRESS", "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]+@[0-9A-Za-z][0-9A-Za-z.-]*"},
  {"HTTPDUSER", "(?:%{EMAILADDRESS}|%{USER})"},
  {"INT", "(?:[+-]?(?:[0-9]+))"},
  {"BASE10NUM", "(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\\.[0-9]+)?)|(?:\\.[0-9]+)))"},
  {"NUMBER", "(?:%{BASE10NUM})"},
  {"BASE16NUM", "(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))"},
  {"POSINT", "\\b(?:[1-9][0-9]*)\\b"},
  {"NONNEGINT", "\\b(?:[0-9]+)\\b"},
  {"WORD", "\\b\\w+\\b"},
  {"NOTSPACE", "\\S+"},
  {"SPACE", "\\s*"},
  {"DATA", ".*?"},
  {"GREEDYDATA", ".*"},
  {"QUOTEDSTRING", "(?>(?<!\\\\)(?>\"(?>\\\\.|[^\\\\\"]+)+\"|\"\"|(?>'(?>\\\\.|[^\\\\']+)+')|''))"},
  {"QS", "%{QUOTEDSTRING}"},
  {"UUID", "[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}"},
  {"MAC", "(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}"},
  {"IPV4", "(?<![0-9])(?:(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.]"
           "(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]))(?![0-9])"},
  {"IPV6", "(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:|"
           "(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}|"
           "(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}|(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}|"
           "(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}|[0-9A-Fa-f]{1,4}:(?::[0-9A-Fa-f]{1,4}){1,6}|"
           ":(?:(?::[0-9A-Fa-f]{1,4}){1,7}|:)|::[Ff]{4}:%{IPV4})(?:%[0-9A-Za-z]+)?"},
  {"IP", "(?:%{IPV6}|%{IPV4})"},
  {"HOSTNAME", "\\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\\.?|\\b)"},
  {"IPORHOST", "(?:%{IP}|%{HOSTNAME})"},
  {"HOSTPORT", "%{IPORHOST}:%{POSINT}"},
  {"URIPATH", "(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\\-]*)+"},
  {"URIPARAM", "\\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\\-\\[\\]<>]*"},
  {"URIPATHPARAM", "%{URIPATH}(?:%{URIPARAM})?"},
  {"LOGLEVEL", "(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo(?:rmation)?|INFO(?:RMATION)?|"
               "[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|"
               "[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)"},
  {"MONTH", "\\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|"
            "Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\b"},
  {"MONTHNUM", "(?:0?[1-9]|1[0-2])"},
  {"MONTHDAY", "(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])"},
  {"DAY", "\\b(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)\\b"},
  {"YEAR", "(?>\\d\\d){1,2}"},
  {"HOUR", "(?:2[0123]|[01]?[0-9])"},
  {"MINUTE", "(?:[0-5][0-9])"},
  {"SECOND", "(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)"},
  {"TIME", "(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])"},
  {"ISO8601_TIMEZONE", "(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))"},
  {"TIMESTAMP_ISO8601", "%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?"},
  {"HTTPDATE", "%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"},
  {"SYSLOGTIMESTAMP", "%{MONTH} +%{MONTHDAY} %{TIME}"},
  {"PROG", "[\\x21-\\x5a\\x5c\\x5e-\\x7e]+"},
  {"SYSLOGPROG", "%{PROG:program}(?:\\[%{POSINT:pid}\\])?"},
  {"SYSLOGHOST", "%{IPORHOST}"},
  {"SYSLOGBASE", "%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:logsource} %{SYSLOGPROG}:"},
  {"SYSLOGLINE", "%{SYSLOGBASE} ?%{GREEDYDATA:message}"},
  {"COMMONAPACHELOG", "%{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth} \\[%{HTTPDATE:timestamp}\\] "
                      "\"(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})\" "
                      "%{NUMBER:response} (?:%{NUMBER:bytes}|-)"},
  {"COMBINEDAPACHELOG", "%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}"},
};

/* Deep enough for the table (COMBINEDAPACHELOG is 6 levels); more is a cycle. */
#define MAX_DEPTH 16

const char *rill__grok_name(guint index)
{
  return index < G_N_ELEMENTS(table) ? table[index].name : NULL;
}

const char *rill__grok_definition(const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS(table); i++)
    if (strcmp(table[i].name, name) == 0)
      return table[i].regex;
  return NULL;
}

void rill__grok_typed_clear(void *data)
{
  rill__grok_typed *t = data;
  g_free(t->field);
  g_free(t->type);
}

static gboolean expand(GString *out, const char *pattern, GArray *typed, int depth, GError **error)
{
  if (depth > MAX_DEPTH) {
    g_set_error(error, G_REGEX_ERROR, G_REGEX_ERROR_COMPILE, "pattern names nested deeper than %d (a cycle?)",
                MAX_DEPTH);
    return FALSE;
  }
  const char *p = pattern;
  for (;;) {
    const char *open = strstr(p, "%{");
    /* A backslash before %{ keeps it literal (\%{ in the pattern). */
    while (open && open > p && open[-1] == '\\')
      open = strstr(open + 2, "%{");
    if (!open) {
      g_string_append(out, p);
      return TRUE;
    }
    g_string_append_len(out, p, open - p);
    const char *close = strchr(open, '}');
    if (!close) {
      g_set_error(error, G_REGEX_ERROR, G_REGEX_ERROR_COMPILE, "unterminated %%{ at \"%.20s\"", open);
      return FALSE;
    }
    char *inner = g_strndup(open + 2, (gsize)(close - open - 2));
    char **parts = g_strsplit(inner, ":", 3);
    const char *def = parts[0] ? rill__grok_definition(parts[0]) : NULL;
    gboolean ok = def != NULL;
    if (!def) {
      g_set_error(error, G_REGEX_ERROR, G_REGEX_ERROR_COMPILE,
                  "unknown pattern name %%{%s} (the names are listed in docs/rill-run.md, regex-parse)", inner);
    } else if (parts[1] && !*parts[1]) {
      g_set_error(error, G_REGEX_ERROR, G_REGEX_ERROR_COMPILE, "empty field name in %%{%s}", inner);
      ok = FALSE;
    } else {
      g_string_append(out, parts[1] ? "(?<" : "(?:");
      if (parts[1]) {
        g_string_append(out, parts[1]);
        g_string_append_c(out, '>');
        if (parts[2]) {
          rill__grok_typed t = {g_strdup(parts[1]), g_strdup(parts[2])};
          g_array_append_val(typed, t);
        }
      }
      ok = expand(out, def, typed, depth + 1, error);
      g_string_append_c(out, ')');
    }
    g_strfreev(parts);
    g_free(inner);
    if (!ok)
      return FALSE;
    p = close + 1;
  }
}

char *rill__grok_expand(const char *pattern, GArray *typed, GError **error)
{
  GString *out = g_string_new(NULL);
  if (!expand(out, pattern, typed, 0, error)) {
    g_string_free(out, TRUE);
    return NULL;
  }
  return g_string_free(out, FALSE);
}
