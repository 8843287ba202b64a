rill_test(log SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log.c)
