/* child.h — peers a benchmark starts (rill-broker, scrapers) die with it.
 *
 * A benchmark that ends on an error (bench_die's exit, a crash, a kill)
 * must not leave its rill-broker running: the next run's numbers would
 * share the CPUs with it. Passed as g_spawn's child setup, bench_child_setup
 * asks the kernel for SIGTERM when the parent goes (PR_SET_PDEATHSIG), and
 * a child whose parent already went before that exits at once.
 *
 * The signal follows the thread that spawned the child: spawn from the
 * benchmark's main thread (every bench here does). */
#pragma once

#include <glib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

/* g_spawn child setup (runs in the child between fork and exec); pass the
 * parent's pid: GINT_TO_POINTER(getpid()). */
static inline void bench_child_setup(gpointer parent)
{
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != (pid_t)GPOINTER_TO_INT(parent))
    _exit(127);
}
