rill_sources(log-source.c log-sink.c log-elements.c)
