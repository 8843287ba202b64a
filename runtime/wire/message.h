/* message.h — whole Kafka messages: header + body, as the broker and the
 * client connector see them. This is the entry point of the codec.
 *
 * Framing: on the socket every message is `Size int32 | header | body`.
 * Encoders here write the size prefix too; decoders take the bytes AFTER the
 * size prefix (the caller has read Size and then that many bytes).
 *
 * Broker side:
 *   rill__wire_request req;
 *   switch (rill__wire_request_decode(frame, len, &arena, &req, &err)) {
 *   case RILL_WIRE_OK: dispatch on req.header.request_api_key, read
 *     req.body.produce / req.body.fetch / ... (the member named after the API)
 *   case RILL_WIRE_UNSUPPORTED_VERSION / RILL_WIRE_UNKNOWN_API: req.header is
 *     valid; answer UNSUPPORTED_VERSION (35) — for ApiVersions with a v0 body
 *     listing rill__wire_apis (KIP-511)
 *   case RILL_WIRE_MALFORMED: err says which field at which offset; close.
 *   }
 *   rill__wire_response_encode(&w, api_key, version, corr_id, &resp_struct, &err);
 *
 * Client side: rill__wire_request_encode() and rill__wire_response_decode().
 *
 * Decoded messages reference @buf and @arena (see arena.h): keep both alive
 * while using the result, then rill__wire_arena_clear().
 */
#pragma once

#include <glib.h>

#include "runtime/wire/header.h"
#include "wire-messages.h"

typedef enum {
  RILL_WIRE_OK = 0,
  RILL_WIRE_MALFORMED = -1,           /* bad or truncated bytes; the error says where */
  RILL_WIRE_UNKNOWN_API = -2,         /* header read; the API key is not one the codec knows */
  RILL_WIRE_UNSUPPORTED_VERSION = -3, /* header read; version outside the codec's range */
} rill__wire_status;

typedef struct {
  rill__wire_request_header header;
  rill__wire_request_body body; /* the member for header.request_api_key */
} rill__wire_request;

/* Decodes one request frame (without its size prefix). Trailing bytes after
 * the body are an error. @err is filled on any status but OK. */
rill__wire_status rill__wire_request_decode(const uint8_t *buf, size_t len, rill__wire_arena *arena,
                                            rill__wire_request *out, rill__wire_error *err);

/* Appends `Size | header | body` for the request @h describes; @body points
 * to the rill__wire_<api>_request for h->request_api_key. */
bool rill__wire_request_encode(rill__wire_writer *w, const rill__wire_request_header *h, const void *body,
                               rill__wire_error *err);

/* Appends `Size | header | body` of a response; @body points to the
 * rill__wire_<api>_response for @api_key. */
bool rill__wire_response_encode(rill__wire_writer *w, int16_t api_key, int16_t version, int32_t correlation_id,
                                const void *body, rill__wire_error *err);

/* Decodes a response frame (without its size prefix) to the request the
 * caller sent with @api_key/@version; @body points to the matching
 * rill__wire_<api>_response. */
rill__wire_status rill__wire_response_decode(const uint8_t *buf, size_t len, int16_t api_key, int16_t version,
                                             rill__wire_arena *arena, int32_t *correlation_id, void *body,
                                             rill__wire_error *err);

/* GError domain for codec failures reported through GError. */
#define RILL_WIRE_ERROR (rill__wire_error_quark())
GQuark rill__wire_error_quark(void);
typedef enum {
  RILL_WIRE_ERROR_MALFORMED,           /* a decode failed */
  RILL_WIRE_ERROR_UNKNOWN_API,         /* API key not known to the codec */
  RILL_WIRE_ERROR_UNSUPPORTED_VERSION, /* version outside the codec's range */
  RILL_WIRE_ERROR_ENCODE,              /* a value the version cannot carry */
} rill__wire_error_code;

/* Sets @error from a status and the error it came with:
 * "FetchRequest.MaxWaitMs at offset 14: truncated". */
void rill__wire_set_gerror(GError **error, rill__wire_status status, const rill__wire_error *err);
