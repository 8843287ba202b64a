rill_test(operators-windows SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-windows.c ${CMAKE_CURRENT_LIST_DIR}/window-io.c)
rill_test(operators-state SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-state.c ${CMAKE_CURRENT_LIST_DIR}/window-io.c)
rill_test(operators-join-window SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-window.c
          ${CMAKE_CURRENT_LIST_DIR}/join-io.c)
rill_test(operators-join-interval SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-interval.c
          ${CMAKE_CURRENT_LIST_DIR}/join-io.c)
rill_test(operators-join-table SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-table.c
          ${CMAKE_CURRENT_LIST_DIR}/join-io.c)
foreach(_t windows state join-window join-interval join-table)
  target_link_libraries(test-operators-${_t} PRIVATE rill_harness)
endforeach()
rill_test(operators-checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-checkpoint-ops.c)
# regex-parse and typed values through the public C API (hand-written expectations).
rill_test(operators-regex-parse SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-regex-parse.c
          ${PROJECT_SOURCE_DIR}/tests/connectors/util.c)
