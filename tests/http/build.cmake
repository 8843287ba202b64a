rill_test(http-server SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-http-server.c)
rill_test(http-prometheus SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-prometheus.c)
rill_test(http-broker SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-broker-http.c TIMEOUT 60)
rill_test(http-pipeline SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-pipeline-http.c TIMEOUT 90)
