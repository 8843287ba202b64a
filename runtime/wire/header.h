/* header.h — Kafka request/response headers and which version each API uses.
 *
 *   Request header v1:  ApiKey int16 | ApiVersion int16 | CorrelationId int32 |
 *                       ClientId nullable STRING (int16 length, even in v2)
 *   Request header v2:  v1 + tagged fields (flexible request versions)
 *   Response header v0: CorrelationId int32
 *   Response header v1: v0 + tagged fields (flexible response versions)
 *
 * Rule (AK ApiVersionsResponse.json, KIP-511): ApiVersions responses always
 * use header v0, even at flexible versions, so a client that does not yet
 * know the broker's versions can read it. Request header v0 (no ClientId) is
 * only used by ControlledShutdown v0, which the codec does not speak.
 */
#pragma once

#include "runtime/wire/reader.h"
#include "runtime/wire/writer.h"

typedef struct {
  int16_t request_api_key;
  int16_t request_api_version;
  int32_t correlation_id;
  rill__wire_str client_id; /* nullable; a slice of the input when decoded */
} rill__wire_request_header;

/* True when (@api_key, @version) uses the flexible (KIP-482) encoding. Holds
 * for versions above the codec's max too (flexibility never ends), false for
 * an API the codec does not know. */
bool rill__wire_is_flexible(int16_t api_key, int16_t version);
/* 2 for flexible requests, else 1. */
int16_t rill__wire_request_header_version(int16_t api_key, int16_t version);
/* 1 for flexible responses except ApiVersions, else 0. */
int16_t rill__wire_response_header_version(int16_t api_key, int16_t version);

void rill__wire_request_header_encode(rill__wire_writer *w, int16_t header_version, const rill__wire_request_header *h);
bool rill__wire_request_header_decode(rill__wire_reader *r, int16_t header_version, rill__wire_request_header *h);
void rill__wire_response_header_encode(rill__wire_writer *w, int16_t header_version, int32_t correlation_id);
bool rill__wire_response_header_decode(rill__wire_reader *r, int16_t header_version, int32_t *correlation_id);
