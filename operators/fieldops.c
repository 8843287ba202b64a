/* fieldops.c — the declarative field elements (filter, set-key, project,
 * aggregate inputs, event-time fields) as callbacks of the parse stage
 * (rill_pipeline_add_parse), which gives each task its own rill_fields and
 * sends records that do not parse to the dead-letter output.
 *
 * Comparisons: eq/ne/lt/le/gt/ge compare numerically when both the field
 * and the operand are numbers, otherwise as byte strings; contains is a
 * substring test; regex a GRegex (PCRE) search. A record without the field
 * fails every comparison (it is dropped, ne included; kept with invert).
 * A CSV field name that is no column rejects the record with a message
 * saying what to add (a header, columns=, or c1..cN), and an aggregate's
 * input field that is present but not a number is rejected naming the
 * aggregate, the field and the text: both instead of silent nulls.
 * An op is immutable once the pipeline starts, so tasks share it.
 */
#include "operators/fieldops.h"
#include "operators/typed-private.h"

#include <errno.h>
#include <stdarg.h>

typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_CONTAINS, CMP_REGEX } cmp_kind;

struct rill__fieldop {
  rill__fieldop_kind kind;
  char *field;
  char **fields; /* PROJECT */
  cmp_kind cmp;
  char *operand;
  double number;       /* operand as a number, when operand_is_number */
  gboolean operand_is_number;
  GRegex *regex;
  gint64 unit_ms;
  gboolean invert;
  char *numeric_for; /* SET_VALUE: the aggregate that needs numbers, or NULL */
};

rill__fieldop *rill__fieldop_new(rill__fieldop_kind kind, const char *field, char **fields)
{
  rill__fieldop *op = g_new0(rill__fieldop, 1);
  op->kind = kind;
  op->field = g_strdup(field);
  op->fields = g_strdupv(fields);
  op->unit_ms = 1;
  return op;
}

void rill__fieldop_free(void *data)
{
  rill__fieldop *op = data;
  g_free(op->field);
  g_strfreev(op->fields);
  g_free(op->operand);
  g_free(op->numeric_for);
  if (op->regex)
    g_regex_unref(op->regex);
  g_free(op);
}

static gboolean parse_number(const char *s, double *out)
{
  char *end;
  if (!s || !*s)
    return FALSE;
  *out = g_ascii_strtod(s, &end);
  return *end == '\0';
}

gboolean rill__fieldop_set_compare(rill__fieldop *op, const char *cmp, const char *operand, GError **error)
{
  static const char *const names[] = {"eq", "ne", "lt", "le", "gt", "ge", "contains", "regex"};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(cmp, names[i]) == 0)
      op->cmp = (cmp_kind)i;
  op->operand = g_strdup(operand);
  op->operand_is_number = parse_number(operand, &op->number);
  if (op->cmp == CMP_REGEX) {
    op->regex = g_regex_new(operand, G_REGEX_OPTIMIZE, 0, error);
    return op->regex != NULL;
  }
  return TRUE;
}

void rill__fieldop_set_invert(rill__fieldop *op, gboolean invert)
{
  op->invert = invert;
}

void rill__fieldop_set_numeric(rill__fieldop *op, const char *element)
{
  g_free(op->numeric_for);
  op->numeric_for = g_strdup(element);
}

void rill__fieldop_set_unit_ms(rill__fieldop *op, gint64 unit_ms)
{
  op->unit_ms = unit_ms;
}

static gboolean compare(const rill__fieldop *op, const char *v, size_t len)
{
  double x;
  int c;
  switch (op->cmp) {
  case CMP_CONTAINS:
    return g_strstr_len(v, (gssize)len, op->operand) != NULL;
  case CMP_REGEX:
    return g_regex_match_full(op->regex, v, (gssize)len, 0, 0, NULL, NULL);
  default:
    break;
  }
  if (op->operand_is_number && parse_number(v, &x))
    c = x < op->number ? -1 : x > op->number ? 1 : 0;
  else
    c = strcmp(v, op->operand);
  switch (op->cmp) {
  case CMP_EQ:
    return c == 0;
  case CMP_NE:
    return c != 0;
  case CMP_LT:
    return c < 0;
  case CMP_LE:
    return c <= 0;
  case CMP_GT:
    return c > 0;
  case CMP_GE:
    return c >= 0;
  default:
    return FALSE;
  }
}

static rill_bytes copy_bytes(rill_ctx *ctx, const char *s, size_t len)
{
  char *dst = rill_ctx_alloc(ctx, len ? len : 1);
  memcpy(dst, s, len);
  return rill_bytes_make(dst, len);
}

