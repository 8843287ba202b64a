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
 * This module is the grammar and the registry; it knows no element.
 * Elements are declared beside the operators and connectors they build
 * (name, role, description, parameters as configuration-table rows with
 * types, ranges, defaults and docs, build function) and registered into a
 * rill_launch_registry: all of rill's own by rill_elements_register_all()
 * (<rill/elements.h>), which also gives rill_parse_launch(), the
 * registry-less shorthand. `rill-run --list`, `--describe` and
 * docs/rill-run.md are printed from a registry.
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

/* An element of a registry: declared inside the library, beside the
 * operator or connector it builds (its parameters are rows of rill's
 * configuration-table engine). (opaque) */
typedef struct rill_launch_element rill_launch_element;

/* ---- the registry ------------------------------------------------------------
 * A set of elements by name. Fill it (rill_elements_register_all) before
 * use; afterwards it is read-only and may be shared by any number of threads
 * parsing at once. Entries are borrowed from static tables. */
typedef struct rill_launch_registry rill_launch_registry;

/* An empty registry. (transfer full: rill_launch_registry_free) */
RILL_API rill_launch_registry *rill_launch_registry_new(void);
RILL_API void rill_launch_registry_free(rill_launch_registry *registry);
/* The elements sorted by name (pointers into the added tables).
 * (transfer none) */
RILL_API const rill_launch_element *const *rill_launch_registry_elements(const rill_launch_registry *registry,
                                                                         guint *n_elements);
/* @element's name. (transfer none) */
RILL_API const char *rill_launch_element_get_name(const rill_launch_element *element);
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
