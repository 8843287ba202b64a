/* codec.c — the schema interpreter behind every message encoder/decoder.
 * The rules it keeps are listed in codec.h; field layout tables come from
 * the generated wire-messages.c. */
#include "runtime/wire/codec.h"

#include <glib.h>

#define AT(obj, off, T) ((T *)((uint8_t *)(obj) + (off)))
#define CAT(obj, off, T) ((const T *)((const uint8_t *)(obj) + (off)))

/* Nesting bound: our schemas nest 4 deep at most; the bound stops a cycle
 * in a hand-edited table from recursing forever. */
#define MAX_DEPTH 16

static inline bool in_range(int16_t v, int8_t lo, int8_t hi) { return lo >= 0 && v >= lo && v <= hi; }

static size_t elem_size(const rill__wire_field *f)
{
  switch (f->elem) {
  case RILL__WT_INT8: case RILL__WT_BOOL: return 1;
  case RILL__WT_INT16: case RILL__WT_UINT16: return 2;
  case RILL__WT_INT32: case RILL__WT_UINT32: return 4;
  case RILL__WT_INT64: case RILL__WT_FLOAT64: return 8;
  case RILL__WT_UUID: return sizeof(rill__wire_uuid);
  case RILL__WT_STRING: return sizeof(rill__wire_str);
  case RILL__WT_BYTES:
  case RILL__WT_RECORDS: return sizeof(rill__wire_bytes);
  case RILL__WT_STRUCT: return f->sub->size;
  }
  return 0;
}

/* Fewest bytes one element can take on the wire: bounds hostile counts. */
static size_t elem_min_wire(const rill__wire_field *f, bool flexible)
{
  switch (f->elem) {
  case RILL__WT_STRING: return flexible ? 1 : 2;
  case RILL__WT_BYTES: case RILL__WT_RECORDS: return flexible ? 1 : 4;
  case RILL__WT_STRUCT: return 1;
  default: return elem_size(f) > 16 ? 16 : elem_size(f);
  }
}

/* ---- defaults ------------------------------------------------------------ */

static void init_value(const rill__wire_field *f, uint8_t type, void *p)
{
  switch (type) {
  case RILL__WT_INT8: *(int8_t *)p = (int8_t)f->def; break;
  case RILL__WT_INT16: *(int16_t *)p = (int16_t)f->def; break;
  case RILL__WT_INT32: *(int32_t *)p = (int32_t)f->def; break;
  case RILL__WT_INT64: *(int64_t *)p = f->def; break;
  case RILL__WT_UINT16: *(uint16_t *)p = (uint16_t)f->def; break;
  case RILL__WT_UINT32: *(uint32_t *)p = (uint32_t)f->def; break;
  case RILL__WT_FLOAT64: *(double *)p = (double)f->def; break;
  case RILL__WT_BOOL: *(bool *)p = f->def != 0; break;
  case RILL__WT_UUID: memset(p, 0, sizeof(rill__wire_uuid)); break;
  case RILL__WT_STRING: *(rill__wire_str *)p = f->def_null ? RILL_WIRE_STR_NULL : (rill__wire_str){"", 0}; break;
  case RILL__WT_BYTES: case RILL__WT_RECORDS:
    *(rill__wire_bytes *)p = f->def_null ? RILL_WIRE_BYTES_NULL : (rill__wire_bytes){(const uint8_t *)"", 0};
    break;
  case RILL__WT_STRUCT: rill__wire_init(f->sub, p); break;
  }
}

void rill__wire_init(const rill__wire_schema *schema, void *obj)
{
  memset(obj, 0, schema->size);
  for (uint16_t i = 0; i < schema->n_fields; i++) {
    const rill__wire_field *f = &schema->fields[i];
    if (f->type == RILL__WT_ARRAY) {
      *AT(obj, f->offset, void *) = NULL;
      *AT(obj, f->count_offset, int32_t) = f->def_null ? -1 : 0;
    } else {
      init_value(f, f->type, AT(obj, f->offset, void));
    }
  }
}

/* True when the value differs from the field's default (tagged fields are
 * only written then). */
static bool is_default_struct(const rill__wire_schema *schema, const void *obj);

