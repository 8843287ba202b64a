rill_test(nexmark-generator SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-generator.c
          ${PROJECT_SOURCE_DIR}/bench/nexmark/generator.c)
target_link_libraries(test-nexmark-generator PRIVATE m)

# Every query's rill output checked against the hand-written one on a slow
# event rate (10 events/s: 3,000 windows, bids at exact window ends, so Q7's
# BETWEEN boundary is exercised) with P = 3; bench-nexmark exits 1 on a
# checksum mismatch. No timing is asserted.
if(RILL_BUILD_BENCH)
  add_test(NAME nexmark-queries COMMAND bench-nexmark -n 300000 --rate 10 --runs 1 -p 3)
  set_tests_properties(nexmark-queries PROPERTIES TIMEOUT 120 LABELS operators)
endif()
