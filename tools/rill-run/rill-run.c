/* rill-run — runs a pipeline written as text (include/rill/launch.h), with
 * a registry of all of rill's elements (include/rill/elements.h); grammar
 * and element reference in docs/rill-run.md.
 *
 *   rill-run [OPTIONS] 'ELEMENT k=v ! ELEMENT ...'
 *   rill-run [OPTIONS] -f PIPELINE-FILE
 *   rill-run --list | --describe ELEMENT | --reference
 *
 * Exit status: 0 the pipeline ran to its end; 1 it failed while running
 * (a stage error); 2 usage or pipeline text errors (nothing ran); 3 a
 * broker refused (e.g. an unknown topic), as the Kafka tools say it; 130
 * interrupted by SIGINT/SIGTERM (drained or stopped at once).
 * A status line (status.h) goes to stderr on a terminal unless --quiet
 * (--status=on|off forces it); --summary writes
 * the JSON run summary (docs/progress.md) to a file or "-" (stdout).
 * --checkpoint-dir turns checkpoints on and resumes from the newest
 * complete one in that directory (docs/checkpoints.md). --http HOST:PORT
 * serves /metrics, /healthz, /readyz, /api/pipeline and the web console
 * while the pipeline runs (docs/observability.md).
 */
#include <rill/rill.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "status.h"

enum { EXIT_RAN = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3, EXIT_INTERRUPTED = 130 };

static gboolean opt_list, opt_quiet, opt_metrics, opt_reference;
static char *opt_describe, *opt_file, *opt_summary, *opt_checkpoint_dir, *opt_status, *opt_http;
static gint opt_parallelism = 1, opt_checkpoint_interval = 10000, opt_checkpoint_retain = 3;

static const GOptionEntry entries[] = {
  {"file", 'f', 0, G_OPTION_ARG_FILENAME, &opt_file, "Read the pipeline from FILE", "FILE"},
  {"parallelism", 'p', 0, G_OPTION_ARG_INT, &opt_parallelism, "Tasks per stage (default 1)", "P"},
  {"quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No status line", NULL},
  {"status", 0, 0, G_OPTION_ARG_STRING, &opt_status,
   "Live status line on stderr: auto (default: when stderr is a terminal, stdout is not, and no -q), on, off",
   "auto|on|off"},
  {"summary", 0, 0, G_OPTION_ARG_FILENAME, &opt_summary, "Write the JSON run summary to FILE (- = stdout)", "FILE"},
  {"checkpoint-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_checkpoint_dir,
   "Take checkpoints into DIR and resume from the newest complete one there", "DIR"},
  {"checkpoint-interval", 0, 0, G_OPTION_ARG_INT, &opt_checkpoint_interval,
   "Milliseconds between checkpoints (default 10000)", "MS"},
  {"checkpoint-retain", 0, 0, G_OPTION_ARG_INT, &opt_checkpoint_retain,
   "Complete checkpoints to keep (default 3)", "N"},
  {"metrics", 'm', 0, G_OPTION_ARG_NONE, &opt_metrics, "Print the per-stage metrics table to stderr at the end", NULL},
  {"http", 0, 0, G_OPTION_ARG_STRING, &opt_http,
   "Serve metrics, health and the web console over HTTP while running (port 0 = any)", "HOST:PORT"},
  {"list", 'l', 0, G_OPTION_ARG_NONE, &opt_list, "List the elements", NULL},
  {"describe", 'd', 0, G_OPTION_ARG_STRING, &opt_describe, "Describe ELEMENT and its parameters", "ELEMENT"},
  {"reference", 0, 0, G_OPTION_ARG_NONE, &opt_reference, "Print the element reference as Markdown", NULL},
  G_OPTION_ENTRY_NULL};

static int info_mode(const rill_launch_registry *registry)
{
  char *text = NULL;
  if (opt_list) {
    text = rill_launch_registry_list(registry);
  } else if (opt_reference) {
    text = rill_launch_registry_reference_markdown(registry);
  } else {
    const rill_launch_element *e = rill_launch_registry_lookup(registry, opt_describe);
    if (!e) {
      tool_log_error("no element named '%s' (rill-run --list shows them)", opt_describe);
      return EXIT_USAGE;
    }
    text = rill_launch_element_describe(e);
  }
  fputs(text, stdout);
  g_free(text);
  return EXIT_RAN;
}

/* The pipeline text: -f FILE, or the arguments joined with spaces (so an
 * unquoted pipeline works as well when the shell leaves '!' alone). */
static char *pipeline_text(int argc, char **argv, GError **error)
{
  if (opt_file) {
    char *text = NULL;
    if (argc > 1) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "give the pipeline either with -f or as text, not both");
      return NULL;
    }
    if (!g_file_get_contents(opt_file, &text, NULL, error))
      return NULL;
    return text;
  }
  if (argc < 2) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "no pipeline given (see --help)");
    return NULL;
  }
  return g_strjoinv(" ", argv + 1);
}

/* The exit status of a run that ended with @error (NULL: cleanly). */
static int exit_status(rill_pipeline *p, const GError *error)
{
  /* A checkpoint that does not fit is refused before anything runs. */
  if (error && error->domain == RILL_CHECKPOINT_ERROR)
    return EXIT_USAGE;
  if (rill_pipeline_was_interrupted(p))
    return EXIT_INTERRUPTED;
  if (!error)
    return EXIT_RAN;
  const GError *cause = rill_pipeline_get_error_cause(p);
  if (cause && g_error_matches(cause, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_BROKER))
    return EXIT_REFUSED;
  return EXIT_FAILED;
}

