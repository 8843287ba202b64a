rill_fuzz(recordbatch ${CMAKE_CURRENT_LIST_DIR}/recordbatch.c)
