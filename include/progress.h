/* The live progress line on a terminal: its own thread redraws one line at most 10 times a
 * second from the workers' atomic counters, and clears it at the end. */
#ifndef VOLLEY_PROGRESS_H
#define VOLLEY_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct worker;

struct progress {
    pthread_t thread;
    atomic_bool stop;
    const struct worker *workers; /* borrowed */
    unsigned nworkers;
    size_t total; /* 0 = open-ended (--duration, --hold) */
    uint64_t t0_us;
    FILE *out;
    int started;
};

/* Start drawing on out. Failure to start a thread just means no progress line. */
void progress_start(struct progress *p, const struct worker *workers, unsigned n, size_t total,
                    FILE *out);
/* Stop the thread and clear the line. */
void progress_stop(struct progress *p);
/* Format the line into buf (pure, for tests): done/total, ok/failed, req/s, bytes, elapsed, ETA. */
int progress_format(char *buf, size_t len, uint64_t ok, uint64_t failed, uint64_t bytes,
                    size_t total, double elapsed_s);

#endif
