# bench-broker-abuse: a librdkafka producer/consumer pair against rill-broker,
# quiet and beside abusive raw-socket peers; bench/broker-abuse/run passes
# the rill-broker path.
pkg_check_modules(RDKAFKA_ABUSE REQUIRED IMPORTED_TARGET rdkafka)
add_executable(bench-broker-abuse ${CMAKE_CURRENT_LIST_DIR}/bench-broker-abuse.c)
target_link_libraries(bench-broker-abuse PRIVATE PkgConfig::RDKAFKA_ABUSE PkgConfig::GLIB)
set_target_properties(bench-broker-abuse PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
target_include_directories(bench-broker-abuse PRIVATE ${PROJECT_SOURCE_DIR})
