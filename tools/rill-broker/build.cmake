add_executable(rill-broker ${CMAKE_CURRENT_LIST_DIR}/rill-broker.c)
target_link_libraries(rill-broker PRIVATE rill_tool_cli rill)
set_target_properties(rill-broker PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
install(TARGETS rill-broker RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
