/* reader.h — frames records out of one file descriptor read in big chunks.
 *
 * The reader owns a refcounted chunk buffer; frames point into it, so a
 * source emits them without copying by referencing the chunk from its
 * batch. Invariants: bytes [0, pos) of the chunk have been framed (and may
 * be referenced by batches in flight, so they are never written again);
 * [pos, len) is an incomplete record waiting for more bytes; writes only go
 * to [len, size). When the chunk is full, the incomplete tail moves to a
 * fresh chunk (the old one lives on while batches reference it).
 *
 * Follow mode (rill__reader_poll_rotation) handles a path whose file was
 * replaced (renamed away, new file created) or truncated in place.
 */
#pragma once

#include <rill/batch.h>
#include <rill/file.h>

typedef struct rill__reader {
  int fd;
  char *path;                /* as given; "-" for stdin */
  rill_file_format format;
  gboolean is_regular;       /* regular file (else pipe/tty: poll before read) */
  gsize chunk_size;
  rill_buffer *chunk;        /* current chunk (we hold one reference) */
  gsize len, pos;            /* valid bytes; start of the next record */
  guint64 chunk_offset;      /* file offset of chunk byte 0 */
  guint64 line;              /* 1-based line number of the record at pos */
  gboolean eof;              /* the last read returned 0 */
  gboolean quoted_tail;      /* CSV: the tail at eof ended inside quotes */
  gboolean hold_tail;        /* follow mode: at eof, keep an unterminated tail (the writer may be mid-line) */
  guint64 ino, dev;          /* identity of the open file (follow mode) */
} rill__reader;

/* A framed record. data points into reader->chunk. */
typedef struct rill__frame {
  const uint8_t *data;
  gsize len;
  guint64 offset;            /* file offset of data[0] */
  guint64 line;              /* line number of data[0] */
  gboolean final;            /* ended by end of file rather than a line break */
} rill__frame;

typedef enum {
  RILL__FRAME_OK,            /* *frame is a record */
  RILL__FRAME_MORE,          /* need rill__reader_fill (or, at eof, nothing left) */
  RILL__FRAME_TRUNCATED,     /* at eof, the tail is an unterminated quoted CSV record (in *frame) */
} rill__frame_status;

/* Opens @path ("-" = stdin, not closed by free). */
gboolean rill__reader_open(rill__reader *reader, const char *path, rill_file_format format, gsize chunk_size,
                           GError **error);
void rill__reader_clear(rill__reader *reader);

/* Reads more bytes. Returns the count read (0 at end of file, sets eof),
 * or -1 with @error (message names the file and offset). For non-regular
 * files, waits at most @wait_ms for data and returns 0 without eof when
 * none arrived. */
gssize rill__reader_fill(rill__reader *reader, guint wait_ms, GError **error);

/* The next record, if complete (see rill__frame_status). */
rill__frame_status rill__reader_next(rill__reader *reader, rill__frame *frame);

/* Checkpoint restore: continues reading at byte @offset, whose record
 * starts on line @line (regular files only). */
gboolean rill__reader_seek(rill__reader *reader, guint64 offset, guint64 line, GError **error);

/* Follow mode, at end of file: TRUE when the file at the path was replaced
 * or this file was truncated; then the caller drains what is left (the
 * final partial record), and calls rill__reader_reopen. */
gboolean rill__reader_rotated(rill__reader *reader, gboolean *truncated);
/* Switches to the file now at the path (or rewinds a truncated one). */
gboolean rill__reader_reopen(rill__reader *reader, gboolean truncated, GError **error);
