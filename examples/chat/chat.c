/* chat.c — chat fan-out through a topic: messages keyed by conversation, so
 * every conversation lives in one partition and keeps its order; a
 * delivering consumer writes each conversation's inbox in that order; and
 * the history can be replayed from an offset or a point in time.
 *
 *   send     (pipeline 1)
 *     messages (file source OUT/messages.txt: "TS_MS CONV SEQ SENDER TEXT...")
 *       -> keyed (map: key = CONV, timestamp = TS_MS, value = "SEQ SENDER TEXT...")
 *       -> topic (log sink: topic "chat", --partitions partitions, in OUT/data)
 *   deliver  (pipeline 2, -p tasks: the partitions are divided among them)
 *     topic (log source, from the start) -> inbox (sink: OUT/inbox/CONV.txt,
 *       one line "PARTITION OFFSET SEQ SENDER TEXT..." per message)
 *   replay   (chat --replay-from-offset N | --replay-from-time MS)
 *     topic (log source from offset N of every partition, or from the first
 *       batch reaching time MS) -> OUT/replay.txt, "PARTITION OFFSET CONV SEQ ..."
 *
 * Usage: chat [--out DIR] [-p N] [--partitions N] [--messages N]
 *        chat [--out DIR] --replay-from-offset N | --replay-from-time MS
 * The first form generates the messages (deterministic), recreates the
 * topic, sends and delivers; the second reads the topic the first left.
 */
#include <rill/rill.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define TOPIC "chat"

/* ---- sample conversation ---------------------------------------------------- */

static gboolean write_messages(const char *path, guint n, GError **error)
{
  static const char *const people[] = {"ada", "grace", "edsger", "barbara", "donald", "frances", "ken", "dennis"};
  static const char *const words[] = {"hi", "lunch?", "ship it", "LGTM", "rebasing", "on call", "see PR", "thanks"};
  enum { CONVERSATIONS = 12 };
  guint seq[CONVERSATIONS] = {0};
  GRand *r = g_rand_new_with_seed(42);
  GString *s = g_string_new(NULL);
  int64_t ts = INT64_C(1700000000000);
  for (guint i = 0; i < n; i++) {
    guint c = (guint)g_rand_int_range(r, 0, CONVERSATIONS);
    ts += g_rand_int_range(r, 1, 5000);
    g_string_append_printf(s, "%" G_GINT64_FORMAT " conv-%02u %u %s %s #%u\n", ts, c, ++seq[c],
                           people[g_rand_int_range(r, 0, G_N_ELEMENTS(people))],
                           words[g_rand_int_range(r, 0, G_N_ELEMENTS(words))], i);
  }
  gboolean ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
  g_string_free(s, TRUE);
  g_rand_free(r);
  return ok;
}

/* "TS CONV REST" -> key CONV, timestamp TS, value REST. */
static rill_flow keyed(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  const char *v = (const char *)in->value.data, *end = v + in->value.len;
  const char *sp1 = v ? memchr(v, ' ', in->value.len) : NULL;
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
  if (!sp2 || sp2 == sp1 + 1) {
    rill_ctx_fail(ctx, "not a message line: %.*s", (int)MIN(in->value.len, 80), v ? v : "");
    return RILL_FLOW_ERROR;
  }
  out->timestamp = g_ascii_strtoll(v, NULL, 10);
  out->key = rill_bytes_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  out->value = rill_bytes_make(sp2 + 1, (size_t)(end - sp2 - 1));
  return RILL_FLOW_OK;
}

/* ---- the delivering sink: one inbox file per conversation ------------------- */

typedef struct {
  GMutex lock; /* tasks share the inboxes (each conversation is one task's) */
  char *dir;
  gboolean with_key; /* replay: one file, the conversation in each line */
  GHashTable *files; /* conversation -> FILE* */
} inbox;

static gboolean inbox_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

/* The inbox for @r, opened on first use; NULL with *@err = errno. */
static FILE *inbox_file(inbox *ib, const rill_record *r, int *err)
{
  char *name = ib->with_key ? g_strdup("replay") : g_strndup((const char *)r->key.data, r->key.len);
  FILE *f = g_hash_table_lookup(ib->files, name);
  if (!f) {
    char *base = g_strconcat(name, ".txt", NULL), *path = g_build_filename(ib->dir, base, NULL);
    f = fopen(path, "w");
    *err = errno;
    g_free(base);
    g_free(path);
    if (f)
      g_hash_table_insert(ib->files, g_strdup(name), f);
  }
  g_free(name);
  return f;
}

static rill_flow inbox_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  inbox *ib = state;
  rill_flow flow = RILL_FLOW_OK;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&ib->lock);
  for (size_t i = 0; i < rill_batch_len(batch) && flow == RILL_FLOW_OK; i++) {
    int err = 0;
    FILE *f = inbox_file(ib, &r[i], &err);
    if (!f) {
      rill_ctx_fail(ctx, "cannot open an inbox in %s: %s", ib->dir, g_strerror(err));
      flow = RILL_FLOW_ERROR;
      break;
    }
    fprintf(f, "%d %" G_GINT64_FORMAT " ", r[i].partition, r[i].offset);
    if (ib->with_key)
      fprintf(f, "%.*s ", (int)r[i].key.len, (const char *)r[i].key.data);
    fprintf(f, "%.*s\n", (int)r[i].value.len, (const char *)r[i].value.data);
  }
  g_mutex_unlock(&ib->lock);
  return flow;
}

