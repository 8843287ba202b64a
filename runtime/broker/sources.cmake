rill_sources(group_state.c group_coordinator.c group_store.c group_admin.c)
