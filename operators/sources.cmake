rill_sources(map.c filter.c flat_map.c union.c)
