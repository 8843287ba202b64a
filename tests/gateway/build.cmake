# The WebSocket gateway: the library against libsoup clients, the frame
# parser, and rill-gateway end to end.
rill_test(gateway SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway.c ${CMAKE_CURRENT_LIST_DIR}/wsclient.c TIMEOUT 60)
rill_test(gateway-tool SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway-tool.c ${CMAKE_CURRENT_LIST_DIR}/wsclient.c TIMEOUT 60)
add_dependencies(test-gateway-tool rill-gateway)
rill_test(gateway-frames SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-gateway-frames.c)