static bool is_default(const rill__wire_field *f, const void *obj)
{
  const void *p = CAT(obj, f->offset, void);
  switch (f->type) {
  case RILL__WT_INT8: return *(const int8_t *)p == (int8_t)f->def;
  case RILL__WT_INT16: return *(const int16_t *)p == (int16_t)f->def;
  case RILL__WT_INT32: return *(const int32_t *)p == (int32_t)f->def;
  case RILL__WT_INT64: return *(const int64_t *)p == f->def;
  case RILL__WT_UINT16: return *(const uint16_t *)p == (uint16_t)f->def;
  case RILL__WT_UINT32: return *(const uint32_t *)p == (uint32_t)f->def;
  case RILL__WT_FLOAT64: return *(const double *)p == (double)f->def;
  case RILL__WT_BOOL: return *(const bool *)p == (f->def != 0);
  case RILL__WT_UUID: {
    static const rill__wire_uuid zero;
    return memcmp(p, &zero, sizeof zero) == 0;
  }
  case RILL__WT_STRING: {
    int32_t len = ((const rill__wire_str *)p)->len;
    return f->def_null ? len < 0 : len == 0;
  }
  case RILL__WT_BYTES: case RILL__WT_RECORDS: {
    int32_t len = ((const rill__wire_bytes *)p)->len;
    return f->def_null ? len < 0 : len == 0;
  }
  case RILL__WT_STRUCT: return is_default_struct(f->sub, p);
  case RILL__WT_ARRAY: {
    int32_t n = *CAT(obj, f->count_offset, int32_t);
    return f->def_null ? n < 0 : n == 0;
  }
  }
  return true;
}

static bool is_default_struct(const rill__wire_schema *schema, const void *obj)
{
  for (uint16_t i = 0; i < schema->n_fields; i++)
    if (!is_default(&schema->fields[i], obj))
      return false;
  return true;
}

/* ---- encoding ------------------------------------------------------------ */

static bool encode_struct(rill__wire_writer *w, const rill__wire_schema *schema, int16_t version, bool flexible,
                          const void *obj, int depth);

static bool encode_value(rill__wire_writer *w, const rill__wire_field *f, uint8_t type, int16_t version, bool flexible,
                         bool nullable, const void *p, int depth)
{
  switch (type) {
  case RILL__WT_INT8: rill__wire_write_i8(w, *(const int8_t *)p); break;
  case RILL__WT_INT16: rill__wire_write_i16(w, *(const int16_t *)p); break;
  case RILL__WT_INT32: rill__wire_write_i32(w, *(const int32_t *)p); break;
  case RILL__WT_INT64: rill__wire_write_i64(w, *(const int64_t *)p); break;
  case RILL__WT_UINT16: rill__wire_write_u16(w, *(const uint16_t *)p); break;
  case RILL__WT_UINT32: rill__wire_write_u32(w, *(const uint32_t *)p); break;
  case RILL__WT_FLOAT64: rill__wire_write_f64(w, *(const double *)p); break;
  case RILL__WT_BOOL: rill__wire_write_bool(w, *(const bool *)p); break;
  case RILL__WT_UUID: rill__wire_write_uuid(w, (const rill__wire_uuid *)p); break;
  case RILL__WT_STRING: return rill__wire_write_string(w, f->name, flexible, nullable, *(const rill__wire_str *)p);
  case RILL__WT_BYTES:
  case RILL__WT_RECORDS: return rill__wire_write_bytes(w, f->name, flexible, nullable, *(const rill__wire_bytes *)p);
  case RILL__WT_STRUCT:
    return encode_struct(w, f->sub, version, flexible, p, depth + 1);
  }
  return rill__wire_writer_ok(w);
}

static bool encode_field(rill__wire_writer *w, const rill__wire_field *f, int16_t version, bool flexible,
                         const void *obj, int depth)
{
  bool nullable = in_range(version, f->nmin, f->nmax);
  if (f->type != RILL__WT_ARRAY)
    return encode_value(w, f, f->type, version, flexible, nullable, CAT(obj, f->offset, void), depth);
  int32_t n = *CAT(obj, f->count_offset, int32_t);
  const uint8_t *items = *CAT(obj, f->offset, uint8_t *);
  if (!rill__wire_write_array_len(w, f->name, flexible, nullable, n))
    return false;
  if (n > 0 && !items)
    return rill__wire_writer_fail(w, f->name, "array count without items");
  size_t es = elem_size(f);
  for (int32_t i = 0; i < n; i++)
    if (!encode_value(w, f, f->elem, version, flexible, false, items + (size_t)i * es, depth))
      return false;
  return true;
}

