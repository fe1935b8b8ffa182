/* test_hist.c: log-linear latency histogram (src/hist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"

/* Largest value the buckets resolve; above it values are clamped into the last bucket. */
#define TOP ((uint64_t)1 << (HIST_OCTAVES + HIST_SUB_BITS - 2))

static struct hist *hist_new(void)
{
    struct hist *h = malloc(sizeof(*h));

    assert_non_null(h);
    hist_init(h);
    return h;
}

/* xorshift64: deterministic test data. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void assert_near(uint64_t got, uint64_t want, double rel)
{
    double d = (double)got - (double)want;

    if (d < 0)
        d = -d;
    if (d > rel * (double)want)
        fail_msg("got %llu, want %llu within %g", (unsigned long long)got, (unsigned long long)want,
                 rel);
}

static void test_empty(void **state)
{
    struct hist *h = hist_new();

    (void)state;
    assert_int_equal(h->n, 0);
    assert_int_equal(hist_percentile(h, 0), 0);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_percentile(h, 100), 0);
    free(h);
}

/* Below 2 * HIST_SUB every value has its own bucket: percentiles are exact. */
static void test_exact_small(void **state)
{
    struct hist *h = hist_new();

    (void)state;
    for (uint64_t v = 0; v < 2 * HIST_SUB; v++)
        hist_add(h, v);
    assert_int_equal(h->n, 2 * HIST_SUB);
    assert_int_equal(h->min, 0);
    assert_int_equal(h->max, 2 * HIST_SUB - 1);
    assert_int_equal(h->sum, (2 * HIST_SUB - 1) * HIST_SUB);
    for (uint64_t k = 1; k <= 2 * HIST_SUB; k++) {
        /* Nearest rank k of 256 samples 0..255 is the value k - 1. */
        double p = 100.0 * (double)k / (2.0 * HIST_SUB);

        assert_int_equal(hist_percentile(h, p), k - 1);
    }
    assert_int_equal(hist_percentile(h, 0), 0);
    assert_int_equal(hist_percentile(h, 0.01), 0);
    hist_init(h);
    hist_add(h, 5);
    hist_add(h, 5);
    hist_add(h, 7);
    assert_int_equal(hist_percentile(h, 50), 5);
    assert_int_equal(hist_percentile(h, 66.6), 5);
    assert_int_equal(hist_percentile(h, 67), 7);
    free(h);
}

/* Pair v with a larger value: p50 then reports the top of v's bucket, unclamped, so it must lie
 * in [v, v + v/HIST_SUB]. */
static void check_bucket(struct hist *h, uint64_t v)
{
    uint64_t got;

    hist_init(h);
    hist_add(h, v);
    hist_add(h, TOP * 2);
    got = hist_percentile(h, 50);
    if (got < v || got - v > v / HIST_SUB)
        fail_msg("value %llu reported as %llu", (unsigned long long)v, (unsigned long long)got);
    if (v < 2 * HIST_SUB && got != v)
        fail_msg("value %llu not exact: %llu", (unsigned long long)v, (unsigned long long)got);
}

static void test_bucket_bounds(void **state)
{
    struct hist *h = hist_new();
    uint64_t s = 0x9E3779B97F4A7C15ull;

    (void)state;
    for (uint64_t v = 0; v < 5000; v++)
        check_bucket(h, v);
    for (unsigned b = 1; b < HIST_OCTAVES + HIST_SUB_BITS - 1; b++) {
        uint64_t p = (uint64_t)1 << b;

        check_bucket(h, p - 1);
        check_bucket(h, p);
        check_bucket(h, p + 1);
        check_bucket(h, p + p / 2);
    }
    check_bucket(h, TOP);
    for (int i = 0; i < 20000; i++) {
        uint64_t v = rnd(&s);

        check_bucket(h, v >> (v % 41 + 23)); /* 0 .. 2^41 - 1, all magnitudes */
    }
    free(h);
}

