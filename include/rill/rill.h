/* rill.h — the umbrella header: include this and link with
 * `pkg-config --cflags --libs rill`. Each module has its own header beside it. */
#pragma once

#include <rill/version.h>
#include <rill/flow.h>
#include <rill/record.h>
#include <rill/batch.h>
#include <rill/stream.h>
#include <rill/operator.h>
#include <rill/source.h>
#include <rill/sink.h>
#include <rill/metrics.h>
#include <rill/pipeline.h>
#include <rill/checkpoint.h>
#include <rill/keyed.h>
#include <rill/time.h>
#include <rill/aggregate.h>
#include <rill/window.h>
#include <rill/state.h>
#include <rill/dedupe.h>
#include <rill/topn.h>
#include <rill/join.h>
#include <rill/log.h>
#include <rill/log-connector.h>
#include <rill/kafka-error.h>
#include <rill/dead-letter.h>
#include <rill/fields.h>
#include <rill/file.h>
#include <rill/stdio.h>
#include <rill/progress.h>
#include <rill/archive.h>
#include <rill/kafka.h>
#include <rill/launch.h>
#include <rill/elements.h>
#include <rill/http.h>
#include <rill/prometheus.h>
#include <rill/gateway.h>
