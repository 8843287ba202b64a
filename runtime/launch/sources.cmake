rill_sources(parse.c error.c build.c registry.c)
