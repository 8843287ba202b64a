/* test-op-harness.c — the single-operator harness (op-harness.h) against
 * the scheduler's rules it promises to keep: callback order, the minimum
 * watermark over inputs with idle inputs left out, barrier alignment
 * holding an input back, finish() once every input ended, close() always,
 * failures reported as the pipeline reports them, the fake clock seen by
 * processing-time code, metrics, and snapshot/restore. A recording
 * operator logs every callback; real operators (watermarks, flat_map) show
 * stages built by rill_pipeline_add_* calls. */
#include "op-harness.h"

#include "runtime/snap.h"

#include <string.h>

/* ---- a recording operator ------------------------------------------------ */

/* Logs "o" (open), "p<input>:<values>", "w<wm>", "b<id>", "f", "c" (close)
 * into a GString; forwards records, watermarks and barriers; finish() emits
 * one record "end"; a record with value "fail" fails the stage. Counts the
 * records it saw (its checkpointed state). */
typedef struct {
  GString *log;
  guint64 seen;
  gboolean fail_open;
} recorder;

static gboolean rec_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  recorder *r = user_data;
  if (r->fail_open) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "cannot open");
    return FALSE;
  }
  g_string_append(r->log, "o ");
  *state = r;
  return TRUE;
}

static rill_flow rec_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  recorder *r = state;
  g_string_append_printf(r->log, "p%u:", input);
  const rill_record *recs = rill_batch_records(batch);
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0; i < rill_batch_len(batch) && flow == RILL_FLOW_OK; i++) {
    g_string_append_len(r->log, (const char *)recs[i].value.data, (gssize)recs[i].value.len);
    r->seen++;
    if (rill_bytes_equal(recs[i].value, rill_bytes_from_string("fail"))) {
      rill_ctx_fail(ctx, "bad record at %" G_GINT64_FORMAT, recs[i].timestamp);
      flow = RILL_FLOW_ERROR;
    } else {
      flow = rill_emit_record(out, &recs[i]);
    }
  }
  g_string_append_c(r->log, ' ');
  rill_batch_unref(batch);
  return flow;
}

static rill_flow rec_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  recorder *r = state;
  g_string_append_printf(r->log, "w%" G_GINT64_FORMAT " ", watermark);
  return rill_emit_watermark(out, watermark);
}

static rill_flow rec_on_barrier(rill_ctx *ctx, void *state, uint64_t id, rill_emitter *out)
{
  recorder *r = state;
  g_string_append_printf(r->log, "b%" G_GUINT64_FORMAT " ", id);
  return rill_emit_barrier(out, id);
}

static rill_flow rec_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  recorder *r = state;
  g_string_append(r->log, "f ");
  rill_record e = RILL_RECORD_INIT;
  e.value = rill_bytes_from_string("end");
  return rill_emit_record(out, &e);
}

static void rec_close(rill_ctx *ctx, void *state)
{
  recorder *r = state;
  g_string_append(r->log, "c");
}

static rill_flow rec_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  rill__snap_u64(out, ((recorder *)state)->seen);
  return RILL_FLOW_OK;
}

static gboolean rec_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  rill__snap_reader rd = rill__snap_reader_init(data, len);
  ((recorder *)state)->seen = rill__snap_get_u64(&rd);
  if (!rill__snap_done(&rd)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "bad recorder snapshot");
    return FALSE;
  }
  return TRUE;
}

static const rill_operator_class recorder_class = {
  .type_name = "recorder",
  .open = rec_open,
  .process = rec_process,
  .on_watermark = rec_on_watermark,
  .on_barrier = rec_on_barrier,
  .finish = rec_finish,
  .close = rec_close,
  .snapshot = rec_snapshot,
  .restore = rec_restore,
};

static void recorder_init(recorder *r)
{
  memset(r, 0, sizeof *r);
  r->log = g_string_new(NULL);
}

static void assert_value(const rill_record *r, const char *value)
{
  g_assert_true(rill_bytes_equal(r->value, rill_bytes_from_string(value)));
}

/* ---- tests ---------------------------------------------------------------- */

