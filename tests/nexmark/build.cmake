rill_test(nexmark-generator SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-generator.c
          ${PROJECT_SOURCE_DIR}/bench/nexmark/generator.c)
target_link_libraries(test-nexmark-generator PRIVATE m)
