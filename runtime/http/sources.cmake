rill_sources(server.c prometheus.c)
