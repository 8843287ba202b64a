/* encode.h — turning records into output lines, converting between JSON
 * and CSV on the way, and writing them; shared by the file sink and the
 * stdio sink. */
#pragma once

#include <rill/file.h>

/* One per sink task (not thread safe). */
typedef struct rill__encoder rill__encoder;

rill__encoder *rill__encoder_new(rill_file_format format);
void rill__encoder_free(rill__encoder *encoder);

/* CSV output: the header row, whose names pick and order the members of
 * JSON records (configured, or restored from a checkpoint). (copied) */
void rill__encoder_set_csv_header(rill__encoder *encoder, const char *row);
/* CSV output: the header row, learned from @record when none is set yet:
 * its non-empty "csv-header" header, else the member names of its JSON
 * object. NULL while none is known (a CSV without names, plain lines).
 * (transfer none: the encoder's) */
const char *rill__encoder_csv_header(rill__encoder *encoder, const rill_record *record);

/* Appends @record as one line and "\n" to @out, converting to the output
 * format: a CSV record (one carrying "csv-header") becomes a typed JSON
 * object for jsonl; a JSON object becomes a CSV row (the header's columns,
 * in its order) for csv. Other values are written as they are, except JSON
 * Lines values holding a raw line break, which are re-serialised compactly.
 * FALSE with @error when a value that must be converted does not parse. */
gboolean rill__encoder_line(rill__encoder *encoder, GString *out, const rill_record *record, GError **error);

/* write(2) all of @len bytes to @fd. FALSE with @error naming @what and the
 * byte @offset the write started at. */
gboolean rill__write_all(int fd, const void *data, gsize len, const char *what, guint64 offset, GError **error);
