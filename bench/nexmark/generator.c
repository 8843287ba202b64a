/* generator.c — NEXMark events (generator.h), draw for draw as the Flink
 * nexmark generator (PersonGenerator, AuctionGenerator, BidGenerator,
 * StringsGenerator, PriceGenerator) with the seeding of docs/nexmark-spec.md §4.
 *
 * Invariant: the order and number of random draws per event is exactly the
 * Java one (each helper says which draws it makes); changing it changes
 * every later field of the event.
 */
#include "bench/nexmark/generator.h"

#include <math.h>
#include <stdio.h>

#define NX_T 50 /* person + auction + bid proportions: 1 + 3 + 46 */
#define NX_PP 1
#define NX_AP 3
#define FIRST_ID 1000
#define FIRST_CATEGORY 10
#define NUM_CATEGORIES 5
#define ACTIVE_PEOPLE 1000
#define IN_FLIGHT_AUCTIONS 100
#define ID_LEAD 10
#define HOT_RATIO 100
#define EXTRA_LEN (1 << 20)
#define N_CHANNELS 10000
#define DEFAULT_BASE_TIME 1436918400000LL

struct nx_generator {
  nx_config config;
  double delay_us;
  char *extra;                 /* R: EXTRA_LEN chars */
  char hot_urls[4][128];
  char (*urls)[128];           /* N_CHANNELS */
  uint8_t url_len[4 + N_CHANNELS];
  char channel_names[N_CHANNELS][16];
  uint8_t channel_len[N_CHANNELS];
};

/* ---- SplittableRandom --------------------------------------------------- */

uint64_t nx_mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int32_t nx_mix32(uint64_t z)
{
  z = (z ^ (z >> 33)) * 0x62a9d9ed799705f5ULL;
  return (int32_t)(uint32_t)(((z ^ (z >> 28)) * 0xcb24d0a5c88c35b3ULL) >> 32);
}

static inline uint64_t next_seed(nx_random *r)
{
  return r->seed += NX_GOLDEN_GAMMA;
}

int32_t nx_next_int(nx_random *r)
{
  return nx_mix32(next_seed(r));
}

int32_t nx_next_int_bound(nx_random *r, int32_t bound)
{
  int32_t rr = nx_mix32(next_seed(r));
  int32_t m = bound - 1;
  if ((bound & m) == 0)
    return rr & m;
  /* Java: for (u = r >>> 1; u + m - (r = u % bound) < 0; u = mix32(next) >>> 1); */
  for (uint32_t u = (uint32_t)rr >> 1;; u = (uint32_t)nx_mix32(next_seed(r)) >> 1) {
    rr = (int32_t)(u % (uint32_t)bound);
    if ((int32_t)(u + (uint32_t)m - (uint32_t)rr) >= 0)
      return rr;
  }
}

double nx_next_double(nx_random *r)
{
  return (double)(nx_mix64(next_seed(r)) >> 11) * 0x1.0p-53;
}

int64_t nx_next_long(nx_random *r)
{
  return (int64_t)nx_mix64(next_seed(r));
}

/* ---- strings and prices ------------------------------------------------- */

/* nextString(max, sp) into @out; returns the trimmed length. Draws
 * 1 + len * (1 or 2). */
static uint32_t next_string(nx_random *r, int max, char sp, char *out)
{
  int len = 3 + nx_next_int_bound(r, max - 3);
  for (int i = 0; i < len; i++)
    out[i] = nx_next_int_bound(r, 13) == 0 ? sp : (char)('a' + nx_next_int_bound(r, 26));
  int start = 0;
  while (start < len && out[start] == ' ')
    start++;
  while (len > start && out[len - 1] == ' ')
    len--;
  if (start)
    memmove(out, out + start, (size_t)(len - start));
  return (uint32_t)(len - start);
}

/* Math.round(10^(nextDouble()*6) * 100): one draw. */
static int64_t next_price(nx_random *r)
{
  return llround(pow(10.0, nx_next_double(r) * 6.0) * 100.0);
}

