/* csv.h — internal CSV splitting shared by rill_fields and the parse stage. */
#pragma once

#include <glib.h>

typedef struct rill__csv_field {
  const char *data;  /* NULL = NULL field; points into the input or the scratch string */
  gsize len;
  gboolean quoted;
  gsize scratch_at;  /* quoted fields: offset of the unescaped text in scratch */
} rill__csv_field;

/* Splits one CSV record (@len bytes, no trailing line break) into @fields
 * (rill__csv_field). Unescaped quoted text goes to @scratch; pointers stay
 * valid until @scratch changes. FALSE with @error when malformed. */
gboolean rill__csv_split(const char *data, gsize len, char sep, GArray *fields, GString *scratch, GError **error);
