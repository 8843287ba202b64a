/* prometheus.c — the metrics registry and its text exposition renderer.
 *
 * Invariants:
 * - A scrape runs every collector under the registry lock, so removal (which
 *   takes the lock) waits for a running collector; collectors never run
 *   concurrently with each other.
 * - The writer groups samples by family name, so each family's HELP/TYPE
 *   appears once, followed by all its samples, as the format requires.
 * - Numbers are rendered so that they parse back to the same double, in
 *   the shortest such text (runtime/numbers.h: no "0.10000000000000001").
 */
#include "rill/prometheus.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "runtime/numbers.h"

/* ---- histograms ------------------------------------------------------------------ */

static const guint64 latency_ns_bounds[] = {
  50000,      100000,     250000,     500000,     1000000,    2500000,
  5000000,    10000000,   25000000,   50000000,   100000000,  250000000,
  500000000,  1000000000, 2500000000, 5000000000, 10000000000,
};

void rill_prom_histogram_init(rill_prom_histogram *h, const guint64 *bounds, guint n_bounds, double scale) {
  g_return_if_fail(h != NULL && bounds != NULL && n_bounds <= RILL_PROM_MAX_BUCKETS && scale > 0);
  memset(h, 0, sizeof *h);
  h->bounds = bounds;
  h->n_bounds = n_bounds;
  h->scale = scale;
}

void rill_prom_histogram_init_latency(rill_prom_histogram *h) {
  rill_prom_histogram_init(h, latency_ns_bounds, G_N_ELEMENTS(latency_ns_bounds), 1e-9);
}

void rill_prom_histogram_observe(rill_prom_histogram *h, guint64 value) {
  guint lo = 0, hi = h->n_bounds; /* first bound >= value, or n_bounds (+Inf) */
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (h->bounds[mid] < value)
      lo = mid + 1;
    else
      hi = mid;
  }
  __atomic_fetch_add(&h->counts[lo], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->sum, value, __ATOMIC_RELAXED);
}

/* ---- number and label text ----------------------------------------------------- */

/* Finite values in rill's one number form (runtime/numbers.h: shortest
 * round trip, integers without exponent); the text format's own words for
 * the rest. */
static void append_double(GString *out, double v) {
  /* Most samples are counts: integers print without the round-trip search
   * (a scrape renders thousands of them). */
  if (v == (double)(gint64)v && fabs(v) < 9007199254740992.0) {
    char buf[24], *p = buf + sizeof buf;
    gint64 i = (gint64)v;
    guint64 u = i < 0 ? (guint64)-i : (guint64)i;
    do
      *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (i < 0)
      *--p = '-';
    g_string_append_len(out, p, buf + sizeof buf - p);
    return;
  }
  if (isnan(v))
    g_string_append(out, "NaN");
  else if (isinf(v))
    g_string_append(out, v > 0 ? "+Inf" : "-Inf");
  else
    rill__append_double(out, v);
}

/* @v in observation units times @scale; a division when 1/scale is (nearly:
 * 1/1e-9 is 999999999.99999988) whole, so 1000 ns renders as 1e-06 and not
 * 1.0000000000000002e-06. */
static double scaled(guint64 v, double scale) {
  double inv = round(1.0 / scale);
  if (inv >= 1 && fabs(1.0 / scale - inv) < 1e-6)
    return (double)v / inv;
  return (double)v * scale;
}

static void append_escaped(GString *out, const char *s, gboolean quote) {
  for (const char *p = s; *p; p++) {
    if (*p == '\\')
      g_string_append(out, "\\\\");
    else if (*p == '\n')
      g_string_append(out, "\\n");
    else if (*p == '"' && quote)
      g_string_append(out, "\\\"");
    else
      g_string_append_c(out, *p);
  }
}

static gboolean valid_name(const char *s, gboolean colon_ok) {
  if (!s || !*s || g_ascii_isdigit(*s))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && !(colon_ok && *p == ':'))
      return FALSE;
  return TRUE;
}

/* ---- the writer ------------------------------------------------------------------- */

typedef struct {
  const rill_prom_desc *desc; /* not refcounted: static storage */
  GString *samples;
} family;

struct rill_prom_writer {
  GHashTable *by_name; /* name -> family* (owned by @order) */
  GPtrArray *order;    /* family*, first-reported order */
  GHashTable *les;     /* histogram bounds array -> GStrv of its le texts (one scrape) */
};

static void family_free(gpointer p) {
  family *f = p;
  g_string_free(f->samples, TRUE);
  g_free(f);
}

