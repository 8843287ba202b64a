rill_sources(scram.c)
