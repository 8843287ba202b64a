/* rules.c — channel rules (rules.h): an ordered list of (glob, readers,
 * writers) built once at construction and read-only after, so the gateway
 * thread checks them without locks. */
#include "connectors/gateway/rules.h"

#include <rill/gateway.h>

#include <string.h>

typedef struct {
  GPatternSpec *pattern;
  char **read, **write; /* NULL-terminated user lists */
} rule;

struct rill__gw_rules {
  GArray *rules; /* rule, file order */
  gboolean open; /* no rules given */
};

static void rule_clear(void *p)
{
  rule *r = p;
  g_pattern_spec_free(r->pattern);
  g_strfreev(r->read);
  g_strfreev(r->write);
}

rill__gw_rules *rill__gw_rules_new(const char *text, GError **error)
{
  rill__gw_rules *r = g_new0(rill__gw_rules, 1);
  r->rules = g_array_new(FALSE, TRUE, sizeof(rule));
  g_array_set_clear_func(r->rules, rule_clear);
  if (!text) {
    r->open = TRUE;
    return r;
  }
  GKeyFile *kf = g_key_file_new();
  if (!g_key_file_load_from_data(kf, text, strlen(text), G_KEY_FILE_NONE, error))
    goto fail;
  gsize n;
  char **groups = g_key_file_get_groups(kf, &n);
  for (gsize i = 0; i < n; i++) {
    if (strcmp(groups[i], "gateway") == 0)
      continue; /* the gateway's own settings share the file */
    if (!g_str_has_prefix(groups[i], "channel ") || groups[i][8] == 0) {
      g_set_error(error, RILL_GATEWAY_ERROR, RILL_GATEWAY_ERROR_CONFIG,
                  "rules: group [%s] is not [channel PATTERN]", groups[i]);
      g_strfreev(groups);
      goto fail;
    }
    rule ru = {g_pattern_spec_new(groups[i] + 8), NULL, NULL};
    ru.read = g_key_file_get_string_list(kf, groups[i], "read", NULL, NULL);
    ru.write = g_key_file_get_string_list(kf, groups[i], "write", NULL, NULL);
    if (!ru.read)
      ru.read = g_new0(char *, 1);
    if (!ru.write)
      ru.write = g_new0(char *, 1);
    g_array_append_val(r->rules, ru);
  }
  g_strfreev(groups);
  g_key_file_free(kf);
  r->open = r->rules->len == 0; /* a file with no [channel] group sets no rules */
  return r;
fail:
  g_key_file_free(kf);
  rill__gw_rules_free(r);
  return NULL;
}

void rill__gw_rules_free(rill__gw_rules *r)
{
  if (!r)
    return;
  g_array_unref(r->rules);
  g_free(r);
}

/* "$user": the channel names @user as a ':'-separated part. */
static gboolean names_user(const char *channel, const char *user)
{
  gsize ul = strlen(user);
  for (const char *p = strchr(channel, ':'); p; p = strchr(p + 1, ':'))
    if (strncmp(p + 1, user, ul) == 0 && (p[1 + ul] == 0 || p[1 + ul] == ':'))
      return TRUE;
  return FALSE;
}

rill__gw_verdict rill__gw_rules_check(const rill__gw_rules *r, const char *user, const char *channel, gboolean write)
{
  if (r->open)
    return RILL__GW_ALLOW;
  for (guint i = 0; i < r->rules->len; i++) {
    const rule *ru = &g_array_index(r->rules, rule, i);
    if (!g_pattern_spec_match_string(ru->pattern, channel))
      continue;
    for (char **u = write ? ru->write : ru->read; *u; u++)
      if (strcmp(*u, "*") == 0 || strcmp(*u, user) == 0 || (strcmp(*u, "$user") == 0 && names_user(channel, user)))
        return RILL__GW_ALLOW;
    return RILL__GW_FORBIDDEN;
  }
  return RILL__GW_UNKNOWN_CHANNEL;
}
