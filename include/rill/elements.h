/* elements.h — rill's own launch elements, all in one registration list.
 *
 * Each operator family and connector declares its elements beside its code;
 * this module (elements/) sits above them all and registers every family
 * into a rill_launch_registry (<rill/launch.h>), together with what the
 * dead-letter= parameter's targets mean (stderr, file:PATH).
 *
 *   rill_launch_registry *r = rill_launch_registry_new();
 *   rill_elements_register_all(r);
 *   rill_pipeline *p = rill_launch_parse(r, text, &error);
 *   ...
 *   rill_launch_registry_free(r); // any time after parsing
 */
#pragma once

#include <rill/export.h>

#include <rill/launch.h>

G_BEGIN_DECLS

/* Registers every element of rill's operators and connectors into
 * @registry (transfer none), which must not hold any of them yet. */
RILL_API void rill_elements_register_all(rill_launch_registry *registry);

/* rill_launch_parse() with a registry of all of rill's elements (made for
 * this call and dropped after it). (transfer full) */
RILL_API rill_pipeline *rill_parse_launch(const char *text, GError **error);

G_END_DECLS
