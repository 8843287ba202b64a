add_executable(bench-nexmark ${CMAKE_CURRENT_LIST_DIR}/bench-nexmark.c ${CMAKE_CURRENT_LIST_DIR}/generator.c
               ${CMAKE_CURRENT_LIST_DIR}/queries-rill.c ${CMAKE_CURRENT_LIST_DIR}/queries-hand.c)
target_link_libraries(bench-nexmark PRIVATE rill_internal m)
set_target_properties(bench-nexmark PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
