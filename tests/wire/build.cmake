rill_test(wire-crc32c SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-crc32c.c)
rill_test(wire-recordbatch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch.c)
rill_test(wire-recordbatch-compress SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch-compress.c)
# Real clients: librdkafka linked in, kafka-python through /usr/bin/python3.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
rill_test(wire-recordbatch-interop SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-recordbatch-interop.c
          TIMEOUT 120 LABELS interop)
target_link_libraries(test-wire-recordbatch-interop PRIVATE PkgConfig::RDKAFKA)
rill_test(wire-messages SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-messages.c)
rill_test(wire-primitives SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-primitives.c)
# docs/protocol.md's matrix is generated from messages.def; fail if it drifted.
add_test(NAME wire-protocol-doc
  COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/runtime/wire/gen-messages.py
          ${PROJECT_SOURCE_DIR}/runtime/wire/messages.def --check ${PROJECT_SOURCE_DIR}/docs/protocol.md)
rill_test(wire-vectors SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-vectors.c)
