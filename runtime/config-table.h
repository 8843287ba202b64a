/* config-table.h — the one engine behind rill's configuration tables (the
 * broker's settings, per-topic configs, the Kafka connector's properties,
 * the parameters of every rill-run element).
 *
 * A table is an array of rows, one per property: its name, type, where its
 * value lives in a plain settings struct (offset), range, default and doc.
 * The engine derives everything else from the rows: parsing and validation
 * (unknown names and bad values are GErrors in the table's own domain),
 * defaults, copies and frees of the owned strings, the text form of a value,
 * and the Markdown reference a docs test compares against the table.
 *
 * Invariants: a settings struct filled by rill__conf_init holds a valid value
 * in every field (zero, NULL for strings and lists, where a row has no
 * default), and a failed rill__conf_set changes nothing. Every default
 * parses (rill__conf_init asserts it).
 *
 * Value syntax, the same in every table:
 *   STRING  any text (stored as an owned char *, g_free)
 *   BOOL    true | false (any case) | 1 | 0            -> gboolean
 *   INT32   decimal integer in [min, max]              -> int32_t (or int)
 *   INT64   decimal integer in [min, max]              -> int64_t
 *   ENUM    one of the "|"-separated choices           -> int
 *           A plain choice stands for its index among the plain ones;
 *           "name=N" makes name a synonym of N ("all=-1|0=0|1=1").
 *   DURATION NUMBER[ms|s|m|min|h|d], a bare number is ms, in [min, max] ms
 *                                                      -> int64_t (ms)
 *   SIZE    NUMBER[B|k|K|KiB|KB|M|MiB|MB|G|GiB|GB] (binary multiples), a
 *           bare number is bytes, in [min, max]        -> int64_t (bytes)
 *   LIST    comma-separated items; blanks around an item and empty items
 *           are dropped                                -> char ** (g_strfreev)
 * A table with bool_words also takes yes/no and on/off (any case) for BOOL:
 * rill-run's syntax; Kafka-named tables keep Kafka's true/false.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  RILL__CONF_STRING,
  RILL__CONF_BOOL,
  RILL__CONF_INT32,
  RILL__CONF_INT64,
  RILL__CONF_ENUM,
  RILL__CONF_DURATION,
  RILL__CONF_SIZE,
  RILL__CONF_LIST,
} rill__conf_type;

/* The default of a row that has none and must be set (rill-run's required
 * parameters): rill__conf_init leaves the field zero, and the reference says
 * "required" (rill__conf_required tells). A NULL default is a row that may
 * stay unset. */
extern const char rill__conf_required_mark[];
#define RILL__CONF_REQUIRED rill__conf_required_mark

typedef struct {
  const char *name;      /* property name (Kafka's where Kafka has one) */
  rill__conf_type type;
  size_t offset;         /* of its field in the settings struct */
  int64_t min, max;      /* INT32/INT64/DURATION/SIZE: accepted range */
  const char *def;       /* default, in the syntax above; NULL: none (the field
                          * stays zero); RILL__CONF_REQUIRED: none, must be set */
  const char *choices;   /* ENUM: "a|b|c" (see above); NULL otherwise */
  const char *alias;     /* a second accepted name (librdkafka synonym), or NULL */
  const char *topic_key; /* the per-topic config this row gives the default of, or NULL */
  const char *doc;       /* one line for the reference */
} rill__conf_prop;

typedef struct {
  const rill__conf_prop *props; /* not owned: a static table */
  guint n_props;
  GQuark (*domain)(void);       /* every failure: this domain ... */
  int code;                     /* ... and this code */
  const char *noun;             /* "unknown <noun> 'x'" */
  gboolean bool_words;          /* BOOL also takes yes/no, on/off */
} rill__conf_table;

/* TRUE when row @p has no default and must be set. */
gboolean rill__conf_required(const rill__conf_prop *p);
/* The row named @name (or aliased so), or NULL. */
const rill__conf_prop *rill__conf_find(const rill__conf_table *t, const char *name);
/* Sets every row's field of @settings to its default (on a fresh struct:
 * strings there are overwritten, not freed). */
void rill__conf_init(const rill__conf_table *t, void *settings);
/* After a byte copy of a settings struct: gives @settings its own strings
 * and lists. */
void rill__conf_dup_strings(const rill__conf_table *t, void *settings);
/* Frees the strings and lists of @settings (not @settings itself). */
void rill__conf_clear(const rill__conf_table *t, void *settings);
/* Sets @name from @value; on an unknown name or a bad value returns FALSE
 * with @error (the table's domain and code) and leaves @settings as it was. */
gboolean rill__conf_set(const rill__conf_table *t, void *settings, const char *name, const char *value,
                        GError **error);
/* Row @p's value in @settings, as text rill__conf_set accepts (durations and
 * sizes in the largest unit that is exact, lists joined by ","). (transfer full) */
char *rill__conf_format(const rill__conf_prop *p, const void *settings);
/* The name of @type in the reference ("string", "boolean", "int", "long",
 * "enum", "duration", "size", "list"). */
const char *rill__conf_type_name(rill__conf_type type);
/* Row @p's "Range / values" text: "min .. max", the enum names, ...; "" for
 * none. (transfer full) */
char *rill__conf_range(const rill__conf_prop *p);
/* The reference: | Property | Type | Range / values | Default | [Topic config |] Description |,
 * the Topic config column only when a row has a topic_key; a row without
 * default shows "–", a required one "required". (transfer full) */
char *rill__conf_markdown(const rill__conf_table *t);
