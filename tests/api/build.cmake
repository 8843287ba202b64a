# The shared library exports the public API and nothing else (nm -D).
add_test(NAME api-exports
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/check-exports.py $<TARGET_FILE:rill> ${PROJECT_SOURCE_DIR}/include)