static bool encode_struct(rill__wire_writer *w, const rill__wire_schema *schema, int16_t version, bool flexible,
                          const void *obj, int depth)
{
  if (depth > MAX_DEPTH)
    return rill__wire_writer_fail(w, schema->name, "nesting too deep");
  uint32_t n_tagged = 0;
  for (uint16_t i = 0; i < schema->n_fields; i++) {
    const rill__wire_field *f = &schema->fields[i];
    if (!in_range(version, f->vmin, f->vmax))
      continue;
    if (f->tag >= 0) {
      if (flexible && !is_default(f, obj))
        n_tagged++;
      continue;
    }
    if (!encode_field(w, f, version, flexible, obj, depth))
      return false;
  }
  if (!flexible)
    return rill__wire_writer_ok(w);
  rill__wire_write_uvarint(w, n_tagged);
  /* The generator sorts tagged fields by tag, so table order is tag order. */
  for (uint16_t i = 0; i < schema->n_fields && n_tagged; i++) {
    const rill__wire_field *f = &schema->fields[i];
    if (f->tag < 0 || !in_range(version, f->vmin, f->vmax) || is_default(f, obj))
      continue;
    rill__wire_writer sub;
    rill__wire_writer_init(&sub);
    bool ok = encode_field(&sub, f, version, flexible, obj, depth);
    if (ok) {
      rill__wire_write_uvarint(w, (uint32_t)f->tag);
      rill__wire_write_uvarint(w, (uint32_t)sub.len);
      rill__wire_write_raw(w, sub.buf, sub.len);
    } else {
      rill__wire_writer_fail(w, sub.err.field, sub.err.reason);
    }
    rill__wire_writer_clear(&sub);
    if (!ok)
      return false;
  }
  return rill__wire_writer_ok(w);
}

bool rill__wire_encode(rill__wire_writer *w, const rill__wire_schema *schema, int16_t version, bool flexible,
                       const void *obj)
{
  return encode_struct(w, schema, version, flexible, obj, 0);
}

/* ---- decoding ------------------------------------------------------------ */

static bool decode_struct(rill__wire_reader *r, const rill__wire_schema *schema, int16_t version, bool flexible,
                          rill__wire_arena *arena, void *obj, int depth);

static bool decode_value(rill__wire_reader *r, const rill__wire_field *f, uint8_t type, int16_t version, bool flexible,
                         bool nullable, rill__wire_arena *arena, void *p, int depth)
{
  switch (type) {
  case RILL__WT_INT8: return rill__wire_read_i8(r, f->name, p);
  case RILL__WT_INT16: return rill__wire_read_i16(r, f->name, p);
  case RILL__WT_INT32: return rill__wire_read_i32(r, f->name, p);
  case RILL__WT_INT64: return rill__wire_read_i64(r, f->name, p);
  case RILL__WT_UINT16: return rill__wire_read_u16(r, f->name, p);
  case RILL__WT_UINT32: return rill__wire_read_u32(r, f->name, p);
  case RILL__WT_FLOAT64: return rill__wire_read_f64(r, f->name, p);
  case RILL__WT_BOOL: return rill__wire_read_bool(r, f->name, p);
  case RILL__WT_UUID: return rill__wire_read_uuid(r, f->name, p);
  case RILL__WT_STRING: return rill__wire_read_string(r, f->name, flexible, nullable, p);
  case RILL__WT_BYTES:
  case RILL__WT_RECORDS: return rill__wire_read_bytes(r, f->name, flexible, nullable, p);
  case RILL__WT_STRUCT: return decode_struct(r, f->sub, version, flexible, arena, p, depth + 1);
  }
  return rill__wire_reader_fail(r, f->name, "unknown type in schema");
}

