rill_sources(stdio.c)
