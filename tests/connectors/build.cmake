# Kafka connector tests run against librdkafka's mock cluster (tests only:
# the library itself never links librdkafka).
pkg_check_modules(RDKAFKA_KC REQUIRED IMPORTED_TARGET rdkafka)
rill_test(kafka-produce SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-produce.c TIMEOUT 180)
target_link_libraries(test-kafka-produce PRIVATE PkgConfig::RDKAFKA_KC)
rill_test(kafka-consume SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-kafka-consume.c TIMEOUT 180)
target_link_libraries(test-kafka-consume PRIVATE PkgConfig::RDKAFKA_KC)
