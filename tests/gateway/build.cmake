# The WebSocket gateway: the library against libsoup clients, the frame
# parser, and rill-gateway end to end.
rill_test(gateway SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway.c ${CMAKE_CURRENT_LIST_DIR}/wsclient.c TIMEOUT 60)
rill_test(gateway-tool SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway-tool.c ${CMAKE_CURRENT_LIST_DIR}/wsclient.c TIMEOUT 60)
add_dependencies(test-gateway-tool rill-gateway)
rill_test(gateway-frames SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway-frames.c)
# Kafka as storage: two rill-gateway processes on one rill-broker process,
# and the library on librdkafka's mock cluster (tests only link librdkafka).
pkg_check_modules(RDKAFKA_GW REQUIRED IMPORTED_TARGET rdkafka)
rill_test(gateway-kafka SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway-kafka.c ${CMAKE_CURRENT_LIST_DIR}/wsclient.c TIMEOUT 120)
target_link_libraries(test-gateway-kafka PRIVATE PkgConfig::RDKAFKA_GW)
add_dependencies(test-gateway-kafka rill-gateway rill-broker)
# wss:// and https:// with certificates made by the openssl CLI at test time.
rill_test(gateway-tls SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway-tls.c ${CMAKE_CURRENT_LIST_DIR}/wsclient.c TIMEOUT 60)
add_dependencies(test-gateway-tls rill-gateway)
if(RILL_SANITIZE)
  # LeakSanitizer crashes at exit ("Tracer caught signal 11") scanning the
  # dynamic TLS of GIO's TLS module (glib-networking, dlopen'd) on this
  # clang/glibc: leak checking is off for this test only; ASan and UBSan
  # still check it (and its rill-gateway child).
  set_property(TEST gateway-tls APPEND PROPERTY ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0")
endif()
