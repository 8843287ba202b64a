# bench-kafka-client: rill's Kafka sink/source against librdkafka's producer
# and consumer (Debian's librdkafka, linked into this bench only, never into
# librill), both against one rill-broker; bench/kafka-client/run passes the
# rill-broker path.
pkg_check_modules(RDKAFKA_KB REQUIRED IMPORTED_TARGET rdkafka)
add_executable(bench-kafka-client ${CMAKE_CURRENT_LIST_DIR}/bench-kafka-client.c)
target_link_libraries(bench-kafka-client PRIVATE rill_internal PkgConfig::RDKAFKA_KB)
set_target_properties(bench-kafka-client PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
