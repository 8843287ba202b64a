rill_sources(config-table.c files.c version.c flow.c record.c batch.c waiter.c stream.c closure.c pipeline.c pipeline-http.c task.c checkpoint.c snap.c state-table.c state.c
             sink-stage.c metrics.c signals.c numbers.c epoll-loop.c)
