/* snap.c — record encoding for snapshots (format in snap.h): operators that
 * keep copies of records (joins) store them with these. */
#include "runtime/snap.h"

#define ABSENT 0xffffffffu

void rill__snap_opt_bytes(GByteArray *out, rill_bytes b)
{
  if (!b.data) {
    rill__snap_u32(out, ABSENT);
    return;
  }
  rill__snap_bytes(out, b.data, b.len);
}

rill_bytes rill__snap_get_opt_bytes(rill__snap_reader *r)
{
  uint32_t n = rill__snap_get_u32(r);
  if (n == ABSENT || !r->ok)
    return rill_bytes_make(NULL, 0);
  const uint8_t *p = rill__snap_take(r, n);
  return p ? rill_bytes_make(p, n) : rill_bytes_make(NULL, 0);
}

void rill__snap_record(GByteArray *out, const rill_record *rec)
{
  rill__snap_opt_bytes(out, rec->key);
  rill__snap_opt_bytes(out, rec->value);
  rill__snap_i64(out, rec->timestamp);
  rill__snap_u32(out, (uint32_t)rec->partition);
  rill__snap_i64(out, rec->offset);
  rill__snap_opt_bytes(out, rill_bytes_make(rec->topic, rec->topic ? strlen(rec->topic) : 0));
  rill__snap_u32(out, rec->n_headers);
  for (uint32_t i = 0; i < rec->n_headers; i++) {
    rill__snap_opt_bytes(out, rec->headers[i].key);
    rill__snap_opt_bytes(out, rec->headers[i].value);
  }
}

gboolean rill__snap_get_record(rill__snap_reader *r, rill_record *rec, rill_header **headers, char **topic)
{
  rill_record x = RILL_RECORD_INIT;
  x.key = rill__snap_get_opt_bytes(r);
  x.value = rill__snap_get_opt_bytes(r);
  x.timestamp = rill__snap_get_i64(r);
  x.partition = (int32_t)rill__snap_get_u32(r);
  x.offset = rill__snap_get_i64(r);
  rill_bytes t = rill__snap_get_opt_bytes(r);
  uint32_t n = rill__snap_get_u32(r);
  /* each header takes at least 8 bytes: a bound before allocating */
  if (!r->ok || n > (size_t)(r->end - r->p) / 8) {
    r->ok = FALSE;
    return FALSE;
  }
  rill_header *h = n ? g_new0(rill_header, n) : NULL;
  for (uint32_t i = 0; i < n; i++) {
    h[i].key = rill__snap_get_opt_bytes(r);
    h[i].value = rill__snap_get_opt_bytes(r);
  }
  if (!r->ok) {
    g_free(h);
    return FALSE;
  }
  x.headers = h;
  x.n_headers = n;
  *topic = t.data ? g_strndup((const char *)t.data, t.len) : NULL;
  x.topic = *topic;
  *headers = h;
  *rec = x;
  return TRUE;
}
