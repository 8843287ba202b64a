# The benchmarks' shared helpers (bench/*.h), checked where a bug in them
# would only show as a wrong or polluted measurement. librdkafka: for
# bench/kafka-bench.h's headers (tests only, never librill).
pkg_check_modules(RDKAFKA_BH REQUIRED IMPORTED_TARGET rdkafka)
rill_test(bench-helpers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-bench-helpers.c)
target_link_libraries(test-bench-helpers PRIVATE PkgConfig::RDKAFKA_BH)
target_include_directories(test-bench-helpers PRIVATE ${PROJECT_SOURCE_DIR})
add_dependencies(test-bench-helpers rill-broker)
