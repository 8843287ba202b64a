/* file-elements.h — what the file and stdio launch elements share: the
 * format= row (its choices are rill_file_format's names, in enum order).
 */
#pragma once

#include "runtime/launch/launch-private.h"

#include <rill/file.h>

G_STATIC_ASSERT(RILL_FILE_FORMAT_LINES == 0 && RILL_FILE_FORMAT_JSONL == 1 && RILL_FILE_FORMAT_CSV == 2);

/* format=, into an `int format` (a rill_file_format) of @type. */
#define RILL__FILE_FORMAT_ROW(type, def)                                                                      \
  {"format", RILL__CONF_ENUM, offsetof(type, format), 0, 0, def, "lines|jsonl|csv", NULL, NULL, "record format"}

/* csv-header= and columns= of the sources (file-src, stdin-src), into a
 * `gboolean csv_header` and a `char **columns` of @type. */
#define RILL__CSV_SOURCE_ROWS(type)                                                                           \
  {"csv-header", RILL__CONF_BOOL, offsetof(type, csv_header), 0, 0, "false", NULL, NULL, NULL,                \
   "CSV: the first row names the columns"},                                                                   \
  {"columns", RILL__CONF_LIST, offsetof(type, columns), 0, 0, NULL, NULL, NULL, NULL,                         \
   "CSV: column names, comma separated (replace the header row with csv-header=true; default without "      \
   "either: c1..cN)"}
