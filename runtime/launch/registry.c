/* registry.c — THE element table of launch text: every element's name,
 * role, description and parameters (type, default, doc) next to its build
 * function. The parser validates against it, and `rill-run --list`,
 * `--describe` and the element reference in docs/rill-run.md are printed
 * from it (a test checks the doc against rill_launch_reference_markdown).
 *
 * Invariant: entries are sorted by name (lookup is a binary search).
 */
#include "runtime/launch/launch-private.h"

#define P(...) ((const rill_launch_param[]){__VA_ARGS__})
#define N(...) (sizeof((const rill_launch_param[]){__VA_ARGS__}) / sizeof(rill_launch_param))
#define PARAMS(...) P(__VA_ARGS__), N(__VA_ARGS__)

#define FILE_FORMAT(def) {"format", RILL_LAUNCH_ENUM, def, "lines|jsonl|csv", FALSE, "record format"}
#define FIELD_FORMAT {"format", RILL_LAUNCH_ENUM, "json", "json|csv", FALSE, "how record values are parsed"}
#define DEAD_LETTER                                                                                           \
  {"dead-letter", RILL_LAUNCH_STRING, NULL, NULL, FALSE,                                                     \
   "where records that fail go: stderr or file:PATH (JSON Lines); unset = they fail the pipeline"}
#define AGG_FIELD {"field", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "aggregate this field (decimal integer) instead of the record value"}
#define KAFKA_SERVERS                                                                                         \
  {"bootstrap.servers", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "brokers to contact first, HOST:PORT[,HOST:PORT...]"}
#define KAFKA_ANY                                                                                             \
  {RILL_LAUNCH_ANY_PARAM, RILL_LAUNCH_STRING, NULL, NULL, FALSE,                                             \
   "any other client property by its librdkafka name, e.g. acks=all or compression.codec=lz4 (docs/connectors/kafka.md)"}

