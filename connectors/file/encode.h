/* encode.h — turning record values into output lines, and writing them,
 * shared by the file sink and the stdio sink. */
#pragma once

#include <rill/file.h>

/* Appends @record's value and "\n" to @out. JSON Lines values holding a
 * raw line break are re-serialised compactly (FALSE with @error when such a
 * value is not JSON); an absent value writes an empty line. */
gboolean rill__encode_line(GString *out, rill_file_format format, const rill_record *record, GError **error);

/* write(2) all of @len bytes to @fd. FALSE with @error naming @what and the
 * byte @offset the write started at. */
gboolean rill__write_all(int fd, const void *data, gsize len, const char *what, guint64 offset, GError **error);
