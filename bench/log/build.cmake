add_executable(bench-log ${CMAKE_CURRENT_LIST_DIR}/bench-log.c)
target_link_libraries(bench-log PRIVATE rill_internal)
set_target_properties(bench-log PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
