rill_sources(config.c loop.c conn.c dispatch.c broker.c stats.c http.c listeners.c tls.c security.c credentials.c sasl.c acl.c h-acls.c
             h-metadata.c h-produce.c h-fetch.c h-list-offsets.c h-admin.c h-configs.c h-misc.c
             group-state.c group-coordinator.c group-store.c group-admin.c group-handlers.c)
