add_executable(access-log ${CMAKE_CURRENT_LIST_DIR}/access-log.c ${CMAKE_CURRENT_LIST_DIR}/generate.c)
# libarchive directly too: the generator writes the sample tar.gz itself.
target_link_libraries(access-log PRIVATE rill PkgConfig::DEPS)
set_target_properties(access-log PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/examples/access-log)
if(RILL_BUILD_TESTS)
  add_test(NAME example-access-log COMMAND ${CMAKE_CURRENT_LIST_DIR}/test.sh $<TARGET_FILE:access-log>)
  set_tests_properties(example-access-log PROPERTIES TIMEOUT 120)
endif()
if(RILL_BUILD_TESTS)
  # The same job against a rill-broker process (--bootstrap-servers) and
  # serving its embedded log (--listen), checked with kcat.
  add_test(NAME example-access-log-network COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-network.sh
                                                   $<TARGET_FILE:access-log> $<TARGET_FILE:rill-broker>)
  set_tests_properties(example-access-log-network PROPERTIES TIMEOUT 120)
endif()
if(RILL_BUILD_TESTS)
  # The same job as a rill-run pipeline file, checked equal to the C version.
  add_test(NAME example-access-log-rill COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-rill.sh $<TARGET_FILE:access-log>
                                                $<TARGET_FILE:rill-run>)
  set_tests_properties(example-access-log-rill PROPERTIES TIMEOUT 120)
endif()
