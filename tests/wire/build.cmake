rill_test(wire-crc32c SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-crc32c.c)
rill_test(wire-recordbatch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch.c)
