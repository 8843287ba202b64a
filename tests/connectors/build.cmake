rill_test(connectors-file SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-file.c ${CMAKE_CURRENT_LIST_DIR}/util.c)
target_link_libraries(test-connectors-file PRIVATE rill_harness)
rill_test(connectors-fields SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-fields.c ${CMAKE_CURRENT_LIST_DIR}/util.c)
add_executable(rill-test-stdio-cat ${CMAKE_CURRENT_LIST_DIR}/stdio-cat.c)
target_link_libraries(rill-test-stdio-cat PRIVATE rill_internal)
set_target_properties(rill-test-stdio-cat PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
rill_test(connectors-stdio SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-stdio.c)
add_dependencies(test-connectors-stdio rill-test-stdio-cat)
# Connector tests: real archives made by the system tools (tar, gzip, bzip2,
# xz, zstd, zip, 7z — see .ci/deps) and by libarchive, read back and checked
# against what the test wrote.
rill_test(archive-source SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-archive-source.c
          ${CMAKE_CURRENT_LIST_DIR}/archive-harness.c TIMEOUT 120)
rill_test(archive-sink SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-archive-sink.c
          ${CMAKE_CURRENT_LIST_DIR}/archive-harness.c TIMEOUT 120)
rill_test(progress SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-progress.c ${CMAKE_CURRENT_LIST_DIR}/archive-harness.c)
# Kafka connector tests run against librdkafka's mock cluster (tests only:
# the library itself never links librdkafka).
pkg_check_modules(RDKAFKA_KC REQUIRED IMPORTED_TARGET rdkafka)
rill_test(kafka-produce SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-produce.c TIMEOUT 180)
target_link_libraries(test-kafka-produce PRIVATE PkgConfig::RDKAFKA_KC)
rill_test(kafka-consume SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-consume.c TIMEOUT 180)
target_link_libraries(test-kafka-consume PRIVATE PkgConfig::RDKAFKA_KC)
rill_test(kafka-group SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-group.c TIMEOUT 180)
target_link_libraries(test-kafka-group PRIVATE PkgConfig::RDKAFKA_KC)
add_dependencies(test-kafka-group rill-broker)
rill_test(kafka-group-interop SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-group.c TIMEOUT 180)
target_compile_definitions(test-kafka-group-interop PRIVATE KAFKA_GROUP_INTEROP)
target_link_libraries(test-kafka-group-interop PRIVATE PkgConfig::RDKAFKA_KC)
add_dependencies(test-kafka-group-interop rill-broker)
rill_test(kafka-checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-checkpoint.c TIMEOUT 120)
target_link_libraries(test-kafka-checkpoint PRIVATE PkgConfig::RDKAFKA_KC)
