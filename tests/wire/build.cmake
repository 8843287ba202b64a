rill_test(wire-crc32c SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-crc32c.c)
