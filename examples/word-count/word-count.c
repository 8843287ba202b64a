/* word-count.c — counting words over files with a keyed running count.
 *
 *   texts (file source, one record per line)
 *     -> words   (flat_map: one record per word, key = the word lowercased)
 *     -> by-word (key_by: each word to one task)
 *     -> count   (running aggregate: updated count per word per batch)
 *     -> table   (sink: keeps the latest count of each word)
 *
 * Then prints the top words, "COUNT WORD", largest count first, ties in
 * alphabetical order. A word is a run of ASCII letters.
 * Usage: word-count [-p N] [-n TOP] [PATH...]   (default: the bundled texts/)
 */
#include <rill/rill.h>

#include <stdio.h>
#include <stdlib.h>

static rill_flow split_words(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *user_data)
{
  const uint8_t *v = in->value.data;
  size_t n = in->value.len;
  for (size_t i = 0; i < n;) {
    while (i < n && !g_ascii_isalpha(v[i]))
      i++;
    size_t start = i;
    while (i < n && g_ascii_isalpha(v[i]))
      i++;
    if (i == start)
      continue;
    char *word = rill_emitter_alloc(out, i - start);
    for (size_t k = start; k < i; k++)
      word[k - start] = g_ascii_tolower(v[k]);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(word, i - start);
    rill_flow f = rill_emit_record_raw(out, &r);
    if (f != RILL_FLOW_OK)
      return f;
  }
  return RILL_FLOW_OK;
}

/* ---- a sink keeping the latest count per word (tasks share it) ----------- */

typedef struct {
  GMutex lock;
  GHashTable *counts; /* word -> count */
} table;

static rill_flow table_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  table *t = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&t->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    char *word = g_strndup((const char *)r[i].key.data, r[i].key.len);
    char digits[24];
    g_snprintf(digits, sizeof digits, "%.*s", (int)MIN(r[i].value.len, 23), (const char *)r[i].value.data);
    guint64 c = g_ascii_strtoull(digits, NULL, 10);
    gpointer old = g_hash_table_lookup(t->counts, word);
    if (GPOINTER_TO_SIZE(old) < c) /* counts only grow; updates of a word arrive in order anyway */
      g_hash_table_replace(t->counts, word, GSIZE_TO_POINTER(c));
    else
      g_free(word);
  }
  g_mutex_unlock(&t->lock);
  return RILL_FLOW_OK;
}

static gboolean table_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class table_class = {.type_name = "table", .open = table_open, .write = table_write};

typedef struct {
  const char *word;
  guint64 count;
} entry;

static int by_count(const void *a, const void *b)
{
  const entry *x = a, *y = b;
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

int main(int argc, char **argv)
{
  gint parallelism = 1, top = 10;
  char **paths = NULL;
  GOptionEntry entries[] = {
    {"parallelism", 'p', 0, G_OPTION_ARG_INT, &parallelism, "Tasks per stage", "N"},
    {"top", 'n', 0, G_OPTION_ARG_INT, &top, "How many words to print (default 10)", "N"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, "PATH..."},
    G_OPTION_ENTRY_NULL};
  GError *error = NULL;
  GOptionContext *oc = g_option_context_new("[PATH...] - the most frequent words of text files");
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error)) {
    g_printerr("word-count: %s\n", error->message);
    return 2;
  }
  char *default_paths[] = {WORD_COUNT_TEXTS, NULL};
  char **inputs = paths ? paths : default_paths;

  table t;
  g_mutex_init(&t.lock);
  t.counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  rill_pipeline *p = rill_pipeline_new("word-count");
  rill_pipeline_set_parallelism(p, (guint)MAX(parallelism, 1));
  GPtrArray *sources = g_ptr_array_new();
  for (guint i = 0; inputs[i]; i++) {
    char *name = g_strdup_printf("texts-%u", i);
    g_ptr_array_add(sources, rill_pipeline_add_file_source(p, name, rill_file_source_new(inputs[i], RILL_FILE_FORMAT_LINES)));
    g_free(name);
  }
  rill_stage *s = sources->len == 1 ? sources->pdata[0]
                                    : rill_pipeline_add_union(p, "texts", (rill_stage *const *)sources->pdata, sources->len);
  s = rill_pipeline_add_flat_map(p, "words", s, split_words, NULL, NULL);
  s = rill_pipeline_add_key_by(p, "by-word", s, NULL, NULL, NULL);
  s = rill_pipeline_add_aggregate(p, "count", s, rill_aggregate_count());
  rill_pipeline_add_sink(p, "table", s, &table_class, &t, NULL);
  int status = 0;
  if (!rill_pipeline_run(p, &error)) {
    g_printerr("word-count: %s\n", error->message);
    status = 1;
  } else {
    guint n = g_hash_table_size(t.counts), i = 0;
    entry *all = g_new(entry, n);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t.counts);
    while (g_hash_table_iter_next(&it, &k, &v))
      all[i++] = (entry){k, GPOINTER_TO_SIZE(v)};
    qsort(all, n, sizeof *all, by_count);
    for (i = 0; i < n && i < (guint)top; i++)
      g_print("%" G_GUINT64_FORMAT " %s\n", all[i].count, all[i].word);
    g_free(all);
  }
  rill_pipeline_unref(p);
  g_ptr_array_unref(sources);
  g_hash_table_unref(t.counts);
  g_mutex_clear(&t.lock);
  g_clear_error(&error);
  g_strfreev(paths);
  g_option_context_free(oc);
  return status;
}