/* Every push runs its callbacks before it returns; output comes in order. */
static void test_push_pull(void)
{
  recorder r;
  recorder_init(&r);
  rill_harness *h = rill_harness_new(&recorder_class, &r, 1);
  g_assert_cmpstr(r.log->str, ==, "o ");
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);
  g_assert_cmpint(rill_harness_push_kv(h, 0, "k", "a", 5), ==, RILL_FLOW_OK);
  g_assert_cmpstr(r.log->str, ==, "o p0:a ");
  g_assert_cmpuint(rill_harness_pending(h), ==, 1);

  /* A batch of two with a watermark on it: records first, then the marker. */
  rill_batch_builder *b = rill_batch_builder_new(0);
  rill_batch_builder_append_kv(b, "k", 1, "b", 1, 6);
  rill_batch_builder_append_kv(b, NULL, 0, "c", 1, 7);
  rill_batch_builder_set_watermark(b, 6);
  g_assert_cmpint(rill_harness_push(h, 0, rill_batch_builder_finish(b)), ==, RILL_FLOW_OK);
  rill_batch_builder_free(b);
  g_assert_cmpstr(r.log->str, ==, "o p0:a p0:bc w6 ");
  g_assert_cmpuint(rill_harness_pending(h), ==, 4);

  const rill_record *rec = rill_harness_pull_record(h);
  assert_value(rec, "a");
  g_assert_true(rill_bytes_equal(rec->key, rill_bytes_from_string("k")));
  g_assert_cmpint(rec->timestamp, ==, 5);
  assert_value(rill_harness_pull_record(h), "b");
  rec = rill_harness_pull_record(h);
  assert_value(rec, "c");
  g_assert_null(rec->key.data);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 6);
  rill_harness_event ev;
  g_assert_false(rill_harness_pull(h, &ev));

  /* A watermark that does not advance the input reaches nobody. */
  rill_harness_push_watermark(h, 0, 6);
  rill_harness_push_watermark(h, 0, 3);
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);

  rill_stage_metrics m = rill_harness_metrics(h);
  g_assert_cmpstr(m.stage, ==, "recorder");
  g_assert_cmpuint(m.records_in, ==, 3);
  g_assert_cmpuint(m.records_out, ==, 3);
  g_assert_cmpuint(m.batches_in, ==, 2);

  g_assert_cmpint(rill_harness_finish(h), ==, RILL_FLOW_OK);
  g_assert_true(rill_harness_finished(h));
  assert_value(rill_harness_pull_record(h), "end");
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);
  rill_harness_free(h);
  g_assert_cmpstr(r.log->str, ==, "o p0:a p0:bc w6 f c");
  g_string_free(r.log, TRUE);
}

/* The operator sees the minimum watermark over its inputs; an input that
 * ended or went idle stops holding it back. */
static void test_watermark_minimum(void)
{
  recorder r;
  recorder_init(&r);
  rill_harness *h = rill_harness_new(&recorder_class, &r, 3);
  rill_harness_push_watermark(h, 0, 10);
  rill_harness_push_watermark(h, 1, 20);
  g_assert_cmpstr(r.log->str, ==, "o ");
  rill_harness_push_watermark(h, 2, 5);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 5);
  rill_harness_push_watermark(h, 2, 30);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 10);
  rill_harness_push_eos(h, 0);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 20);
  /* Idle: the others decide; all idle: IDLE passes on, but not to the operator. */
  rill_harness_push_watermark(h, 1, RILL_WATERMARK_IDLE);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 30);
  rill_harness_push_watermark(h, 2, RILL_WATERMARK_IDLE);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, RILL_WATERMARK_IDLE);
  g_assert_cmpstr(r.log->str, ==, "o w5 w10 w20 w30 ");
  /* Back from idleness with an older watermark: the combined one holds. */
  rill_harness_push_watermark(h, 1, 25);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 30);
  /* Input 1 ends: only the idle input 2 is left. */
  rill_harness_push_eos(h, 1);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, RILL_WATERMARK_IDLE);
  rill_harness_finish(h);
  assert_value(rill_harness_pull_record(h), "end");
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);
  rill_harness_free(h);
  g_assert_cmpstr(r.log->str, ==, "o w5 w10 w20 w30 w30 f c");
  g_string_free(r.log, TRUE);
}

