rill_test(operators-join-window SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-join-window.c
          ${CMAKE_CURRENT_LIST_DIR}/join-harness.c)
