/* elements.c — the one registration list of rill's launch elements.
 *
 * It sits above operators/ and connectors/ (it names every family, the way
 * GStreamer's gstcoreelementsplugin.c names its elements), so runtime/launch
 * below knows none of them. A family declares its elements beside its code
 * with RILL__LAUNCH_ELEMENTS_DEFINE(family, table); adding one is a line in
 * FAMILIES. The list also says what dead-letter= targets mean, since they
 * are built from connectors (stderr: stdio; file:PATH: a JSON Lines file).
 */
#include "runtime/launch/launch-private.h"

#include <rill/elements.h>

#include <rill/dead-letter.h>
#include <rill/file.h>
#include <rill/stdio.h>

/* Connectors, then operators; the registry sorts by name. */
#define FAMILIES(X)                                                                                           \
  X(archive)                                                                                                  \
  X(file)                                                                                                     \
  X(kafka)                                                                                                    \
  X(log)                                                                                                      \
  X(stdio)                                                                                                    \
  X(dedupe)                                                                                                   \
  X(expr)                                                                                                     \
  X(field)                                                                                                    \
  X(keyby)                                                                                                    \
  X(parse)                                                                                                    \
  X(regex_parse)                                                                                              \
  X(to_json)                                                                                                  \
  X(union)                                                                                                    \
  X(watermark)                                                                                                \
  X(window)

#define DECLARE(family) RILL__LAUNCH_ELEMENTS_DECLARE(family);
FAMILIES(DECLARE)
#undef DECLARE

/* dead-letter=stderr | file:PATH */
static rill_dead_letter *dead_letter_open(const char *target, GError **error)
{
  if (strcmp(target, "stderr") == 0)
    return rill_dead_letter_new_stderr();
  if (g_str_has_prefix(target, "file:") && target[5]) {
    rill_file_sink *sink = rill_file_sink_new(target + 5, RILL_FILE_FORMAT_JSONL);
    return rill_dead_letter_new(&rill_file_sink_class, sink, (GDestroyNotify)rill_file_sink_free);
  }
  g_set_error(error, RILL_LAUNCH_ERROR, RILL_LAUNCH_ERROR_INVALID_VALUE,
              "'%s' is not a dead-letter target (stderr or file:PATH)", target);
  return NULL;
}

void rill_elements_register_all(rill_launch_registry *registry)
{
  g_return_if_fail(registry != NULL);
#define REGISTER(family) rill__##family##_elements_register(registry);
  FAMILIES(REGISTER)
#undef REGISTER
  rill__launch_registry_set_dead_letters(registry, dead_letter_open, (GDestroyNotify)rill_dead_letter_unref);
}

rill_pipeline *rill_parse_launch(const char *text, GError **error)
{
  g_return_val_if_fail(text != NULL, NULL);
  rill_launch_registry *registry = rill_launch_registry_new();
  rill_elements_register_all(registry);
  rill_pipeline *p = rill_launch_parse(registry, text, error);
  rill_launch_registry_free(registry);
  return p;
}
