# The Kafka command-line tools, run as processes against a real rill-broker
# process, cross-checked with kcat and python3-confluent-kafka.
rill_test(tools SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-tools.c TIMEOUT 240)
add_dependencies(test-tools rill-broker rill-topics rill-groups rill-produce rill-consume)
