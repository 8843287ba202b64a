rill_sources(map.c filter.c flat_map.c union.c join.c join_window.c join_interval.c join_table.c join_table_file.c)
