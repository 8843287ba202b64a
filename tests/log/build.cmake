rill_test(log SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log.c)
rill_test(log-crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log-crash.c TIMEOUT 180)
rill_test(log-files SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log-files.c)
# The sink's partitioner is checked against librdkafka's murmur2 partitioner.
pkg_check_modules(RDKAFKA_LOG REQUIRED IMPORTED_TARGET rdkafka)
rill_test(log-connector SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-log-connector.c)
target_link_libraries(test-log-connector PRIVATE PkgConfig::RDKAFKA_LOG)
# The scrubber, rill_log_verify_dir and the rill-log tool on flipped bytes.
rill_test(log-scrub SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-scrub.c)
add_dependencies(test-log-scrub rill-log)