/* nextExtra(cur, avg): zero, one or two draws. */
static nx_str next_extra(const nx_generator *g, nx_random *r, int cur, int avg)
{
  nx_str s = {g->extra, 0};
  if (cur > avg)
    return s;
  int d = avg - cur;
  int delta = (int)llround(d * 0.2);
  int size = d - delta + (delta ? nx_next_int_bound(r, 2 * delta) : 0);
  s.p = g->extra + nx_next_int_bound(r, EXTRA_LEN - size);
  s.len = (uint32_t)size;
  return s;
}

/* ---- ids ---------------------------------------------------------------- */

static int64_t last_person(int64_t e)
{
  int64_t epoch = e / NX_T, off = e % NX_T;
  return epoch * NX_PP + (off >= NX_PP ? NX_PP - 1 : off);
}

static int64_t last_auction(int64_t e)
{
  int64_t epoch = e / NX_T, off = e % NX_T;
  if (off < NX_PP) {
    epoch--;
    off = NX_AP - 1;
  } else if (off >= NX_PP + NX_AP) {
    off = NX_AP - 1;
  } else {
    off -= NX_PP;
  }
  return epoch * NX_AP + off;
}

static int64_t next_person(nx_random *r, int64_t e)
{
  int64_t n = last_person(e) + 1;
  int64_t a = MIN(n, ACTIVE_PEOPLE);
  return n - a + nx_next_int_bound(r, (int32_t)(a + ID_LEAD));
}

static int64_t next_auction(nx_random *r, int64_t e)
{
  int64_t mx = last_auction(e);
  int64_t mn = MAX(mx - IN_FLIGHT_AUCTIONS, 0);
  return mn + nx_next_int_bound(r, (int32_t)(mx - mn + 1 + ID_LEAD));
}

/* ---- tables ------------------------------------------------------------- */

