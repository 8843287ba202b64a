add_executable(rill-gateway ${CMAKE_CURRENT_LIST_DIR}/rill-gateway.c)
target_link_libraries(rill-gateway PRIVATE rill_tool_cli rill)
set_target_properties(rill-gateway PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
install(TARGETS rill-gateway RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
