/* credentials.h — the broker's SCRAM credential store (KIP-84, KIP-554).
 *
 * One credential per (user, mechanism): salt, iterations, StoredKey and
 * ServerKey, never a password. The store lives in memory and in one file,
 * <data dir>/.security/scram-credentials, replaced atomically (write temp,
 * fsync, rename, fsync dir) on every change, so a change acknowledged to a
 * client survives a crash and a half-written file is never read.
 *
 * File format, one line per credential (user names base64 so any name
 * round-trips):  base64(user) SP mechanism SP iterations SP salt64 SP stored64 SP server64
 *
 * Threads: the broker's I/O thread only (a change writes the file there:
 * credential changes are rare administrative calls).
 */
#pragma once

#include <glib.h>

#include "runtime/security/scram.h"

typedef struct rill__credentials rill__credentials;

/* Loads the store (@dir is created with the first credential). NULL with @error
 * (RILL_BROKER_ERROR_CONFIG) on an unreadable or malformed file. */
rill__credentials *rill__credentials_open(const char *dir, GError **error);
void rill__credentials_free(rill__credentials *c);

gboolean rill__credentials_lookup(rill__credentials *c, const char *user, rill__scram_mech mech,
                                  rill__scram_credential *out);
/* TRUE when @user has any credential. */
gboolean rill__credentials_has_user(rill__credentials *c, const char *user);
/* Adds or replaces, then persists. On a write failure nothing changes. */
gboolean rill__credentials_set(rill__credentials *c, const char *user, const rill__scram_credential *cred,
                               GError **error);
/* Removes and persists; FALSE without @error set when there was none. */
gboolean rill__credentials_delete(rill__credentials *c, const char *user, rill__scram_mech mech, GError **error);
/* Sorted user names. (transfer full: g_strfreev) */
char **rill__credentials_users(rill__credentials *c);
/* Reads a bootstrap file of "user:password" lines ('#' comments); users
 * that have no credential yet get SCRAM-SHA-256 and SCRAM-SHA-512 ones
 * with 4096 iterations. Returns the number added, -1 with @error. */
int rill__credentials_bootstrap(rill__credentials *c, const char *path, GError **error);
