add_executable(hello ${CMAKE_CURRENT_LIST_DIR}/hello.c)
target_link_libraries(hello PRIVATE rill)
target_compile_definitions(hello PRIVATE HELLO_DATA="${CMAKE_CURRENT_LIST_DIR}/greetings.txt")
set_target_properties(hello PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/examples/hello)
