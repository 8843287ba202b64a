/* version.h — the library's version, for programs that check what they link. */
#pragma once

#include <rill/export.h>

G_BEGIN_DECLS

#define RILL_VERSION_MAJOR 0
#define RILL_VERSION_MINOR 1
#define RILL_VERSION_MICRO 0

/* Returns the version of the library actually loaded, e.g. "0.1.0".
 * (transfer none): a static string. */
RILL_API const char *rill_version_string(void);

G_END_DECLS
