/* join-table-file.c — initial contents of a table join from a text file
 * of "KEY<TAB>VALUE" lines (format in include/rill/join.h).
 *
 * Invariants: a file either loads completely or not at all (entries are
 * parsed into a fresh table first, merged only when the whole file parsed);
 * the join's file table is written only before the join is added to a
 * pipeline and read-only afterwards, so tasks share it without locks. Its
 * memory is not part of the per-task state counters: it exists once, not
 * per task, for the join's lifetime. */
#include "operators/join-private.h"

#include <string.h>

void rill__join_file_table_free(rill__table *table)
{
  if (!table)
    return;
  void *v;
  for (size_t it = 0; rill__table_next(table, &it, NULL, &v);)
    rill__join_rec_free(*(rill__join_rec **)v);
  rill__table_free(table);
}

/* Makes @rec (transfer full) the entry for its key in @table. */
static void put(rill__table *table, rill__join_rec *rec)
{
  rill_bytes k = rec->rec.key;
  rill__join_rec **slot = rill__table_upsert(table, k.data, k.len, rill__hash(k.data, k.len), NULL);
  rill__join_rec_free(*slot); /* NULL when new: values start zero-filled */
  *slot = rec;
}

/* Parses @data (@len bytes of @path) into @table. */
static gboolean parse(const char *path, const char *data, size_t len, rill__table *table, GError **error)
{
  const char *p = data, *end = data + len;
  for (guint line = 1; p < end; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    const char *next = nl ? nl + 1 : end;
    if (eol > p && eol[-1] == '\r')
      eol--;
    if (eol == p) {
      p = next;
      continue;
    }
    const char *tab = memchr(p, '\t', (size_t)(eol - p));
    if (!tab) {
      g_set_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_PARSE, "%s:%u: no TAB between key and value", path, line);
      return FALSE;
    }
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(p, (size_t)(tab - p));
    r.value = rill_bytes_make(tab + 1, (size_t)(eol - tab - 1));
    put(table, rill__join_rec_new(&r, (rill_bytes){NULL, 0}));
    p = next;
  }
  return TRUE;
}

gboolean rill_join_table_load_file(rill_join *join, const char *path, GError **error)
{
  g_return_val_if_fail(join != NULL && join->type == RILL__JOIN_TABLE && !join->added, FALSE);
  g_return_val_if_fail(path != NULL && (error == NULL || *error == NULL), FALSE);
  char *data = NULL;
  gsize len = 0;
  GError *e = NULL;
  if (!g_file_get_contents(path, &data, &len, &e)) {
    g_set_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_IO, "table file: %s", e->message);
    g_error_free(e);
    return FALSE;
  }
  rill__table *table = rill__table_new(sizeof(rill__join_rec *));
  if (!parse(path, data, len, table, error))
    goto err_parse;
  g_free(data);
  if (!join->file_table) {
    join->file_table = table;
    return TRUE;
  }
  void *v;
  for (size_t it = 0; rill__table_next(table, &it, NULL, &v);)
    put(join->file_table, *(rill__join_rec **)v);
  rill__table_free(table);
  return TRUE;

err_parse:
  rill__join_file_table_free(table);
  g_free(data);
  return FALSE;
}

const rill__join_rec *rill__join_file_lookup(const rill_join *join, rill_bytes key, uint64_t hash)
{
  if (!join->file_table)
    return NULL;
  rill__join_rec *const *v = rill__table_lookup(join->file_table, key.data, key.len, hash);
  return v ? *v : NULL;
}
