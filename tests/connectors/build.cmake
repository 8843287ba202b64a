rill_test(connectors-file SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-file.c ${CMAKE_CURRENT_LIST_DIR}/util.c)
rill_test(connectors-fields SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-fields.c ${CMAKE_CURRENT_LIST_DIR}/util.c)
