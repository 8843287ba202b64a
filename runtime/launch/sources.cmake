rill_sources(parse.c values.c build.c registry.c)
