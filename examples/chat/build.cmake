add_executable(chat ${CMAKE_CURRENT_LIST_DIR}/chat.c)
target_link_libraries(chat PRIVATE rill)
set_target_properties(chat PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/examples/chat)
if(RILL_BUILD_TESTS)
  # Expected partitions/offsets from check.py (its own murmur2) over the generated messages.
  add_test(NAME example-chat COMMAND ${CMAKE_CURRENT_LIST_DIR}/test.sh $<TARGET_FILE:chat>)
  set_tests_properties(example-chat PROPERTIES TIMEOUT 60)
endif()
