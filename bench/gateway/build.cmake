add_executable(bench-gateway ${CMAKE_CURRENT_LIST_DIR}/bench-gateway.c)
target_link_libraries(bench-gateway PRIVATE rill_internal)
set_target_properties(bench-gateway PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
