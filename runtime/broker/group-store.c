/* group-store.c — group metadata on disk, so groups survive a broker
 * restart. One file per group in the coordinator's state dir, named by the
 * hex of the group id plus ".group" (the log keeps the group's committed
 * offsets beside it as ".offsets"; each ignores the other's files). Written
 * with the atomic replace of runtime/files.c (write temp, fsync, rename, fsync dir)
 * whenever a group becomes Stable or Empty, so a crash leaves the previous
 * or the new snapshot. Generations in between (CompletingRebalance) are not
 * written: after a restart their members get ILLEGAL_GENERATION and rejoin.
 *
 * Layout, integers big-endian; str = int16 length (-1 null) + bytes,
 * bytes = int32 length + bytes:
 *   OFFSET SIZE FIELD
 *   0      4    magic "RLGM"
 *   4      2    version (1)
 *   6      1    state (0 Empty, 3 Stable)
 *   7      4    generation
 *   11     ...  str protocol type, str protocol name, str leader,
 *               int32 member count, then per member:
 *                 str member id, str instance id, str client id,
 *                 str client host, int32 session timeout,
 *                 int32 rebalance timeout, bytes metadata (of the selected
 *                 protocol), bytes assignment
 *   end-4  4    CRC-32C of every byte before it
 */
#include "runtime/broker/group-private.h"

#include "runtime/files.h"
#include "runtime/wire/batch-header.h"
#include "runtime/wire/crc32c.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static char *group_path(rill__group_coordinator *c, const char *group)
{
  GString *s = g_string_new(c->state_dir);
  g_string_append_c(s, '/');
  for (const char *p = group; *p; p++)
    g_string_append_printf(s, "%02x", (guint8)*p);
  g_string_append(s, ".group");
  return g_string_free(s, FALSE);
}

static void put_u32(GByteArray *b, uint32_t v)
{
  uint8_t t[4];
  rill_put_be32(t, v);
  g_byte_array_append(b, t, 4);
}

static void put_str(GByteArray *b, const char *s)
{
  uint8_t t[2];
  size_t n = s ? MIN(strlen(s), 32767) : 0;
  rill_put_be16(t, s ? (uint16_t)n : 0xffff);
  g_byte_array_append(b, t, 2);
  if (s)
    g_byte_array_append(b, (const guint8 *)s, (guint)n);
}

static void put_bytes(GByteArray *b, GBytes *v)
{
  gsize n = 0;
  const void *p = v ? g_bytes_get_data(v, &n) : NULL;
  put_u32(b, (uint32_t)n);
  if (n)
    g_byte_array_append(b, p, (guint)n);
}

void rill__group_store(rill__group_coordinator *c, rill__group *g)
{
  if (!c->state_dir)
    return;
  GByteArray *b = g_byte_array_new();
  g_byte_array_append(b, (const guint8 *)"RLGM\0\1", 6);
  guint8 state = (guint8)g->state;
  g_byte_array_append(b, &state, 1);
  put_u32(b, (uint32_t)g->generation);
  put_str(b, g->protocol_type);
  put_str(b, g->protocol_name);
  put_str(b, g->leader_id);
  put_u32(b, g->members->len);
  for (guint i = 0; i < g->members->len; i++) {
    rill__group_member *m = g_ptr_array_index(g->members, i);
    put_str(b, m->member_id);
    put_str(b, m->instance_id);
    put_str(b, m->client_id);
    put_str(b, m->client_host);
    put_u32(b, (uint32_t)m->session_timeout_ms);
    put_u32(b, (uint32_t)m->rebalance_timeout_ms);
    put_bytes(b, rill__group_member_metadata(m, g->protocol_name));
    put_bytes(b, m->assignment);
  }
  put_u32(b, rill__crc32c(0, b->data, b->len));
  g_autofree char *path = group_path(c, g->id);
  const char *what = NULL;
  int rc = rill__file_replace(path, b->data, b->len, &what);
  if (rc != 0)
    g_warning("group %s: metadata not persisted: %s %s: %s", g->id, what, path, g_strerror(-rc));
  g_byte_array_unref(b);
}

gboolean rill__group_store_remove(rill__group_coordinator *c, const char *group_id, GError **error)
{
  if (!c->state_dir)
    return TRUE;
  g_autofree char *path = group_path(c, group_id);
  if (unlink(path) != 0) {
    if (errno == ENOENT)
      return TRUE;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot remove %s: %s", path, g_strerror(errno));
    return FALSE;
  }
  int rc = rill__dir_fsync(c->state_dir);
  if (rc != 0)
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-rc), "cannot fsync directory %s: %s", c->state_dir,
                g_strerror(-rc));
  return rc == 0;
}

/* ---- parsing ---- */

typedef struct {
  const uint8_t *p, *end;
  bool bad;
} cursor;

