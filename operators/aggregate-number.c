/* aggregate-number.c — sum, min, max and avg over decimal numbers, integer
 * or not (rill_aggregate_*_number, include/rill/aggregate.h): what
 * rill-run's aggregates use, so `sum field=price` over 76.34 works.
 *
 * Invariants: the accumulator is plain old data (snapshotted verbatim).
 * While every input is an integer and no sum overflows, the result is
 * exact int64 arithmetic and prints as an integer; the first decimal (or
 * an overflow) moves the accumulator to double for good. Results print
 * shortest round-trip (runtime/numbers.h).
 */
#include <math.h>
#include <stdlib.h>

#include "operators/aggregate-private.h"
#include "runtime/numbers.h"

typedef enum { OP_SUM, OP_MIN, OP_MAX, OP_AVG } number_op;

typedef struct {
  int64_t i;      /* exact value while !is_float */
  double d;       /* the value once is_float */
  int64_t n;      /* values folded in (0 = no result) */
  int64_t is_float;
} number_acc;

/* The record value as a number: an integer, else a finite decimal. */
static gboolean parse_number(const rill_record *r, int64_t *i, double *d, gboolean *is_float)
{
  if (!r->value.data || !r->value.len)
    return FALSE;
  if (rill__parse_i64(r->value.data, r->value.len, i)) {
    *is_float = FALSE;
    return TRUE;
  }
  char buf[64];
  if (r->value.len >= sizeof buf)
    return FALSE;
  memcpy(buf, r->value.data, r->value.len);
  buf[r->value.len] = '\0';
  char *end;
  *d = g_ascii_strtod(buf, &end);
  while (*end == ' ' || *end == '\t')
    end++;
  *is_float = TRUE;
  return end != buf && *end == '\0' && isfinite(*d);
}

static double as_double(const number_acc *a)
{
  return a->is_float ? a->d : (double)a->i;
}

static void to_float(number_acc *a)
{
  if (!a->is_float) {
    a->d = (double)a->i;
    a->is_float = 1;
  }
}

/* Folds one value (@is_float: @d, else @i) into @a. */
static void fold(number_op op, number_acc *a, int64_t i, double d, gboolean is_float, int64_t n)
{
  if (!a->n) {
    a->i = i;
    a->d = d;
    a->is_float = is_float;
    a->n = n;
    return;
  }
  a->n += n;
  if (op == OP_SUM || op == OP_AVG) {
    int64_t s;
    if (!a->is_float && !is_float && !__builtin_add_overflow(a->i, i, &s)) {
      a->i = s;
      return;
    }
    to_float(a);
    a->d += is_float ? d : (double)i;
    return;
  }
  double x = is_float ? d : (double)i;
  gboolean better;
  if (!a->is_float && !is_float)
    better = op == OP_MIN ? i < a->i : i > a->i;
  else
    better = op == OP_MIN ? x < as_double(a) : x > as_double(a);
  if (better) {
    a->i = i;
    a->d = d;
    a->is_float = is_float;
  }
}

static void number_add(void *acc, const rill_record *r, void *ud)
{
  int64_t i = 0;
  double d = 0;
  gboolean is_float;
  if (parse_number(r, &i, &d, &is_float))
    fold((number_op)GPOINTER_TO_INT(ud), acc, i, d, is_float, 1);
}

static void number_merge(void *acc, const void *other, void *ud)
{
  const number_acc *o = other;
  if (o->n)
    fold((number_op)GPOINTER_TO_INT(ud), acc, o->i, o->d, o->is_float != 0, o->n);
}

static gboolean number_result(const void *acc, GString *out, void *ud)
{
  const number_acc *a = acc;
  if (!a->n)
    return FALSE;
  if ((number_op)GPOINTER_TO_INT(ud) == OP_AVG)
    rill__append_double(out, as_double(a) / (double)a->n);
  else if (a->is_float)
    rill__append_double(out, a->d);
  else
    g_string_append_printf(out, "%" G_GINT64_FORMAT, a->i);
  return TRUE;
}

static rill_aggregate *number_aggregate(const char *name, number_op op)
{
  const rill_aggregate_funcs f = {
    .acc_size = sizeof(number_acc), .add = number_add, .merge = number_merge, .result = number_result};
  return rill_aggregate_new(name, &f, GINT_TO_POINTER(op), NULL);
}

rill_aggregate *rill_aggregate_sum_number(void)
{
  return number_aggregate("sum", OP_SUM);
}

rill_aggregate *rill_aggregate_min_number(void)
{
  return number_aggregate("min", OP_MIN);
}

rill_aggregate *rill_aggregate_max_number(void)
{
  return number_aggregate("max", OP_MAX);
}

rill_aggregate *rill_aggregate_avg_number(void)
{
  return number_aggregate("avg", OP_AVG);
}
