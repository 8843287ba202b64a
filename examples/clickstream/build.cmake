add_executable(clickstream ${CMAKE_CURRENT_LIST_DIR}/clickstream.c)
target_link_libraries(clickstream PRIVATE rill)
set_target_properties(clickstream PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/examples/clickstream)
if(RILL_BUILD_TESTS)
  # Expected sessions from sessions.py, a plain Python sessionizer over the same clicks.
  add_test(NAME example-clickstream COMMAND ${CMAKE_CURRENT_LIST_DIR}/test.sh $<TARGET_FILE:clickstream>)
  set_tests_properties(example-clickstream PROPERTIES TIMEOUT 60)
endif()
