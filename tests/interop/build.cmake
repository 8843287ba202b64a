# Interop and robustness tests: each starts a real rill-broker process
# (tests/interop/rillbroker.py or brokerproc.h) on 127.0.0.1 port 0 and drives
# it with a real client. Label: interop.
set(_interop ${CMAKE_CURRENT_LIST_DIR})

# rill_interop_script(NAME COMMAND...) — a script test; rill-broker must be built.
function(rill_interop_script name)
  add_test(NAME ${name} COMMAND ${ARGN} WORKING_DIRECTORY ${_interop})
  set_tests_properties(${name} PROPERTIES TIMEOUT 150 LABELS interop
    ENVIRONMENT "RILL_BINARY_DIR=${PROJECT_BINARY_DIR};PYTHONPATH=${_interop};PYTHONDONTWRITEBYTECODE=1")
endfunction()

rill_interop_script(interop-kcat /usr/bin/python3 ${_interop}/test-kcat.py)
rill_interop_script(interop-confluent /usr/bin/python3 ${_interop}/test-confluent.py)
rill_interop_script(interop-kafka-python /usr/bin/python3 ${_interop}/test-kafka-python.py)
# kafkajs comes from npm (tests/interop/package.json; .ci/deps installs it).
# Always registered: without node_modules/kafkajs the test fails (it must not
# pass by being absent).
rill_interop_script(interop-kafkajs /usr/bin/python3 ${_interop}/rillbroker.py
  --set num.partitions=2 --set group.initial.rebalance.delay.ms=500 -- /usr/bin/node ${_interop}/test-kafkajs.js)
rill_test(interop-robustness SOURCES ${_interop}/test-robustness.c TIMEOUT 150 LABELS interop)
rill_interop_script(interop-crash /usr/bin/python3 ${_interop}/test-crash.py)
