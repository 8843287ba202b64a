# Consumer-group coordinator tests (the server's own tests are in build.cmake).
rill_test(group-coordinator SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-group-coordinator.c)
# Real clients (python3-confluent-kafka, kcat) against a rill-broker process on 127.0.0.1.
rill_test(group-e2e SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-group-e2e.c TIMEOUT 180 LABELS interop)
add_dependencies(test-group-e2e rill-broker)
