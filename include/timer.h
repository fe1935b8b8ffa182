/* Deadlines in a binary min-heap. Nodes are embedded in their owners and re-armed, never
 * re-created. Times are CLOCK_MONOTONIC milliseconds. Pure apart from timer_now_ms. */
#ifndef VOLLEY_TIMER_H
#define VOLLEY_TIMER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef void (*timer_cb)(void *arg);

struct timer {
    uint64_t deadline; /* ms */
    size_t slot;       /* heap index + 1; 0 when not armed */
    timer_cb cb;
    void *arg;
};

struct timer_heap {
    struct timer **v; /* owned array of borrowed nodes */
    size_t n, cap;
};

int timer_heap_init(struct timer_heap *h);
void timer_heap_fini(struct timer_heap *h);

void timer_init(struct timer *t, timer_cb cb, void *arg);
/* Arm (or move) t to fire at deadline. Returns 0 or VL_ENOMEM. */
int timer_arm(struct timer_heap *h, struct timer *t, uint64_t deadline);
/* Disarm t; harmless if it is not armed. */
void timer_cancel(struct timer_heap *h, struct timer *t);
static inline bool timer_armed(const struct timer *t)
{
    return t->slot != 0;
}
/* Milliseconds until the earliest deadline (0 if due), or -1 when nothing is armed. */
int timer_next_ms(const struct timer_heap *h, uint64_t now);
/* Fire every timer due at now; each is disarmed before its callback, which may re-arm it.
 * Returns the number fired. */
size_t timer_run_due(struct timer_heap *h, uint64_t now);
uint64_t timer_now_ms(void);
/* Microsecond clock for latency figures. */
uint64_t timer_now_us(void);

#endif
