rill_sources(error.c paths.c decoder.c source.c sink.c archive-elements.c)