static void test_uniform(void **state)
{
    static const double ps[] = {1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99};
    struct hist *h = hist_new();

    (void)state;
    for (uint64_t v = 1; v <= 1000000; v++)
        hist_add(h, v);
    assert_int_equal(h->n, 1000000);
    assert_int_equal(h->sum, 500000500000ull);
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        uint64_t want = (uint64_t)(ps[i] * 10000.0 + 0.5);
        uint64_t got = hist_percentile(h, ps[i]);

        assert_near(got, want, 0.01);
        assert_true(got >= want); /* the upper edge never under-reports */
    }
    assert_int_equal(hist_percentile(h, 0), 1);
    assert_int_equal(hist_percentile(h, -5), 1);
    assert_int_equal(hist_percentile(h, 100), 1000000);
    assert_int_equal(hist_percentile(h, 250), 1000000);
    free(h);
}

/* p0 and p100 are the exact extremes even when they share wide buckets with other samples. */
static void test_extremes(void **state)
{
    struct hist *h = hist_new();

    (void)state;
    hist_add(h, 1000003);
    hist_add(h, 5000001);
    hist_add(h, 1000001);
    assert_int_equal(hist_percentile(h, 0), 1000001);
    assert_int_equal(hist_percentile(h, 100), 5000001);
    /* The top of 1000001's bucket lies above 1000003 but below max: reported as is. */
    assert_in_range(hist_percentile(h, 34), 1000003, 1000001 + 1000001 / HIST_SUB);
    hist_init(h);
    hist_add(h, 1000001);
    /* Single sample: every percentile is that sample (clamped to min and max). */
    assert_int_equal(hist_percentile(h, 0), 1000001);
    assert_int_equal(hist_percentile(h, 50), 1000001);
    assert_int_equal(hist_percentile(h, 100), 1000001);
    free(h);
}

static void test_merge(void **state)
{
    struct hist *a = hist_new(), *b = hist_new(), *all = hist_new(), *e = hist_new();
    uint64_t s = 12345;

    (void)state;
    for (int i = 0; i < 100000; i++) {
        uint64_t v = rnd(&s) % 3000000;

        hist_add(all, v);
        hist_add(i % 3 ? a : b, v);
    }
    hist_merge(a, b);
    assert_memory_equal(a, all, sizeof(*a));
    /* Empty into full and full into empty. */
    hist_merge(a, e);
    assert_memory_equal(a, all, sizeof(*a));
    hist_merge(e, all);
    assert_memory_equal(e, all, sizeof(*e));
    assert_int_equal(hist_percentile(e, 50), hist_percentile(all, 50));
    /* min/max of the merged side win when they are more extreme. */
    hist_init(b);
    hist_add(b, 0);
    hist_add(b, 1ull << 40);
    hist_merge(e, b);
    assert_int_equal(e->min, 0);
    assert_int_equal(e->max, 1ull << 40);
    assert_int_equal(e->n, all->n + 2);
    free(a);
    free(b);
    free(all);
    free(e);
}

static void test_huge_values(void **state)
{
    struct hist *h = hist_new(), *g = hist_new();

    (void)state;
    hist_add(h, UINT64_MAX);
    hist_add(h, (uint64_t)1 << 50);
    hist_add(h, TOP * 2);
    assert_int_equal(h->n, 3);
    assert_int_equal(h->counts[HIST_BUCKETS - 1], 3);
    assert_int_equal(h->sum, UINT64_MAX); /* saturates */
    assert_int_equal(h->max, UINT64_MAX);
    assert_int_equal(h->min, TOP * 2);
    assert_int_equal(hist_percentile(h, 100), UINT64_MAX);
    assert_int_equal(hist_percentile(h, 0), TOP * 2);
    /* Clamped values report within [min, max]. */
    assert_in_range(hist_percentile(h, 50), TOP * 2, UINT64_MAX);
    hist_add(g, TOP);
    assert_int_equal(g->counts[HIST_BUCKETS - 1], 0);
    hist_add(g, (uint64_t)1 << 60);
    assert_in_range(hist_percentile(g, 50), TOP, TOP + TOP / HIST_SUB);
    assert_int_equal(hist_percentile(g, 100), (uint64_t)1 << 60);
    hist_merge(g, h);
    assert_int_equal(g->sum, UINT64_MAX);
    assert_int_equal(g->counts[HIST_BUCKETS - 1], 4);
    free(h);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),         cmocka_unit_test(test_exact_small),
        cmocka_unit_test(test_bucket_bounds), cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_extremes),      cmocka_unit_test(test_merge),
        cmocka_unit_test(test_huge_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
