rill_sources(atomic-file.c topic-config.c fd-cache.c segment.c fetch.c partition.c producer-state.c group-offsets.c log.c scrub.c)
