rill_test(log SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log.c)
rill_test(log-crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log-crash.c TIMEOUT 180)
