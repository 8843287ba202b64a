/* export.h — RILL_API marks the library's public symbols.
 *
 * librill is compiled with -fvisibility=hidden, so only declarations marked
 * RILL_API in include/rill/ are exported from the shared library; internal
 * (rill__) functions stay private to it. Tests and fuzzers reach those through
 * the static twin (rill_internal). Every public header includes this one.
 */
#pragma once

#include <glib.h>

#if defined(RILL_COMPILATION) && defined(__GNUC__)
#define RILL_API __attribute__((visibility("default")))
#else
#define RILL_API
#endif
