# The test-support library (rill-harness.h, range-collect.h): built once,
# linked into the tests that drive operators, sources and sinks.
add_library(rill_harness STATIC ${CMAKE_CURRENT_LIST_DIR}/rill-harness.c ${CMAKE_CURRENT_LIST_DIR}/range-collect.c)
target_link_libraries(rill_harness PUBLIC rill_internal)
