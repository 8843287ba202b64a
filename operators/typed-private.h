/* typed-private.h — helpers of typed.c that other operators share. */
#pragma once

#include <glib.h>

/* A timestamp text as ms since the epoch: an integer (taken as ms), the
 * access-log form "14/Nov/2023:22:13:20 +0000", or ISO 8601 (no zone =
 * UTC). FALSE when it is none of them. */
gboolean rill__parse_timestamp_ms(const char *text, gsize len, gint64 *ms);

/* Until runtime/numbers.h lands: shortest round-trip text of @v. */
void rill__append_double(GString *out, double v);
