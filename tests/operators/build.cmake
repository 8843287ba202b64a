rill_test(operators-windows SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-windows.c ${CMAKE_CURRENT_LIST_DIR}/harness.c)
rill_test(operators-state SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-state.c ${CMAKE_CURRENT_LIST_DIR}/harness.c)
