rill_sources(elements.c)