/* A barrier on one input holds that input back until the barrier arrived
 * on the other: the operator sees nothing from after it before on_barrier. */
static void test_barrier_alignment(void)
{
  recorder r;
  recorder_init(&r);
  rill_harness *h = rill_harness_new(&recorder_class, &r, 2);
  rill_harness_push_kv(h, 0, NULL, "a", 1);
  rill_harness_push_barrier(h, 0, 1);
  rill_harness_push_kv(h, 0, NULL, "x", 2);     /* after the barrier: held */
  rill_harness_push_watermark(h, 0, 50);        /* held too */
  g_assert_cmpstr(r.log->str, ==, "o p0:a ");
  rill_harness_push_kv(h, 1, NULL, "y", 3);     /* before input 1's barrier */
  g_assert_cmpstr(r.log->str, ==, "o p0:a p1:y ");
  rill_harness_push_barrier(h, 1, 1);
  g_assert_cmpstr(r.log->str, ==, "o p0:a p1:y b1 p0:x ");
  assert_value(rill_harness_pull_record(h), "a");
  assert_value(rill_harness_pull_record(h), "y");
  g_assert_cmpuint(rill_harness_pull_barrier(h), ==, 1);
  assert_value(rill_harness_pull_record(h), "x");
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);
  /* End of stream behind a barrier waits as well. */
  rill_harness_push_barrier(h, 1, 2);
  rill_harness_push_eos(h, 1);
  g_assert_false(rill_harness_finished(h));
  rill_harness_push_watermark(h, 0, 60);
  rill_harness_push_barrier(h, 0, 2);
  g_assert_cmpint(rill_harness_finish(h), ==, RILL_FLOW_OK);
  g_assert_true(rill_harness_finished(h));
  rill_harness_free(h);
  g_assert_cmpstr(r.log->str, ==, "o p0:a p1:y b1 p0:x b2 w60 f c");
  g_string_free(r.log, TRUE);
}

/* A failing callback: the error as the pipeline reports it, nothing more
 * delivered, finish() never, close() still. */
