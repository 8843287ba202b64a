add_executable(bench-checkpoint ${CMAKE_CURRENT_LIST_DIR}/bench-checkpoint.c)
target_link_libraries(bench-checkpoint PRIVATE rill_internal)
set_target_properties(bench-checkpoint PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