static family *family_for(rill_prom_writer *w, const rill_prom_desc *desc) {
  family *f = g_hash_table_lookup(w->by_name, desc->name);
  if (f)
    return f;
  if (!valid_name(desc->name, TRUE)) {
    g_critical("rill_prom: invalid metric name '%s'", desc->name ? desc->name : "(null)");
    return NULL;
  }
  f = g_new0(family, 1);
  f->desc = desc;
  f->samples = g_string_new(NULL);
  g_hash_table_insert(w->by_name, (gpointer)desc->name, f);
  g_ptr_array_add(w->order, f);
  return f;
}

/* Appends `{a="x",b="y"` (no closing brace) for the label pairs, or nothing. */
static void append_labels(GString *out, const char *const *labels, gboolean *opened) {
  *opened = FALSE;
  for (guint i = 0; labels && labels[i]; i += 2) {
    if (!labels[i + 1] || !valid_name(labels[i], FALSE)) {
      g_critical("rill_prom: bad label pair at %u", i);
      return;
    }
    g_string_append_c(out, *opened ? ',' : '{');
    *opened = TRUE;
    g_string_append(out, labels[i]);
    g_string_append(out, "=\"");
    append_escaped(out, labels[i + 1], TRUE);
    g_string_append_c(out, '"');
  }
}

static void append_series(GString *out, const char *name, const char *suffix, const char *const *labels,
                          const char *le, double value) {
  gboolean opened;
  g_string_append(out, name);
  g_string_append(out, suffix);
  append_labels(out, labels, &opened);
  if (le) {
    g_string_append(out, opened ? ",le=\"" : "{le=\"");
    g_string_append(out, le);
    g_string_append_c(out, '"');
    opened = TRUE;
  }
  if (opened)
    g_string_append_c(out, '}');
  g_string_append_c(out, ' ');
  append_double(out, value);
  g_string_append_c(out, '\n');
}

void rill_prom_samplev(rill_prom_writer *w, const rill_prom_desc *desc, double value, const char *const *labels) {
  g_return_if_fail(w != NULL && desc != NULL && desc->type != RILL_PROM_HISTOGRAM);
  family *f = family_for(w, desc);
  if (f)
    append_series(f->samples, desc->name, "", labels, NULL, value);
}

/* Collects varargs label pairs into a NULL-terminated array (at most 16 pairs). */
#define MAX_LABELS 16
static void collect_labels(const char **labels, va_list ap) {
  guint n = 0;
  const char *s;
  while ((s = va_arg(ap, const char *)) != NULL && n < MAX_LABELS * 2)
    labels[n++] = s;
  labels[n] = NULL;
}

void rill_prom_sample(rill_prom_writer *w, const rill_prom_desc *desc, double value, ...) {
  const char *labels[MAX_LABELS * 2 + 1];
  va_list ap;
  va_start(ap, value);
  collect_labels(labels, ap);
  va_end(ap);
  rill_prom_samplev(w, desc, value, labels);
}

void rill_prom_sample_histogram(rill_prom_writer *w, const rill_prom_desc *desc, const rill_prom_histogram *h, ...) {
  g_return_if_fail(w != NULL && desc != NULL && desc->type == RILL_PROM_HISTOGRAM && h != NULL);
  const char *labels[MAX_LABELS * 2 + 1];
  va_list ap;
  va_start(ap, h);
  collect_labels(labels, ap);
  va_end(ap);
  family *f = family_for(w, desc);
  if (!f)
    return;
  /* The le texts of a bounds array, formatted once per scrape: histograms
   * per API or per stage share one. (A bounds array has one scale.) */
  char **les = g_hash_table_lookup(w->les, h->bounds);
  if (!les) {
    les = g_new0(char *, h->n_bounds + 2);
    for (guint i = 0; i < h->n_bounds; i++) {
      GString *le = g_string_new(NULL);
      append_double(le, scaled(h->bounds[i], h->scale));
      les[i] = g_string_free(le, FALSE);
    }
    les[h->n_bounds] = g_strdup("+Inf");
    g_hash_table_insert(w->les, (gpointer)h->bounds, les);
  }
  guint64 cumulative = 0;
  for (guint i = 0; i <= h->n_bounds; i++) {
    cumulative += __atomic_load_n(&h->counts[i], __ATOMIC_RELAXED);
    append_series(f->samples, desc->name, "_bucket", labels, les[i], (double)cumulative);
  }
  append_series(f->samples, desc->name, "_sum", labels, NULL,
                scaled(__atomic_load_n(&h->sum, __ATOMIC_RELAXED), h->scale));
  append_series(f->samples, desc->name, "_count", labels, NULL, (double)cumulative);
}

