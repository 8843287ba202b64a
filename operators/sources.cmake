rill_sources(map.c filter.c flat_map.c union.c keyby.c keyed_process.c watermark.c aggregate.c
             aggregate_running.c window.c window_panes.c window_session.c dedupe.c topn.c
             join.c join_window.c join_interval.c join_table.c join_table_file.c csv.c fields.c
             parse.c dead-letter.c)
# launch elements (rill-run), declared beside their operators; registered by elements/elements.c
rill_sources(fieldops.c field-elements.c parse-elements.c keyby-elements.c watermark-elements.c window-elements.c
             dedupe-elements.c union-elements.c to-json.c)
