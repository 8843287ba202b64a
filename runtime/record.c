/* record.c — helpers on record views (records own no memory). */
#include <rill/record.h>

size_t rill_record_payload_size(const rill_record *record)
{
  g_return_val_if_fail(record != NULL, 0);
  size_t n = record->key.len + record->value.len;
  for (uint32_t i = 0; i < record->n_headers; i++)
    n += record->headers[i].key.len + record->headers[i].value.len;
  return n;
}

const rill_bytes *rill_record_header(const rill_record *record, const char *name)
{
  g_return_val_if_fail(record != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  size_t len = strlen(name);
  for (uint32_t i = 0; i < record->n_headers; i++) {
    const rill_header *h = &record->headers[i];
    if (h->key.len == len && (len == 0 || memcmp(h->key.data, name, len) == 0))
      return &h->value;
  }
  return NULL;
}
