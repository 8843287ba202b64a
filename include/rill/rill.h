/* rill.h — the umbrella header: include this and link with
 * `pkg-config --cflags --libs rill`. Each module has its own header beside it. */
#pragma once

#include <rill/version.h>
#include <rill/kafka_error.h>
