rill_sources(map.c filter.c flat-map.c union.c keyby.c keyed-process.c watermark.c aggregate.c
             aggregate-running.c window.c window-panes.c window-session.c dedupe.c topn.c
             join.c join-window.c join-interval.c join-table.c join-table-file.c csv.c fields.c json-scan.c scratch.c
             parse.c dead-letter.c)
# plain text: grok names, regex-parse, typed values, the line filter
rill_sources(grok.c regex-parse.c typed.c line-filter.c regex-parse-elements.c aggregate-number.c)
# launch elements (rill-run), declared beside their operators; registered by elements/elements.c
rill_sources(fieldops.c field-elements.c parse-elements.c keyby-elements.c watermark-elements.c window-elements.c
             dedupe-elements.c union-elements.c to-json.c expr-elements.c)
# the expression language (include/rill/expr.h, docs/expressions.md)
rill_sources(expr/lexer.c expr/parser.c expr/value.c expr/eval.c expr/functions.c expr/time.c)
