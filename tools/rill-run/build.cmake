add_executable(rill-run ${CMAKE_CURRENT_LIST_DIR}/rill-run.c ${CMAKE_CURRENT_LIST_DIR}/status.c)
target_link_libraries(rill-run PRIVATE rill_tool_cli rill)
set_target_properties(rill-run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
install(TARGETS rill-run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
