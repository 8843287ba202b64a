rill_test(runtime-batch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-batch.c)
rill_test(runtime-pipeline SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-pipeline.c ${CMAKE_CURRENT_LIST_DIR}/harness.c
          TIMEOUT 180)
rill_test(runtime-signals SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-signals.c ${CMAKE_CURRENT_LIST_DIR}/harness.c)
rill_test(runtime-markers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-markers.c)
rill_test(runtime-checkpoint-crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-checkpoint-crash.c TIMEOUT 120)
rill_test(runtime-checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-checkpoint.c)
rill_test(runtime-config-table SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-config-table.c)
rill_test(runtime-files SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-files.c)
