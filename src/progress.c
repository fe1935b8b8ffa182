/* progress.c: one redrawn line on stderr while a terminal watches. */
#include "progress.h"

#include <time.h>

#include "report.h"
#include "timer.h"

#define REDRAW_NS 100000000L /* 10 times a second at most */

int progress_format(char *buf, size_t len, uint64_t ok, uint64_t failed, uint64_t bytes,
                    size_t total, double elapsed_s)
{
    char b[32], eta[32] = "";
    uint64_t done = ok + failed;
    double rps = elapsed_s > 0 ? (double)done / elapsed_s : 0;
    report_bytes(b, sizeof(b), bytes);
    if (total && rps > 0 && done <= total)
        snprintf(eta, sizeof(eta), "  ETA %.1f s", (double)(total - done) / rps);
    if (total)
        return snprintf(buf, len, "%llu/%zu  %llu ok  %llu failed  %.0f req/s  %s  %.1f s%s",
                        (unsigned long long)done, total, (unsigned long long)ok,
                        (unsigned long long)failed, rps, b, elapsed_s, eta);
    return snprintf(buf, len, "%llu done  %llu ok  %llu failed  %.0f req/s  %s  %.1f s",
                    (unsigned long long)done, (unsigned long long)ok, (unsigned long long)failed,
                    rps, b, elapsed_s);
}

static void draw(struct progress *p)
{
    uint64_t ok = 0, failed = 0, bytes = 0;
    for (unsigned i = 0; i < p->ncounters; i++) {
        const struct progress_counters *wp = p->counters[i];
        ok += atomic_load_explicit(&wp->ok, memory_order_relaxed);
        failed += atomic_load_explicit(&wp->failed, memory_order_relaxed);
        bytes += atomic_load_explicit(&wp->bytes, memory_order_relaxed);
    }
    char line[256];
    progress_format(line, sizeof(line), ok, failed, bytes, p->total,
                    (double)(timer_now_us() - p->t0_us) / 1e6);
    /* \r to the start, the line, then clear what a longer previous line left. */
    fprintf(p->out, "\r%s\033[K", line);
    fflush(p->out);
}

static void *loop(void *arg)
{
    struct progress *p = arg;
    struct timespec ts = {0, REDRAW_NS};
    while (!atomic_load(&p->stop)) {
        draw(p);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

void progress_set(struct progress_counters *c, uint64_t ok, uint64_t failed, uint64_t bytes)
{
    atomic_store_explicit(&c->ok, ok, memory_order_relaxed);
    atomic_store_explicit(&c->failed, failed, memory_order_relaxed);
    atomic_store_explicit(&c->bytes, bytes, memory_order_relaxed);
}

void progress_start(struct progress *p, const struct progress_counters *const *counters, unsigned n,
                    size_t total, FILE *out)
{
    p->counters = counters;
    p->ncounters = n;
    p->total = total;
    p->out = out;
    p->t0_us = timer_now_us();
    atomic_init(&p->stop, false);
    p->started = pthread_create(&p->thread, NULL, loop, p) == 0;
}

void progress_stop(struct progress *p)
{
    if (!p->started)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    fputs("\r\033[K", p->out);
    fflush(p->out);
}
