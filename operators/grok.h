/* grok.h — grok-style pattern names (%{NAME}, %{NAME:field},
 * %{NAME:field:type}) expanded into a PCRE2 regular expression, for
 * regex-parse (operators/regex-parse.c). The table of names is in grok.c
 * and printed by rill__grok_describe for the docs.
 */
#pragma once

#include <glib.h>

/* One %{NAME:field:type} capture whose type was written in the pattern. */
typedef struct {
  char *field;
  char *type; /* as written: int, float, bool, string, timestamp (checked by the caller) */
} rill__grok_typed;

/* Expands every %{...} in @pattern into plain PCRE2 syntax: %{NAME} as
 * (?:...), %{NAME:field} as (?<field>...). Typed captures are appended to
 * @typed (rill__grok_typed, caller frees with rill__grok_typed_clear).
 * NULL with @error (G_REGEX_ERROR_COMPILE) for an unknown name, a
 * malformed %{ or a definition nested too deep. (transfer full) */
char *rill__grok_expand(const char *pattern, GArray *typed, GError **error);
void rill__grok_typed_clear(void *typed);

/* The pattern name at @index in table order (NULL past the end), and the
 * definition of one (NULL when unknown). (transfer none: static) */
const char *rill__grok_name(guint index);
const char *rill__grok_definition(const char *name);
