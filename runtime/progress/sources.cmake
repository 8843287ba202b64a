rill_sources(counters.c line.c progress.c summary.c)
