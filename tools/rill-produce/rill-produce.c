/* rill-produce — console producer in the spirit of kcat -P, on rill's own
 * Kafka client.
 *
 *   rill-produce -b HOST:PORT -t TOPIC [-p N] [-K DELIM] [-H KEY=VALUE]...
 *                [-D DELIM] [-Z] [FILE...]
 *
 * Each input record is the text up to DELIM (default a newline) of the
 * files (or stdin); with -K the part before the first key delimiter is the
 * key (a record without it has a null key). -H headers go on every record.
 * Records go to -p, or where the partitioner (-X partitioner=..., default
 * murmur2_random as the Java client) puts their key.
 *
 * Batching: one RecordBatch per partition, sent when it reaches
 * batch.num.messages or batch.size, and whenever reading more input would
 * block (so an interactive line goes out at once) and at the end. Retriable
 * errors resend the batch after a metadata refresh, up to `retries` times
 * (without idempotence a resend may duplicate: at-least-once). Exit codes:
 * docs/tools.md (4: some records were not delivered). */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "runtime/wire/partitioner.h"
#include "runtime/wire/recordbatch.h"
#include "tool.h"

typedef struct {
  tool_common common;
  char *topic;
  gint64 partition;
  char *key_delim;   /* compressed (escapes resolved) */
  char *delim;
  char **header_args;
  gboolean null_empty;
  rill_kafka_conf *conf;
  rill__kclient *client;
  int32_t n_partitions;
  int32_t sticky;
  rill__batch_writer **writers; /* per partition */
  rill__record_header *headers;
  guint n_headers;
  gint64 delivered;
} producer;

