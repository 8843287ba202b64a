# Connector tests: real archives made by the system tools (tar, gzip, bzip2,
# xz, zstd, zip, 7z — see .ci/deps) and by libarchive, read back and checked
# against what the test wrote.
rill_test(archive-source SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-archive-source.c
          ${CMAKE_CURRENT_LIST_DIR}/archive-harness.c TIMEOUT 120)
rill_test(archive-sink SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-archive-sink.c
          ${CMAKE_CURRENT_LIST_DIR}/archive-harness.c TIMEOUT 120)
rill_test(progress SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-progress.c ${CMAKE_CURRENT_LIST_DIR}/archive-harness.c)
