/* timer.c: min-heap of deadlines (O(log n) arm/cancel, O(1) next). */
#include "timer.h"

#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"

int timer_heap_init(struct timer_heap *h)
{
    h->n = 0;
    h->cap = 64;
    h->v = malloc(h->cap * sizeof(*h->v));
    return h->v ? 0 : VL_ENOMEM;
}

void timer_heap_fini(struct timer_heap *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->v[i]->slot = 0;
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

void timer_init(struct timer *t, timer_cb cb, void *arg)
{
    t->deadline = 0;
    t->slot = 0;
    t->cb = cb;
    t->arg = arg;
}

static void place(struct timer_heap *h, size_t i, struct timer *t)
{
    h->v[i] = t;
    t->slot = i + 1;
}

static void sift_up(struct timer_heap *h, size_t i)
{
    struct timer *t = h->v[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent]->deadline <= t->deadline)
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(struct timer_heap *h, size_t i)
{
    struct timer *t = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1]->deadline < h->v[c]->deadline)
            c++;
        if (t->deadline <= h->v[c]->deadline)
            break;
        place(h, i, h->v[c]);
        i = c;
    }
    place(h, i, t);
}

int timer_arm(struct timer_heap *h, struct timer *t, uint64_t deadline)
{
    if (t->slot) {
        uint64_t old = t->deadline;
        t->deadline = deadline;
        if (deadline < old)
            sift_up(h, t->slot - 1);
        else
            sift_down(h, t->slot - 1);
        return 0;
    }
    if (h->n == h->cap) {
        struct timer **v = realloc(h->v, 2 * h->cap * sizeof(*v));
        if (!v)
            return VL_ENOMEM;
        h->v = v;
        h->cap *= 2;
    }
    t->deadline = deadline;
    place(h, h->n++, t);
    sift_up(h, h->n - 1);
    return 0;
}

void timer_cancel(struct timer_heap *h, struct timer *t)
{
    if (!t->slot)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    struct timer *last = h->v[--h->n];
    if (i == h->n)
        return;
    place(h, i, last);
    /* The moved node may belong above or below its new place. */
    sift_up(h, i);
    sift_down(h, last->slot - 1);
}

int timer_next_ms(const struct timer_heap *h, uint64_t now)
{
    if (h->n == 0)
        return -1;
    uint64_t d = h->v[0]->deadline;
    if (d <= now)
        return 0;
    return d - now > INT_MAX ? INT_MAX : (int)(d - now);
}

size_t timer_run_due(struct timer_heap *h, uint64_t now)
{
    size_t fired = 0, budget = h->n;
    /* The budget stops a callback that re-arms at a past deadline from looping here forever. */
    while (h->n > 0 && h->v[0]->deadline <= now && fired < budget) {
        struct timer *t = h->v[0];
        timer_cancel(h, t);
        t->cb(t->arg);
        fired++;
    }
    return fired;
}

uint64_t timer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t timer_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
