/* decoder.c — gzip and zstd decompression in front of libarchive.
 *
 * Why not libarchive's own filters: they decompress into 64 KiB blocks and
 * discard a partly filled block when the input turns out damaged, so the
 * records just before the damage would be lost. Here every byte the
 * decompressor produces is handed on before an error is reported (the error
 * surfaces on the next read), so the tar reader above sees the whole good
 * prefix. Multi-member gzip files and concatenated zstd frames are one
 * stream, as gzip(1) and zstd(1) treat them; a file that ends inside a
 * member or frame is reported as truncated.
 *
 * Other compressions (bzip2, xz, lzma, lz4, ...) still go through
 * libarchive's filters (see docs/connectors/archive.md).
 */
#include "connectors/archive/archive-private.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_SIZE (64 * 1024)
#define OUT_SIZE (64 * 1024)

struct rill__decoder {
  int fd;
  rill__decoder_kind kind;
  guint8 *in, *out;
  size_t in_len, in_pos;   /* valid input bytes in @in, and how far consumed */
  gboolean in_eof;
  guint64 in_total;        /* bytes read from the file */
  z_stream z;              /* gzip */
  gboolean member_open;    /* gzip: inside a member; zstd: inside a frame */
  ZSTD_DStream *zs;        /* zstd */
  char *error;             /* set once decoding failed: reported on the next read */
};

rill__decoder_kind rill__decoder_sniff(const guint8 *head, size_t len)
{
  if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b)
    return RILL__DECODER_GZIP;
  if (len >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    return RILL__DECODER_ZSTD;
  return RILL__DECODER_NONE;
}

rill__decoder *rill__decoder_new(const char *path, rill__decoder_kind kind, GError **error)
{
  int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    g_set_error(error, RILL_ARCHIVE_ERROR, RILL_ARCHIVE_ERROR_OPEN, "archive '%s': cannot open: %s", path,
                g_strerror(errno));
    return NULL;
  }
  rill__decoder *d = g_new0(rill__decoder, 1);
  d->fd = fd;
  d->kind = kind;
  d->in = g_malloc(IN_SIZE);
  d->out = g_malloc(OUT_SIZE);
  if (kind == RILL__DECODER_GZIP) {
    if (inflateInit2(&d->z, 15 + 16) != Z_OK)
      g_error("inflateInit2 failed: out of memory");
  } else {
    d->zs = ZSTD_createDStream();
    ZSTD_initDStream(d->zs);
  }
  return d;
}

void rill__decoder_free(rill__decoder *d)
{
  if (!d)
    return;
  if (d->kind == RILL__DECODER_GZIP)
    inflateEnd(&d->z);
  else
    ZSTD_freeDStream(d->zs);
  close(d->fd);
  g_free(d->in);
  g_free(d->out);
  g_free(d->error);
  g_free(d);
}

guint64 rill__decoder_input_offset(const rill__decoder *d)
{
  return d->in_total - (d->in_len - d->in_pos);
}

const char *rill__decoder_error(const rill__decoder *d)
{
  return d->error;
}

/* Fills @in when it is used up. FALSE on a read error (d->error set). */
static gboolean refill(rill__decoder *d)
{
  if (d->in_pos < d->in_len || d->in_eof)
    return TRUE;
  ssize_t n;
  do
    n = read(d->fd, d->in, IN_SIZE);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    d->error = g_strdup_printf("read error at input byte offset %" G_GUINT64_FORMAT ": %s", d->in_total,
                               g_strerror(errno));
    return FALSE;
  }
  d->in_len = (size_t)n;
  d->in_pos = 0;
  d->in_total += (guint64)n;
  d->in_eof = n == 0;
  return TRUE;
}

static void set_error(rill__decoder *d, const char *what)
{
  d->error = g_strdup_printf("%s at input byte offset %" G_GUINT64_FORMAT, what, rill__decoder_input_offset(d));
}

/* One step of gzip: returns bytes produced (> 0), 0 at a clean end, -1 on error. */
static ssize_t gzip_step(rill__decoder *d)
{
  for (;;) {
    if (!refill(d))
      return -1;
    if (d->in_pos == d->in_len) {
      if (!d->member_open)
        return 0;
      set_error(d, "truncated gzip input");
      return -1;
    }
    if (!d->member_open) {
      /* A new member must start with the gzip magic. */
      if (d->in[d->in_pos] != 0x1f) {
        set_error(d, "invalid gzip member header");
        return -1;
      }
      inflateReset(&d->z);
      d->member_open = TRUE;
    }
    d->z.next_in = d->in + d->in_pos;
    d->z.avail_in = (uInt)(d->in_len - d->in_pos);
    d->z.next_out = d->out;
    d->z.avail_out = OUT_SIZE;
    int rc = inflate(&d->z, Z_NO_FLUSH);
    d->in_pos = d->in_len - d->z.avail_in;
    size_t produced = OUT_SIZE - d->z.avail_out;
    if (rc == Z_STREAM_END) {
      d->member_open = FALSE;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      char *what = g_strdup_printf("gzip data error (%s)", d->z.msg ? d->z.msg : "corrupt data");
      set_error(d, what);
      g_free(what);
    }
    if (produced > 0)
      return (ssize_t)produced;
    if (d->error)
      return -1;
  }
}

static ssize_t zstd_step(rill__decoder *d)
{
  for (;;) {
    if (!refill(d))
      return -1;
    if (d->in_pos == d->in_len && !d->member_open)
      return 0;
    ZSTD_inBuffer in = {d->in, d->in_len, d->in_pos};
    ZSTD_outBuffer out = {d->out, OUT_SIZE, 0};
    size_t rc = ZSTD_decompressStream(d->zs, &out, &in);
    d->in_pos = in.pos;
    if (ZSTD_isError(rc)) {
      char *what = g_strdup_printf("zstd data error (%s)", ZSTD_getErrorName(rc));
      set_error(d, what);
      g_free(what);
    } else {
      d->member_open = rc != 0;
    }
    if (out.pos > 0)
      return (ssize_t)out.pos;
    if (d->error)
      return -1;
    if (d->in_pos == d->in_len && d->in_eof && d->member_open) {
      set_error(d, "truncated zstd input");
      return -1;
    }
  }
}

static la_ssize_t decoder_read(struct archive *a, void *client, const void **buffer)
{
  rill__decoder *d = client;
  if (d->error) {
    archive_set_error(a, EIO, "%s", d->error);
    return -1;
  }
  ssize_t n = d->kind == RILL__DECODER_GZIP ? gzip_step(d) : zstd_step(d);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", d->error);
    return -1;
  }
  *buffer = d->out;
  return n;
}

int rill__decoder_open(rill__decoder *d, struct archive *a)
{
  return archive_read_open(a, d, NULL, decoder_read, NULL);
}
