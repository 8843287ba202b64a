# Examples run as users run them; expected output written by hand.
add_test(NAME example-hello
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run-and-compare.sh ${CMAKE_CURRENT_LIST_DIR}/hello.expected
                 $<TARGET_FILE:hello>)
set_tests_properties(example-hello PROPERTIES TIMEOUT 60)
