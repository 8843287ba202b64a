add_executable(bench-windows ${CMAKE_CURRENT_LIST_DIR}/bench-windows.c)
target_link_libraries(bench-windows PRIVATE rill_internal)
set_target_properties(bench-windows PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
