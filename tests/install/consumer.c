/* consumer.c — a program built outside the tree against the installed
 * library with pkg-config only: a generated source, a map and a counting
 * sink. Prints "sum=<n>" for the test script to check. */
#include <rill/rill.h>

#include <stdio.h>
#include <string.h>

static rill_flow gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  for (guint64 i = 1; i <= 1000; i++) {
    rill_record r = RILL_RECORD_INIT;
    r.value = rill_bytes_make(&i, sizeof i);
    rill_emit_record(out, &r);
  }
  return RILL_FLOW_EOS;
}

static rill_flow twice(rill_ctx *ctx, const rill_record *in, rill_record *out, void *ud)
{
  guint64 v;
  memcpy(&v, in->value.data, sizeof v);
  v *= 2;
  void *p = rill_ctx_alloc(ctx, sizeof v);
  memcpy(p, &v, sizeof v);
  out->value = rill_bytes_make(p, sizeof v);
  return RILL_FLOW_OK;
}

static guint64 sum;
static rill_flow add_write(rill_ctx *ctx, void *state, const rill_batch *b)
{
  for (size_t i = 0; i < rill_batch_len(b); i++) {
    guint64 v;
    memcpy(&v, rill_batch_records(b)[i].value.data, sizeof v);
    sum += v;
  }
  return RILL_FLOW_OK;
}

static const rill_source_class gen = {.type_name = "gen", .read = gen_read};
static const rill_sink_class adder = {.type_name = "sum", .write = add_write};

int main(void)
{
  rill_pipeline *p = rill_pipeline_new("installed");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen, NULL, NULL);
  s = rill_pipeline_add_map(p, "twice", s, twice, NULL, NULL);
  rill_pipeline_add_sink(p, "sum", s, &adder, NULL, NULL);
  GError *error = NULL;
  if (!rill_pipeline_run(p, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  rill_pipeline_unref(p);
  printf("version=%s sum=%" G_GUINT64_FORMAT "\n", rill_version_string(), sum);
  return 0;
}
