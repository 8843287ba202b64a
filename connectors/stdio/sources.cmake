rill_sources(stdio.c stdio-elements.c)
