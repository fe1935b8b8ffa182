/* hist.c: log-linear histogram. Values below HIST_SUB get one bucket each. Above, the power of two
 * [2^m, 2^(m+1)) holding a value is cut into HIST_SUB equal buckets, so a bucket is at most
 * 1/HIST_SUB of its lower edge wide:
 *   shift = m - HIST_SUB_BITS, sub = v >> shift in [HIST_SUB, 2 HIST_SUB),
 *   index = (shift + 1) * HIST_SUB + sub - HIST_SUB.
 * For m = HIST_SUB_BITS the shift is 0, so every value below 2 HIST_SUB is exact. The last index,
 * HIST_BUCKETS - 1, ends at 2^(HIST_OCTAVES + HIST_SUB_BITS - 1) - 1; larger values are clamped
 * into it, and it is treated as reaching UINT64_MAX. */
#include "hist.h"

#include <string.h>

static unsigned bucket_of(uint64_t v)
{
    unsigned m, shift, idx;

    if (v < HIST_SUB)
        return (unsigned)v;
    m = 63u - (unsigned)__builtin_clzll(v);
    shift = m - HIST_SUB_BITS;
    if (shift + 1 >= HIST_OCTAVES)
        return HIST_BUCKETS - 1;
    idx = (shift + 1) * HIST_SUB + (unsigned)(v >> shift) - HIST_SUB;
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* Largest value that maps to bucket idx. */
static uint64_t bucket_high(unsigned idx)
{
    unsigned shift;
    uint64_t sub;

    if (idx < HIST_SUB)
        return idx;
    if (idx == HIST_BUCKETS - 1)
        return UINT64_MAX;
    shift = idx / HIST_SUB - 1;
    sub = idx % HIST_SUB + HIST_SUB;
    return (sub << shift) + ((uint64_t)1 << shift) - 1;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t us)
{
    uint32_t *c = &h->counts[bucket_of(us)];

    if (*c != UINT32_MAX)
        (*c)++;
    if (h->n == 0 || us < h->min)
        h->min = us;
    if (h->n == 0 || us > h->max)
        h->max = us;
    h->n++;
    h->sum = add_sat(h->sum, us);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->n == 0)
        return;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        uint64_t c = (uint64_t)dst->counts[i] + src->counts[i];

        dst->counts[i] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    if (dst->n == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->n == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->n = add_sat(dst->n, src->n);
    dst->sum = add_sat(dst->sum, src->sum);
}

static uint64_t clamp(uint64_t v, const struct hist *h)
{
    if (v > h->max)
        return h->max;
    return v < h->min ? h->min : v;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    uint64_t rank, seen = 0;
    double r;

    if (h->n == 0)
        return 0;
    /* p0 is the smallest sample itself, not the top of its bucket (also catches NaN). */
    if (!(p > 0))
        return h->min;
    if (p >= 100)
        return h->max;
    /* Nearest rank: the smallest sample with at least p% of samples at or below it. */
    r = p / 100.0 * (double)h->n;
    rank = r >= (double)h->n ? h->n : (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank == 0)
        rank = 1;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            return clamp(bucket_high(i), h);
    }
    /* Only reached when a saturated bucket count lost samples. */
    return h->max;
}
