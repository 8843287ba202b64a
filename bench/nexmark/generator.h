/* generator.h — the NEXMark event generator (Flink variant), made
 * deterministic, and the byte encoding both sides of bench-nexmark read.
 *
 * Follows docs/nexmark-spec.md §1 and §4 exactly:
 * - Java's SplittableRandom (nx_random) reproduced bit for bit, including
 *   the rejection loop of nextInt(bound) and nextInt(1) consuming a step.
 * - Event k of the (single, P = 1 Flink) timeline: num = firstEventNumber +
 *   k, id = firstEventId + num (both 1, so ids start at 2), timestamp =
 *   baseTime + (int64)(num * delayUs) / 1000 with delayUs = 1e6 / rate.
 *   id % 50 picks the type: 0 person, 1..3 auction, 4..49 bid.
 * - Each event draws from its own SplittableRandom seeded with
 *   mix64(S ^ mix64(id)), so an event depends only on (S, id, rate): any
 *   split of the id range gives the same events.
 * - Static tables: HOT_URLS from mix64(S ^ 1), the 10 000 channel URLs from
 *   mix64(S ^ 2), the 1 MiB "extra" string R from mix64(S ^ 3).
 * - Flink quirk kept: bidders get FIRST_PERSON_ID (1000) added twice.
 *
 * nx_generate() is pure given the generator (tables are read-only after
 * nx_generator_new), so threads may generate concurrently.
 */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- SplittableRandom (JDK 17) ------------------------------------------ */

#define NX_GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

typedef struct {
  uint64_t seed; /* advanced by NX_GOLDEN_GAMMA before each output */
} nx_random;

uint64_t nx_mix64(uint64_t z);
int32_t nx_mix32(uint64_t z);
/* new SplittableRandom(seed) */
static inline void nx_random_init(nx_random *r, uint64_t seed)
{
  r->seed = seed;
}
int32_t nx_next_int(nx_random *r);                  /* nextInt() */
int32_t nx_next_int_bound(nx_random *r, int32_t b); /* nextInt(b), b > 0 */
double nx_next_double(nx_random *r);                /* nextDouble() */
int64_t nx_next_long(nx_random *r);                 /* nextLong() */

/* ---- events ------------------------------------------------------------- */

typedef enum {
  NX_PERSON = 0,
  NX_AUCTION = 1,
  NX_BID = 2,
} nx_type;

/* A string field: @len bytes at @p (not NUL-terminated). Points into the
 * nx_event's own buffer or the generator's static tables. */
typedef struct {
  const char *p;
  uint32_t len;
} nx_str;

typedef struct {
  nx_type type;
  int64_t event_id;  /* the generator's event id (not the person/auction id) */
  int64_t date_time; /* ms since the epoch */
  /* Person */
  int64_t person_id;
  nx_str name, email, credit_card, city, state;
  /* Auction */
  int64_t auction_id, initial_bid, reserve, expires, seller, category;
  nx_str item_name, description;
  /* Bid */
  int64_t auction, bidder, price; /* price in cents */
  nx_str channel, url;
  /* all */
  nx_str extra;
  char buf[1024]; /* storage for the generated strings */
} nx_event;

typedef struct {
  uint64_t seed;       /* S */
  int64_t base_time;   /* ms; 1436918400000 by default */
  double rate;         /* events per second of event time */
  int64_t first_event_id;     /* Flink: 1 */
  int64_t first_event_number; /* Flink: 1 */
} nx_config;

/* The defaults above with @seed, @rate. */
nx_config nx_config_default(uint64_t seed, double rate);

typedef struct nx_generator nx_generator;

/* Builds the static tables. (transfer full) */
nx_generator *nx_generator_new(const nx_config *config);
void nx_generator_free(nx_generator *gen);

/* Event @k (0-based) of the timeline into @ev. Thread safe. */
void nx_generate(const nx_generator *gen, uint64_t k, nx_event *ev);

/* The 1 MiB extra string and the channel URL tables, for tests. (transfer none) */
const char *nx_generator_extra_string(const nx_generator *gen);
const char *nx_generator_url(const nx_generator *gen, int channel); /* -1..-4 hot, 0..9999 */

/* ---- byte encoding --------------------------------------------------------
 * One event as the value bytes of a record (little endian, unaligned):
 *   OFFSET SIZE  Person          Auction            Bid
 *   0      1     type 0          type 1             type 2
 *   1      8     id              id                 auction
 *   9      8     dateTime        dateTime           bidder
 *   17     8     -               seller             price
 *   25     8     -               expires            dateTime
 *   33     8     -               category           -
 *   41     8     -               initialBid         -
 *   49     8     -               reserve            -
 * then strings, each u16 length + bytes:
 *   Person: name, email, creditCard, city, state, extra   (from offset 17)
 *   Auction: itemName, description, extra                  (from offset 57)
 *   Bid: channel, url, extra                                (from offset 33)
 */
#define NX_ENCODED_MAX 1200

size_t nx_encode(const nx_event *ev, uint8_t *out);

static inline int64_t nx_get_i64(const uint8_t *p)
{
  int64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Reads string @index (0-based) of the string area starting at @p. */
static inline nx_str nx_get_str(const uint8_t *p, int index)
{
  for (;;) {
    uint16_t len;
    memcpy(&len, p, 2);
    if (index-- == 0) {
      nx_str s = {(const char *)p + 2, len};
      return s;
    }
    p += 2 + len;
  }
}

#define NX_BID_STRINGS 33
#define NX_PERSON_STRINGS 17
#define NX_AUCTION_STRINGS 57
