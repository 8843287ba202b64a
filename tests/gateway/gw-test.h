/* gw-test.h — helpers every gateway test shares: tokens under the tests'
 * secret and removing a test's directory tree. Header-only (static inline)
 * so each test binary keeps its own copy and needs no extra source. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <rill/gateway.h>
#include <string.h>

#define GW_TEST_SECRET "s3cret"

/* A token for @user under GW_TEST_SECRET that expires @ttl_s seconds from
 * now (negative: already expired). Transfer full (g_free). */
static inline char *gw_test_token(const char *user, gint64 ttl_s)
{
  GError *e = NULL;
  char *t = rill_gateway_token_mint((const guint8 *)GW_TEST_SECRET, strlen(GW_TEST_SECRET), user,
                                    g_get_real_time() / G_USEC_PER_SEC + ttl_s, &e);
  g_assert_no_error(e);
  return t;
}

/* Removes @path and everything under it (a test's scratch directory). */
static inline void gw_test_rm_rf(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
      char *p = g_build_filename(path, n, NULL);
      gw_test_rm_rf(p);
      g_free(p);
    }
    if (d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}
