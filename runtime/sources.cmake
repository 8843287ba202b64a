rill_sources(version.c)
