rill_test(wire-crc32c SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-crc32c.c)
rill_test(wire-recordbatch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch.c)
rill_test(wire-recordbatch-compress SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch-compress.c)
# Real clients: librdkafka linked in, kafka-python through /usr/bin/python3.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
rill_test(wire-recordbatch-interop SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch-interop.c
          TIMEOUT 120 LABELS interop)
target_link_libraries(test-wire-recordbatch-interop PRIVATE PkgConfig::RDKAFKA)
