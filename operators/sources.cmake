rill_sources(map.c filter.c flat_map.c union.c csv.c fields.c parse.c dead-letter.c)
