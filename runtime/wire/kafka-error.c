/* kafka-error.c — lookups over RILL_KAFKA_ERROR_MAP (include/rill/kafka-error.h). */
#include <rill/kafka-error.h>

#include <stddef.h>

typedef struct {
  int16_t code;
  bool retriable;
  const char *name, *message;
} entry;

static const entry table[] = {
#define ROW(name, code, retriable, msg) {code, retriable, #name, msg},
  RILL_KAFKA_ERROR_MAP(ROW)
#undef ROW
};

/* Codes run -1, 0, 1, ... without gaps, so index = code + 1; the check keeps
 * that true if the table ever grows a gap. */
static const entry *find(int16_t code)
{
  int idx = code + 1;
  if (idx >= 0 && (size_t)idx < sizeof table / sizeof table[0] && table[idx].code == code)
    return &table[idx];
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].code == code)
      return &table[i];
  return NULL;
}

const char *rill_kafka_error_name(int16_t code)
{
  const entry *e = find(code);
  return e ? e->name : NULL;
}

const char *rill_kafka_error_message(int16_t code)
{
  const entry *e = find(code);
  return e ? e->message : NULL;
}

bool rill_kafka_error_retriable(int16_t code)
{
  const entry *e = find(code);
  return e && e->retriable;
}
