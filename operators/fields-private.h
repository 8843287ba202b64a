/* fields-private.h — what the expression engine reads from a parsed
 * rill_fields without going through names: the JSON root span (walked with
 * json-scan.h), CSV columns, and the per-parse scratch arena.
 */
#pragma once

#include <rill/fields.h>

#include "operators/json-scan.h"
#include "operators/scratch.h"

rill_fields_format rill__fields_format(const rill_fields *fields);
/* JSON: the parsed value (ABSENT before a successful parse). (transfer none) */
const rill__json_span *rill__fields_json_root(const rill_fields *fields);
/* JSON: the member @name (@len bytes) of the root object, from the index
 * parsing built (a scan when the root has too many members or escaped
 * keys); ABSENT and FALSE when there is none. */
gboolean rill__fields_json_member(const rill_fields *fields, const char *name, gsize len, rill__json_span *out);
/* The arena reset at each parse. (transfer none) */
rill__scratch *rill__fields_arena(rill_fields *fields);
/* CSV: FALSE when there is no column @name; else its value typed as
 * rill_fields_write types it (inferred, or the type set_types gave): NULL,
 * TRUE/FALSE, NUMBER (text in the arena), or STRING whose text is the raw
 * column bytes, not JSON-quoted. Valid until the next parse. */
gboolean rill__fields_csv_value(rill_fields *fields, const char *name, rill__json_span *out);
