# Install + pkg-config + compile a consumer outside the tree. Label
# no-sanitize: in the sanitizer build the installed library is instrumented
# and a plain `cc` program cannot link it.
add_test(NAME install-pkg-config
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-install.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(install-pkg-config PROPERTIES TIMEOUT 120 LABELS no-sanitize)
# Installed tools start without LD_LIBRARY_PATH (RPATH $ORIGIN/../lib) and
# all answer --version / -V.
add_test(NAME install-tools COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-install-tools.sh ${PROJECT_BINARY_DIR})
set_tests_properties(install-tools PROPERTIES TIMEOUT 120 LABELS no-sanitize)
