/* cli.c — --version and --log-format for every tool (see cli.h). */
#include "cli.h"

#include <rill/version.h>

#include <stdio.h>
#include <stdlib.h>

static const char *tool_name = "rill";
static tool_log_format log_format = TOOL_LOG_TEXT;

static gboolean on_version(const char *name, const char *value, gpointer data, GError **error)
{
  printf("%s %s\n", tool_name, rill_version_string());
  exit(0);
}

static const char *level_name(GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return "error";
  if (level & G_LOG_LEVEL_WARNING)
    return "warn";
  if (level & G_LOG_LEVEL_DEBUG)
    return "debug";
  return "info";
}

/* logfmt: bare when safe, else quoted with \" \\ \n escaped. */
static void append_logfmt(GString *s, const char *v)
{
  gboolean bare = *v != '\0';
  for (const char *p = v; *p && bare; p++)
    bare = (guchar)*p > ' ' && *p != '=' && *p != '"' && *p != '\\';
  if (bare) {
    g_string_append(s, v);
    return;
  }
  g_string_append_c(s, '"');
  for (const char *p = v; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c(s, '\\');
    if (*p == '\n')
      g_string_append(s, "\\n");
    else
      g_string_append_c(s, *p);
  }
  g_string_append_c(s, '"');
}

