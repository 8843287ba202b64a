# Consumer-group coordinator tests (the server's own tests are in build.cmake).
rill_test(group-coordinator SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-group-coordinator.c)
