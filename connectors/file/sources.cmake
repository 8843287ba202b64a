rill_sources(format.c reader.c source.c encode.c sink.c file-elements.c)