int main(int argc, char **argv)
{
  int status = EXIT_USAGE;
  GError *error = NULL;
  char *text = NULL;
  rill_pipeline *p = NULL;
  FILE *summary = NULL;
  rill_http_server *http = NULL;
  rill_launch_registry *registry = rill_launch_registry_new();
  GOptionContext *oc = g_option_context_new("'PIPELINE' | -f FILE");
  tool_cli_add_options(oc, "rill-run");
  g_option_context_set_summary(oc, "Runs a rill pipeline written as text, e.g.\n"
                                   "  rill-run 'file-src path=in.jsonl format=jsonl ! filter field=status ge=500 "
                                   "! stdout-sink'\n"
                                   "Exit status: 0 done, 1 failed while running, 2 bad usage or pipeline text, 3 "
                                   "refused by a broker (e.g. unknown topic), 130 interrupted.");
  g_option_context_add_main_entries(oc, entries, NULL);
  rill_elements_register_all(registry);
  if (!g_option_context_parse(oc, &argc, &argv, &error)) {
    tool_log_error("%s", error->message);
    goto out;
  }
  if (opt_list || opt_describe || opt_reference) {
    status = info_mode(registry);
    goto out;
  }
  if (opt_parallelism < 1 || opt_parallelism > 1024) {
    tool_log_error("-p must be 1..1024");
    goto out;
  }
  /* Records printed on the terminal are the live view themselves, and a
   * status line between them would be torn: auto wants stdout elsewhere. */
  gboolean status_wanted = !opt_quiet && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
  if (opt_status && strcmp(opt_status, "auto") != 0) {
    if (strcmp(opt_status, "on") != 0 && strcmp(opt_status, "off") != 0) {
      tool_log_error("--status: '%s' is not auto, on or off", opt_status);
      goto out;
    }
    status_wanted = strcmp(opt_status, "on") == 0;
  }
  if (opt_checkpoint_interval < 1 || opt_checkpoint_retain < 1) {
    tool_log_error("--checkpoint-interval and --checkpoint-retain must be >= 1");
    goto out;
  }
  text = pipeline_text(argc, argv, &error);
  if (!text) {
    tool_log_error("%s", error->message);
    goto out;
  }
  p = rill_launch_parse(registry, text, &error);
  if (!p) {
    tool_log_error("%s%s%s", opt_file ? opt_file : "", opt_file ? ": " : "", error->message);
    goto out;
  }
  if (opt_summary) {
    summary = strcmp(opt_summary, "-") == 0 ? stdout : fopen(opt_summary, "w");
    if (!summary) {
      tool_log_error("cannot write %s: %s", opt_summary, g_strerror(errno));
      goto out;
    }
  }
  rill_pipeline_set_parallelism(p, (guint)opt_parallelism);
  if (opt_checkpoint_dir && !rill_pipeline_enable_checkpoints(p, opt_checkpoint_dir, (guint)opt_checkpoint_interval,
                                                               (guint)opt_checkpoint_retain, &error)) {
    tool_log_error("%s", error->message);
    goto out;
  }
  if (opt_metrics)
    rill_pipeline_set_metrics_output(p, stderr);
  if (opt_http) {
    http = rill_http_server_new(NULL, &error);
    rill_pipeline_serve_http(p, http);
    if (!rill_http_server_listen(http, opt_http, &error)) {
      tool_log_error("%s", error->message);
      goto out;
    }
    tool_log(G_LOG_LEVEL_INFO, "serving HTTP on %s (port %u)", opt_http, rill_http_server_get_port(http));
  }
  rill_pipeline_watch_signals(p);
  /* The status line draws the progress line too (one writer per line). */
  rill_progress_options po = {.quiet = TRUE, .summary_out = summary};
  rill_progress *pr = rill_progress_attach(p, &po);
  gboolean ok = rill_pipeline_start(p, &error);
  if (ok) {
    status_line *st = status_line_start(p, stderr, status_wanted);
    ok = rill_pipeline_wait(p, &error);
    status_line_stop(st);
  }
  rill_progress_detach(pr);
  if (opt_checkpoint_dir && !opt_quiet && rill_pipeline_get_restored_checkpoint(p))
    tool_log(G_LOG_LEVEL_INFO, "resumed from checkpoint %" G_GUINT64_FORMAT " in %s",
               rill_pipeline_get_restored_checkpoint(p), opt_checkpoint_dir);
  if (!ok)
    tool_log_error("%s", error->message);
  status = exit_status(p, ok ? NULL : error);
out:
  if (summary && summary != stdout)
    fclose(summary);
  rill_http_server_free(http);
  rill_pipeline_unref(p);
  g_free(text);
  g_clear_error(&error);
  g_option_context_free(oc);
  rill_launch_registry_free(registry);
  g_free(opt_describe);
  g_free(opt_file);
  g_free(opt_summary);
  g_free(opt_checkpoint_dir);
  g_free(opt_status);
  g_free(opt_http);
  return status;
}
