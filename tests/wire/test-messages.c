/* test-messages.c — every message of the table, request and response, at
 * every version the codec speaks: filled with non-default values, encoded
 * as a whole frame (size + header + body), decoded back.
 *
 * Checks: fields present in the version survive; fields absent in it come
 * back as their defaults (dropped, not smuggled); re-encoding the decoded
 * message gives identical bytes; and the frame cut at every byte length
 * fails cleanly with a field name and an offset inside the cut buffer.
 * The values are written through the schema tables, so this also checks
 * that each table entry's offsets match the generated C structs.
 */
#include "runtime/wire/message.h"

#include <glib.h>

#define AT(obj, off, T) ((T *)((uint8_t *)(obj) + (off)))

static bool in_range(int v, int lo, int hi) { return lo >= 0 && v >= lo && v <= hi; }

typedef struct {
  GRand *rand;
  GPtrArray *owned; /* strings and arrays the filler allocated */
} filler;

static size_t elem_size_of(const rill__wire_field *f)
{
  switch (f->elem) {
  case RILL__WT_INT32: return 4;
  case RILL__WT_INT64: return 8;
  case RILL__WT_STRING: return sizeof(rill__wire_str);
  case RILL__WT_STRUCT: return f->sub->size;
  default: g_assert_not_reached();
  }
}

static void fill_struct(filler *fl, const rill__wire_schema *s, int version, void *obj);

static rill__wire_str some_string(filler *fl, const char *field)
{
  char *t = g_strdup_printf("%s-%u", field, g_rand_int_range(fl->rand, 0, 100000));
  g_ptr_array_add(fl->owned, t);
  return rill__wire_str_from(t);
}

/* A value that differs from the default, or null where the version allows
 * (one time in four), so both the null and the non-null paths run. */
static void fill_value(filler *fl, const rill__wire_field *f, uint8_t type, int version, bool nullable, void *p)
{
  int64_t r = (int64_t)g_rand_int(fl->rand) << 8 | g_rand_int_range(fl->rand, 0, 256);
  switch (type) {
  case RILL__WT_INT8: *(int8_t *)p = (int8_t)(r == f->def ? r + 1 : r); if (*(int8_t *)p == (int8_t)f->def) (*(int8_t *)p)++; break;
  case RILL__WT_INT16: *(int16_t *)p = (int16_t)r; if (*(int16_t *)p == (int16_t)f->def) (*(int16_t *)p)++; break;
  case RILL__WT_INT32: *(int32_t *)p = (int32_t)r; if (*(int32_t *)p == (int32_t)f->def) (*(int32_t *)p)++; break;
  case RILL__WT_INT64: *(int64_t *)p = r * 65537; if (*(int64_t *)p == f->def) (*(int64_t *)p)++; break;
  case RILL__WT_BOOL: *(bool *)p = f->def == 0; break;
  case RILL__WT_UUID:
    for (int i = 0; i < 16; i++)
      ((rill__wire_uuid *)p)->b[i] = (uint8_t)g_rand_int(fl->rand);
    break;
  case RILL__WT_STRING:
    *(rill__wire_str *)p =
        nullable && g_rand_int_range(fl->rand, 0, 4) == 0 ? RILL_WIRE_STR_NULL : some_string(fl, f->name);
    break;
  case RILL__WT_BYTES: case RILL__WT_RECORDS: {
    if (nullable && g_rand_int_range(fl->rand, 0, 4) == 0) {
      *(rill__wire_bytes *)p = RILL_WIRE_BYTES_NULL;
      break;
    }
    size_t n = (size_t)g_rand_int_range(fl->rand, 1, 40);
    uint8_t *b = g_malloc(n);
    for (size_t i = 0; i < n; i++)
      b[i] = (uint8_t)g_rand_int(fl->rand);
    g_ptr_array_add(fl->owned, b);
    *(rill__wire_bytes *)p = rill__wire_bytes_from(b, n);
    break;
  }
  case RILL__WT_STRUCT: fill_struct(fl, f->sub, version, p); break;
  default: g_assert_not_reached();
  }
}