static const char *const FIRST_NAMES[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                          "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
static const char *const LAST_NAMES[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                         "Walton", "Smith",  "Jones",   "Noris"};
static const char *const CITIES[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise",   "Portland",
                                     "Bend",    "Redmond",     "Seattle",       "Kent",    "Cheyenne"};
static const char *const STATES[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const HOT_CHANNELS[] = {"Google", "Facebook", "Baidu", "Apple"};

/* baseUrl(): three nextString(5, '_'). */
static int base_url(nx_random *r, char *out)
{
  char s[3][8];
  uint32_t l[3];
  for (int i = 0; i < 3; i++)
    l[i] = next_string(r, 5, '_', s[i]);
  return snprintf(out, 128, "https://www.nexmark.com/%.*s/%.*s/%.*s/item.htm?query=1", (int)l[0], s[0],
                  (int)l[1], s[1], (int)l[2], s[2]);
}

static uint32_t reverse32(uint32_t x)
{
  uint32_t y = 0;
  for (int i = 0; i < 32; i++, x >>= 1)
    y = (y << 1) | (x & 1);
  return y;
}

nx_config nx_config_default(uint64_t seed, double rate)
{
  nx_config c = {.seed = seed, .base_time = DEFAULT_BASE_TIME, .rate = rate, .first_event_id = 1,
                 .first_event_number = 1};
  return c;
}

nx_generator *nx_generator_new(const nx_config *config)
{
  g_return_val_if_fail(config && config->rate > 0, NULL);
  nx_generator *g = g_new0(nx_generator, 1);
  g->config = *config;
  g->delay_us = 1e6 / config->rate;
  nx_random r;

  nx_random_init(&r, nx_mix64(config->seed ^ 1));
  for (int i = 0; i < 4; i++)
    g->url_len[i] = (uint8_t)base_url(&r, g->hot_urls[i]);

  nx_random_init(&r, nx_mix64(config->seed ^ 2));
  g->urls = g_malloc((size_t)N_CHANNELS * sizeof *g->urls);
  for (int j = 0; j < N_CHANNELS; j++) {
    int n = base_url(&r, g->urls[j]);
    if (nx_next_int_bound(&r, 10) > 0) {
      int32_t rev = (int32_t)reverse32((uint32_t)j);
      int32_t a = rev == INT32_MIN ? rev : ABS(rev); /* Java abs(MIN_VALUE) stays negative */
      n += snprintf(g->urls[j] + n, (size_t)(128 - n), "&channel_id=%d", a);
    }
    g->url_len[4 + j] = (uint8_t)n;
    g->channel_len[j] = (uint8_t)snprintf(g->channel_names[j], 16, "channel-%d", j);
  }

  nx_random_init(&r, nx_mix64(config->seed ^ 3));
  g->extra = g_malloc(EXTRA_LEN);
  int32_t rnd = 0;
  for (int i = 0; i < EXTRA_LEN; i++) {
    if (i % 6 == 0)
      rnd = nx_next_int(&r);
    g->extra[i] = (char)('a' + rnd % 26); /* signed remainder, as in Java */
    rnd /= 26;
  }
  return g;
}

void nx_generator_free(nx_generator *gen)
{
  if (!gen)
    return;
  g_free(gen->extra);
  g_free(gen->urls);
  g_free(gen);
}

const char *nx_generator_extra_string(const nx_generator *gen)
{
  return gen->extra;
}

const char *nx_generator_url(const nx_generator *gen, int channel)
{
  return channel < 0 ? gen->hot_urls[-channel - 1] : gen->urls[channel];
}

static int64_t timestamp_for(const nx_generator *g, int64_t num)
{
  return g->config.base_time + (int64_t)((double)num * g->delay_us) / 1000;
}

/* ---- events ------------------------------------------------------------- */

static nx_str put(nx_event *ev, size_t *used, const char *s, size_t len)
{
  nx_str out = {ev->buf + *used, (uint32_t)len};
  memcpy(ev->buf + *used, s, len);
  *used += len;
  return out;
}

static void gen_person(const nx_generator *g, nx_random *r, int64_t e, nx_event *ev)
{
  size_t used = 0;
  char tmp[64];
  ev->person_id = last_person(e) + FIRST_ID;
  int f = nx_next_int_bound(r, 11), l = nx_next_int_bound(r, 9);
  int n = snprintf(tmp, sizeof tmp, "%s %s", FIRST_NAMES[f], LAST_NAMES[l]);
  ev->name = put(ev, &used, tmp, (size_t)n);
  uint32_t a = next_string(r, 7, ' ', tmp);
  tmp[a++] = '@';
  a += next_string(r, 5, ' ', tmp + a);
  memcpy(tmp + a, ".com", 4);
  ev->email = put(ev, &used, tmp, a + 4);
  n = 0;
  for (int i = 0; i < 4; i++)
    n += snprintf(tmp + n, sizeof tmp - (size_t)n, i ? " %04d" : "%04d", nx_next_int_bound(r, 10000));
  ev->credit_card = put(ev, &used, tmp, (size_t)n);
  const char *city = CITIES[nx_next_int_bound(r, 10)];
  ev->city = put(ev, &used, city, strlen(city));
  ev->state = put(ev, &used, STATES[nx_next_int_bound(r, 6)], 2);
  int cur = 8 + (int)(ev->name.len + ev->email.len + ev->credit_card.len + ev->city.len + ev->state.len);
  ev->extra = next_extra(g, r, cur, 200);
}

static void gen_auction(const nx_generator *g, nx_random *r, int64_t e, int64_t num, nx_event *ev)
{
  size_t used = 0;
  ev->auction_id = last_auction(e) + FIRST_ID;
  int64_t seller = nx_next_int_bound(r, 4) > 0 ? (last_person(e) / HOT_RATIO) * HOT_RATIO : next_person(r, e);
  ev->seller = seller + FIRST_ID;
  ev->category = FIRST_CATEGORY + nx_next_int_bound(r, NUM_CATEGORIES);
  ev->initial_bid = next_price(r);
  /* horizon: the timestamp IN_FLIGHT_AUCTIONS auctions ahead (100*T/AP events) */
  int64_t horizon = timestamp_for(g, num + (IN_FLIGHT_AUCTIONS * NX_T) / NX_AP) - ev->date_time;
  ev->expires = ev->date_time + 1 + nx_next_int_bound(r, (int32_t)MAX(horizon * 2, 1));
  ev->item_name.p = ev->buf + used;
  ev->item_name.len = next_string(r, 20, ' ', ev->buf + used);
  used += ev->item_name.len;
  ev->description.p = ev->buf + used;
  ev->description.len = next_string(r, 100, ' ', ev->buf + used);
  used += ev->description.len;
  ev->reserve = ev->initial_bid + next_price(r);
  ev->extra = next_extra(g, r, 8 + (int)(ev->item_name.len + ev->description.len) + 40, 500);
}

static void gen_bid(const nx_generator *g, nx_random *r, int64_t e, nx_event *ev)
{
  int64_t auction = nx_next_int_bound(r, 2) > 0 ? (last_auction(e) / HOT_RATIO) * HOT_RATIO : next_auction(r, e);
  ev->auction = auction + FIRST_ID;
  int64_t bidder = nx_next_int_bound(r, 4) > 0 ? (last_person(e) / HOT_RATIO) * HOT_RATIO + 1 : next_person(r, e);
  ev->bidder = bidder + FIRST_ID + FIRST_ID; /* Flink adds FIRST_PERSON_ID twice */
  ev->price = next_price(r);
  if (nx_next_int_bound(r, 2) > 0) {
    int i = nx_next_int_bound(r, 4);
    ev->channel.p = HOT_CHANNELS[i];
    ev->channel.len = (uint32_t)strlen(HOT_CHANNELS[i]);
    ev->url.p = g->hot_urls[i];
    ev->url.len = g->url_len[i];
  } else {
    int j = nx_next_int_bound(r, N_CHANNELS);
    ev->channel.p = g->channel_names[j];
    ev->channel.len = g->channel_len[j];
    ev->url.p = g->urls[j];
    ev->url.len = g->url_len[4 + j];
  }
  ev->extra = next_extra(g, r, 32, 100);
}

void nx_generate(const nx_generator *gen, uint64_t k, nx_event *ev)
{
  int64_t num = gen->config.first_event_number + (int64_t)k;
  int64_t id = gen->config.first_event_id + num;
  nx_random r;
  nx_random_init(&r, nx_mix64(gen->config.seed ^ nx_mix64((uint64_t)id)));
  ev->event_id = id;
  ev->date_time = timestamp_for(gen, num);
  int64_t rem = id % NX_T;
  if (rem < NX_PP) {
    ev->type = NX_PERSON;
    gen_person(gen, &r, id, ev);
  } else if (rem < NX_PP + NX_AP) {
    ev->type = NX_AUCTION;
    gen_auction(gen, &r, id, num, ev);
  } else {
    ev->type = NX_BID;
    gen_bid(gen, &r, id, ev);
  }
}

/* ---- encoding ----------------------------------------------------------- */

static uint8_t *put_i64(uint8_t *p, int64_t v)
{
  memcpy(p, &v, 8);
  return p + 8;
}

static uint8_t *put_str(uint8_t *p, nx_str s)
{
  uint16_t len = (uint16_t)s.len;
  memcpy(p, &len, 2);
  memcpy(p + 2, s.p, s.len);
  return p + 2 + s.len;
}

size_t nx_encode(const nx_event *ev, uint8_t *out)
{
  uint8_t *p = out;
  *p++ = (uint8_t)ev->type;
  switch (ev->type) {
  case NX_PERSON:
    p = put_i64(p, ev->person_id);
    p = put_i64(p, ev->date_time);
    p = put_str(p, ev->name);
    p = put_str(p, ev->email);
    p = put_str(p, ev->credit_card);
    p = put_str(p, ev->city);
    p = put_str(p, ev->state);
    p = put_str(p, ev->extra);
    break;
  case NX_AUCTION:
    p = put_i64(p, ev->auction_id);
    p = put_i64(p, ev->date_time);
    p = put_i64(p, ev->seller);
    p = put_i64(p, ev->expires);
    p = put_i64(p, ev->category);
    p = put_i64(p, ev->initial_bid);
    p = put_i64(p, ev->reserve);
    p = put_str(p, ev->item_name);
    p = put_str(p, ev->description);
    p = put_str(p, ev->extra);
    break;
  case NX_BID:
    p = put_i64(p, ev->auction);
    p = put_i64(p, ev->bidder);
    p = put_i64(p, ev->price);
    p = put_i64(p, ev->date_time);
    p = put_str(p, ev->channel);
    p = put_str(p, ev->url);
    p = put_str(p, ev->extra);
    break;
  }
  return (size_t)(p - out);
}
