rill_sources(token.c frame.c rules.c server.c gateway.c)
