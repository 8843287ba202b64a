# The test-support library (rill-harness.h, range-collect.h, op-harness.h):
# built once, linked into the tests that drive operators, sources and sinks.
add_library(rill_harness STATIC ${CMAKE_CURRENT_LIST_DIR}/rill-harness.c ${CMAKE_CURRENT_LIST_DIR}/range-collect.c
            ${CMAKE_CURRENT_LIST_DIR}/op-harness.c)
target_link_libraries(rill_harness PUBLIC rill_internal)
rill_test(op-harness SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-op-harness.c)
target_link_libraries(test-op-harness PRIVATE rill_harness)
