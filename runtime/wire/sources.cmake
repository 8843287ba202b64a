rill_sources(crc32c.c batch_header.c)
