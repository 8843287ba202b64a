rill_test(broker-config SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-broker-config.c)
rill_test(broker-api SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-broker-api.c TIMEOUT 60)
rill_test(broker-kcat SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-broker-kcat.c TIMEOUT 90)
add_dependencies(test-broker-kcat rill-broker)
