/* format.h — how rill-consume prints a record: a kcat-style format string
 * or one JSON object per record.
 *
 * Format tokens (kcat's): %t topic, %p partition, %o offset, %T timestamp
 * (ms), %k key, %K key length (-1 for null), %s or %v value, %S value length
 * (-1 for null), %h headers as k=v pairs joined by ',', %% a '%'. Escapes:
 * \n \r \t \\. Null keys and values print as nothing (or as @null_text). */
#pragma once

#include <glib.h>

#include "runtime/wire/recordbatch.h"

typedef struct tool_format tool_format;

/* Compiles @fmt; NULL with a usage error for an unknown token. (transfer full) */
tool_format *tool_format_new(const char *fmt, GError **error);
void tool_format_free(tool_format *f);
/* Prints "NULL" instead of nothing for null keys and values (kcat -Z). */
void tool_format_set_null_text(tool_format *f, const char *text);

/* Appends @r of @topic/@partition as formatted to @out. */
void tool_format_record(const tool_format *f, GString *out, const char *topic, int32_t partition,
                        const rill__record *r);

/* Appends one JSON object and a newline: {"topic":..,"partition":..,
 * "offset":..,"ts":..,"headers":[k,v,...],"key":..|null,"payload":..|null}.
 * Bytes that are not valid UTF-8 are written as \u00XX escapes per byte. */
void tool_format_json(GString *out, const char *topic, int32_t partition, const rill__record *r);
