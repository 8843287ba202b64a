# bench-broker: a librdkafka client (Debian's librdkafka, bench only) against
# rill-broker and librdkafka's mock cluster; bench/broker/run passes the
# rill-broker path.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
add_executable(bench-broker ${CMAKE_CURRENT_LIST_DIR}/bench-broker.c)
target_link_libraries(bench-broker PRIVATE PkgConfig::RDKAFKA PkgConfig::GLIB)
set_target_properties(bench-broker PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
target_include_directories(bench-broker PRIVATE ${PROJECT_SOURCE_DIR})
