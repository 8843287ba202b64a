# Launch text: pipelines written as strings run on real files and logs with
# hand-written expected output; bad texts rejected with located messages;
# rill-run's exit codes and docs/rill-run.md's element reference.
rill_test(launch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-launch.c ${PROJECT_SOURCE_DIR}/tests/connectors/util.c)
rill_test(rill-run SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-rill-run.c ${PROJECT_SOURCE_DIR}/tests/connectors/util.c)
add_dependencies(test-rill-run rill-run)
# kafka-src / kafka-sink against a rill-broker process, checked with kcat.
rill_test(launch-kafka SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-launch-kafka.c TIMEOUT 60)
add_dependencies(test-launch-kafka rill-broker)
# rill-run while a job runs: live output with a slow producer, signals,
# progress in the summary, --version.
rill_test(rill-run-live SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-rill-run-live.c ${PROJECT_SOURCE_DIR}/tests/connectors/util.c)
add_dependencies(test-rill-run-live rill-run rill-broker rill-topics rill-produce)
# rill-run on plain text and formats: line filter, regex-parse, CSV, sink
# conversion, numbers (the binary on real files, hand-written outputs).
rill_test(rill-run-text SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-rill-run-text.c
          ${PROJECT_SOURCE_DIR}/tests/connectors/util.c)
add_dependencies(test-rill-run-text rill-run)
