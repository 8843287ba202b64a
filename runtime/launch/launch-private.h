/* launch-private.h — the launch module's parse tree and builder, and what
 * element families (beside their operators and connectors) write their
 * declarations and build functions with.
 *
 * An element's parameters are rows of the configuration-table engine
 * (runtime/config-table.h) over a struct of the element's own: the engine
 * parses and checks every value (types, ranges, choices), and the rows are
 * what --describe and the reference in docs/rill-run.md print.
 *
 * rill_launch_parse runs in three steps:
 *   parse.c    text -> nodes (elements with their parameters) and links,
 *              elements looked up in the registry, references resolved,
 *              every parameter set into the node's struct by the engine
 *              (unknown and missing required ones reported here), pairing
 *              rules (kind/feeds);
 *   build.c    nodes -> stages in dependency order, each through its
 *              element's build function, which reads the node's struct
 *              (rill__launch_props: values already validated);
 *   registry.c the registry object and the texts printed from it.
 *
 * Positions are byte offsets into the text; errors turn them into
 * "line L, column C" plus the line with a caret (rill__launch_error_at).
 * Arrows point down: the module knows no element. Operators and connectors
 * include this header to declare theirs (RILL__LAUNCH_ELEMENTS_DEFINE);
 * elements/ lists the families. Dead-letter outputs are an opaque type
 * here: what a dead-letter= target means is set on the registry by whoever
 * registers the elements (rill__launch_registry_set_dead_letters).
 */
#pragma once

#include <rill/launch.h>
#include <rill/log.h>
#include <rill/pipeline.h>

#include <stddef.h>

#include "runtime/config-table.h"

/* Opaque here (its functions live in operators/, above this module). */
typedef struct rill_dead_letter rill_dead_letter;

typedef enum {
  RILL_LAUNCH_SOURCE,    /* no input */
  RILL_LAUNCH_TRANSFORM, /* one input (several: an implicit union), outputs */
  RILL_LAUNCH_MULTI,     /* several inputs (union, join) */
  RILL_LAUNCH_SINK,      /* one input, no output */
} rill_launch_role;

typedef struct rill_launch_builder rill_launch_builder;
typedef rill_stage *(*rill_launch_build_fn)(rill_launch_builder *builder, const char *name,
                                            rill_stage *const *inputs, guint n_inputs, GError **error);

struct rill_launch_element {
  const char *name;
  rill_launch_role role;
  const char *description;        /* one line */
  const rill__conf_prop *params;  /* n_params rows (not counting the implicit name=), not owned: static */
  guint n_params;
  gsize props_size;               /* the struct the rows' offsets point into (one per node) */
  rill_launch_build_fn build;
  /* Pairing rules, for elements that are built as one stage with the one
   * after them (window + its aggregate): an element with @feeds must be
   * followed by exactly one element whose @kind is @feeds, and nothing else
   * may follow it. NULL = no rule. */
  const char *kind;  /* e.g. "aggregate" */
  const char *feeds; /* e.g. "aggregate" (on window) */
  /* Non-NULL: NAME=VALUE pairs no row names are accepted and left to the
   * build function (Kafka client properties), which reports the ones its
   * component refuses; this is their doc line. */
  const char *pass_through;
};

typedef struct {
  char *key;
  char *value;
  gsize key_pos;   /* where KEY starts */
  gsize value_pos; /* where VALUE starts */
  const rill__conf_prop *row; /* not owned: the element's row; NULL for name= and passed-through pairs */
  gboolean passed;            /* a pair for the build function (rill_launch_element.pass_through) */
} rill__launch_param;

typedef struct rill__launch_node rill__launch_node;
struct rill__launch_node {
  char *type;                      /* element name as written, or the reference name for refs */
  gsize pos;                       /* where it starts in the text */
  gboolean is_ref;                 /* an `x.` reference (resolved away after parsing) */
  char *name;                      /* stage name (name= or generated) */
  const rill_launch_element *klass; /* not refcounted: registry entry */
  GPtrArray *params;               /* rill__launch_param, owned */
  void *props;                     /* the element's struct, set from params (owned; rill__conf_clear) */
  GPtrArray *inputs;               /* rill__launch_node, not owned, in link order */
  guint n_outputs;
  int visit;                       /* build: 0 new, 1 in progress, 2 built */
  rill_stage *stage;               /* built stage (what downstream links read) */
};

typedef struct {
  const char *text;
  GPtrArray *nodes; /* rill__launch_node, owned, element nodes in text order */
} rill__launch_tree;

/* ---- registry (registry.c) ---------------------------------------------------- */

/* Opens the dead-letter output a dead-letter= value names; NULL with @error
 * (a message saying which targets exist) when it names none. */
typedef rill_dead_letter *(*rill__launch_dead_letter_fn)(const char *target, GError **error);

struct rill_launch_registry {
  GPtrArray *elements;                 /* const rill_launch_element *, sorted by name (bsearch) */
  rill__launch_dead_letter_fn dead_letter_open; /* NULL: dead-letter= names nothing */
  GDestroyNotify dead_letter_unref;
};

