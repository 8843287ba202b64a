rill_sources(map.c filter.c flat_map.c union.c keyby.c watermark.c aggregate.c window.c window_panes.c
             window_session.c)