/* Sends every non-empty batch; retriable failures are retried. */
static gboolean flush(producer *p, GError **error)
{
  g_autofree GBytes **batches = g_new0(GBytes *, (gsize)p->n_partitions);
  g_autofree int32_t *counts = g_new0(int32_t, (gsize)p->n_partitions);
  gboolean ok = TRUE;
  int pending = 0;
  for (int32_t i = 0; i < p->n_partitions && ok; i++)
    if (p->writers[i] && (counts[i] = rill__batch_writer_count(p->writers[i])) > 0) {
      ok = (batches[i] = rill__batch_writer_finish(p->writers[i], error)) != NULL;
      pending++;
    }
  p->sticky = -1; /* null-keyed records move on to another partition */
  for (int attempt = 0; ok && pending > 0; attempt++) {
    if (attempt > 0) {
      if (attempt > p->conf->retries) {
        g_set_error(error, TOOL_ERROR, TOOL_EXIT_DATA, "%d batch(es) not delivered after %d retries", pending,
                    p->conf->retries);
        ok = FALSE;
        break;
      }
      g_usleep((gulong)p->conf->retry_backoff_ms * 1000);
      const char *topics[] = {p->topic, NULL};
      if (!rill__kclient_refresh_metadata(p->client, topics, error)) {
        ok = FALSE;
        break;
      }
    }
    /* one Produce per leader */
    for (int32_t first = 0; ok && first < p->n_partitions; first++) {
      if (!batches[first])
        continue;
      int32_t leader = rill__kclient_leader(p->client, p->topic, first);
      if (leader < 0)
        continue; /* retried after the refresh */
      g_autofree rill__wire_produce_request_partition_produce_data *pd =
          g_new0(rill__wire_produce_request_partition_produce_data, (gsize)p->n_partitions);
      g_autofree gboolean *in_req = g_new0(gboolean, (gsize)p->n_partitions);
      int32_t k = 0;
      for (int32_t i = first; i < p->n_partitions; i++) {
        if (!batches[i] || rill__kclient_leader(p->client, p->topic, i) != leader)
          continue;
        gsize len;
        const void *data = g_bytes_get_data(batches[i], &len);
        pd[k].index = i;
        pd[k].records = rill__wire_bytes_from(data, len);
        in_req[i] = TRUE;
        k++;
      }
      rill__wire_produce_request req;
      rill__wire_produce_request_init(&req);
      rill__wire_produce_request_topic_produce_data td = {rill__wire_str_from(p->topic), pd, k};
      req.acks = (int16_t)p->conf->acks;
      req.timeout_ms = p->conf->request_timeout_ms;
      req.topics = &td;
      req.n_topics = 1;
      rill__kreq *r = rill__kreq_new(RILL_WIRE_API_PRODUCE, 7, &req);
      r->no_response = p->conf->acks == 0;
      rill__kclient_submit(p->client, leader, r, NULL, NULL);
      rill__kreq_wait(p->client, r, G_MAXINT64);
      if (r->error && (r->error == -1 || !rill__kerror_retriable(r->error))) {
        rill__kclient_set_error(error, r->error, "Produce", r->error_message);
        ok = FALSE;
      } else if (!r->error && p->conf->acks == 0) {
        for (int32_t i = 0; i < p->n_partitions; i++)
          if (in_req[i]) {
            p->delivered += counts[i];
            g_clear_pointer(&batches[i], g_bytes_unref);
            pending--;
          }
      } else if (!r->error) {
        const rill__wire_produce_response *pr = &r->resp.produce;
        for (int32_t t = 0; ok && t < pr->n_responses; t++)
          for (int32_t j = 0; ok && j < pr->responses[t].n_partitions; j++) {
            const rill__wire_produce_response_partition_produce_response *pp = &pr->responses[t].partitions[j];
            int32_t i = pp->index;
            if (i < 0 || i >= p->n_partitions || !in_req[i] || !batches[i])
              continue;
            if (!pp->error_code) {
              p->delivered += counts[i];
              g_clear_pointer(&batches[i], g_bytes_unref);
              pending--;
            } else if (!rill__kerror_retriable(pp->error_code)) {
              g_autofree char *what = g_strdup_printf("Produce %s [%d]", p->topic, i);
              rill__kclient_set_error(error, pp->error_code, what, NULL);
              ok = FALSE;
            }
          }
      }
      rill__kreq_free(r);
    }
  }
  for (int32_t i = 0; i < p->n_partitions; i++)
    if (batches[i])
      g_bytes_unref(batches[i]);
  if (!ok && error && *error && (*error)->domain == RILL_KAFKA_CLIENT_ERROR &&
      (*error)->code == RILL_KAFKA_CLIENT_ERROR_BROKER) {
    /* the broker refused records: a delivery failure, not a usage error */
    GError *e = g_error_new(TOOL_ERROR, TOOL_EXIT_DATA, "%s", (*error)->message);
    g_clear_error(error);
    *error = e;
  }
  return ok;
}

/* Adds one input record (@len bytes at @rec). */
static gboolean add_record(producer *p, const char *rec, gsize len, GError **error)
{
  const char *key = NULL, *value = rec;
  gsize key_len = 0, value_len = len;
  if (p->key_delim) {
    gsize dl = strlen(p->key_delim);
    const char *d = dl ? g_strstr_len(rec, (gssize)len, p->key_delim) : NULL;
    if (d) {
      key = rec;
      key_len = (gsize)(d - rec);
      value = d + dl;
      value_len = len - key_len - dl;
    }
  }
  if (p->null_empty && key && key_len == 0)
    key = NULL;
  if (p->null_empty && value_len == 0)
    value = NULL;
  int32_t part = (int32_t)p->partition;
  if (part < 0) {
    part = rill__partition_for(p->conf->partitioner, key, key_len, p->n_partitions);
    if (part < 0) {
      if (p->sticky < 0)
        p->sticky = (int32_t)g_random_int_range(0, p->n_partitions);
      part = p->sticky;
    }
  }
  if (!p->writers[part]) {
    rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
    o.codec = (rill__codec)p->conf->codec;
    if (p->conf->compression_level >= 0)
      o.level = p->conf->compression_level;
    if (!(p->writers[part] = rill__batch_writer_new(&o, error)))
      return FALSE;
  }
  rill__batch_writer_append(p->writers[part], g_get_real_time() / 1000, key, key ? (int32_t)key_len : -1, value,
                            value ? (int32_t)value_len : -1, p->headers, p->n_headers);
  if (rill__batch_writer_count(p->writers[part]) >= p->conf->batch_num_messages ||
      rill__batch_writer_size(p->writers[part]) >= (size_t)p->conf->batch_size)
    return flush(p, error);
  return TRUE;
}

