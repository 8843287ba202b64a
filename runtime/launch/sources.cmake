rill_sources(parse.c values.c build.c registry.c elements-io.c elements-kafka.c elements-ops.c fieldops.c)
