/* launch-private.h — the launch module's parse tree and builder, and what
 * element families (beside their operators and connectors) write their
 * declarations and build functions with.
 *
 * rill_launch_parse runs in three steps:
 *   parse.c    text -> nodes (elements with their parameters) and links,
 *              elements looked up in the registry, references resolved,
 *              every parameter checked against its element's declaration
 *              (names, types, required ones), pairing rules (kind/feeds);
 *   build.c    nodes -> stages in dependency order, each through its
 *              element's build function, which reads its parameters with
 *              the getters below (values already validated);
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

/* Opaque here (its functions live in operators/, above this module). */
typedef struct rill_dead_letter rill_dead_letter;

typedef struct {
  char *key;
  char *value;
  gsize key_pos;   /* where KEY starts */
  gsize value_pos; /* where VALUE starts */
  const rill_launch_param *spec; /* not refcounted: the table entry */
} rill__launch_param;

typedef struct rill__launch_node rill__launch_node;
struct rill__launch_node {
  char *type;                      /* element name as written, or the reference name for refs */
  gsize pos;                       /* where it starts in the text */
  gboolean is_ref;                 /* an `x.` reference (resolved away after parsing) */
  char *name;                      /* stage name (name= or generated) */
  const rill_launch_element *klass; /* not refcounted: registry entry */
  GPtrArray *params;               /* rill__launch_param, owned */
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
    rill_launch_registry_add(registry, table, G_N_ELEMENTS(table));                                           \
  }

/* A parameter list in an element declaration: RILL__LAUNCH_PARAMS({...}, {...})
 * gives the `params, n_params` pair. */
#define RILL__LAUNCH_PARAMS(...)                                                                              \
  ((const rill_launch_param[]){__VA_ARGS__}),                                                                 \
    (sizeof((const rill_launch_param[]){__VA_ARGS__}) / sizeof(rill_launch_param))

/* The dead-letter= parameter, read by rill__launch_dead_letter. */
#define RILL__LAUNCH_DEAD_LETTER_PARAM                                                                        \
  {"dead-letter", RILL_LAUNCH_STRING, NULL, NULL, FALSE,                                                     \
   "where records that fail go: stderr or file:PATH (JSON Lines); unset = they fail the pipeline"}

/* ---- parse tree (parse.c) ---------------------------------------------------- */

rill__launch_tree *rill__launch_tree_parse(const rill_launch_registry *registry, const char *text,
                                           GError **error);
void rill__launch_tree_free(rill__launch_tree *tree);

/* values.c: conversions; FALSE when @text does not parse. */
gboolean rill__launch_parse_bool(const char *text, gboolean *out);
gboolean rill__launch_parse_int(const char *text, gint64 *out);
gboolean rill__launch_parse_duration(const char *text, gint64 *out_ms);
gboolean rill__launch_parse_size(const char *text, guint64 *out);
gboolean rill__launch_enum_ok(const char *choices, const char *text);
/* Checks @value against @spec; FALSE with INVALID_VALUE (no position). */
gboolean rill__launch_value_check(const rill_launch_param *spec, const char *value, GError **error);

/* Error helpers: sets @error with "line L, column C: MESSAGE\n  LINE\n  ^". */
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

/* The parameter's value (or its default; NULL when neither). (transfer none) */
const char *rill__launch_get(rill_launch_builder *b, const char *key);
/* TRUE when the parameter was written (not defaulted). */
gboolean rill__launch_has(rill_launch_builder *b, const char *key);
gint64 rill__launch_get_int(rill_launch_builder *b, const char *key);
gboolean rill__launch_get_bool(rill_launch_builder *b, const char *key);
gint64 rill__launch_get_duration(rill_launch_builder *b, const char *key);
guint64 rill__launch_get_size(rill_launch_builder *b, const char *key);
/* Comma-separated list, empty items dropped. (transfer full: g_strfreev) */
char **rill__launch_get_list(rill_launch_builder *b, const char *key);
/* Sets @error at @key's value (or at the element when @key is NULL or absent). */
void rill__launch_fail(rill_launch_builder *b, const char *key, GError **error, rill_launch_error code,
                       const char *format, ...) G_GNUC_PRINTF(5, 6);
/* A sub-stage name "NAME.SUFFIX" for elements built from several stages.
 * (transfer full) */
char *rill__launch_sub_name(rill_launch_builder *b, const char *suffix);

/* The dead-letter output named by the element's dead-letter= parameter
 * (RILL__LAUNCH_DEAD_LETTER_PARAM: "stderr", "file:PATH"), shared by every
 * element naming the same target; NULL (no error) when the parameter is
 * absent. (transfer none) */
rill_dead_letter *rill__launch_dead_letter(rill_launch_builder *b, GError **error);
/* The rill_log of data directory @dir, opened once per pipeline and closed
 * when the pipeline is freed. (transfer none) */
rill_log *rill__launch_log(rill_launch_builder *b, const char *dir, GError **error);

/* The input node of the element being built (window + aggregate pairs). */
rill__launch_node *rill__launch_input_node(rill_launch_builder *b, guint index);
