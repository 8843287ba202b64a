/* line-filter.c — `filter regex=...` / `filter contains=...` without
 * field=: keeps whole lines (record values) by a PCRE2 search or a byte
 * substring test, like grep, without parsing anything.
 *
 * Invariants: the compiled pattern is shared and read-only; each task has
 * its own match data. A line that is not valid UTF-8 is never handed to
 * PCRE2 (it runs in UTF mode): it does not match regex=, so invert=true
 * keeps it. Batches are filtered in place (rill_batch_retain): no payload
 * is copied.
 */
#define _GNU_SOURCE /* memmem */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "operators/text-elements.h"

#include <pcre2.h>
#include <string.h>

typedef struct {
  pcre2_code *code;   /* regex=; NULL for contains= */
  char *needle;       /* contains= */
  gsize needle_len;
  gboolean invert;
} line_filter;

typedef struct {
  const line_filter *f;
  pcre2_match_data *match;
} line_task;

static void line_filter_free(gpointer data)
{
  line_filter *f = data;
  pcre2_code_free(f->code);
  g_free(f->needle);
  g_free(f);
}

static gboolean task_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  line_filter *f = user_data;
  line_task *t = g_new0(line_task, 1);
  t->f = f;
  if (f->code)
    t->match = pcre2_match_data_create(1, NULL);
  *state = t;
  return TRUE;
}

static void task_close(rill_ctx *ctx, void *state)
{
  line_task *t = state;
  pcre2_match_data_free(t->match);
  g_free(t);
}

static gboolean matches(line_task *t, const rill_record *r)
{
  const char *s = r->value.data ? (const char *)r->value.data : "";
  gsize n = r->value.len;
  if (!t->f->code)
    return t->f->needle_len == 0 || (n >= t->f->needle_len && memmem(s, n, t->f->needle, t->f->needle_len) != NULL);
  if (!g_utf8_validate_len(s, n, NULL))
    return FALSE;
  return pcre2_match(t->f->code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, t->match, NULL) >= 0;
}

static gboolean keep(const rill_record *record, void *data)
{
  line_task *t = data;
  return matches(t, record) != t->f->invert;
}

static rill_flow task_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  batch = rill_batch_make_writable(batch);
  if (rill_batch_retain(batch, keep, state) == 0) {
    rill_batch_unref(batch);
    return RILL_FLOW_OK;
  }
  return rill_emit_batch(out, batch);
}

static const rill_operator_class line_filter_class = {
  .type_name = "filter",
  .open = task_open,
  .process = task_process,
  .close = task_close,
};

rill_stage *rill__line_filter_add(rill_launch_builder *b, const char *name, rill_stage *input, const char *cmp,
                                  const char *operand, gboolean invert, GError **error)
{
  line_filter *f = g_new0(line_filter, 1);
  f->invert = invert;
  if (strcmp(cmp, "contains") == 0) {
    f->needle = g_strdup(operand);
    f->needle_len = strlen(operand);
  } else if (strcmp(cmp, "regex") == 0) {
    int code_error;
    PCRE2_SIZE offset;
    f->code = pcre2_compile((PCRE2_SPTR)operand, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code_error, &offset, NULL);
    if (!f->code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(code_error, msg, sizeof msg);
      rill__launch_fail(b, cmp, error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s at offset %zu", (char *)msg,
                        (size_t)offset);
      line_filter_free(f);
      return NULL;
    }
    pcre2_jit_compile(f->code, PCRE2_JIT_COMPLETE);
  } else {
    rill__launch_fail(b, cmp, error, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                      "%s= compares a field: give field= too (whole lines take regex= or contains=)", cmp);
    line_filter_free(f);
    return NULL;
  }
  return rill_pipeline_add_operator(b->pipeline, name, &line_filter_class, f, line_filter_free, &input, 1);
}