static const rill_sink_class inbox_class = {.type_name = "inbox", .open = inbox_open, .write = inbox_write};

static void close_file(gpointer f)
{
  fclose(f);
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
  char *opt_out = NULL;
  gint opt_parallelism = 2, opt_partitions = 4, opt_messages = 500;
  gint64 opt_from_offset = -1, opt_from_time = -1;
  const GOptionEntry entries[] = {
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Output directory (default ./chat-out)", "DIR"},
    {"parallelism", 'p', 0, G_OPTION_ARG_INT, &opt_parallelism, "Delivering tasks (default 2)", "N"},
    {"partitions", 0, 0, G_OPTION_ARG_INT, &opt_partitions, "Partitions of the topic (default 4)", "N"},
    {"messages", 0, 0, G_OPTION_ARG_INT, &opt_messages, "Generated messages (default 500)", "N"},
    {"replay-from-offset", 0, 0, G_OPTION_ARG_INT64, &opt_from_offset, "Replay every partition from offset N", "N"},
    {"replay-from-time", 0, 0, G_OPTION_ARG_INT64, &opt_from_time, "Replay from time MS (ms since the epoch)", "MS"},
    G_OPTION_ENTRY_NULL};
  int status = 1;
  GError *error = NULL;
  rill_log *log = NULL;
  rill_pipeline *send = NULL, *deliver = NULL;
  char *data_dir = NULL, *messages = NULL;
  inbox ib = {.files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, close_file)};
  g_mutex_init(&ib.lock);
  GOptionContext *oc = g_option_context_new("- chat messages through a topic, delivered in order per conversation");
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error))
    goto fail;
  const char *out_dir = opt_out ? opt_out : "chat-out";
  gboolean replay = opt_from_offset >= 0 || opt_from_time >= 0;
  ib.with_key = replay;
  ib.dir = replay ? g_strdup(out_dir) : g_build_filename(out_dir, "inbox", NULL);
  if (!replay && g_file_test(ib.dir, G_FILE_TEST_IS_DIR)) {
    g_set_error(&error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "%s exists: use a fresh --out", ib.dir);
    goto fail;
  }
  if (g_mkdir_with_parents(ib.dir, 0755) != 0) {
    g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", ib.dir);
    goto fail;
  }
  data_dir = g_build_filename(out_dir, "data", NULL);
  log = rill_log_open(data_dir, NULL, &error);
  if (!log)
    goto fail;

  if (!replay) {
    messages = g_build_filename(out_dir, "messages.txt", NULL);
    if (!write_messages(messages, (guint)MAX(opt_messages, 1), &error))
      goto fail;
    if (rill_log_topic_describe(log, TOPIC, NULL, NULL, NULL) && !rill_log_topic_delete(log, TOPIC, &error))
      goto fail;
    if (!rill_log_topic_create(log, TOPIC, MAX(opt_partitions, 1), NULL, &error))
      goto fail;
    send = rill_pipeline_new("send");
    rill_file_source *src = rill_file_source_new(messages, RILL_FILE_FORMAT_LINES);
    rill_file_source_set_position_headers(src, FALSE);
    rill_stage *s = rill_pipeline_add_file_source(send, "messages", src);
    s = rill_pipeline_add_map(send, "keyed", s, keyed, NULL, NULL);
    rill_log_sink_options so = {.log = log, .topic = TOPIC};
    if (!rill_pipeline_add_log_sink(send, "topic", s, &so, &error) || !rill_pipeline_run(send, &error))
      goto fail;
  }

  deliver = rill_pipeline_new(replay ? "replay" : "deliver");
  rill_pipeline_set_parallelism(deliver, replay ? 1 : (guint)MAX(opt_parallelism, 1));
  rill_log_source_options ro = {.log = log, .topic = TOPIC};
  if (opt_from_offset >= 0) {
    ro.from = RILL_LOG_FROM_OFFSET;
    ro.from_value = opt_from_offset;
  } else if (opt_from_time >= 0) {
    ro.from = RILL_LOG_FROM_TIMESTAMP;
    ro.from_value = opt_from_time;
  }
  rill_stage *s = rill_pipeline_add_log_source(deliver, "topic", &ro, &error);
  if (!s)
    goto fail;
  rill_pipeline_add_sink(deliver, replay ? "replay" : "inbox", s, &inbox_class, &ib, NULL);
  if (!rill_pipeline_run(deliver, &error))
    goto fail;
  if (replay)
    g_print("chat: replayed into %s/replay.txt\n", out_dir);
  else
    g_print("chat: %d messages in %u conversations delivered to %s\n", MAX(opt_messages, 1),
            g_hash_table_size(ib.files), ib.dir);
  status = 0;
  goto out;

fail:
  g_printerr("chat: %s\n", error ? error->message : "failed");
out:
  rill_pipeline_unref(send);
  rill_pipeline_unref(deliver);
  g_hash_table_unref(ib.files); /* closes the inboxes */
  g_mutex_clear(&ib.lock);
  if (log)
    rill_log_close(log);
  g_clear_error(&error);
  g_free(ib.dir);
  g_free(data_dir);
  g_free(messages);
  g_free(opt_out);
  g_option_context_free(oc);
  return status;
}