static gboolean pending(producer *p)
{
  for (int32_t i = 0; i < p->n_partitions; i++)
    if (p->writers[i] && rill__batch_writer_count(p->writers[i]) > 0)
      return TRUE;
  return FALSE;
}

/* Reads @fd to its end, splitting records at the delimiter. */
static gboolean produce_fd(producer *p, int fd, const char *name, GError **error)
{
  GByteArray *buf = g_byte_array_new();
  gsize dl = strlen(p->delim), scan = 0;
  gboolean ok = TRUE, eof = FALSE;
  while (ok) {
    const guint8 *d = NULL;
    if (dl && buf->len >= dl)
      d = memmem(buf->data + scan, buf->len - scan, p->delim, dl);
    if (d) {
      gsize n = (gsize)(d - buf->data);
      ok = add_record(p, (const char *)buf->data, n, error);
      g_byte_array_remove_range(buf, 0, (guint)(n + dl));
      scan = 0;
      continue;
    }
    scan = buf->len >= dl ? buf->len - dl + 1 : 0;
    if (eof) {
      if (buf->len)
        ok = add_record(p, (const char *)buf->data, buf->len, error);
      break;
    }
    /* about to wait for input: send what we have first */
    struct pollfd pfd = {fd, POLLIN, 0};
    if (pending(p) && poll(&pfd, 1, 0) == 0 && !(ok = flush(p, error)))
      break;
    guint8 chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", name, g_strerror(errno));
      ok = FALSE;
    } else if (n == 0) {
      eof = TRUE;
    } else {
      g_byte_array_append(buf, chunk, (guint)n);
    }
  }
  g_byte_array_unref(buf);
  return ok;
}

