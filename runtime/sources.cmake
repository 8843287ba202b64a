rill_sources(version.c flow.c record.c batch.c)
