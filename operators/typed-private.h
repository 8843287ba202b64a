/* typed-private.h — helpers of typed.c that other operators share. */
#pragma once

#include <json-glib/json-glib.h>

/* A timestamp text as ms since the epoch: an integer (taken as ms), the
 * access-log form "14/Nov/2023:22:13:20 +0000", or ISO 8601 (no zone =
 * UTC). FALSE when it is none of them. */
gboolean rill__parse_timestamp_ms(const char *text, gsize len, gint64 *ms);

/* Appends @node as compact JSON with doubles shortest round-trip
 * (json-glib's generator writes 76.34 as 76.340000000000003). */
void rill__json_append_node(GString *out, JsonNode *node);