static bool decode_field(rill__wire_reader *r, const rill__wire_field *f, int16_t version, bool flexible,
                         rill__wire_arena *arena, void *obj, int depth)
{
  bool nullable = in_range(version, f->nmin, f->nmax);
  if (f->type != RILL__WT_ARRAY)
    return decode_value(r, f, f->type, version, flexible, nullable, arena, AT(obj, f->offset, void), depth);
  int32_t n;
  if (!rill__wire_read_array_len(r, f->name, flexible, nullable, elem_min_wire(f, flexible), &n))
    return false;
  *AT(obj, f->count_offset, int32_t) = n;
  *AT(obj, f->offset, void *) = NULL;
  if (n <= 0)
    return true;
  size_t es = elem_size(f);
  uint8_t *items = rill__wire_arena_alloc(arena, (size_t)n * es);
  if (!items)
    return rill__wire_reader_fail(r, f->name, "decode memory limit exceeded");
  *AT(obj, f->offset, void *) = items;
  for (int32_t i = 0; i < n; i++) {
    void *item = items + (size_t)i * es;
    if (f->elem == RILL__WT_STRUCT)
      rill__wire_init(f->sub, item);
    if (!decode_value(r, f, f->elem, version, flexible, false, arena, item, depth))
      return false;
  }
  return true;
}

bool rill__wire_skip_tags(rill__wire_reader *r)
{
  uint32_t n;
  if (!rill__wire_read_uvarint(r, "TaggedFields", &n))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t tag, size;
    const uint8_t *skip;
    if (!rill__wire_read_uvarint(r, "TaggedFields.Tag", &tag) ||
        !rill__wire_read_uvarint(r, "TaggedFields.Size", &size) ||
        !rill__wire_read_raw(r, "TaggedFields.Data", size, &skip))
      return false;
  }
  return true;
}

static bool decode_tags(rill__wire_reader *r, const rill__wire_schema *schema, int16_t version, rill__wire_arena *arena,
                        void *obj, int depth)
{
  uint32_t n;
  if (!rill__wire_read_uvarint(r, "TaggedFields", &n))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t tag, size;
    const uint8_t *data;
    if (!rill__wire_read_uvarint(r, "TaggedFields.Tag", &tag) ||
        !rill__wire_read_uvarint(r, "TaggedFields.Size", &size))
      return false;
    size_t at = rill__wire_reader_offset(r);
    if (!rill__wire_read_raw(r, "TaggedFields.Data", size, &data))
      return false;
    for (uint16_t k = 0; k < schema->n_fields; k++) {
      const rill__wire_field *f = &schema->fields[k];
      if (f->tag < 0 || (uint32_t)f->tag != tag || !in_range(version, f->vmin, f->vmax))
        continue;
      /* Decode inside exactly the bytes the tag claims, with offsets still
       * relative to the whole buffer. */
      rill__wire_reader sub = {r->base, r->base + at, data + size, {0}};
      bool ok = decode_field(&sub, f, version, true, arena, obj, depth);
      if (ok && sub.p != sub.end)
        ok = rill__wire_reader_fail(&sub, f->name, "tagged field size mismatch");
      if (!ok) {
        r->err = sub.err;
        return false;
      }
      break;
    }
    /* unknown tags: skipped (dropped), as the protocol allows */
  }
  return true;
}

static bool decode_struct(rill__wire_reader *r, const rill__wire_schema *schema, int16_t version, bool flexible,
                          rill__wire_arena *arena, void *obj, int depth)
{
  if (depth > MAX_DEPTH)
    return rill__wire_reader_fail(r, schema->name, "nesting too deep");
  for (uint16_t i = 0; i < schema->n_fields; i++) {
    const rill__wire_field *f = &schema->fields[i];
    if (f->tag >= 0 || !in_range(version, f->vmin, f->vmax))
      continue;
    if (!decode_field(r, f, version, flexible, arena, obj, depth))
      return false;
  }
  if (flexible)
    return decode_tags(r, schema, version, arena, obj, depth);
  return rill__wire_reader_ok(r);
}

bool rill__wire_decode(rill__wire_reader *r, const rill__wire_schema *schema, int16_t version, bool flexible,
                       rill__wire_arena *arena, void *obj)
{
  rill__wire_init(schema, obj);
  return decode_struct(r, schema, version, flexible, arena, obj, 0);
}
