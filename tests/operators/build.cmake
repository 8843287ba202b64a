rill_test(operators-windows SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-windows.c ${CMAKE_CURRENT_LIST_DIR}/harness.c)
rill_test(operators-state SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-state.c ${CMAKE_CURRENT_LIST_DIR}/harness.c)
rill_test(operators-join-window SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-window.c
          ${CMAKE_CURRENT_LIST_DIR}/join-harness.c)
rill_test(operators-join-interval SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-interval.c
          ${CMAKE_CURRENT_LIST_DIR}/join-harness.c)
rill_test(operators-join-table SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-table.c
          ${CMAKE_CURRENT_LIST_DIR}/join-harness.c)
rill_test(operators-checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-checkpoint-ops.c)
