/* file-elements.h — what the file and stdio launch elements share: the
 * format= parameter (its choices are rill_file_format's names).
 */
#pragma once

#include "runtime/launch/launch-private.h"

#include <rill/file.h>

#define RILL__FILE_FORMAT_PARAM(def)                                                                          \
  {"format", RILL_LAUNCH_ENUM, def, "lines|jsonl|csv", FALSE, "record format"}

/* The element's format= value. */
rill_file_format rill__file_format_param(rill_launch_builder *b);
