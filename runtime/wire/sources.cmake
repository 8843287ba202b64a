rill_sources(crc32c.c)
