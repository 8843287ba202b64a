/* stdio-cat.c — a child for test-stdio: stdin (FORMAT) -> [json-parse with
 * dead letters on stderr] -> stdout. Usage: stdio-cat lines|jsonl [PARALLELISM] */
#include <rill/rill.h>

#include <signal.h>

int main(int argc, char **argv)
{
  rill_file_format format = RILL_FILE_FORMAT_LINES;
  if (argc < 2 || !rill_file_format_from_name(argv[1], &format)) {
    fprintf(stderr, "usage: stdio-cat lines|jsonl|csv [PARALLELISM]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rill_pipeline *p = rill_pipeline_new("stdio-cat");
  rill_pipeline_set_parallelism(p, argc > 2 ? (guint)atoi(argv[2]) : 1);
  rill_file_source *in = rill_stdin_source_new(format);
  rill_file_source_set_validate(in, FALSE); /* the parse stage checks, with dead letters */
  rill_stage *s = rill_pipeline_add_file_source(p, "stdin", in);
  rill_dead_letter *dl = NULL;
  if (format == RILL_FILE_FORMAT_JSONL) {
    dl = rill_dead_letter_new_stderr();
    s = rill_pipeline_add_parse(p, "parse", s, RILL_FIELDS_JSON, dl, NULL, NULL, NULL, NULL);
  }
  rill_pipeline_add_stdio_sink(p, "stdout", s, RILL_STDIO_STDOUT, format);
  GError *err = NULL;
  gboolean ok = rill_pipeline_run(p, &err);
  if (!ok)
    fprintf(stderr, "stdio-cat: %s\n", err->message);
  g_clear_error(&err);
  rill_pipeline_unref(p);
  if (dl)
    rill_dead_letter_unref(dl);
  return ok ? 0 : 1;
}