/* ---- timestamps -------------------------------------------------------------- */

/* A timestamp text: integer (× @unit_ms), else what typed.c reads (ISO
 * 8601, no zone = UTC, or the access log form "10/Oct/2000:13:55:36
 * -0700"). FALSE when none fits. */
static gboolean parse_timestamp(const char *text, gsize len, gint64 unit_ms, gint64 *ms)
{
  char *end;
  errno = 0;
  gint64 n = *text ? g_ascii_strtoll(text, &end, 10) : 0;
  if (*text && !*end && !errno) {
    *ms = n * unit_ms;
    return TRUE;
  }
  return rill__parse_timestamp_ms(text, len, ms);
}

/* A @ctx-allocated copy of a message built with @format. */
static const char *ctx_message(rill_ctx *ctx, const char *format, ...) G_GNUC_PRINTF(2, 3);
static const char *ctx_message(rill_ctx *ctx, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  gsize n = strlen(msg) + 1;
  char *copy = rill_ctx_alloc(ctx, n);
  memcpy(copy, msg, n);
  g_free(msg);
  return copy;
}

/* ---- the callback ------------------------------------------------------------ */

/* A CSV field name that is no column: the element cannot work, so say which
 * and why instead of reading nulls. (@ctx-allocated) */
static const char *unknown_column(rill_ctx *ctx, rill_fields *fields, const char *name)
{
  if (rill_fields_csv_has_names(fields))
    return ctx_message(ctx, "the CSV has no column '%s' (see its header row or columns=)", name);
  return ctx_message(ctx,
                     "field=%s names a CSV column but the input has no header row: give the source "
                     "csv-header=true or columns=NAME,..., or name the columns c1..cN",
                     name);
}

rill_verdict rill__fieldop_apply(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                                 const char **reason, void *data)
{
  const rill__fieldop *op = data;
  if (op->field && !rill_fields_csv_knows(fields, op->field)) {
    *reason = unknown_column(ctx, fields, op->field);
    return RILL_VERDICT_REJECT;
  }
  for (guint i = 0; op->fields && op->fields[i]; i++)
    if (!rill_fields_csv_knows(fields, op->fields[i])) {
      *reason = unknown_column(ctx, fields, op->fields[i]);
      return RILL_VERDICT_REJECT;
    }
  size_t len = 0;
  const char *v = NULL;
  if (op->field)
    v = rill_fields_get_string(fields, op->field, &len);
  switch (op->kind) {
  case RILL__FIELDOP_FILTER:
    return (v && compare(op, v, len)) != op->invert ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
  case RILL__FIELDOP_SET_KEY:
    out->key = v ? copy_bytes(ctx, v, len) : rill_bytes_make(NULL, 0);
    return RILL_VERDICT_KEEP;
  case RILL__FIELDOP_SET_VALUE: {
    double x;
    if (v && op->numeric_for && !parse_number(v, &x)) {
      *reason = ctx_message(ctx, "%s field=%s: '%.*s' is not a number", op->numeric_for, op->field,
                            (int)MIN(len, 64), v);
      return RILL_VERDICT_REJECT;
    }
    out->value = v ? copy_bytes(ctx, v, len) : rill_bytes_make(NULL, 0);
    return RILL_VERDICT_KEEP;
  }
  case RILL__FIELDOP_TIMESTAMP: {
    gint64 ms;
    if (!v || !parse_timestamp(v, len, op->unit_ms, &ms)) {
      /* Name the field and the value: the reason is all a user sees. */
      *reason = v ? ctx_message(ctx, "field '%s' is not a timestamp (ISO 8601, common log format or an integer): '%.*s'",
                                op->field, (int)MIN(len, 80), v)
                  : ctx_message(ctx, "the record has no field '%s' (the time field)", op->field);
      return RILL_VERDICT_REJECT;
    }
    out->timestamp = ms;
    return RILL_VERDICT_KEEP;
  }
  case RILL__FIELDOP_PROJECT: {
    GString *s = g_string_new("{");
    for (guint i = 0; op->fields[i]; i++) {
      if (i)
        g_string_append_c(s, ',');
      rill_json_append_string(s, op->fields[i], -1);
      g_string_append_c(s, ':');
      rill_fields_append_json(fields, op->fields[i], s);
    }
    g_string_append_c(s, '}');
    out->value = copy_bytes(ctx, s->str, s->len);
    g_string_free(s, TRUE);
    return RILL_VERDICT_KEEP;
  }
  }
  return RILL_VERDICT_KEEP;
}
