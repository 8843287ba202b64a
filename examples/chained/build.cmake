add_executable(chained ${CMAKE_CURRENT_LIST_DIR}/chained.c)
target_link_libraries(chained PRIVATE rill)
target_compile_definitions(chained PRIVATE CHAINED_DATA="${CMAKE_CURRENT_LIST_DIR}")
set_target_properties(chained PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/examples/chained)
if(RILL_BUILD_TESTS)
  # A real rill-broker process, both applications, kcat reading the result;
  # expected records from join(1) over the bundled files.
  add_test(NAME example-chained COMMAND ${CMAKE_CURRENT_LIST_DIR}/test.sh $<TARGET_FILE:chained>
                                        $<TARGET_FILE:rill-broker> ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(example-chained PROPERTIES TIMEOUT 60)
endif()
