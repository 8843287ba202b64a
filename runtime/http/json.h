/* json.h — what the JSON routes on a rill_http_server share (the broker's
 * console API in runtime/broker/http.c, the pipeline's in
 * runtime/pipeline-http.c, /readyz in server.c): object members in one call
 * and the reply itself.
 *
 * Every reply is one compact JSON document and a newline, so that `curl`
 * output and line-based readers see whole lines. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdint.h>

#include "rill/http.h"

/* Adds the member "@name": @v to the object @jb is building. */
void rill__json_member_int(JsonBuilder *jb, const char *name, int64_t v);
void rill__json_member_str(JsonBuilder *jb, const char *name, const char *v);

/* Sets @resp to the document @jb built (its root: every object and array
 * ended), as application/json. @resp's status is left as it is. */
void rill__http_reply_json(rill_http_response *resp, JsonBuilder *jb);
