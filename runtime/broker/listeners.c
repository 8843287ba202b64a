/* listeners.c — parsing and binding Kafka-style listeners (listeners.h).
 *
 * Parsing checks what Kafka checks: every listener name is unique and has a
 * protocol in the map; every advertised entry names a listener; ports are
 * unique (0 excepted: each picks its own). Nothing is bound while parsing,
 * so a bad setting leaves no socket behind.
 */
#include "runtime/broker/listeners.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rill/broker.h>

static const char *const protocol_names[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};

int rill__security_protocol_parse(const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS(protocol_names); i++)
    if (g_ascii_strcasecmp(name, protocol_names[i]) == 0)
      return (int)i;
  return -1;
}

const char *rill__security_protocol_name(rill__security_protocol p)
{
  return protocol_names[p];
}

static void listener_free(rill__listener *l)
{
  rill__listener_close(l);
  g_free(l->name);
  g_free(l->bind_host);
  g_free(l->adv_host);
  g_free(l);
}

/* Splits "NAME://host:port" (name may be absent: NULL) or "host:port",
 * "[v6]:port". */
static gboolean split_endpoint(const char *spec, char **name, char **host, int *port, GError **error)
{
  const char *sep = strstr(spec, "://");
  const char *s = sep ? sep + 3 : spec;
  const char *colon = strrchr(s, ':');
  char *end = NULL;
  long p = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || end == colon + 1 || *end || p < 0 || p > 65535 || (sep && sep == spec)) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN,
                "bad listener '%s' (expected NAME://host:port or host:port)", spec);
    return FALSE;
  }
  *name = sep ? g_ascii_strup(spec, sep - spec) : NULL;
  if (*s == '[' && colon > s && colon[-1] == ']')
    *host = g_strndup(s + 1, (gsize)(colon - s - 2));
  else
    *host = g_strndup(s, (gsize)(colon - s));
  *port = (int)p;
  return TRUE;
}

/* The protocol of listener @name under @map ("NAME:PROTO,..."; empty: the
 * standard names map to themselves). -1 when unmapped. */
static int map_protocol(const char *map, const char *name, GError **error)
{
  if (!*map)
    return rill__security_protocol_parse(name);
  g_auto(GStrv) items = g_strsplit(map, ",", -1);
  for (guint i = 0; items[i]; i++) {
    char *item = g_strstrip(items[i]);
    if (!*item)
      continue;
    char *colon = strchr(item, ':');
    if (!colon) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN,
                  "bad listener.security.protocol.map entry '%s' (expected NAME:PROTOCOL)", item);
      return -2;
    }
    *colon = '\0';
    int proto = rill__security_protocol_parse(g_strstrip(colon + 1));
    if (proto < 0) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN,
                  "unknown security protocol '%s' in listener.security.protocol.map", colon + 1);
      return -2;
    }
    if (g_ascii_strcasecmp(g_strstrip(item), name) == 0)
      return proto;
  }
  return -1;
}

GPtrArray *rill__listeners_parse(const rill__broker_settings *s, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)listener_free);
  g_auto(GStrv) items = g_strsplit(s->listeners, ",", -1);
  g_auto(GStrv) adv = g_strsplit(s->advertised_listeners, ",", -1);
  for (guint i = 0; items[i]; i++) {
    char *item = g_strstrip(items[i]);
    if (!*item)
      continue;
    rill__listener *l = g_new0(rill__listener, 1);
    l->fd = -1;
    g_ptr_array_add(out, l);
    if (!split_endpoint(item, &l->name, &l->bind_host, &l->bind_port, error))
      goto fail;
    if (!l->name)
      l->name = g_strdup("PLAINTEXT");
    int proto = map_protocol(s->listener_security_protocol_map, l->name, error);
    if (proto == -2)
      goto fail;
    if (proto < 0) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN,
                  "listener %s has no security protocol (add it to listener.security.protocol.map)", l->name);
      goto fail;
    }
    l->protocol = (rill__security_protocol)proto;
    for (guint j = 0; j + 1 < out->len; j++) {
      rill__listener *o = out->pdata[j];
      if (strcmp(o->name, l->name) == 0 || (l->bind_port && o->bind_port == l->bind_port)) {
        g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN,
                    "listeners %s and %s: each needs its own name and port", o->name, l->name);
        goto fail;
      }
    }
  }
  for (guint i = 0; adv[i]; i++) {
    char *item = g_strstrip(adv[i]);
    if (!*item)
      continue;
    char *name = NULL, *host = NULL;
    int port = 0;
    if (!split_endpoint(item, &name, &host, &port, error))
      goto fail;
    rill__listener *l = NULL;
    for (guint j = 0; j < out->len && !l; j++)
      if (name ? strcmp(((rill__listener *)out->pdata[j])->name, name) == 0 : j == 0)
        l = out->pdata[j];
    if (!l || l->adv_host) {
      g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN,
                  "advertised listener '%s' names no listener, or one named twice", item);
      g_free(name);
      g_free(host);
      goto fail;
    }
    g_free(name);
    l->adv_host = host;
    l->adv_port = port;
  }
  return out;

fail:
  g_ptr_array_unref(out);
  return NULL;
}

gboolean rill__listener_bind(rill__listener *l, GError **error)
{
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  char portstr[16];
  g_snprintf(portstr, sizeof portstr, "%d", l->bind_port);
  int rc = getaddrinfo(*l->bind_host ? l->bind_host : NULL, portstr, &hints, &res);
  if (rc != 0) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN, "%s://%s:%d: %s", l->name, l->bind_host,
                l->bind_port, gai_strerror(rc));
    return FALSE;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
    g_set_error(error, RILL_BROKER_ERROR, RILL_BROKER_ERROR_LISTEN, "listen on %s://%s:%d: %s", l->name,
                l->bind_host, l->bind_port, g_strerror(errno));
    if (fd >= 0)
      close(fd);
    freeaddrinfo(res);
    return FALSE;
  }
  freeaddrinfo(res);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  gboolean v6 = ss.ss_family == AF_INET6;
  l->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
  const void *addr = v6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
  if (!inet_ntop(ss.ss_family, addr, l->host, sizeof l->host))
    g_strlcpy(l->host, l->bind_host, sizeof l->host);
  l->fd = fd;
  if (!l->adv_host || !*l->adv_host) {
    g_free(l->adv_host);
    const char *h = l->bind_host;
    gboolean wildcard = !*h || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0;
    l->adv_host = g_strdup(wildcard ? "127.0.0.1" : h);
  }
  if (!l->adv_port)
    l->adv_port = l->port;
  return TRUE;
}

void rill__listener_close(rill__listener *l)
{
  if (l->fd >= 0) {
    close(l->fd);
    l->fd = -1;
  }
}

gboolean rill__listeners_any_secure(const GPtrArray *listeners)
{
  for (guint i = 0; listeners && i < listeners->len; i++)
    if (((rill__listener *)listeners->pdata[i])->protocol != RILL__SEC_PLAINTEXT)
      return TRUE;
  return FALSE;
}
