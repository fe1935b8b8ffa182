/* The live progress line on a terminal: its own thread redraws one line at most 10 times a
 * second from the workers' atomic counters, and clears it at the end. */
#ifndef VOLLEY_PROGRESS_H
#define VOLLEY_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a reactor thread has done so far: written only by that thread, read by the progress line's
 * (relaxed atomics: a figure a few URLs old is fine for a display). */
struct progress_counters {
    atomic_uint_fast64_t ok, failed, bytes;
};

struct progress {
    pthread_t thread;
    atomic_bool stop;
    const struct progress_counters *const *counters; /* one per thread, borrowed */
    unsigned ncounters;
    size_t total; /* 0 = open-ended (--duration, --hold) */
    uint64_t t0_us;
    FILE *out;
    int started;
};

/* Start drawing on out, summing n threads' counters (the array must outlive the drawing). Failure
 * to start a thread just means no progress line. */
void progress_start(struct progress *p, const struct progress_counters *const *counters, unsigned n,
                    size_t total, FILE *out);
/* Set a thread's counters (its own thread only). */
void progress_set(struct progress_counters *c, uint64_t ok, uint64_t failed, uint64_t bytes);
/* Stop the thread and clear the line. */
void progress_stop(struct progress *p);
/* Format the line into buf (pure, for tests): done/total, ok/failed, req/s, bytes, elapsed, ETA. */
int progress_format(char *buf, size_t len, uint64_t ok, uint64_t failed, uint64_t bytes,
                    size_t total, double elapsed_s);

#endif