static void fill_struct(filler *fl, const rill__wire_schema *s, int version, void *obj)
{
  rill__wire_init(s, obj);
  for (uint16_t i = 0; i < s->n_fields; i++) {
    const rill__wire_field *f = &s->fields[i];
    bool nullable = in_range(version, f->nmin, f->nmax);
    if (f->type != RILL__WT_ARRAY) {
      fill_value(fl, f, f->type, version, nullable, AT(obj, f->offset, void));
      continue;
    }
    if (nullable && g_rand_int_range(fl->rand, 0, 4) == 0) {
      *AT(obj, f->count_offset, int32_t) = -1;
      continue;
    }
    int32_t n = g_rand_int_range(fl->rand, 1, 3);
    size_t es = elem_size_of(f);
    uint8_t *items = g_malloc0((size_t)n * es);
    g_ptr_array_add(fl->owned, items);
    for (int32_t k = 0; k < n; k++)
      fill_value(fl, f, f->elem, version, false, items + (size_t)k * es);
    *AT(obj, f->offset, void *) = items;
    *AT(obj, f->count_offset, int32_t) = n;
  }
}

static void assert_same_struct(const rill__wire_schema *s, int version, const void *a, const void *b);

static void assert_same_value(const rill__wire_field *f, uint8_t type, int version, const void *a, const void *b)
{
  switch (type) {
  case RILL__WT_INT8: case RILL__WT_BOOL: g_assert_cmpmem(a, 1, b, 1); break;
  case RILL__WT_INT16: g_assert_cmpint(*(const int16_t *)a, ==, *(const int16_t *)b); break;
  case RILL__WT_INT32: g_assert_cmpint(*(const int32_t *)a, ==, *(const int32_t *)b); break;
  case RILL__WT_INT64: g_assert_cmpint(*(const int64_t *)a, ==, *(const int64_t *)b); break;
  case RILL__WT_UUID: g_assert_cmpmem(a, 16, b, 16); break;
  case RILL__WT_STRING: {
    const rill__wire_str *x = a, *y = b;
    if (x->len != y->len)
      g_error("%s: length %d != %d at v%d", f->name, x->len, y->len, version);
    if (x->len > 0)
      g_assert_cmpmem(x->ptr, x->len, y->ptr, y->len);
    break;
  }
  case RILL__WT_BYTES: case RILL__WT_RECORDS: {
    const rill__wire_bytes *x = a, *y = b;
    if (x->len != y->len)
      g_error("%s: length %d != %d at v%d", f->name, x->len, y->len, version);
    if (x->len > 0)
      g_assert_cmpmem(x->ptr, x->len, y->ptr, y->len);
    break;
  }
  case RILL__WT_STRUCT: assert_same_struct(f->sub, version, a, b); break;
  default: g_assert_not_reached();
  }
}

/* Compares the fields the version carries; @b is the decoded side. */
static void assert_same_struct(const rill__wire_schema *s, int version, const void *a, const void *b)
{
  for (uint16_t i = 0; i < s->n_fields; i++) {
    const rill__wire_field *f = &s->fields[i];
    if (!in_range(version, f->vmin, f->vmax))
      continue;
    if (f->type != RILL__WT_ARRAY) {
      assert_same_value(f, f->type, version, AT(a, f->offset, void), AT(b, f->offset, void));
      continue;
    }
    int32_t n = *AT(a, f->count_offset, int32_t);
    if (n != *AT(b, f->count_offset, int32_t))
      g_error("%s: count %d != %d at v%d", f->name, n, *AT(b, f->count_offset, int32_t), version);
    size_t es = elem_size_of(f);
    for (int32_t k = 0; k < n; k++)
      assert_same_value(f, f->elem, version, *AT(a, f->offset, uint8_t *) + (size_t)k * es,
                        *AT(b, f->offset, uint8_t *) + (size_t)k * es);
  }
}

