/* test-generator.c — the NEXMark generator (bench/nexmark/generator.h)
 * against values derived from the spec (docs/nexmark-spec.md),
 * not from the code under test.
 *
 * Derivation of the expected values. The SplittableRandom and draw-order
 * values were worked out step by step from the spec's formulas with exact
 * 64-bit integer arithmetic in a Python session (an independent
 * transcription of §1, not this C code):
 *   mix64(z): z = (z ^ z>>30) * 0xbf58476d1ce4e5b9; z = (z ^ z>>27) *
 *             0x94d049bb133111eb; z ^ z>>31            (all mod 2^64)
 *   mix32(z): z = (z ^ z>>33) * 0x62a9d9ed799705f5; the signed high 32 bits
 *             of (z ^ z>>28) * 0xcb24d0a5c88c35b3
 *   new SplittableRandom(42): s = 42; each draw s += 0x9e3779b97f4a7c15.
 *   s1 = 42 + 0x9e3779b97f4a7c15 = 0x9e3779b97f4a7c3f
 *     nextLong  = mix64(s1) = 0xbdd732262feb6e95, then 0x28efe333b266f103
 *     nextInt() = mix32(s1) = -491277234, then 909395113, -1877322334
 *   nextInt(10) (not a power of two: u = (uint)r >> 1, r = u % 10, the
 *     rejection test never fires here): 1, 6, 1
 *   nextInt(16) (power of two: r & 15) = 14, then nextDouble
 *     = (mix64(s2) >> 11) * 2^-53 = 0.1599103928769201
 * Events (seed S = 42, per-event state mix64(S ^ mix64(id)), Flink P = 1:
 * firstEventId = firstEventNumber = 1, so event k has num = k + 1 and id =
 * k + 2; id % 50: 0 person, 1..3 auction, else bid):
 *   k = 0, 1: auctions 1001, 1002; k = 2..47: 46 bids; k = 48 (id 50):
 *     person 1001 (lastP(50) = 1).
 *   bid id 4: nextInt(2) = 0 -> nextA: auction 1000; nextInt(4) = 0 ->
 *     nextP: bidder 1 + 2000 (Flink adds 1000 twice) = 2001; price 30095;
 *     nextInt(2) = 0 -> channel-5556; extra length 67 (in 54..81).
 *   person id 50: "Walter White", "et h@agil.com" (the 2nd nextString had
 *     a space inside, not trimmed), "6801 9502 3166 0196", Los Angeles, ID;
 *     extra 138 = 200 - 48 - round(0.2 * 152) + nextInt(60).
 *   auction id 2 at rate 10000 (delayUs = 100, ts = base + (num*100)/1000):
 *     seller 1000, category 11, initialBid 174, expires = ts + 109
 *     (horizon h = tsFor(1 + 1666) - ts = 166, nextInt(332) = 108),
 *     itemName "dpigw", description length 86, reserve 6799906.
 *   R (from mix64(S ^ 3)) starts "pzbpkkoqqefg".
 */
#include <glib.h>
#include <string.h>

#include "bench/nexmark/generator.h"

#define BASE 1436918400000LL

static void test_random(void)
{
  nx_random r;
  nx_random_init(&r, 42);
  g_assert_cmphex((uint64_t)nx_next_long(&r), ==, 0xbdd732262feb6e95ULL);
  g_assert_cmphex((uint64_t)nx_next_long(&r), ==, 0x28efe333b266f103ULL);
  nx_random_init(&r, 42);
  g_assert_cmpint(nx_next_int(&r), ==, -491277234);
  g_assert_cmpint(nx_next_int(&r), ==, 909395113);
  g_assert_cmpint(nx_next_int(&r), ==, -1877322334);
  nx_random_init(&r, 42);
  g_assert_cmpint(nx_next_int_bound(&r, 10), ==, 1);
  g_assert_cmpint(nx_next_int_bound(&r, 10), ==, 6);
  g_assert_cmpint(nx_next_int_bound(&r, 10), ==, 1);
  nx_random_init(&r, 42);
  g_assert_cmpint(nx_next_int_bound(&r, 16), ==, 14);
  g_assert_cmpfloat(nx_next_double(&r), ==, 0.1599103928769201);
  /* nextInt(1) still consumes a step */
  nx_random a, b;
  nx_random_init(&a, 7);
  nx_random_init(&b, 7);
  g_assert_cmpint(nx_next_int_bound(&a, 1), ==, 0);
  nx_next_int(&b);
  g_assert_cmpint(nx_next_int(&a), ==, nx_next_int(&b));
}

