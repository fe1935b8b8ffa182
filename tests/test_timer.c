/* test_timer.c: the min-heap of deadlines (src/timer.c): order, re-arming in place, cancel,
 * the next timeout, and the budget that keeps a callback re-arming into the past from spinning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timer.h"

struct rec {
    int order[64];
    int n;
};

struct tick {
    struct timer t;
    struct rec *r;
    int id;
    struct timer_heap *h; /* to re-arm into the past */
};

static void on_tick(void *arg)
{
    struct tick *k = arg;
    k->r->order[k->r->n++] = k->id;
}

static void on_rearm(void *arg)
{
    struct tick *k = arg;
    k->r->n++;
    timer_arm(k->h, &k->t, 0); /* due again at once */
}

static void test_order_rearm_cancel(void **state)
{
    struct timer_heap h;
    struct rec r = {.n = 0};
    struct tick k[5];
    (void)state;
    assert_int_equal(timer_heap_init(&h), 0);
    const uint64_t due[5] = {50, 10, 40, 20, 30};
    for (int i = 0; i < 5; i++) {
        k[i] = (struct tick){.r = &r, .id = i};
        timer_init(&k[i].t, on_tick, &k[i]);
        assert_int_equal(timer_arm(&h, &k[i].t, due[i]), 0);
    }
    assert_int_equal(timer_next_ms(&h, 0), 10);
    timer_arm(&h, &k[0].t, 5); /* re-armed in place: now first */
    timer_cancel(&h, &k[2].t);
    timer_cancel(&h, &k[2].t); /* twice is harmless */
    assert_int_equal(timer_next_ms(&h, 0), 5);
    timer_run_due(&h, 25); /* 0 (5), 1 (10), 3 (20) */
    assert_int_equal(r.n, 3);
    assert_int_equal(r.order[0], 0);
    assert_int_equal(r.order[1], 1);
    assert_int_equal(r.order[2], 3);
    assert_int_equal(timer_next_ms(&h, 25), 5); /* 4 at 30 */
    timer_run_due(&h, 100);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.order[3], 4);
    assert_int_equal(timer_next_ms(&h, 100), -1); /* nothing armed */
    timer_heap_fini(&h);
}

static void test_rearm_in_the_past_is_bounded(void **state)
{
    struct timer_heap h;
    struct rec r = {.n = 0};
    struct tick k = {.r = &r, .h = &h};
    (void)state;
    assert_int_equal(timer_heap_init(&h), 0);
    timer_init(&k.t, on_rearm, &k);
    timer_arm(&h, &k.t, 0);
    timer_run_due(&h, 10); /* returns although the callback always re-arms */
    assert_true(r.n >= 1 && r.n < 1000000);
    timer_cancel(&h, &k.t);
    timer_heap_fini(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_rearm_cancel),
        cmocka_unit_test(test_rearm_in_the_past_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
