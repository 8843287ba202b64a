rill_sources(crc32c.c batch-header.c compress.c murmur2.c partitioner.c recordbatch-reader.c recordbatch-writer.c arena.c reader.c writer.c codec.c header.c message.c kafka-error.c)

# The message table is compiled into C at build time (gen-messages.py reads
# messages.def); the output lands in build/generated/, on the include path.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(RILL_WIRE_GEN_DIR ${PROJECT_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${RILL_WIRE_GEN_DIR}/wire-messages.h ${RILL_WIRE_GEN_DIR}/wire-messages.c
  COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/gen-messages.py
          ${CMAKE_CURRENT_LIST_DIR}/messages.def ${RILL_WIRE_GEN_DIR}
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/gen-messages.py ${CMAKE_CURRENT_LIST_DIR}/messages.def
  COMMENT "Generating the Kafka message codec tables"
  VERBATIM)
list(APPEND RILL_SOURCES ${RILL_WIRE_GEN_DIR}/wire-messages.c ${RILL_WIRE_GEN_DIR}/wire-messages.h)