static gboolean str_is(nx_str s, const char *want)
{
  return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void test_first_events(void)
{
  nx_config c = nx_config_default(42, 10000);
  nx_generator *g = nx_generator_new(&c);
  nx_event *ev = g_new(nx_event, 1);
  for (uint64_t k = 0; k < 50; k++) {
    nx_generate(g, k, ev);
    g_assert_cmpint(ev->event_id, ==, (int64_t)k + 2);
    g_assert_cmpint(ev->date_time, ==, BASE + (int64_t)(k + 1) * 100 / 1000);
    if (k < 2) {
      g_assert_cmpint(ev->type, ==, NX_AUCTION);
      g_assert_cmpint(ev->auction_id, ==, 1001 + (int64_t)k);
    } else if (k < 48) {
      g_assert_cmpint(ev->type, ==, NX_BID);
    } else if (k == 48) {
      g_assert_cmpint(ev->type, ==, NX_PERSON);
      g_assert_cmpint(ev->person_id, ==, 1001);
    } else {
      g_assert_cmpint(ev->type, ==, NX_AUCTION); /* id 51 */
      g_assert_cmpint(ev->auction_id, ==, 1003);
    }
  }

  nx_generate(g, 2, ev); /* bid id 4 */
  g_assert_cmpint(ev->auction, ==, 1000);
  g_assert_cmpint(ev->bidder, ==, 2001);
  g_assert_cmpint(ev->price, ==, 30095);
  g_assert_true(str_is(ev->channel, "channel-5556"));
  g_assert_cmpuint(ev->extra.len, ==, 67);

  nx_generate(g, 48, ev); /* person id 50 */
  g_assert_true(str_is(ev->name, "Walter White"));
  g_assert_true(str_is(ev->email, "et h@agil.com"));
  g_assert_true(str_is(ev->credit_card, "6801 9502 3166 0196"));
  g_assert_true(str_is(ev->city, "Los Angeles"));
  g_assert_true(str_is(ev->state, "ID"));
  g_assert_cmpuint(ev->extra.len, ==, 138);

  nx_generate(g, 0, ev); /* auction id 2 */
  g_assert_cmpint(ev->seller, ==, 1000);
  g_assert_cmpint(ev->category, ==, 11);
  g_assert_cmpint(ev->initial_bid, ==, 174);
  g_assert_cmpint(ev->expires - ev->date_time, ==, 109);
  g_assert_true(str_is(ev->item_name, "dpigw"));
  g_assert_cmpuint(ev->description.len, ==, 86);
  g_assert_cmpint(ev->reserve, ==, 6799906);

  g_assert_cmpmem(nx_generator_extra_string(g), 12, "pzbpkkoqqefg", 12);
  g_free(ev);
  nx_generator_free(g);
}

/* Structure that holds for every event: proportions, ranges, the URL table
 * rule (channel_id = |Integer.reverse(j)|), and the encoding round trip. */
static void test_invariants(void)
{
  nx_config c = nx_config_default(7, 100000);
  nx_generator *g = nx_generator_new(&c);
  nx_event *ev = g_new(nx_event, 1);
  uint8_t *enc = g_malloc(NX_ENCODED_MAX);
  guint count[3] = {0, 0, 0};
  int64_t last_ts = 0;
  for (uint64_t k = 0; k < 50000; k++) {
    nx_generate(g, k, ev);
    count[ev->type]++;
    g_assert_cmpint(ev->date_time, >=, last_ts);
    last_ts = ev->date_time;
    size_t n = nx_encode(ev, enc);
    g_assert_cmpuint(n, <=, NX_ENCODED_MAX);
    g_assert_cmpint(enc[0], ==, ev->type);
    if (ev->type == NX_BID) {
      g_assert_cmpint(ev->price, >=, 100);
      g_assert_cmpint(ev->price, <=, 100000000);
      g_assert_cmpuint(ev->extra.len, >=, 54);
      g_assert_cmpuint(ev->extra.len, <=, 81);
      g_assert_cmpint(nx_get_i64(enc + 1), ==, ev->auction);
      g_assert_cmpint(nx_get_i64(enc + 17), ==, ev->price);
      g_assert_cmpint(nx_get_i64(enc + 25), ==, ev->date_time);
      nx_str x = nx_get_str(enc + NX_BID_STRINGS, 2);
      g_assert_cmpmem(x.p, x.len, ev->extra.p, ev->extra.len);
    } else if (ev->type == NX_AUCTION) {
      g_assert_cmpint(ev->category, >=, 10);
      g_assert_cmpint(ev->category, <=, 14);
      g_assert_cmpint(ev->expires, >, ev->date_time);
      g_assert_cmpint(ev->reserve, >, ev->initial_bid);
      g_assert_cmpint(nx_get_i64(enc + 17), ==, ev->seller);
    } else {
      g_assert_cmpint(nx_get_i64(enc + 1), ==, ev->person_id);
      nx_str name = nx_get_str(enc + NX_PERSON_STRINGS, 0);
      g_assert_cmpmem(name.p, name.len, ev->name.p, ev->name.len);
    }
  }
  g_assert_cmpuint(count[NX_PERSON], ==, 1000);
  g_assert_cmpuint(count[NX_AUCTION], ==, 3000);
  g_assert_cmpuint(count[NX_BID], ==, 46000);
  /* Integer.reverse(3) = 0xC0000000 -> abs = 1073741824; reverse(1) =
   * INT_MIN, whose Java abs stays negative. */
  const char *u3 = nx_generator_url(g, 3), *u1 = nx_generator_url(g, 1);
  g_assert_true(g_str_has_prefix(u3, "https://www.nexmark.com/"));
  g_assert_true(g_str_has_suffix(u3, "item.htm?query=1") || g_str_has_suffix(u3, "&channel_id=1073741824"));
  g_assert_true(g_str_has_suffix(u1, "item.htm?query=1") || g_str_has_suffix(u1, "&channel_id=-2147483648"));
  g_free(enc);
  g_free(ev);
  nx_generator_free(g);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/nexmark/random", test_random);
  g_test_add_func("/nexmark/first-events", test_first_events);
  g_test_add_func("/nexmark/invariants", test_invariants);
  return g_test_run();
}
