rill_sources(crc32c.c batch_header.c compress.c recordbatch_reader.c recordbatch_writer.c)