static uint32_t get_u32(cursor *k)
{
  if (k->end - k->p < 4) {
    k->bad = true;
    return 0;
  }
  uint32_t v = rill__be32(k->p);
  k->p += 4;
  return v;
}

static char *get_str(cursor *k)
{
  if (k->end - k->p < 2) {
    k->bad = true;
    return NULL;
  }
  uint16_t n = rill__be16(k->p);
  k->p += 2;
  if (n == 0xffff)
    return NULL;
  if (k->end - k->p < n) {
    k->bad = true;
    return NULL;
  }
  char *s = g_strndup((const char *)k->p, n);
  k->p += n;
  return s;
}

static GBytes *get_bytes(cursor *k)
{
  uint32_t n = get_u32(k);
  if (k->bad || (uint64_t)(k->end - k->p) < n) {
    k->bad = true;
    return NULL;
  }
  GBytes *b = g_bytes_new(k->p, n);
  k->p += n;
  return b;
}

static rill__group *parse(const char *id, const uint8_t *data, size_t len, int64_t now)
{
  if (len < 15 || memcmp(data, "RLGM\0\1", 6) != 0 || rill__crc32c(0, data, len - 4) != rill__be32(data + len - 4))
    return NULL;
  cursor k = {data + 7, data + len - 4, false};
  rill__group *g = rill__group_new(id);
  g->state = data[6] == RILL__GROUP_STABLE ? RILL__GROUP_STABLE : RILL__GROUP_EMPTY;
  g->generation = (int32_t)get_u32(&k);
  g->protocol_type = get_str(&k);
  g->protocol_name = get_str(&k);
  g->leader_id = get_str(&k);
  uint32_t n = get_u32(&k);
  for (uint32_t i = 0; i < n && !k.bad; i++) {
    g_autofree char *member_id = get_str(&k);
    g_autofree char *instance_id = get_str(&k);
    g_autofree char *client_id = get_str(&k);
    g_autofree char *client_host = get_str(&k);
    rill__group_join_request req = {
      .group_instance_id = instance_id,
      .client_id = client_id,
      .client_host = client_host,
      .session_timeout_ms = (int32_t)get_u32(&k),
      .rebalance_timeout_ms = (int32_t)get_u32(&k),
    };
    g_autoptr(GBytes) md = get_bytes(&k);
    GBytes *assignment = get_bytes(&k);
    if (k.bad || !member_id || !g->protocol_name) {
      k.bad = true;
      if (assignment)
        g_bytes_unref(assignment);
      break;
    }
    gsize mdlen;
    const void *mdp = g_bytes_get_data(md, &mdlen);
    rill__group_protocol proto = {g->protocol_name, mdp, mdlen};
    req.protocols = &proto;
    req.n_protocols = 1;
    rill__group_member *m = rill__group_member_new(member_id, &req);
    m->assignment = assignment;
    m->synced = true;
    m->expires_at = now + m->session_timeout_ms;
    g_ptr_array_add(g->members, m);
  }
  if (k.bad || k.p != k.end || (g->state == RILL__GROUP_STABLE) != (g->members->len > 0)) {
    rill__group_free(g);
    return NULL;
  }
  return g;
}

gboolean rill__group_store_load(rill__group_coordinator *c, GError **error)
{
  if (!c->state_dir)
    return TRUE;
  if (g_mkdir_with_parents(c->state_dir, 0755) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", c->state_dir,
                g_strerror(errno));
    return FALSE;
  }
  g_autoptr(GDir) d = g_dir_open(c->state_dir, 0, error);
  if (!d)
    return FALSE;
  int64_t now = rill__group_now(c);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".group"))
      continue;
    size_t hex = strlen(name) - strlen(".group");
    bool ok = hex % 2 == 0;
    for (size_t i = 0; ok && i < hex; i++)
      ok = g_ascii_isxdigit(name[i]);
    if (!ok)
      continue;
    g_autofree char *id = g_malloc(hex / 2 + 1);
    for (size_t i = 0; i < hex / 2; i++)
      id[i] = (char)(g_ascii_xdigit_value(name[2 * i]) << 4 | g_ascii_xdigit_value(name[2 * i + 1]));
    id[hex / 2] = '\0';
    g_autofree char *path = g_build_filename(c->state_dir, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    rill__group *g = NULL;
    if (g_file_get_contents(path, &data, &len, NULL))
      g = parse(id, (const uint8_t *)data, len, now);
    if (!g) {
      g_warning("%s: corrupt group metadata, group %s starts empty", path, id);
      continue;
    }
    for (guint i = 0; i < g->members->len; i++)
      rill__group_schedule(c, ((rill__group_member *)g_ptr_array_index(g->members, i))->expires_at);
    g_hash_table_replace(c->groups, g->id, g);
  }
  return TRUE;
}
