/* rules.h — who may read and write which channels (internal).
 *
 * The rules are a GKeyFile; each group "channel PATTERN" (a glob over
 * channel names) says who may subscribe/read history ("read") and publish
 * ("write"): a ';'-separated list of user names, "*" for everyone
 * authenticated, "$user" for a channel whose name ends with ":<user>" or
 * contains ":<user>:" (e.g. dm:alice:bob). The first group (in file order)
 * whose pattern matches decides; a channel no pattern matches is unknown.
 * A [gateway] group (rill-gateway's settings) is ignored here. Without
 * rules every channel is open to every user.
 */
#pragma once

#include <glib.h>

typedef struct rill__gw_rules rill__gw_rules;

typedef enum {
  RILL__GW_ALLOW = 0,
  RILL__GW_FORBIDDEN,
  RILL__GW_UNKNOWN_CHANNEL,
} rill__gw_verdict;

/* NULL @text: everything allowed. NULL with @error for a malformed file. */
rill__gw_rules *rill__gw_rules_new(const char *text, GError **error);
void rill__gw_rules_free(rill__gw_rules *r);
rill__gw_verdict rill__gw_rules_check(const rill__gw_rules *r, const char *user, const char *channel, gboolean write);
