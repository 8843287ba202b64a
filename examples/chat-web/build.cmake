# chat-web is a static page the gateway serves; its test drives two headless
# Chromium pages (Debian's chromium) and leaves a screenshot in the build dir.
if(RILL_BUILD_TESTS)
  add_test(NAME example-chat-web
           COMMAND node --experimental-websocket ${CMAKE_CURRENT_LIST_DIR}/test-chat-web.js
                   $<TARGET_FILE:rill-gateway> ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_BINARY_DIR}/examples/chat-web)
  set_tests_properties(example-chat-web PROPERTIES TIMEOUT 60)
endif()
