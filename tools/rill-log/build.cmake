add_executable(rill-log ${CMAKE_CURRENT_LIST_DIR}/rill-log.c)
target_link_libraries(rill-log PRIVATE rill_tool_cli rill)
set_target_properties(rill-log PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
install(TARGETS rill-log RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
