rill_sources(config.c loop.c conn.c dispatch.c broker.c
             h-metadata.c h-produce.c h-fetch.c h-list-offsets.c h-admin.c h-configs.c h-misc.c
             group_state.c group_coordinator.c group_store.c group_admin.c group_handlers.c)
