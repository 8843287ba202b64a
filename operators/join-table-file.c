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

static void file_entry_free(gpointer rec)
{
  rill__join_rec_free(NULL, rec);
}

static GHashTable *file_table_new(void)
{
  return g_hash_table_new_full(rill__join_key_hash, rill__join_key_equal, g_free, file_entry_free);
}

/* Parses @data (@len bytes of @path) into @table. */
static gboolean parse(const char *path, const char *data, size_t len, GHashTable *table, GError **error)
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
    rill__join_rec *rec = rill__join_rec_new(NULL, &r);
    rill__join_key *key = rill__join_key_new(NULL, rec->rec.key);
    g_hash_table_replace(table, key, rec);
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
  GHashTable *table = file_table_new();
  if (!parse(path, data, len, table, error))
    goto err_parse;
  g_free(data);
  if (!join->file_table) {
    join->file_table = table;
    return TRUE;
  }
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, table);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    g_hash_table_iter_steal(&it);
    g_hash_table_replace(join->file_table, k, v);
  }
  g_hash_table_destroy(table);
  return TRUE;

err_parse:
  g_hash_table_destroy(table);
  g_free(data);
  return FALSE;
}

const rill__join_rec *rill__join_file_lookup(const rill_join *join, rill_bytes key)
{
  if (!join->file_table)
    return NULL;
  rill__join_key view = rill__join_key_view(key);
  return g_hash_table_lookup(join->file_table, &view);
}