/* Fields absent in @version must equal those of a default-initialised struct. */
static void assert_absent_are_default(const rill__wire_schema *s, int version, const void *decoded)
{
  void *def = g_malloc0(s->size);
  rill__wire_init(s, def);
  for (uint16_t i = 0; i < s->n_fields; i++) {
    const rill__wire_field *f = &s->fields[i];
    if (in_range(version, f->vmin, f->vmax)) {
      if (f->type == RILL__WT_STRUCT)
        assert_absent_are_default(f->sub, version, AT(decoded, f->offset, void));
      else if (f->type == RILL__WT_ARRAY && f->elem == RILL__WT_STRUCT)
        for (int32_t k = 0; k < *AT(decoded, f->count_offset, int32_t); k++)
          assert_absent_are_default(f->sub, version, *AT(decoded, f->offset, uint8_t *) + (size_t)k * f->sub->size);
      continue;
    }
    if (f->type == RILL__WT_ARRAY)
      g_assert_cmpint(*AT(decoded, f->count_offset, int32_t), ==, *AT(def, f->count_offset, int32_t));
    else
      assert_same_value(f, f->type, version, AT(def, f->offset, void), AT(decoded, f->offset, void));
  }
  g_free(def);
}

/* Encodes one message as a frame; returns the frame bytes after the size. */
static GBytes *encode_frame(const rill__wire_api_info *api, bool response, int16_t v, const void *msg)
{
  rill__wire_writer w;
  rill__wire_error err = {0};
  rill__wire_writer_init(&w);
  bool ok;
  if (response) {
    ok = rill__wire_response_encode(&w, api->api_key, v, 0x01020304, msg, &err);
  } else {
    rill__wire_request_header h = {api->api_key, v, 0x01020304, rill__wire_str_from("test-client")};
    ok = rill__wire_request_encode(&w, &h, msg, &err);
  }
  if (!ok)
    g_error("%s v%d %s: encode failed: %s: %s", api->name, v, response ? "response" : "request", err.field, err.reason);
  g_assert_cmpuint(w.len, >=, 4);
  g_assert_cmpint((int32_t)GUINT32_FROM_BE(*(uint32_t *)w.buf), ==, (int32_t)(w.len - 4));
  GBytes *out = g_bytes_new(w.buf + 4, w.len - 4);
  rill__wire_writer_clear(&w);
  return out;
}

static rill__wire_status decode_frame(const rill__wire_api_info *api, bool response, int16_t v, const uint8_t *p,
                                      size_t len, rill__wire_arena *arena, void *out, rill__wire_error *err)
{
  if (response) {
    int32_t corr = 0;
    rill__wire_status st = rill__wire_response_decode(p, len, api->api_key, v, arena, &corr, out, err);
    if (st == RILL_WIRE_OK)
      g_assert_cmpint(corr, ==, 0x01020304);
    return st;
  }
  rill__wire_request *req = g_malloc0(sizeof *req);
  rill__wire_status st = rill__wire_request_decode(p, len, arena, req, err);
  if (st == RILL_WIRE_OK) {
    g_assert_cmpint(req->header.request_api_key, ==, api->api_key);
    g_assert_cmpint(req->header.request_api_version, ==, v);
    g_assert_cmpint(req->header.correlation_id, ==, 0x01020304);
    g_assert_true(rill__wire_str_eq(req->header.client_id, "test-client"));
    memcpy(out, &req->body, api->request->size);
  }
  g_free(req);
  return st;
}

