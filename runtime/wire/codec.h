/* codec.h — the table-driven message codec (internal).
 *
 * Every message struct is described by a schema: a list of fields, each with
 * its wire type, the versions it exists in, the versions in which it may be
 * null, an optional tag (KIP-482 tagged field) and a default. The generator
 * (gen-messages.py, from messages.def) emits the schemas and the C structs;
 * this engine encodes, decodes and initialises any struct from its schema.
 *
 * Rules the engine keeps, from the Kafka protocol guide:
 *  - A field outside its version range is not on the wire: encoding drops it,
 *    decoding leaves its default.
 *  - In flexible versions strings, bytes and arrays use compact lengths and
 *    every struct (top-level and each array element) ends with a tagged-field
 *    section. Tagged fields we know are decoded; unknown tags are skipped and
 *    DROPPED (not preserved for re-encoding). Known tagged fields are written
 *    only when they differ from their default, in ascending tag order.
 *  - Decoded strings/bytes/records are slices of the input; arrays are
 *    allocated from the caller's arena (see arena.h for ownership).
 *
 * C layout: scalars map to <stdint.h> types, string -> rill__wire_str,
 * bytes/records -> rill__wire_bytes, uuid -> rill__wire_uuid, a struct field
 * is embedded, an array field is a pointer plus an int32 count
 * (`T *x; int32_t n_x;`, n_x == -1 for a null array).
 */
#pragma once

#include "runtime/wire/arena.h"
#include "runtime/wire/reader.h"
#include "runtime/wire/writer.h"

typedef enum {
  RILL__WT_INT8,
  RILL__WT_INT16,
  RILL__WT_INT32,
  RILL__WT_INT64,
  RILL__WT_UINT16,
  RILL__WT_UINT32,
  RILL__WT_FLOAT64,
  RILL__WT_BOOL,
  RILL__WT_UUID,
  RILL__WT_STRING,
  RILL__WT_BYTES,
  RILL__WT_RECORDS, /* bytes holding RecordBatches; kept as a slice, never parsed here */
  RILL__WT_STRUCT,
  RILL__WT_ARRAY,
} rill__wire_type;

#define RILL__WV_NONE (-1) /* nullable range: never nullable */
#define RILL__WV_MAX 127   /* open-ended version range ("3+") */

typedef struct rill__wire_schema rill__wire_schema;

typedef struct {
  const char *name;                /* "Struct.Field", reported on failure */
  uint32_t offset;                 /* of the value (arrays: of the pointer) */
  uint32_t count_offset;           /* arrays: of the int32 count */
  uint8_t type;                    /* rill__wire_type */
  uint8_t elem;                    /* arrays: element type */
  int8_t vmin, vmax;               /* present in versions [vmin, vmax] */
  int8_t nmin, nmax;               /* nullable in [nmin, nmax]; nmin = RILL__WV_NONE: never */
  int16_t tag;                     /* tagged field number, or -1 */
  bool def_null;                   /* string/bytes/array: default is null */
  int64_t def;                     /* integer/bool default */
  const rill__wire_schema *sub;    /* STRUCT, or ARRAY of STRUCT */
} rill__wire_field;

struct rill__wire_schema {
  const char *name;
  size_t size; /* sizeof the C struct */
  const rill__wire_field *fields;
  uint16_t n_fields;
};

/* Writes @obj (a struct laid out by @schema) at @version. */
bool rill__wire_encode(rill__wire_writer *w, const rill__wire_schema *schema, int16_t version, bool flexible,
                       const void *obj);
/* Reads into @obj (initialised to defaults first) at @version. */
bool rill__wire_decode(rill__wire_reader *r, const rill__wire_schema *schema, int16_t version, bool flexible,
                       rill__wire_arena *arena, void *obj);
/* Sets every field of @obj to its default. */
void rill__wire_init(const rill__wire_schema *schema, void *obj);
/* Reads and discards a tagged-field section (headers use this). */
bool rill__wire_skip_tags(rill__wire_reader *r);
