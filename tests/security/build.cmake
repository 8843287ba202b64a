rill_test(security-listeners SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-listeners.c)
rill_test(security-scram SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-scram.c)
# Interop scripts: real clients against a real rill-broker with TLS, SASL
# and ACLs (secbroker.py makes the certificates with the openssl CLI).
set(_security ${CMAKE_CURRENT_LIST_DIR})
function(rill_security_script name)
  add_test(NAME ${name} COMMAND ${ARGN} WORKING_DIRECTORY ${_security})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS interop
    ENVIRONMENT "RILL_BINARY_DIR=${PROJECT_BINARY_DIR};PYTHONPATH=${_security}:${PROJECT_SOURCE_DIR}/tests/interop;PYTHONDONTWRITEBYTECODE=1")
endfunction()
rill_security_script(security-confluent /usr/bin/python3 ${_security}/test-confluent.py)
pkg_check_modules(RDKAFKA_SEC REQUIRED IMPORTED_TARGET rdkafka)
rill_test(security-client-mock SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-client-mock.c TIMEOUT 50)
target_link_libraries(test-security-client-mock PRIVATE PkgConfig::RDKAFKA_SEC)
rill_security_script(security-rill-client /usr/bin/python3 ${_security}/test-rill-client.py)
rill_security_script(security-kcat-kafka-python /usr/bin/python3 ${_security}/test-kcat-kafka-python.py)
rill_security_script(security-kafkajs /usr/bin/python3 ${_security}/test-kafkajs.py)
rill_test(security-acl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-acl.c)
