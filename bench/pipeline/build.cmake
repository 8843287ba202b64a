add_executable(bench-pipeline ${CMAKE_CURRENT_LIST_DIR}/bench-pipeline.c)
target_link_libraries(bench-pipeline PRIVATE rill_internal)
set_target_properties(bench-pipeline PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
