# Install + pkg-config + compile a consumer outside the tree. Label
# no-sanitize: in the sanitizer build the installed library is instrumented
# and a plain `cc` program cannot link it.
add_test(NAME install-pkg-config
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-install.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(install-pkg-config PROPERTIES TIMEOUT 120 LABELS no-sanitize)
