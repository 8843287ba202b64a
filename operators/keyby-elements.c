/* keyby-elements.c — the launch element key-by: a hash exchange on the
 * record key, set from a field (field=) or an expression (expr=) first when
 * one is given (a stage "NAME.key" before it).
 */
#include "operators/expr-elements.h"
#include "operators/fieldops.h"

#include <rill/keyed.h>

typedef struct {
  char *field;
  char *expr;
  int format;
  char *dead_letter;
} keyby_props;

static rill_stage *build_key_by(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  const keyby_props *p = rill__launch_props(b);
  rill_stage *in = inputs[0];
  if (p->field && p->expr) {
    rill__launch_fail(b, "expr", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "field= or expr=, not both");
    return NULL;
  }
  if (p->expr) {
    char *sub = rill__launch_sub_name(b, "key");
    in = rill__expr_stage_add(b, sub, in, RILL__EXPR_STAGE_KEY, "expr", p->expr, p->format, p->dead_letter, error);
    g_free(sub);
    if (!in)
      return NULL;
  } else if (p->field) {
    char *sub = rill__launch_sub_name(b, "key");
    in = rill__fieldop_add(b, sub, in, rill__fieldop_new(RILL__FIELDOP_SET_KEY, p->field, NULL), p->format,
                           p->dead_letter, error);
    g_free(sub);
    if (!in)
      return NULL;
  }
  return rill_pipeline_add_key_by(b->pipeline, name, in, NULL, NULL, NULL);
}

static const rill_launch_element elements[] = {
  {"key-by", RILL_LAUNCH_TRANSFORM, "route records by key so each key is handled by one task",
   RILL__LAUNCH_PARAMS(keyby_props,
     {"field", RILL__CONF_STRING, offsetof(keyby_props, field), 0, 0, NULL, NULL, NULL, NULL, "set the key from this field first (default: the record key)"},
     {"expr", RILL__CONF_STRING, offsetof(keyby_props, expr), 0, 0, NULL, NULL, NULL, NULL, "set the key from this expression first, as text; null = no key (docs/expressions.md)"},
     RILL__FIELD_ROWS(keyby_props)),
   .build = build_key_by},
};

RILL__LAUNCH_ELEMENTS_DEFINE(keyby, elements)
