rill_test(runtime-batch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-batch.c)
