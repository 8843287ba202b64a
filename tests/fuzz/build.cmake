rill_fuzz(recordbatch ${CMAKE_CURRENT_LIST_DIR}/recordbatch.c)
rill_fuzz(wire-request ${CMAKE_CURRENT_LIST_DIR}/wire-request.c)
rill_fuzz(broker-request ${CMAKE_CURRENT_LIST_DIR}/broker-request.c)
rill_fuzz(sasl ${CMAKE_CURRENT_LIST_DIR}/sasl.c)
