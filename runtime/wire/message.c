/* message.c — header + body framing over the generated message table (see
 * message.h for the contract). */
#include "runtime/wire/message.h"

G_DEFINE_QUARK(rill - wire - error - quark, rill__wire_error)

static bool flexible_of(const rill__wire_api_info *api, int16_t version)
{
  return api->first_flexible >= 0 && version >= api->first_flexible;
}

static rill__wire_status fail(rill__wire_error *err, rill__wire_status st, const char *field, const char *reason,
                              size_t offset)
{
  if (err)
    *err = (rill__wire_error){field, reason, offset};
  return st;
}

rill__wire_status rill__wire_request_decode(const uint8_t *buf, size_t len, rill__wire_arena *arena,
                                            rill__wire_request *out, rill__wire_error *err)
{
  g_return_val_if_fail(buf != NULL || len == 0, RILL_WIRE_MALFORMED);
  g_return_val_if_fail(arena != NULL && out != NULL, RILL_WIRE_MALFORMED);
  rill__wire_reader r;
  rill__wire_reader_init(&r, buf, len);
  memset(out, 0, sizeof *out);
  /* Read v1 first: the api key and version decide whether a v2 tag section
   * follows the ClientId. */
  if (!rill__wire_request_header_decode(&r, 1, &out->header))
    goto err_parse;
  const rill__wire_request_header *h = &out->header;
  const rill__wire_api_info *api = rill__wire_api_lookup(h->request_api_key);
  if (!api)
    return fail(err, RILL_WIRE_UNKNOWN_API, "RequestHeader.RequestApiKey", "unknown API key", 0);
  if (h->request_api_version < api->min_version || h->request_api_version > api->max_version)
    return fail(err, RILL_WIRE_UNSUPPORTED_VERSION, "RequestHeader.RequestApiVersion", "unsupported version", 2);
  bool flexible = flexible_of(api, h->request_api_version);
  if (flexible && !rill__wire_skip_tags(&r))
    goto err_parse;
  if (!rill__wire_decode(&r, api->request, h->request_api_version, flexible, arena, &out->body))
    goto err_parse;
  if (rill__wire_reader_remaining(&r) != 0) {
    rill__wire_reader_fail(&r, api->request->name, "trailing bytes after the body");
    goto err_parse;
  }
  return RILL_WIRE_OK;

err_parse:
  if (err)
    *err = r.err;
  return RILL_WIRE_MALFORMED;
}

/* Writes a zero size prefix and returns where it is, to patch at the end. */
static size_t begin_frame(rill__wire_writer *w)
{
  size_t at = w->len;
  rill__wire_write_i32(w, 0);
  return at;
}

static bool end_frame(rill__wire_writer *w, size_t at, rill__wire_error *err)
{
  if (!rill__wire_writer_ok(w)) {
    if (err)
      *err = w->err;
    w->len = at; /* drop the partial frame; keep what was there before */
    w->err = (rill__wire_error){0};
    return false;
  }
  size_t size = w->len - at - 4;
  if (size > INT32_MAX) {
    w->len = at;
    if (err)
      *err = (rill__wire_error){"Size", "message larger than 2 GiB", at};
    return false;
  }
  rill__wire_writer_patch_i32(w, at, (int32_t)size);
  return true;
}

bool rill__wire_request_encode(rill__wire_writer *w, const rill__wire_request_header *h, const void *body,
                               rill__wire_error *err)
{
  g_return_val_if_fail(w != NULL && h != NULL && body != NULL, false);
  const rill__wire_api_info *api = rill__wire_api_lookup(h->request_api_key);
  if (!api) {
    fail(err, RILL_WIRE_UNKNOWN_API, "RequestHeader.RequestApiKey", "unknown API key", w->len);
    return false;
  }
  int16_t v = h->request_api_version;
  if (v < api->min_version || v > api->max_version) {
    fail(err, RILL_WIRE_UNSUPPORTED_VERSION, "RequestHeader.RequestApiVersion", "unsupported version", w->len);
    return false;
  }
  size_t at = begin_frame(w);
  rill__wire_request_header_encode(w, flexible_of(api, v) ? 2 : 1, h);
  rill__wire_encode(w, api->request, v, flexible_of(api, v), body);
  return end_frame(w, at, err);
}

bool rill__wire_response_encode(rill__wire_writer *w, int16_t api_key, int16_t version, int32_t correlation_id,
                                const void *body, rill__wire_error *err)
{
  g_return_val_if_fail(w != NULL && body != NULL, false);
  const rill__wire_api_info *api = rill__wire_api_lookup(api_key);
  if (!api) {
    fail(err, RILL_WIRE_UNKNOWN_API, "ResponseHeader", "unknown API key", w->len);
    return false;
  }
  if (version < api->min_version || version > api->max_version) {
    fail(err, RILL_WIRE_UNSUPPORTED_VERSION, "ResponseHeader", "unsupported version", w->len);
    return false;
  }
  size_t at = begin_frame(w);
  rill__wire_response_header_encode(w, rill__wire_response_header_version(api_key, version), correlation_id);
  rill__wire_encode(w, api->response, version, flexible_of(api, version), body);
  return end_frame(w, at, err);
}

rill__wire_status rill__wire_response_decode(const uint8_t *buf, size_t len, int16_t api_key, int16_t version,
                                             rill__wire_arena *arena, int32_t *correlation_id, void *body,
                                             rill__wire_error *err)
{
  g_return_val_if_fail(buf != NULL || len == 0, RILL_WIRE_MALFORMED);
  g_return_val_if_fail(arena != NULL && correlation_id != NULL && body != NULL, RILL_WIRE_MALFORMED);
  const rill__wire_api_info *api = rill__wire_api_lookup(api_key);
  if (!api)
    return fail(err, RILL_WIRE_UNKNOWN_API, "ResponseHeader", "unknown API key", 0);
  if (version < api->min_version || version > api->max_version)
    return fail(err, RILL_WIRE_UNSUPPORTED_VERSION, "ResponseHeader", "unsupported version", 0);
  rill__wire_reader r;
  rill__wire_reader_init(&r, buf, len);
  if (!rill__wire_response_header_decode(&r, rill__wire_response_header_version(api_key, version), correlation_id) ||
      !rill__wire_decode(&r, api->response, version, flexible_of(api, version), arena, body))
    goto err_parse;
  if (rill__wire_reader_remaining(&r) != 0) {
    rill__wire_reader_fail(&r, api->response->name, "trailing bytes after the body");
    goto err_parse;
  }
  return RILL_WIRE_OK;

err_parse:
  if (err)
    *err = r.err;
  return RILL_WIRE_MALFORMED;
}

void rill__wire_set_gerror(GError **error, rill__wire_status status, const rill__wire_error *err)
{
  rill__wire_error_code code = RILL_WIRE_ERROR_MALFORMED;
  switch (status) {
  case RILL_WIRE_OK: case RILL_WIRE_MALFORMED: code = RILL_WIRE_ERROR_MALFORMED; break;
  case RILL_WIRE_UNKNOWN_API: code = RILL_WIRE_ERROR_UNKNOWN_API; break;
  case RILL_WIRE_UNSUPPORTED_VERSION: code = RILL_WIRE_ERROR_UNSUPPORTED_VERSION; break;
  }
  g_set_error(error, RILL_WIRE_ERROR, code, "%s at offset %zu: %s", err && err->field ? err->field : "?",
              err ? err->offset : 0, err && err->reason ? err->reason : "error");
}
