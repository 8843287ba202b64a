add_executable(word-count ${CMAKE_CURRENT_LIST_DIR}/word-count.c)
target_link_libraries(word-count PRIVATE rill)
target_compile_definitions(word-count PRIVATE WORD_COUNT_TEXTS="${CMAKE_CURRENT_LIST_DIR}/texts")
set_target_properties(word-count PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/examples/word-count)
if(RILL_BUILD_TESTS)
  # Expected output from coreutils over the same files: tr/sort/uniq.
  add_test(NAME example-word-count COMMAND ${CMAKE_CURRENT_LIST_DIR}/test.sh $<TARGET_FILE:word-count>
                                           ${CMAKE_CURRENT_LIST_DIR}/texts)
  set_tests_properties(example-word-count PROPERTIES TIMEOUT 60)
endif()