static gboolean run(producer *p, char **files, GError **error)
{
  if (!p->topic) {
    tool_usage_error(error, "-t TOPIC is required");
    return FALSE;
  }
  if (!*p->delim) {
    tool_usage_error(error, "-D: the delimiter cannot be empty");
    return FALSE;
  }
  p->headers = g_new0(rill__record_header, (p->header_args ? g_strv_length(p->header_args) : 0) + 1);
  for (guint i = 0; p->header_args && p->header_args[i]; i++) {
    const char *eq = strchr(p->header_args[i], '=');
    if (!eq || eq == p->header_args[i]) {
      tool_usage_error(error, "-H %s: expected KEY=VALUE", p->header_args[i]);
      return FALSE;
    }
    rill__record_header *h = &p->headers[p->n_headers++];
    h->key = (const uint8_t *)p->header_args[i];
    h->key_len = (int32_t)(eq - p->header_args[i]);
    h->value = (const uint8_t *)eq + 1;
    h->value_len = (int32_t)strlen(eq + 1);
  }
  if (!tool_connect(&p->common, "rill-produce", &p->conf, &p->client, error))
    return FALSE;
  /* the broker may auto-create the topic, as for any producer */
  const char *topics[] = {p->topic, NULL};
  int16_t terr = 0;
  gint64 give_up = g_get_monotonic_time() + (gint64)p->conf->request_timeout_ms * 1000;
  for (;;) {
    if (!rill__kclient_refresh_metadata(p->client, topics, error))
      return FALSE;
    p->n_partitions = rill__kclient_partition_count(p->client, p->topic, &terr);
    if (p->n_partitions > 0)
      break;
    if (!rill__kerror_retriable(terr) || terr == RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
        g_get_monotonic_time() >= give_up) {
      g_autofree char *what = g_strdup_printf("topic '%s'", p->topic);
      rill__kclient_set_error(error, terr ? terr : RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, what, NULL);
      return FALSE;
    }
    g_usleep((gulong)p->conf->retry_backoff_ms * 1000);
  }
  if (p->partition >= p->n_partitions) {
    tool_usage_error(error, "-p %" G_GINT64_FORMAT ": %s has partitions 0..%d", p->partition, p->topic,
                     p->n_partitions - 1);
    return FALSE;
  }
  p->writers = g_new0(rill__batch_writer *, (gsize)p->n_partitions);
  p->sticky = -1;
  if (!files || !files[0])
    return produce_fd(p, 0, "stdin", error) && flush(p, error);
  for (guint i = 0; files[i]; i++) {
    gboolean stdin_ = !strcmp(files[i], "-");
    int fd = stdin_ ? 0 : open(files[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", files[i], g_strerror(errno));
      return FALSE;
    }
    gboolean ok = produce_fd(p, fd, files[i], error);
    if (!stdin_)
      close(fd);
    if (!ok)
      return FALSE;
  }
  return flush(p, error);
}

int main(int argc, char **argv)
{
  producer p = {0};
  char *key_delim = NULL, *delim = NULL;
  char **files = NULL;
  p.partition = -1;
  GOptionEntry entries[] = {
    {"topic", 't', 0, G_OPTION_ARG_STRING, &p.topic, "Topic to write to", "TOPIC"},
    {"partition", 'p', 0, G_OPTION_ARG_INT64, &p.partition, "Write every record to this partition", "N"},
    {"key-delimiter", 'K', 0, G_OPTION_ARG_STRING, &key_delim,
     "Split each record into key DELIM value at the first DELIM", "DELIM"},
    {"header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &p.header_args, "Add this header to every record (repeatable)",
     "KEY=VALUE"},
    {"delimiter", 'D', 0, G_OPTION_ARG_STRING, &delim, "Record delimiter (default \\n; escapes allowed)", "DELIM"},
    {"null", 'Z', 0, G_OPTION_ARG_NONE, &p.null_empty, "Send empty keys and values as null", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "[FILE...]"},
    G_OPTION_ENTRY_NULL,
  };
  GError *error = NULL;
  int rc = TOOL_EXIT_OK;
  GOptionContext *ctx = g_option_context_new("- write records to a Kafka topic");
  tool_cli_add_options(ctx, "rill-produce");
  g_option_context_set_summary(ctx, "Reads records from FILEs or stdin and produces them to rill-broker or any "
                                    "Kafka broker (kcat -P style).\n"
                                    "Exit status: 0 all delivered, 1 usage, 2 broker unreachable, 3 broker error, "
                                    "4 records not delivered. See docs/tools.md.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  tool_common_add_options(ctx, &p.common);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    rc = tool_fail("rill-produce", error);
    goto out;
  }
  signal(SIGPIPE, SIG_IGN);
  p.key_delim = key_delim ? g_strcompress(key_delim) : NULL;
  p.delim = g_strcompress(delim ? delim : "\\n");
  if (!run(&p, files, &error))
    rc = tool_fail("rill-produce", error);
out:
  for (int32_t i = 0; p.writers && i < p.n_partitions; i++)
    if (p.writers[i])
      rill__batch_writer_free(p.writers[i]);
  g_free(p.writers);
  g_free(p.headers);
  rill__kclient_free(p.client);
  rill_kafka_conf_free(p.conf);
  tool_common_clear(&p.common);
  g_free(p.topic);
  g_free(p.key_delim);
  g_free(p.delim);
  g_free(key_delim);
  g_free(delim);
  g_strfreev(p.header_args);
  g_strfreev(files);
  g_option_context_free(ctx);
  return rc;
}
