/* regex-parse.h — plain-text lines into JSON records with a regular
 * expression: each named group becomes a field, typed (include/rill/typed.h).
 *
 * Patterns are PCRE2 (UTF mode) with grok-style names expanded first:
 * %{NAME} inserts a built-in pattern, %{NAME:field} captures it as
 * `field`, %{NAME:field:type} also sets its type (int, float, bool,
 * string, timestamp). Built-ins include COMMONAPACHELOG,
 * COMBINEDAPACHELOG, SYSLOGLINE and blocks such as IP, NUMBER, WORD,
 * HTTPDATE, TIMESTAMP_ISO8601 (docs/rill-run.md lists them all). The match
 * is unanchored: write ^...$ to require the whole line.
 *
 * The output is one JSON object per line, the groups in pattern order; a
 * group that took no part in the match is null. A line that is not valid
 * UTF-8 is refused before it reaches PCRE2, with the byte offset.
 *
 * A parser is immutable after setup except for its match data, so use one
 * per thread (rill_regex_parser_copy); the stage does that per task.
 */
#pragma once

#include <rill/export.h>

#include <rill/dead-letter.h>
#include <rill/pipeline.h>
#include <rill/typed.h>

G_BEGIN_DECLS

#define RILL_REGEX_PARSE_ERROR (rill_regex_parse_error_quark())
RILL_API GQuark rill_regex_parse_error_quark(void);

typedef enum {
  RILL_REGEX_PARSE_ERROR_PATTERN,  /* the pattern does not compile, names an unknown %{NAME} or type, or has no named group */
  RILL_REGEX_PARSE_ERROR_FIELD,    /* set_type names no group of the pattern */
  RILL_REGEX_PARSE_ERROR_NO_MATCH, /* the line does not match */
  RILL_REGEX_PARSE_ERROR_ENCODING, /* the line is not valid UTF-8 */
  RILL_REGEX_PARSE_ERROR_TYPE,     /* a capture does not convert to its field's type */
} rill_regex_parse_error;

typedef struct rill_regex_parser rill_regex_parser;

/* Compiles @pattern (transfer none, copied). NULL with @error
 * (RILL_REGEX_PARSE_ERROR_PATTERN, with the PCRE2 message and offset).
 * (transfer full) */
RILL_API rill_regex_parser *rill_regex_parser_new(const char *pattern, GError **error);
/* (transfer full) an independent parser with the same pattern and types. */
RILL_API rill_regex_parser *rill_regex_parser_copy(const rill_regex_parser *parser);
RILL_API void rill_regex_parser_free(rill_regex_parser *parser);

/* Sets the type of field @field (default: what %{..:type} said, else
 * RILL_VALUE_AUTO). FALSE with @error when the pattern has no such group. */
RILL_API gboolean rill_regex_parser_set_type(rill_regex_parser *parser, const char *field, rill_value_type type,
                                             GError **error);
/* The field names in output order, NULL-terminated. (transfer none) */
RILL_API const char *const *rill_regex_parser_fields(const rill_regex_parser *parser);

/* Matches @len bytes of @line and appends the JSON object to @out. FALSE
 * with @error (NO_MATCH, ENCODING or TYPE; the message says which field and
 * text) and @out unchanged otherwise. */
RILL_API gboolean rill_regex_parser_parse(rill_regex_parser *parser, const char *line, gsize len, GString *out,
                                          GError **error);

/* What the stage does with a line that does not parse when it has no
 * dead-letter output. */
typedef enum {
  RILL_REGEX_PARSE_FAIL, /* fail the stage, naming the file and line */
  RILL_REGEX_PARSE_SKIP, /* drop it and count it: the dead-letter metric, and at the end one line on
                          * stderr per task with the count and the first such line's position and reason */
} rill_regex_parse_malformed;

/* Adds a stage replacing each record's value by the parsed JSON object
 * (key, timestamp and headers kept). Lines that do not parse go to
 * @dead_letter (transfer none, may be NULL) with the reason; without one,
 * @malformed says what happens (the file and line are named when the record
 * has those headers). Takes @parser (transfer full). Type name
 * "regex-parse". (transfer none) */
RILL_API rill_stage *rill_pipeline_add_regex_parse(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                   rill_regex_parser *parser, rill_dead_letter *dead_letter,
                                                   rill_regex_parse_malformed malformed);

G_END_DECLS
