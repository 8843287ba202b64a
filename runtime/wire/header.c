/* header.c — request/response headers (layouts and rules in header.h). */
#include "runtime/wire/header.h"

#include "runtime/wire/codec.h"
#include "wire-messages.h"

bool rill__wire_is_flexible(int16_t api_key, int16_t version)
{
  const rill__wire_api_info *api = rill__wire_api_lookup(api_key);
  return api && api->first_flexible >= 0 && version >= api->first_flexible;
}

int16_t rill__wire_request_header_version(int16_t api_key, int16_t version)
{
  return rill__wire_is_flexible(api_key, version) ? 2 : 1;
}

int16_t rill__wire_response_header_version(int16_t api_key, int16_t version)
{
  if (api_key == RILL_WIRE_API_API_VERSIONS)
    return 0;
  return rill__wire_is_flexible(api_key, version) ? 1 : 0;
}

void rill__wire_request_header_encode(rill__wire_writer *w, int16_t header_version, const rill__wire_request_header *h)
{
  rill__wire_write_i16(w, h->request_api_key);
  rill__wire_write_i16(w, h->request_api_version);
  rill__wire_write_i32(w, h->correlation_id);
  if (header_version >= 1)
    rill__wire_write_string(w, "RequestHeader.ClientId", false, true, h->client_id);
  if (header_version >= 2)
    rill__wire_write_uvarint(w, 0); /* no tagged fields */
}

bool rill__wire_request_header_decode(rill__wire_reader *r, int16_t header_version, rill__wire_request_header *h)
{
  h->client_id = RILL_WIRE_STR_NULL;
  if (!rill__wire_read_i16(r, "RequestHeader.RequestApiKey", &h->request_api_key) ||
      !rill__wire_read_i16(r, "RequestHeader.RequestApiVersion", &h->request_api_version) ||
      !rill__wire_read_i32(r, "RequestHeader.CorrelationId", &h->correlation_id))
    return false;
  if (header_version >= 1 && !rill__wire_read_string(r, "RequestHeader.ClientId", false, true, &h->client_id))
    return false;
  if (header_version >= 2)
    return rill__wire_skip_tags(r);
  return true;
}

void rill__wire_response_header_encode(rill__wire_writer *w, int16_t header_version, int32_t correlation_id)
{
  rill__wire_write_i32(w, correlation_id);
  if (header_version >= 1)
    rill__wire_write_uvarint(w, 0);
}

bool rill__wire_response_header_decode(rill__wire_reader *r, int16_t header_version, int32_t *correlation_id)
{
  if (!rill__wire_read_i32(r, "ResponseHeader.CorrelationId", correlation_id))
    return false;
  if (header_version >= 1)
    return rill__wire_skip_tags(r);
  return true;
}