/* Adds @n_elements entries of @elements (transfer none: static tables). A
 * name already registered is a programming error (critical, entry skipped). */
void rill__launch_registry_add(rill_launch_registry *registry, const rill_launch_element *elements,
                               guint n_elements);
/* The engine table of @e's rows (errors: RILL_LAUNCH_ERROR_INVALID_VALUE;
 * booleans also yes/no, on/off). */
rill__conf_table rill__launch_element_table(const rill_launch_element *e);

/* How dead-letter= values become outputs (set once, by the registration list). */
void rill__launch_registry_set_dead_letters(rill_launch_registry *registry, rill__launch_dead_letter_fn open,
                                            GDestroyNotify unref);

/* Element families: `RILL__LAUNCH_ELEMENTS_DEFINE(file, elements)` after the
 * family's table defines rill__file_elements_register(registry); the
 * registration list names it with RILL__LAUNCH_ELEMENTS_DECLARE(file) and
 * calls it (the pattern of GStreamer's GST_ELEMENT_REGISTER_DEFINE). */
#define RILL__LAUNCH_ELEMENTS_DECLARE(family) void rill__##family##_elements_register(rill_launch_registry *registry)
#define RILL__LAUNCH_ELEMENTS_DEFINE(family, table)                                                           \
  RILL__LAUNCH_ELEMENTS_DECLARE(family);                                                                      \
  RILL__LAUNCH_ELEMENTS_DECLARE(family)                                                                       \
  {                                                                                                           \
    rill__launch_registry_add(registry, table, G_N_ELEMENTS(table));                                          \
  }

/* The parameters in an element declaration: RILL__LAUNCH_PARAMS(props_type,
 * {row}, {row}...) gives the `params, n_params, props_size` fields; rows are
 * config-table rows whose offsets point into props_type. */
#define RILL__LAUNCH_PARAMS(type, ...)                                                                        \
  ((const rill__conf_prop[]){__VA_ARGS__}),                                                                   \
    (sizeof((const rill__conf_prop[]){__VA_ARGS__}) / sizeof(rill__conf_prop)), sizeof(type)
/* An element without parameters besides name=. */
#define RILL__LAUNCH_NO_PARAMS NULL, 0, 0

/* The dead-letter= row, into a `char *dead_letter` of @type (the target
 * rill__launch_dead_letter opens). */
#define RILL__LAUNCH_DEAD_LETTER_ROW(type)                                                                    \
  {"dead-letter", RILL__CONF_STRING, offsetof(type, dead_letter), 0, 0, NULL, NULL, NULL, NULL,               \
   "where records that fail go: stderr or file:PATH (JSON Lines); unset = they fail the pipeline"}

/* ---- parse tree (parse.c) ---------------------------------------------------- */

rill__launch_tree *rill__launch_tree_parse(const rill_launch_registry *registry, const char *text,
                                           GError **error);
void rill__launch_tree_free(rill__launch_tree *tree);

/* Error helpers (error.c): sets @error with "line L, column C: MESSAGE\n  LINE\n  ^". */
void rill__launch_error_at(GError **error, const char *text, gsize pos, rill_launch_error code, const char *format,
                           ...) G_GNUC_PRINTF(5, 6);

/* ---- builder (build.c) --------------------------------------------------- */

struct rill_launch_builder {
  const rill_launch_registry *registry; /* not owned */
  rill_pipeline *pipeline;
  const char *text;
  rill__launch_node *node; /* the element being built */
  GHashTable *logs;         /* data dir -> rill_log (owned by the pipeline's cleanup) */
  GHashTable *dead_letters; /* target text -> rill_dead_letter (builder's reference) */
};

/* The element's struct (its props_type), every row set from the text or its
 * default. (transfer none) */
const void *rill__launch_props(rill_launch_builder *b);
/* TRUE when the parameter was written (not defaulted). */
gboolean rill__launch_has(rill_launch_builder *b, const char *key);
/* Sets @error at @key's value (or at the element when @key is NULL or absent). */
void rill__launch_fail(rill_launch_builder *b, const char *key, GError **error, rill_launch_error code,
                       const char *format, ...) G_GNUC_PRINTF(5, 6);
/* A sub-stage name "NAME.SUFFIX" for elements built from several stages.
 * (transfer full) */
char *rill__launch_sub_name(rill_launch_builder *b, const char *suffix);

/* The dead-letter output named by @target, the element's dead-letter= value
 * (RILL__LAUNCH_DEAD_LETTER_ROW: "stderr", "file:PATH"), shared by every
 * element naming the same target; NULL (no error) when @target is NULL.
 * (transfer none) */
rill_dead_letter *rill__launch_dead_letter(rill_launch_builder *b, const char *target, GError **error);
/* The rill_log of data directory @dir, opened once per pipeline and closed
 * when the pipeline is freed. (transfer none) */
rill_log *rill__launch_log(rill_launch_builder *b, const char *dir, GError **error);

/* The input node of the element being built (window + aggregate pairs). */
rill__launch_node *rill__launch_input_node(rill_launch_builder *b, guint index);