/* ---- the registry ------------------------------------------------------------------ */

typedef struct {
  guint id;
  rill_prom_collect collect;
  gpointer user_data;
  GDestroyNotify destroy;
} collector;

struct rill_prom_registry {
  gint refs;
  GMutex lock;        /* guards @collectors and serialises scrapes */
  GArray *collectors; /* collector */
  guint next_id;
};

rill_prom_registry *rill_prom_registry_new(void) {
  rill_prom_registry *reg = g_new0(rill_prom_registry, 1);
  reg->refs = 1;
  g_mutex_init(&reg->lock);
  reg->collectors = g_array_new(FALSE, FALSE, sizeof(collector));
  reg->next_id = 1;
  return reg;
}

rill_prom_registry *rill_prom_registry_ref(rill_prom_registry *reg) {
  g_return_val_if_fail(reg != NULL, NULL);
  g_atomic_int_inc(&reg->refs);
  return reg;
}

void rill_prom_registry_unref(rill_prom_registry *reg) {
  if (!reg || !g_atomic_int_dec_and_test(&reg->refs))
    return;
  for (guint i = 0; i < reg->collectors->len; i++) {
    collector *c = &g_array_index(reg->collectors, collector, i);
    if (c->destroy)
      c->destroy(c->user_data);
  }
  g_array_unref(reg->collectors);
  g_mutex_clear(&reg->lock);
  g_free(reg);
}

guint rill_prom_registry_add(rill_prom_registry *reg, rill_prom_collect collect, gpointer user_data,
                             GDestroyNotify destroy) {
  g_return_val_if_fail(reg != NULL && collect != NULL, 0);
  g_mutex_lock(&reg->lock);
  collector c = {.id = reg->next_id++, .collect = collect, .user_data = user_data, .destroy = destroy};
  g_array_append_val(reg->collectors, c);
  g_mutex_unlock(&reg->lock);
  return c.id;
}

void rill_prom_registry_remove(rill_prom_registry *reg, guint id) {
  g_return_if_fail(reg != NULL);
  collector found = {0};
  g_mutex_lock(&reg->lock);
  for (guint i = 0; i < reg->collectors->len; i++) {
    if (g_array_index(reg->collectors, collector, i).id == id) {
      found = g_array_index(reg->collectors, collector, i);
      g_array_remove_index(reg->collectors, i);
      break;
    }
  }
  g_mutex_unlock(&reg->lock);
  if (found.destroy)
    found.destroy(found.user_data);
}

static const char *type_name(rill_prom_type t) {
  switch (t) {
  case RILL_PROM_COUNTER:
    return "counter";
  case RILL_PROM_GAUGE:
    return "gauge";
  case RILL_PROM_HISTOGRAM:
    return "histogram";
  }
  return "untyped";
}

char *rill_prom_registry_render(rill_prom_registry *reg) {
  g_return_val_if_fail(reg != NULL, NULL);
  rill_prom_writer w = {
    .by_name = g_hash_table_new(g_str_hash, g_str_equal),
    .order = g_ptr_array_new_with_free_func(family_free),
    .les = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_strfreev),
  };
  g_mutex_lock(&reg->lock);
  for (guint i = 0; i < reg->collectors->len; i++) {
    collector *c = &g_array_index(reg->collectors, collector, i);
    c->collect(&w, c->user_data);
  }
  g_mutex_unlock(&reg->lock);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < w.order->len; i++) {
    family *f = w.order->pdata[i];
    g_string_append_printf(out, "# HELP %s ", f->desc->name);
    append_escaped(out, f->desc->help ? f->desc->help : "", FALSE);
    g_string_append_printf(out, "\n# TYPE %s %s\n", f->desc->name, type_name(f->desc->type));
    g_string_append_len(out, f->samples->str, (gssize)f->samples->len);
  }
  g_hash_table_unref(w.by_name);
  g_ptr_array_unref(w.order);
  g_hash_table_unref(w.les);
  return g_string_free(out, FALSE);
}

static void serve_metrics(const rill_http_request *req, rill_http_response *resp, gpointer user_data) {
  char *text = rill_prom_registry_render(user_data);
  resp->content_type = RILL_PROM_CONTENT_TYPE;
  g_string_append(resp->body, text);
  g_free(text);
}

void rill_prom_registry_serve(rill_prom_registry *reg, rill_http_server *server, const char *path) {
  g_return_if_fail(reg != NULL && server != NULL && path != NULL);
  rill_http_server_add_handler(server, path, serve_metrics, rill_prom_registry_ref(reg),
                               (GDestroyNotify)rill_prom_registry_unref);
}
