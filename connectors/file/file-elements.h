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