static void roundtrip_one(const rill__wire_api_info *api, bool response, int16_t v, guint32 seed)
{
  const rill__wire_schema *s = response ? api->response : api->request;
  filler fl = {g_rand_new_with_seed(seed), g_ptr_array_new_with_free_func(g_free)};
  void *msg = g_malloc0(s->size), *back = g_malloc0(sizeof(rill__wire_request));
  fill_struct(&fl, s, v, msg);
  GBytes *frame = encode_frame(api, response, v, msg);
  size_t len;
  const uint8_t *p = g_bytes_get_data(frame, &len);

  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  rill__wire_error err = {0};
  if (decode_frame(api, response, v, p, len, &arena, back, &err) != RILL_WIRE_OK)
    g_error("%s v%d %s: decode failed: %s at %zu: %s", api->name, v, response ? "response" : "request", err.field,
            err.offset, err.reason);
  assert_same_struct(s, v, msg, back);
  assert_absent_are_default(s, v, back);

  GBytes *again = encode_frame(api, response, v, back);
  g_assert_true(g_bytes_equal(frame, again));

  /* Every proper prefix must fail cleanly, blaming a field inside it. */
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *copy = g_memdup2(p, cut); /* exact-size copy so ASan sees any overread */
    rill__wire_arena_clear(&arena);
    err = (rill__wire_error){0};
    rill__wire_status st = decode_frame(api, response, v, copy, cut, &arena, back, &err);
    if (st == RILL_WIRE_OK)
      g_error("%s v%d: a %zu-byte prefix of %zu decoded", api->name, v, cut, len);
    g_assert_nonnull(err.field);
    g_assert_nonnull(err.reason);
    g_assert_cmpuint(err.offset, <=, cut);
    g_free(copy);
  }

  rill__wire_arena_clear(&arena);
  g_bytes_unref(frame);
  g_bytes_unref(again);
  g_free(msg);
  g_free(back);
  g_ptr_array_unref(fl.owned);
  g_rand_free(fl.rand);
}

static void test_roundtrip(gconstpointer data)
{
  const rill__wire_api_info *api = data;
  for (int16_t v = api->min_version; v <= api->max_version; v++)
    for (guint32 seed = 1; seed <= 3; seed++) {
      roundtrip_one(api, false, v, seed * 1000 + (guint32)v);
      roundtrip_one(api, true, v, seed * 7919 + (guint32)v);
    }
}

/* Versions outside the codec's range are refused by name, not misread. */
static void test_version_bounds(void)
{
  rill__wire_writer w;
  rill__wire_writer_init(&w);
  rill__wire_produce_request pr;
  rill__wire_produce_request_init(&pr);
  g_assert_false(rill__wire_produce_request_encode(&w, 10, &pr));
  g_assert_cmpstr(w.err.reason, ==, "unsupported version");
  rill__wire_writer_reset(&w);

  /* a Produce v99 request header: status tells the broker to answer 35 */
  rill__wire_request_header h = {0, 99, 7, rill__wire_str_from("c")};
  rill__wire_request_header_encode(&w, 1, &h);
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  rill__wire_request req;
  rill__wire_error err;
  g_assert_cmpint(rill__wire_request_decode(w.buf, w.len, &arena, &req, &err), ==, RILL_WIRE_UNSUPPORTED_VERSION);
  g_assert_cmpint(req.header.correlation_id, ==, 7);
  h.request_api_key = 1000;
  rill__wire_writer_reset(&w);
  rill__wire_request_header_encode(&w, 1, &h);
  g_assert_cmpint(rill__wire_request_decode(w.buf, w.len, &arena, &req, &err), ==, RILL_WIRE_UNKNOWN_API);
  rill__wire_writer_clear(&w);
  rill__wire_arena_clear(&arena);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (size_t i = 0; i < RILL_WIRE_N_APIS; i++) {
    char *path = g_strdup_printf("/wire/messages/roundtrip/%s", rill__wire_apis[i].name);
    g_test_add_data_func(path, &rill__wire_apis[i], test_roundtrip);
    g_free(path);
  }
  g_test_add_func("/wire/messages/version-bounds", test_version_bounds);
  return g_test_run();
}
