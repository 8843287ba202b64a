rill_test(broker-config SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-broker-config.c)
rill_test(broker-api SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-broker-api.c TIMEOUT 60)
