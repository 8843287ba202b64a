/* archive-private.h — helpers shared by the archive source and sink. */
#pragma once

#include <rill/archive.h>

/* Expands @paths (NULL-terminated; glob patterns or plain paths) into a
 * NULL-terminated list of regular files: each pattern's matches sorted,
 * patterns in the given order. A pattern matching nothing or a missing or
 * non-regular plain path is an error (RILL_ARCHIVE_ERROR_NOT_FOUND).
 * (transfer full): g_strfreev. */
char **rill__archive_expand_paths(const char *const *paths, GError **error);

/* ---- decoder.c: gzip/zstd decompression that never drops good bytes ---- */

struct archive;
typedef struct rill__decoder rill__decoder;

typedef enum {
  RILL__DECODER_NONE, /* not compressed by us: libarchive reads the file */
  RILL__DECODER_GZIP,
  RILL__DECODER_ZSTD,
} rill__decoder_kind;

/* The compression of a file starting with @head (@len bytes). */
rill__decoder_kind rill__decoder_sniff(const guint8 *head, size_t len);
/* Opens @path for decoding @kind (not NONE). (transfer full) */
rill__decoder *rill__decoder_new(const char *path, rill__decoder_kind kind, GError **error);
void rill__decoder_free(rill__decoder *decoder);
/* Opens @a (formats already enabled) on the decoded stream; libarchive
 * result code. @decoder must outlive @a. */
int rill__decoder_open(rill__decoder *decoder, struct archive *a);
/* Compressed bytes consumed so far. */
guint64 rill__decoder_input_offset(const rill__decoder *decoder);
/* Why decoding failed, or NULL. (transfer none) */
const char *rill__decoder_error(const rill__decoder *decoder);
