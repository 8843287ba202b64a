/* error.c — the GError domain shared by the archive source and sink. */
#include <rill/archive.h>

G_DEFINE_QUARK(rill-archive-error-quark, rill_archive_error)
