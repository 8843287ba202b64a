/* http-client.h — blocking HTTP requests for the HTTP tests (libsoup's own
 * client, so the server is checked against an independent implementation),
 * and promtool for checking exposition text. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

/* Sends @method to @url with an optional text body; returns the response
 * body (g_free) and sets @status and, if asked, @ctype (g_free). */
static inline char *hc_fetch(SoupSession *session, const char *method, const char *url, const char *body,
                             guint *status, char **ctype)
{
  SoupMessage *msg = soup_message_new(method, url);
  g_assert_nonnull(msg);
  if (body) {
    GBytes *b = g_bytes_new(body, strlen(body));
    soup_message_set_request_body_from_bytes(msg, "text/plain", b);
    g_bytes_unref(b);
  }
  GError *err = NULL;
  GBytes *got = soup_session_send_and_read(session, msg, NULL, &err);
  g_assert_no_error(err);
  *status = soup_message_get_status(msg);
  if (ctype)
    *ctype = g_strdup(soup_message_headers_get_content_type(soup_message_get_response_headers(msg), NULL));
  gsize n;
  const char *data = g_bytes_get_data(got, &n);
  char *text = g_strndup(data ? data : "", n);
  g_bytes_unref(got);
  g_object_unref(msg);
  return text;
}

/* GET http://127.0.0.1:@port@path, asserting status @want. (g_free) */
static inline char *hc_get(SoupSession *session, guint port, const char *path, guint want)
{
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u%s", port, path);
  guint status;
  char *body = hc_fetch(session, "GET", url, NULL, &status, NULL);
  if (status != want)
    g_error("GET %s: status %u, want %u: %s", path, status, want, body);
  return body;
}

/* Fails the test unless `promtool check metrics` accepts @text (its parser
 * and its lint: _total suffixes, units, HELP on every family). */
static inline void hc_promtool_check(const char *text)
{
  GError *err = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("rill-metrics-XXXXXX", &path, &err);
  g_assert_no_error(err);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, &err));
  g_autofree char *cmd = g_strdup_printf("promtool check metrics < '%s' 2>&1", path);
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  g_autofree char *out = NULL;
  int wait_status;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &wait_status, &err));
  g_assert_no_error(err);
  g_unlink(path);
  if (!g_spawn_check_wait_status(wait_status, NULL))
    g_error("promtool check metrics failed: %s\n--- text ---\n%s", out, text);
}

/* The value of the sample whose line starts with @series (name and
 * labels exactly as rendered, e.g. `m{a="b"}`), or -1 when absent. */
static inline double hc_sample(const char *text, const char *series)
{
  g_autofree char *needle = g_strconcat("\n", series, " ", NULL);
  const char *p = strstr(text, needle);
  if (!p && g_str_has_prefix(text, needle + 1))
    p = text - 1;
  if (!p)
    return -1;
  return g_ascii_strtod(p + strlen(needle), NULL);
}
