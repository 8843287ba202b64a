/* launch-private.h — the launch module's parse tree and builder.
 *
 * rill_parse_launch runs in three steps:
 *   parse.c    text -> nodes (elements with their parameters) and links,
 *              references resolved, every parameter checked against the
 *              element table (names, types, required ones);
 *   build.c    nodes -> stages in dependency order, each through its
 *              element's build function, which reads its parameters with
 *              the getters below (values already validated);
 *   elements-*.c  the build functions; registry.c the one element table.
 *
 * Positions are byte offsets into the text; errors turn them into
 * "line L, column C" plus the line with a caret (rill__launch_error_at).
 * The module sits above connectors/ and operators/ (it builds them), the
 * only part of runtime/ that does.
 */
#pragma once

#include <rill/rill.h>
#include <rill/launch.h>

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
  const rill_launch_element *klass; /* not refcounted: table entry */
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

/* parse.c */
rill__launch_tree *rill__launch_tree_parse(const char *text, GError **error);
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
 * ("stderr", "file:PATH"), shared by every element naming the same target;
 * NULL (no error) when the parameter is absent. (transfer none) */
rill_dead_letter *rill__launch_dead_letter(rill_launch_builder *b, GError **error);
/* The rill_log of data directory @dir, opened once per pipeline and closed
 * when the pipeline is freed. (transfer none) */
rill_log *rill__launch_log(rill_launch_builder *b, const char *dir, GError **error);

/* The input node of the element being built (window + aggregate pairs). */
rill__launch_node *rill__launch_input_node(rill_launch_builder *b, guint index);

/* ---- element table (registry.c) and shared parameter docs ---------------- */

/* Build functions, one per element (elements-io.c, elements-ops.c). */
rill_stage *rill__launch_build_file_src(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_stdin_src(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_archive_src(rill_launch_builder *, const char *, rill_stage *const *, guint,
                                           GError **);
rill_stage *rill__launch_build_log_src(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_file_sink(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_stdout_sink(rill_launch_builder *, const char *, rill_stage *const *, guint,
                                           GError **);
rill_stage *rill__launch_build_stderr_sink(rill_launch_builder *, const char *, rill_stage *const *, guint,
                                           GError **);
rill_stage *rill__launch_build_archive_sink(rill_launch_builder *, const char *, rill_stage *const *, guint,
                                            GError **);
rill_stage *rill__launch_build_log_sink(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_kafka_src(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_kafka_sink(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);

rill_stage *rill__launch_build_parse(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_filter(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_set_key(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_project(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_to_json(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_key_by(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_watermarks(rill_launch_builder *, const char *, rill_stage *const *, guint,
                                          GError **);
rill_stage *rill__launch_build_window(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_aggregate(rill_launch_builder *, const char *, rill_stage *const *, guint,
                                         GError **);
rill_stage *rill__launch_build_top_keys(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_dedupe(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);
rill_stage *rill__launch_build_union(rill_launch_builder *, const char *, rill_stage *const *, guint, GError **);

/* fieldops.c: parse-stage callbacks driven by a field spec. */
typedef enum {
  RILL__FIELDOP_FILTER,
  RILL__FIELDOP_SET_KEY,
  RILL__FIELDOP_SET_VALUE, /* value := the field's text (aggregates over a field) */
  RILL__FIELDOP_PROJECT,
  RILL__FIELDOP_TIMESTAMP,
} rill__fieldop_kind;

typedef struct rill__fieldop rill__fieldop;
/* (transfer full) an op over @field (for PROJECT: @fields). Filters and
 * timestamps are configured with the setters below. */
rill__fieldop *rill__fieldop_new(rill__fieldop_kind kind, const char *field, char **fields);
void rill__fieldop_free(void *op);
/* Filter comparison: @op one of eq ne lt le gt ge contains regex. FALSE
 * with @error for a bad regex. */
gboolean rill__fieldop_set_compare(rill__fieldop *op, const char *cmp, const char *operand, GError **error);
/* Timestamp unit for numeric fields: 1 (ms) or 1000 (s). */
void rill__fieldop_set_unit_ms(rill__fieldop *op, gint64 unit_ms);
rill_verdict rill__fieldop_apply(rill_ctx *ctx, rill_fields *fields, const rill_record *in, rill_record *out,
                                 const char **reason, void *op);
/* Parses a timestamp text: integer (× @unit_ms), ISO 8601, or the access
 * log form "10/Oct/2000:13:55:36 -0700". FALSE when none fits. */
gboolean rill__launch_parse_timestamp(const char *text, gint64 unit_ms, gint64 *ms);
