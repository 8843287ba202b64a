rill_test(security-listeners SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-listeners.c)
