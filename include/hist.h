/* Log-linear latency histogram (HDR style): bounded memory, no per-sample storage, mergeable.
 * Values are microseconds; relative error of a reported percentile is under 1/HIST_SUB. */
#ifndef VOLLEY_HIST_H
#define VOLLEY_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7 /* 128 linear sub-buckets per power of two */
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_OCTAVES 36 /* covers 1 us .. > 19 hours */
#define HIST_BUCKETS (HIST_OCTAVES * HIST_SUB)

struct hist {
    uint64_t n, sum, min, max;
    uint32_t counts[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t us);
void hist_merge(struct hist *dst, const struct hist *src);
/* Value at percentile p in [0,100] (upper edge of the bucket, clamped to max); 0 if empty. */
uint64_t hist_percentile(const struct hist *h, double p);

#endif