static void append_json_string(GString *s, const char *v)
{
  g_string_append_c(s, '"');
  for (const guchar *p = (const guchar *)v; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf(s, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf(s, "\\u%04x", *p);
    else
      g_string_append_c(s, (char)*p);
  }
  g_string_append_c(s, '"');
}

/* Now as RFC 3339 UTC with milliseconds. (transfer full) */
static char *timestamp(void)
{
  GDateTime *now = g_date_time_new_now_utc();
  char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_date_time_unref(now);
  /* %f is microseconds: keep milliseconds. */
  char *dot = strrchr(ts, '.');
  if (dot && strlen(dot) > 4)
    memmove(dot + 4, dot + 7, strlen(dot + 7) + 1);
  return ts;
}

/* Next `key=value` of a logfmt line at *@p (value bare or quoted with \"
 * and \\ escapes); FALSE at the end. (transfer full) @key, @value */
static gboolean next_pair(const char **p, char **key, char **value)
{
  const char *s = *p;
  while (*s == ' ')
    s++;
  if (!*s)
    return FALSE;
  const char *eq = s;
  while (*eq && *eq != '=' && *eq != ' ')
    eq++;
  *key = g_strndup(s, (gsize)(eq - s));
  GString *v = g_string_new(NULL);
  s = *eq == '=' ? eq + 1 : eq;
  if (*s == '"') {
    for (s++; *s && *s != '"'; s++) {
      if (*s == '\\' && s[1])
        s++;
      g_string_append_c(v, *s == 'n' && s[-1] == '\\' ? '\n' : *s);
    }
    if (*s == '"')
      s++;
  } else {
    while (*s && *s != ' ')
      g_string_append_c(v, *s++);
  }
  *value = g_string_free(v, FALSE);
  *p = s;
  return TRUE;
}

char *tool_cli_event_line(GLogLevelFlags level, const char *logfmt)
{
  gboolean has_ts = g_str_has_prefix(logfmt, "ts="), has_level = strstr(logfmt, " level=") != NULL;
  if (log_format == TOOL_LOG_TEXT)
    return g_strdup(logfmt);
  GString *s = g_string_new(NULL);
  char *ts = timestamp();
  if (log_format == TOOL_LOG_LOGFMT) {
    if (!has_ts)
      g_string_append_printf(s, "ts=%s ", ts);
    if (!has_level)
      g_string_append_printf(s, "level=%s ", level_name(level));
    g_string_append(s, logfmt);
  } else {
    g_string_append_c(s, '{');
    gboolean comma = FALSE;
    if (!has_ts) {
      g_string_append_printf(s, "\"ts\":\"%s\"", ts);
      comma = TRUE;
    }
    if (!has_level) {
      g_string_append_printf(s, "%s\"level\":\"%s\"", comma ? "," : "", level_name(level));
      comma = TRUE;
    }
    const char *p = logfmt;
    char *key, *value;
    while (next_pair(&p, &key, &value)) {
      if (comma)
        g_string_append_c(s, ',');
      comma = TRUE;
      append_json_string(s, key);
      g_string_append_c(s, ':');
      gint64 n;
      if (*value && g_ascii_string_to_signed(value, 10, G_MININT64, G_MAXINT64, &n, NULL))
        g_string_append(s, value);
      else
        append_json_string(s, value);
      g_free(key);
      g_free(value);
    }
    g_string_append_c(s, '}');
  }
  g_free(ts);
  return g_string_free(s, FALSE);
}

char *tool_cli_format_line(GLogLevelFlags level, const char *message)
{
  GString *s = g_string_new(NULL);
  if (log_format == TOOL_LOG_TEXT) {
    g_string_append_printf(s, "%s: %s%s", tool_name, level & G_LOG_LEVEL_WARNING ? "warning: " : "", message);
    return g_string_free(s, FALSE);
  }
  char *ts = timestamp();
  if (log_format == TOOL_LOG_LOGFMT) {
    g_string_append_printf(s, "ts=%s level=%s tool=%s msg=", ts, level_name(level), tool_name);
    append_logfmt(s, message);
  } else {
    g_string_append_printf(s, "{\"ts\":\"%s\",\"level\":\"%s\",\"tool\":", ts, level_name(level));
    append_json_string(s, tool_name);
    g_string_append(s, ",\"msg\":");
    append_json_string(s, message);
    g_string_append_c(s, '}');
  }
  g_free(ts);
  return g_string_free(s, FALSE);
}

void tool_log(GLogLevelFlags level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  char *line = tool_cli_format_line(level, msg);
  fprintf(stderr, "%s\n", line);
  g_free(line);
  g_free(msg);
}

/* GLib's messages (the library's g_warning, g_debug with G_MESSAGES_DEBUG)
 * in the same format as the tool's own. */
static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL, *message = "";
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (g_strcmp0(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      message = fields[i].value;
  }
  if (g_log_writer_default_would_drop(level, domain))
    return G_LOG_WRITER_HANDLED;
  tool_log(level, "%s%s%s", domain ? domain : "", domain ? ": " : "", message);
  return G_LOG_WRITER_HANDLED;
}

static gboolean on_log_format(const char *name, const char *value, gpointer data, GError **error)
{
  if (g_strcmp0(value, "text") == 0)
    log_format = TOOL_LOG_TEXT;
  else if (g_strcmp0(value, "logfmt") == 0)
    log_format = TOOL_LOG_LOGFMT;
  else if (g_strcmp0(value, "json") == 0)
    log_format = TOOL_LOG_JSON;
  else {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--log-format: '%s' is not text, logfmt or json",
                value);
    return FALSE;
  }
  static gboolean writer_set; /* GLib takes a writer once per process */
  if (log_format != TOOL_LOG_TEXT && !writer_set) {
    g_log_set_writer_func(log_writer, NULL, NULL);
    writer_set = TRUE;
  }
  return TRUE;
}

void tool_cli_add_options(GOptionContext *ctx, const char *tool)
{
  tool_name = tool;
  const GOptionEntry entries[] = {
    {"version", 'V', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (void *)on_version, "Print the version and exit",
     NULL},
    {"log-format", 0, 0, G_OPTION_ARG_CALLBACK, (void *)on_log_format,
     "Diagnostics on stderr as text (default), logfmt or json (ts and level on every line)", "text|logfmt|json"},
    G_OPTION_ENTRY_NULL,
  };
  g_option_context_add_main_entries(ctx, entries, NULL);
}

tool_log_format tool_cli_log_format(void)
{
  return log_format;
}
