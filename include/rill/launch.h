/* launch.h — pipelines written as text, in the spirit of gst-launch:
 *
 *   file-src path=access.jsonl format=jsonl ! filter field=status ge=500
 *     ! key-by field=path ! watermarks field=time out-of-order=5s
 *     ! window tumbling=60s ! count ! to-json ! file-sink path=errors.jsonl
 *
 * Grammar (docs/rill-run.md has the long form):
 *   - an element is a name from the registry followed by KEY=VALUE
 *     parameters; values may be quoted with '…' or "…";
 *   - '!' links the element before it to the element after it;
 *   - `name=x` names an element; `x.` refers to it: at the start of a chain
 *     it reads x's output (fan-out), at the end of a chain it feeds x
 *     (fan-in; union and join take several inputs, other one-input
 *     elements get an implicit union);
 *   - chains are separated by whitespace (a new element that does not
 *     follow a '!' starts a new chain), '#' starts a comment to the end of
 *     the line.
 *
 * This module is the grammar, the registry and the value types; it knows no
 * element. Elements are declared beside the operators and connectors they
 * build (name, role, description, typed parameters with defaults and docs,
 * build function) and registered into a rill_launch_registry: all of rill's
 * own by rill_elements_register_all() (<rill/elements.h>), which also gives
 * rill_parse_launch(), the registry-less shorthand. `rill-run --list`,
 * `--describe` and docs/rill-run.md are printed from a registry.
 *
 * Errors: RILL_LAUNCH_ERROR; messages say "line L, column C: …" followed by
 * the offending line and a caret under the element or parameter.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_LAUNCH_ERROR (rill_launch_error_quark())
RILL_API GQuark rill_launch_error_quark(void);

typedef enum {
  RILL_LAUNCH_ERROR_SYNTAX,            /* a dangling or doubled '!', an unterminated quote, a stray parameter */
  RILL_LAUNCH_ERROR_UNKNOWN_ELEMENT,   /* no element of that name */
  RILL_LAUNCH_ERROR_UNKNOWN_PARAMETER, /* the element has no such parameter */
  RILL_LAUNCH_ERROR_INVALID_VALUE,     /* a value does not parse as its type, or is out of range */
  RILL_LAUNCH_ERROR_MISSING_PARAMETER, /* a required parameter is missing */
  RILL_LAUNCH_ERROR_UNKNOWN_REFERENCE, /* `x.` names no element, or a name is used twice */
  RILL_LAUNCH_ERROR_LINK,              /* wrong number of inputs/outputs (a sink feeding something,
                                        * a window without an aggregate, a cycle...) */
  RILL_LAUNCH_ERROR_BUILD,             /* an element could not be constructed (file, log...) */
} rill_launch_error;

typedef enum {
  RILL_LAUNCH_STRING,   /* any text */
  RILL_LAUNCH_INT,      /* decimal integer */
  RILL_LAUNCH_BOOL,     /* true/false, yes/no, on/off, 1/0 */
  RILL_LAUNCH_DURATION, /* NUMBER[ms|s|m|h|d]; a bare number is ms */
  RILL_LAUNCH_SIZE,     /* NUMBER[k|K|KiB|M|MiB|G|GiB] (binary multiples); a bare number is bytes */
  RILL_LAUNCH_ENUM,     /* one of the '|'-separated choices */
  RILL_LAUNCH_LIST,     /* comma-separated text items */
} rill_launch_type;

/* A parameter named RILL_LAUNCH_ANY_PARAM ("*", type STRING, never required)
 * takes every NAME=VALUE the element's other parameters do not: the build
 * function passes them on (e.g. Kafka client properties) and reports the
 * ones its component refuses, at the offending parameter. */
#define RILL_LAUNCH_ANY_PARAM "*"

typedef struct rill_launch_param {
  const char *name;
  rill_launch_type type;
  const char *default_value; /* as text; NULL = no default */
  const char *choices;       /* RILL_LAUNCH_ENUM: "a|b|c" */
  gboolean required;
  const char *doc;           /* one sentence */
} rill_launch_param;

typedef enum {
  RILL_LAUNCH_SOURCE,    /* no input */
  RILL_LAUNCH_TRANSFORM, /* one input (several: an implicit union), outputs */
  RILL_LAUNCH_MULTI,     /* several inputs (union, join) */
  RILL_LAUNCH_SINK,      /* one input, no output */
} rill_launch_role;

/* Building, for the registered elements (the builder's API is internal to
 * the library: runtime/launch/launch-private.h). */
typedef struct rill_launch_builder rill_launch_builder;
typedef rill_stage *(*rill_launch_build_fn)(rill_launch_builder *builder, const char *name,
                                            rill_stage *const *inputs, guint n_inputs, GError **error);

typedef struct rill_launch_element {
  const char *name;
  rill_launch_role role;
  const char *description;        /* one line */
  const rill_launch_param *params; /* n_params entries (not counting the implicit name=) */
  guint n_params;
  rill_launch_build_fn build;     /* private */
  /* Pairing rules, for elements that are built as one stage with the one
   * after them (window + its aggregate): an element with @feeds must be
   * followed by exactly one element whose @kind is @feeds, and nothing else
   * may follow it. NULL = no rule. */
  const char *kind;  /* e.g. "aggregate" */
  const char *feeds; /* e.g. "aggregate" (on window) */
} rill_launch_element;

/* ---- the registry ------------------------------------------------------------
 * A set of elements by name. Fill it (rill_elements_register_all, or
 * rill_launch_registry_add) before use; afterwards it is read-only and may be
 * shared by any number of threads parsing at once. Entries are borrowed:
 * element tables must outlive the registry (they are static tables). */
typedef struct rill_launch_registry rill_launch_registry;

/* An empty registry. (transfer full: rill_launch_registry_free) */
RILL_API rill_launch_registry *rill_launch_registry_new(void);
RILL_API void rill_launch_registry_free(rill_launch_registry *registry);
/* Adds @n_elements entries of @elements (transfer none: must outlive
 * @registry). A name already registered is a programming error (critical,
 * entry skipped). */
RILL_API void rill_launch_registry_add(rill_launch_registry *registry, const rill_launch_element *elements,
                                       guint n_elements);
/* The elements sorted by name (pointers into the added tables).
 * (transfer none) */
RILL_API const rill_launch_element *const *rill_launch_registry_elements(const rill_launch_registry *registry,
                                                                         guint *n_elements);
/* The element called @name, or NULL. (transfer none) */
RILL_API const rill_launch_element *rill_launch_registry_lookup(const rill_launch_registry *registry, const char *name);
/* `rill-run --list` text: one line per element. (transfer full) */
RILL_API char *rill_launch_registry_list(const rill_launch_registry *registry);
/* The Markdown element reference of docs/rill-run.md. (transfer full) */
RILL_API char *rill_launch_registry_reference_markdown(const rill_launch_registry *registry);
/* `rill-run --describe` text for @element. (transfer full) */
RILL_API char *rill_launch_element_describe(const rill_launch_element *element);

/* Parses @text against @registry and builds the pipeline it describes
 * (parallelism 1: set another before starting). Resources the elements
 * share (a rill_log per data directory, dead-letter outputs) are owned by
 * the pipeline. NULL with @error (RILL_LAUNCH_ERROR) when the text is not a
 * valid pipeline. (transfer full) */
RILL_API rill_pipeline *rill_launch_parse(const rill_launch_registry *registry, const char *text, GError **error);

G_END_DECLS
