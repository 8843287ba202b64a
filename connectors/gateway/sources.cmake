rill_sources(token.c frame.c rules.c server.c storage-log.c storage-kafka.c gateway.c)
