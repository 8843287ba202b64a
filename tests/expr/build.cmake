# The expression language: every function and rule on real records, compile
# errors, docs/expressions.md's function table; rill-run's filter expr=,
# map and key-by expr= end to end.
rill_test(expr SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-expr.c)
rill_test(expr-run SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-expr-run.c ${PROJECT_SOURCE_DIR}/tests/connectors/util.c)
add_dependencies(test-expr-run rill-run)
