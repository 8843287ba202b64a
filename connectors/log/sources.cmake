rill_sources(murmur2.c log-source.c log-sink.c)