static void test_failure(void)
{
  recorder r;
  recorder_init(&r);
  rill_harness *h = rill_harness_new(&recorder_class, &r, 1);
  rill_harness_push_kv(h, 0, NULL, "ok", 1);
  g_assert_null(rill_harness_error(h));
  g_assert_cmpint(rill_harness_push_kv(h, 0, NULL, "fail", 7), ==, RILL_FLOW_ERROR);
  const GError *e = rill_harness_error(h);
  g_assert_error((GError *)e, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_cmpstr(e->message, ==, "stage 'recorder' (task 0): bad record at 7");
  g_assert_cmpint(rill_harness_push_kv(h, 0, NULL, "late", 8), ==, RILL_FLOW_FLUSHING);
  g_assert_cmpint(rill_harness_finish(h), ==, RILL_FLOW_FLUSHING);
  g_assert_false(rill_harness_finished(h));
  assert_value(rill_harness_pull_record(h), "ok");
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);
  rill_harness_free(h);
  g_assert_cmpstr(r.log->str, ==, "o p0:ok p0:fail c");
  g_string_free(r.log, TRUE);

  recorder_init(&r);
  r.fail_open = TRUE;
  h = rill_harness_new_empty();
  rill_stage *in = rill_harness_input(h, 0);
  rill_stage *s = rill_pipeline_add_operator(rill_harness_pipeline(h), "rec", &recorder_class, &r, NULL, &in, 1);
  GError *error = NULL;
  g_assert_false(rill_harness_start(h, s, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_cmpstr(error->message, ==, "stage 'rec' (task 0): cannot open");
  g_clear_error(&error);
  rill_harness_free(h);
  g_assert_cmpstr(r.log->str, ==, "");
  g_string_free(r.log, TRUE);
}

/* Snapshot after some input, restore into a new harness: the state goes on. */
static void test_snapshot_restore(void)
{
  recorder r;
  recorder_init(&r);
  rill_harness *h = rill_harness_new(&recorder_class, &r, 1);
  rill_harness_push_kv(h, 0, NULL, "a", 1);
  rill_harness_push_kv(h, 0, NULL, "b", 2);
  rill_harness_push_barrier(h, 0, 4);
  GBytes *snap = rill_harness_snapshot(h, 4);
  rill_harness_free(h);

  recorder r2;
  recorder_init(&r2);
  h = rill_harness_new_empty();
  rill_stage *in = rill_harness_input(h, 0);
  rill_stage *s = rill_pipeline_add_operator(rill_harness_pipeline(h), "rec", &recorder_class, &r2, NULL, &in, 1);
  rill_harness_restore_from(h, snap);
  GError *error = NULL;
  g_assert_true(rill_harness_start(h, s, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(r2.seen, ==, 2);
  rill_harness_push_kv(h, 0, NULL, "c", 3);
  g_assert_cmpuint(r2.seen, ==, 3);
  rill_harness_free(h);

  /* A damaged snapshot fails the start like a restart would. */
  recorder_init(&r2);
  h = rill_harness_new_empty();
  in = rill_harness_input(h, 0);
  s = rill_pipeline_add_operator(rill_harness_pipeline(h), "rec", &recorder_class, &r2, NULL, &in, 1);
  GBytes *cut = g_bytes_new_from_bytes(snap, 0, 3);
  rill_harness_restore_from(h, cut);
  g_assert_false(rill_harness_start(h, s, &error));
  g_assert_nonnull(strstr(error->message, "cannot restore checkpoint: bad recorder snapshot"));
  g_clear_error(&error);
  rill_harness_free(h);
  g_bytes_unref(cut);
  g_bytes_unref(snap);
  g_string_free(r.log, TRUE);
  g_string_free(r2.log, TRUE);
}

/* A real stage built by rill_pipeline_add_watermarks reads the fake clock:
 * processing time stamps records with it, and an idle partition is
 * detected exactly when the clock passes the timeout. */
static void test_fake_clock(void)
{
  rill_harness *h = rill_harness_new_empty();
  rill_watermark_options wo = {.processing_time = TRUE, .clock = rill_harness_clock_fn, .clock_data = h};
  rill_stage *s = rill_pipeline_add_watermarks(rill_harness_pipeline(h), "wm", rill_harness_input(h, 0), &wo);
  g_assert_true(rill_harness_start(h, s, NULL));
  rill_harness_set_time(h, 1000);
  rill_harness_push_kv(h, 0, NULL, "a", 5);
  g_assert_cmpint(rill_harness_pull_record(h)->timestamp, ==, 1000);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 999);
  rill_harness_set_time(h, 1500);
  rill_harness_push_kv(h, 0, NULL, "b", 5);
  g_assert_cmpint(rill_harness_pull_record(h)->timestamp, ==, 1500);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 1499);
  rill_harness_free(h);

  h = rill_harness_new_empty();
  rill_watermark_options idle = {.idle_timeout_ms = 100, .clock = rill_harness_clock_fn, .clock_data = h};
  s = rill_pipeline_add_watermarks(rill_harness_pipeline(h), "wm", rill_harness_input(h, 0), &idle);
  g_assert_true(rill_harness_start(h, s, NULL));
  rill_record rec = RILL_RECORD_INIT;
  rec.timestamp = 10;
  rec.partition = 1;
  rill_harness_push_record(h, 0, &rec);
  rec.timestamp = 50;
  rec.partition = 0;
  rill_harness_push_record(h, 0, &rec);
  g_assert_cmpuint(rill_harness_drain(h), ==, 2);
  rill_harness_set_time(h, 99); /* partition 1 silent for 99 ms: not yet idle */
  rec.timestamp = 60;
  rill_harness_push_record(h, 0, &rec);
  rill_harness_pull_record(h);
  g_assert_cmpuint(rill_harness_pending(h), ==, 0); /* still held back at 10 - 1 */
  rill_harness_set_time(h, 100);
  rec.timestamp = 70;
  rill_harness_push_record(h, 0, &rec);
  rill_harness_pull_record(h);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 69);
  rill_harness_free(h);
}

/* One callback emitting many batches: all of them come out, in order. */
static rill_flow fan_out(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *user_data)
{
  for (int i = 0; i < 5000; i++) {
    rill_record r = *in;
    r.timestamp = i;
    rill_flow flow = rill_emit_record(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void test_many_batches(void)
{
  rill_harness *h = rill_harness_new_empty();
  rill_stage *s = rill_pipeline_add_flat_map(rill_harness_pipeline(h), "fan", rill_harness_input(h, 0), fan_out,
                                             NULL, NULL);
  g_assert_true(rill_harness_start(h, s, NULL));
  rill_harness_push_kv(h, 0, "k", "v", 0);
  g_assert_cmpuint(rill_harness_pending(h), ==, 5000);
  for (int i = 0; i < 5000; i++)
    g_assert_cmpint(rill_harness_pull_record(h)->timestamp, ==, i);
  g_assert_cmpuint(rill_harness_metrics(h).batches_out, ==, 5); /* full batches of 1024 */
  rill_harness_free(h);
}

/* The example in docs/testing.md, verbatim between the braces. */
static void test_docs_example(void)
{
  rill_harness *h = rill_harness_new_empty();
  rill_stage *d = rill_pipeline_add_dedupe(rill_harness_pipeline(h), "dedupe",
                                           rill_harness_input(h, 0), 10);
  g_assert_true(rill_harness_start(h, d, NULL));

  rill_harness_push_kv(h, 0, "a", "1", 0);
  const rill_record *r = rill_harness_pull_record(h);     /* passes at once */
  g_assert_cmpint(r->timestamp, ==, 0);
  rill_harness_push_kv(h, 0, "a", "2", 5);                /* within 10 ms: dropped */
  g_assert_cmpuint(rill_harness_pending(h), ==, 0);
  rill_harness_push_watermark(h, 0, 100);
  g_assert_cmpint(rill_harness_pull_watermark(h), ==, 100);

  rill_harness_finish(h);                                 /* end of stream: finish() */
  g_assert_cmpuint(rill_harness_metrics(h).records_out, ==, 1);
  rill_harness_free(h);                                   /* close() */
}

/* docs/testing.md shows test_docs_example's body: they must not drift. */
static void test_docs_match(void)
{
  char *doc, *src;
  g_assert_true(g_file_get_contents(RILL_SOURCE_DIR "/docs/testing.md", &doc, NULL, NULL));
  g_assert_true(g_file_get_contents(RILL_SOURCE_DIR "/tests/harness/test-op-harness.c", &src, NULL, NULL));
  const char *open = "```c\n#include \"tests/harness/op-harness.h\"\n\n";
  const char *b = strstr(doc, open);
  g_assert_nonnull(b);
  b += strlen(open);
  char *shown = g_strndup(b, (gsize)(strstr(b, "```") - b));
  const char *fn = strstr(src, "static void test_docs_example(void)\n{\n");
  g_assert_nonnull(fn);
  fn = strchr(fn, '{') + 2;
  GString *body = g_string_new(NULL);
  for (const char *l = fn; strncmp(l, "}\n", 2) != 0; l = strchr(l, '\n') + 1) {
    const char *nl = strchr(l, '\n');
    g_string_append_len(body, l[0] == ' ' ? l + 2 : l, nl - l - (l[0] == ' ' ? 2 : 0));
    g_string_append_c(body, '\n');
  }
  g_assert_cmpstr(shown, ==, body->str);
  g_string_free(body, TRUE);
  g_free(shown);
  g_free(doc);
  g_free(src);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/op-harness/push-pull", test_push_pull);
  g_test_add_func("/op-harness/watermark-minimum", test_watermark_minimum);
  g_test_add_func("/op-harness/barrier-alignment", test_barrier_alignment);
  g_test_add_func("/op-harness/failure", test_failure);
  g_test_add_func("/op-harness/snapshot-restore", test_snapshot_restore);
  g_test_add_func("/op-harness/fake-clock", test_fake_clock);
  g_test_add_func("/op-harness/many-batches", test_many_batches);
  g_test_add_func("/op-harness/docs-example", test_docs_example);
  g_test_add_func("/op-harness/docs-match", test_docs_match);
  return g_test_run();
}
