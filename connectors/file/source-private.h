/* source-private.h — the file source's test seam: what follow mode does
 * when a pass over its files found nothing new.
 *
 * By default it sleeps poll_ms (waking early when the pipeline stops). A
 * test installs an idle hook instead, so that it decides when the next pass
 * runs (a fake clock) and never sleeps: the hook is called on the source
 * task's thread after each idle pass and the next pass starts when it
 * returns. Set it before the pipeline starts; it is not synchronized.
 */
#pragma once

#include <rill/file.h>

/* Called instead of the idle sleep; @ctx is the source task's. */
typedef void (*rill__file_idle_fn)(rill_ctx *ctx, void *user_data);

/* (transfer none) @user_data, which must outlive the pipeline. NULL @fn
 * restores the sleep. */
void rill__file_source_set_idle_hook(rill_file_source *source, rill__file_idle_fn fn, void *user_data);
