rill_test(http-server SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-http-server.c)
rill_test(http-prometheus SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-prometheus.c)
