rill_test(runtime-batch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-batch.c)
rill_test(runtime-pipeline SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-pipeline.c
          TIMEOUT 180)
rill_test(runtime-signals SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-signals.c)
rill_test(runtime-markers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-markers.c)
rill_test(runtime-checkpoint-crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-checkpoint-crash.c TIMEOUT 120)
rill_test(runtime-checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-checkpoint.c)
target_link_libraries(test-runtime-pipeline PRIVATE rill_harness)
target_link_libraries(test-runtime-signals PRIVATE rill_harness)
