add_executable(bench-wire ${CMAKE_CURRENT_LIST_DIR}/bench-wire.c)
target_link_libraries(bench-wire PRIVATE rill_internal)
set_target_properties(bench-wire PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