static const rill_launch_element elements[] = {
  {"archive-sink", RILL_LAUNCH_SINK, "write record values as lines of entries in tar.gz / tar.zst / zip archives",
   PARAMS({"path", RILL_LAUNCH_STRING, NULL, NULL, TRUE,
           "archive name pattern with {seq} (and {task} when -p > 1), e.g. out/logs-{seq}.tar.gz"},
          {"format", RILL_LAUNCH_ENUM, "auto", "auto|tar.gz|tar.zst|zip", FALSE, "archive format (auto: from the suffix)"},
          {"entry", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "entry name pattern (default part-{seq}.txt)"},
          {"entry-size", RILL_LAUNCH_SIZE, "8MiB", NULL, FALSE, "cut an entry at this size"},
          {"entry-records", RILL_LAUNCH_INT, "0", NULL, FALSE, "cut an entry after this many records (0 = no limit)"},
          {"archive-size", RILL_LAUNCH_SIZE, "0", NULL, FALSE, "start a new archive after this many bytes (0 = never)"}),
   rill__launch_build_archive_sink},
  {"archive-src", RILL_LAUNCH_SOURCE, "read the lines (or whole entries) of tar/zip/7z/... archives without extracting",
   PARAMS({"path", RILL_LAUNCH_LIST, NULL, NULL, TRUE, "archive paths or glob patterns, comma separated"},
          {"entries", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "only entries matching this glob"},
          {"mode", RILL_LAUNCH_ENUM, "lines", "lines|entry", FALSE, "one record per line, or per entry"},
          {"max-record", RILL_LAUNCH_SIZE, "64MiB", NULL, FALSE, "longest line or entry accepted"}),
   rill__launch_build_archive_src},
  {"avg", RILL_LAUNCH_TRANSFORM, "average per key (per window after a window), from decimal integer values",
   PARAMS(AGG_FIELD, FIELD_FORMAT, DEAD_LETTER), rill__launch_build_aggregate},
  {"count", RILL_LAUNCH_TRANSFORM, "count records per key (per window after a window; running otherwise)",
   NULL, 0, rill__launch_build_aggregate},
  {"csv-parse", RILL_LAUNCH_TRANSFORM, "check each value is a CSV record; failures go to the dead-letter output",
   PARAMS({"columns", RILL_LAUNCH_LIST, NULL, NULL, FALSE, "column names (default: the file's header row)"},
          {"separator", RILL_LAUNCH_STRING, ",", NULL, FALSE, "field separator (one byte)"},
          DEAD_LETTER),
   rill__launch_build_parse},
  {"dedupe", RILL_LAUNCH_TRANSFORM, "drop records whose key was seen within a time bound (event time)",
   PARAMS({"within", RILL_LAUNCH_DURATION, NULL, NULL, TRUE, "records of a key closer than this are duplicates"}),
   rill__launch_build_dedupe},
  {"distinct", RILL_LAUNCH_TRANSFORM, "estimated distinct values per key (HyperLogLog, about 3% error)",
   PARAMS({"field", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "count distinct values of this field instead of record values"},
          FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_aggregate},
  {"file-sink", RILL_LAUNCH_SINK, "write record values to a file (atomic rename when complete; rotation)",
   PARAMS({"path", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "output file (numbered beside it when rotating or -p > 1)"},
          FILE_FORMAT("lines"),
          {"rotate-size", RILL_LAUNCH_SIZE, "0", NULL, FALSE, "start a new file at this size (0 = never)"},
          {"rotate-time", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "start a new file at this age (0 = never)"},
          {"csv-header", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "header row for CSV files (default: the input's)"},
          {"fsync", RILL_LAUNCH_BOOL, "true", NULL, FALSE, "fsync each file before renaming it into place"}),
   rill__launch_build_file_sink},
  {"file-src", RILL_LAUNCH_SOURCE, "read a file, a directory or a glob as lines, JSON Lines or CSV records",
   PARAMS({"path", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "file, directory, glob pattern, or - for stdin"},
          FILE_FORMAT("lines"),
          {"follow", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "tail the files (rotation aware); never ends"},
          {"poll", RILL_LAUNCH_DURATION, "100ms", NULL, FALSE, "follow: how often to look for new data"},
          {"csv-header", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "CSV: the first row names the columns"},
          {"position-headers", RILL_LAUNCH_BOOL, "true", NULL, FALSE, "attach file, line and offset headers"},
          DEAD_LETTER),
   rill__launch_build_file_src},
  {"filter", RILL_LAUNCH_TRANSFORM, "keep records whose field compares true (one comparison per filter)",
   PARAMS({"field", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "field to test (JSON path a.b.0 or CSV column)"},
          {"eq", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "equal (numerically when both are numbers)"},
          {"ne", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "not equal"},
          {"lt", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "less than"},
          {"le", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "less or equal"},
          {"gt", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "greater than"},
          {"ge", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "greater or equal"},
          {"contains", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "contains this text"},
          {"regex", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "matches this regular expression (PCRE, unanchored)"},
          FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_filter},
  {"json-parse", RILL_LAUNCH_TRANSFORM, "check each value is JSON; failures go to the dead-letter output",
   PARAMS(DEAD_LETTER), rill__launch_build_parse},
  {"kafka-sink", RILL_LAUNCH_SINK, "produce records to a topic of a Kafka-compatible broker (rill-broker, Kafka, ...)",
   PARAMS(KAFKA_SERVERS, {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
          {"dead-letter", RILL_LAUNCH_STRING, NULL, NULL, FALSE,
           "where records the broker refuses go: stderr or file:PATH (JSON Lines); unset = they fail the pipeline"},
          KAFKA_ANY),
   rill__launch_build_kafka_sink},
  {"kafka-src", RILL_LAUNCH_SOURCE, "consume a topic of a Kafka-compatible broker (rill-broker, Kafka, ...)",
   PARAMS(KAFKA_SERVERS, {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
          {"partitions", RILL_LAUNCH_LIST, NULL, NULL, FALSE, "read only these partitions (default: all)"},
          {"from", RILL_LAUNCH_STRING, "earliest", NULL, FALSE,
           "start without a committed offset: earliest, latest, offset:N or time:MS"},
          {"follow", RILL_LAUNCH_BOOL, "false", NULL, FALSE,
           "keep reading new records (else end at the end the partitions had at start; needs no group.id)"},
          KAFKA_ANY),
   rill__launch_build_kafka_src},
  {"key-by", RILL_LAUNCH_TRANSFORM, "route records by key so each key is handled by one task",
   PARAMS({"field", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "set the key from this field first (default: the record key)"},
          FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_key_by},
  {"log-sink", RILL_LAUNCH_SINK, "append records to a topic of the embedded log (created if missing)",
   PARAMS({"dir", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "log data directory"},
          {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
          {"partitions", RILL_LAUNCH_INT, "1", NULL, FALSE, "partitions when the topic is created"},
          {"codec", RILL_LAUNCH_ENUM, "none", "none|gzip|snappy|lz4|zstd", FALSE, "batch compression"}),
   rill__launch_build_log_sink},
  {"log-src", RILL_LAUNCH_SOURCE, "read a topic of the embedded log",
   PARAMS({"dir", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "log data directory"},
          {"topic", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "topic name"},
          {"from", RILL_LAUNCH_STRING, "earliest", NULL, FALSE, "start: earliest, latest, offset:N or time:MS"},
          {"follow", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "keep reading new records (else end at the current end)"}),
   rill__launch_build_log_src},
  {"max", RILL_LAUNCH_TRANSFORM, "largest decimal integer value per key (per window after a window)",
   PARAMS(AGG_FIELD, FIELD_FORMAT, DEAD_LETTER), rill__launch_build_aggregate},
  {"min", RILL_LAUNCH_TRANSFORM, "smallest decimal integer value per key (per window after a window)",
   PARAMS(AGG_FIELD, FIELD_FORMAT, DEAD_LETTER), rill__launch_build_aggregate},
  {"project", RILL_LAUNCH_TRANSFORM, "replace the value by a JSON object of the listed fields",
   PARAMS({"fields", RILL_LAUNCH_LIST, NULL, NULL, TRUE, "field names, comma separated"}, FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_project},
  {"set-key", RILL_LAUNCH_TRANSFORM, "set the record key from a field (absent when the field is)",
   PARAMS({"field", RILL_LAUNCH_STRING, NULL, NULL, TRUE, "field to use as the key"}, FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_set_key},
  {"stderr-sink", RILL_LAUNCH_SINK, "write record values to standard error, one per line",
   PARAMS(FILE_FORMAT("lines")), rill__launch_build_stderr_sink},
  {"stdin-src", RILL_LAUNCH_SOURCE, "read standard input as lines, JSON Lines or CSV", PARAMS(FILE_FORMAT("lines")),
   rill__launch_build_stdin_src},
  {"stdout-sink", RILL_LAUNCH_SINK, "write record values to standard output, one per line",
   PARAMS(FILE_FORMAT("lines")), rill__launch_build_stdout_sink},
  {"sum", RILL_LAUNCH_TRANSFORM, "sum of decimal integer values per key (per window after a window)",
   PARAMS(AGG_FIELD, FIELD_FORMAT, DEAD_LETTER), rill__launch_build_aggregate},
  {"to-json", RILL_LAUNCH_TRANSFORM,
   "replace the value by {\"key\",\"value\",\"window_start\",\"window_end\",\"timestamp\",\"rank\"} (what is known)",
   NULL, 0, rill__launch_build_to_json},
  {"top-keys", RILL_LAUNCH_TRANSFORM, "the n keys with the largest result in each window (after window + aggregate)",
   PARAMS({"n", RILL_LAUNCH_INT, "10", NULL, FALSE, "how many keys per window (1..1000)"}), rill__launch_build_top_keys},
  {"top-n", RILL_LAUNCH_TRANSFORM, "the n largest decimal integer values per key (per window after a window)",
   PARAMS({"n", RILL_LAUNCH_INT, "3", NULL, FALSE, "how many values (1..64)"}, AGG_FIELD, FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_aggregate},
  {"union", RILL_LAUNCH_MULTI, "merge several inputs (link them with name. references)", NULL, 0,
   rill__launch_build_union},
  {"watermarks", RILL_LAUNCH_TRANSFORM, "assign event time (from a field or the record) and emit watermarks",
   PARAMS({"field", RILL_LAUNCH_STRING, NULL, NULL, FALSE,
           "timestamp field: integer, ISO 8601 or access-log time (default: the record timestamp)"},
          {"unit", RILL_LAUNCH_ENUM, "ms", "ms|s", FALSE, "unit of integer timestamps"},
          {"out-of-order", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "how far records may arrive out of order"},
          {"idle", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "a partition silent this long stops holding time back (0 = never)"},
          {"processing-time", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "stamp records with the clock instead"},
          FIELD_FORMAT, DEAD_LETTER),
   rill__launch_build_watermarks},
  {"window", RILL_LAUNCH_TRANSFORM, "event-time windows per key; the next element is the aggregate",
   PARAMS({"tumbling", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "tumbling windows of this size"},
          {"size", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "hopping windows of this size (with slide=)"},
          {"slide", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "hopping: step between window starts"},
          {"gap", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "session windows closing after this gap"},
          {"lateness", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "keep windows open this long for late records"},
          {"offset", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "shift tumbling/hopping window starts"}),
   rill__launch_build_window},
};

static int by_name(const void *key, const void *entry)
{
  return strcmp(key, ((const rill_launch_element *)entry)->name);
}

const rill_launch_element *rill_launch_elements(guint *n_elements)
{
  g_return_val_if_fail(n_elements != NULL, NULL);
  *n_elements = G_N_ELEMENTS(elements);
  return elements;
}

const rill_launch_element *rill_launch_element_lookup(const char *name)
{
  g_return_val_if_fail(name != NULL, NULL);
  return bsearch(name, elements, G_N_ELEMENTS(elements), sizeof elements[0], by_name);
}

static const char *role_name(rill_launch_role role)
{
  static const char *const names[] = {"source", "transform", "multi-input", "sink"};
  return names[role];
}

static const char *type_name(const rill_launch_param *p)
{
  static const char *const names[] = {"string", "integer", "boolean", "duration", "size", "enum", "list"};
  return p->type == RILL_LAUNCH_ENUM ? p->choices : names[p->type];
}

char *rill_launch_list(void)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(elements); i++)
    g_string_append_printf(s, "%-13s %-11s %s\n", elements[i].name, role_name(elements[i].role),
                           elements[i].description);
  return g_string_free(s, FALSE);
}

char *rill_launch_element_describe(const rill_launch_element *e)
{
  g_return_val_if_fail(e != NULL, NULL);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s (%s): %s\n\nparameters:\n", e->name, role_name(e->role), e->description);
  for (guint i = 0; i < e->n_params; i++) {
    const rill_launch_param *p = &e->params[i];
    g_string_append_printf(s, "  %-17s %-26s %s", p->name, type_name(p), p->doc);
    if (p->required)
      g_string_append(s, " (required)");
    else if (p->default_value)
      g_string_append_printf(s, " (default %s)", p->default_value);
    g_string_append_c(s, '\n');
  }
  g_string_append_printf(s, "  %-17s %-26s %s\n", "name", "string", "the stage name, for `NAME.` references");
  return g_string_free(s, FALSE);
}

char *rill_launch_reference_markdown(void)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(elements); i++) {
    const rill_launch_element *e = &elements[i];
    g_string_append_printf(s, "### %s\n\n%s (%s).\n\n", e->name, e->description, role_name(e->role));
    if (e->n_params == 0) {
      g_string_append(s, "No parameters besides `name`.\n\n");
      continue;
    }
    g_string_append(s, "| parameter | type | default | description |\n|---|---|---|---|\n");
    for (guint k = 0; k < e->n_params; k++) {
      const rill_launch_param *p = &e->params[k];
      char **parts = g_strsplit(type_name(p), "|", -1);
      char *type = g_strjoinv(" \\| ", parts);
      g_strfreev(parts);
      g_string_append_printf(s, "| `%s` | %s | %s | %s |\n", p->name, type,
                             p->required ? "required" : p->default_value ? p->default_value : "–", p->doc);
      g_free(type);
    }
    g_string_append_c(s, '\n');
  }
  return g_string_free(s, FALSE);
}
