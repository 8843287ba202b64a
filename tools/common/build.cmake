# What every tool shares (--version, --log-format): an object library, so
# its objects come first on any tool's link line, before the shared or the
# internal rill library that provides rill_version_string().
add_library(rill_tool_cli OBJECT ${CMAKE_CURRENT_LIST_DIR}/cli.c)
target_link_libraries(rill_tool_cli PUBLIC PkgConfig::GLIB)
target_include_directories(rill_tool_cli PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/include)

# Shared code of the Kafka command-line tools (option parsing, connection,
# exit codes, record formatting). Links the internal library: the tools use
# the client core, which is not public API.
add_library(rill_tool_common STATIC ${CMAKE_CURRENT_LIST_DIR}/tool.c ${CMAKE_CURRENT_LIST_DIR}/format.c)
target_link_libraries(rill_tool_common PUBLIC rill_internal rill_tool_cli)
target_include_directories(rill_tool_common PUBLIC ${CMAKE_CURRENT_LIST_DIR})

# rill_kafka_tool(NAME) — tools/NAME/NAME.c linked with the shared code.
function(rill_kafka_tool name)
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tools/${name}/${name}.c)
  target_link_libraries(${name} PRIVATE rill_tool_common)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
