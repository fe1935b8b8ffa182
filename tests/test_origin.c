/* test_origin.c: per-origin budgets (src/origin.c): slow start within the Little's-law bound,
 * cuts on trouble (once per burst), the 429 rules, pauses, pipeline depth, round robin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "origin.h"
#include "url.h"

static void no_resume(void *arg)
{
    (void)arg;
}

/* The origin of url in t. */
static struct origin *get(struct origin_table *t, const char *url)
{
    struct url u;
    assert_int_equal(url_parse(url, strlen(url), &u), 0);
    struct origin *o = origins_get(t, &u, url_origin_hash(&u), no_resume);
    assert_non_null(o);
    return o;
}

static struct origin_table table(unsigned max_conns, unsigned depth)
{
    struct origin_table t;
    struct origin_conf c = {true, max_conns, depth};
    assert_int_equal(origins_init(&t, &c), 0);
    return t;
}

/* n answers of ttfb_us at cpu_us of CPU per request, with jobs waiting (one parked). */
static void answer(struct origin_table *t, struct origin *o, unsigned n, uint64_t ttfb_us,
                   double cpu_us)
{
    struct job j = {0};
    origin_park(t, o, &j);
    for (unsigned i = 0; i < n; i++)
        origin_answered(o, t, ttfb_us, cpu_us, false);
    assert_ptr_equal(origins_next_ready(t, 1ULL << 50), &j); /* unparked again, pauses over */
}

static void test_same_origin(void **state)
{
    struct origin_table t = table(32, 0);
    (void)state;
    struct origin *a = get(&t, "https://Example.com/a");
    assert_ptr_equal(get(&t, "https://example.COM:443/b?c"), a);
    assert_ptr_not_equal(get(&t, "http://example.com/a"), a);      /* another scheme */
    assert_ptr_not_equal(get(&t, "https://example.com:8443/"), a); /* another port */
    assert_int_equal(t.n, 3);
    origins_fini(&t);
}

/* The start is 4; until a CPU time is known the bound is 8; then 2 x ttfb / cpu. */
static void test_slow_start_bound(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://far.example/");
    assert_true(o->target == ORIGIN_START);
    answer(&t, o, 10, 50000, 0); /* no CPU figure yet */
    assert_true(o->target == 2 * ORIGIN_START);
    answer(&t, o, 100, 50000, 1000); /* 2 x 50 ms / 1 ms = 100 */
    assert_true(o->target == 100);
    answer(&t, o, 1000, 50000, 10); /* 10,000: capped at 64 connections x 8 deep */
    assert_true(o->target == 64 * ORIGIN_MAX_DEPTH);
    struct origin *near = get(&t, "https://near.example/");
    answer(&t, near, 100, 50, 40); /* 2.5: never below the start */
    assert_true(near->target == ORIGIN_START);
    origins_fini(&t);
}

/* Growth needs demand: with nobody waiting, answers do not raise the target. */
static void test_no_growth_without_demand(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    for (int i = 0; i < 50; i++)
        origin_answered(o, &t, 50000, 100, false);
    assert_true(o->target == ORIGIN_START);
    assert_int_equal(o->answered, 50);
    origins_fini(&t);
}

/* Room counts whole requests: 8.5 allows 8. */
static void test_room_whole_requests(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    o->target = 8.5;
    o->inflight = 7;
    assert_true(origin_has_room(o, &t, 0));
    o->inflight = 8;
    assert_false(origin_has_room(o, &t, 0));
    origins_fini(&t);
}

/* A 503 halves, once per burst: trouble with a request sent before the cut cuts no more. */
static void test_halve_once_per_burst(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    o->target = 40;
    struct origin_trouble tr = {WHY_STATUS_503, 0, 100, 0};
    origin_trouble(o, &tr, 1000);
    assert_true(o->target == 20);
    origin_trouble(o, &tr, 1001); /* sent at 100, before the cut at 1000 */
    assert_true(o->target == 20);
    tr.sent_us = 1500;
    tr.why = WHY_TIMEOUT;
    origin_trouble(o, &tr, 2000);
    assert_true(o->target == 10);
    assert_int_equal(o->decreases, 2);
    assert_int_equal(o->last_why, WHY_TIMEOUT);
    /* Above the new ceiling it grows by one per target's worth of answers. */
    answer(&t, o, 10, 50000, 100);
    assert_true(o->target > 10.9 && o->target < 11.1);
    o->target = 1;
    tr.sent_us = 3000;
    origin_trouble(o, &tr, 4000);
    assert_true(o->target == 1); /* never below one */
    origins_fini(&t);
}

/* A 429 sets the target to what the server was serving besides the refused request: the
 * requests in flight, or the busy connections when fewer (pipelines); pipelining ends. */
static void test_429_names_the_limit(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    o->target = 60;
    o->inflight = 50;
    o->depth = 8;
    struct origin_trouble tr = {WHY_STATUS_429, 0, 10, 7};
    origin_trouble(o, &tr, 100);
    assert_true(o->target == 7);
    assert_int_equal(origin_depth(o, &t), 1);
    assert_true(o->no_pipeline);
    assert_true(o->patience == 2);
    o->inflight = 3; /* fewer requests than busy connections */
    tr.sent_us = 200;
    origin_trouble(o, &tr, 300);
    assert_true(o->target == 3);
    assert_true(o->patience == 4);
    /* A 429 never raises the target. */
    o->target = 2;
    o->inflight = 5;
    tr.sent_us = 400;
    origin_trouble(o, &tr, 500);
    assert_true(o->target == 2);
    origins_fini(&t);
}

/* Retry-After pauses the whole origin and, with a 429, ends probing above the cut. */
static void test_retry_after(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    o->inflight = 4;
    struct origin_trouble tr = {WHY_STATUS_429, 2, 10, 4};
    origin_trouble(o, &tr, 1000000);
    assert_int_equal(o->paused_until_us, 3000000);
    assert_false(origin_has_room(o, &t, 2999999));
    o->inflight = 0;
    assert_true(origin_has_room(o, &t, 3000000));
    assert_true(o->frozen);
    answer(&t, o, 100, 50000, 100);
    assert_true(o->target == 4); /* no probe above it */
    /* A later, shorter pause does not shorten the one under way. */
    tr.retry_after_s = 1;
    tr.sent_us = 0;
    origin_trouble(o, &tr, 1500000);
    assert_int_equal(o->paused_until_us, 3000000);
    origins_fini(&t);
}

/* --pipeline auto: 2 (the probe), then doubled after as many clean pipelined answers as the
 * depth, up to ORIGIN_MAX_DEPTH, only while jobs wait; a loss in a pipeline ends it. A fixed
 * depth stays. */
static void test_pipeline_depth(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    struct job j = {0};
    assert_int_equal(origin_depth(o, &t), 2);
    origin_park(&t, o, &j);
    origin_answered(o, &t, 1000, 10, false); /* not pipelined: no proof */
    origin_answered(o, &t, 1000, 10, true);
    assert_int_equal(origin_depth(o, &t), 2);
    origin_answered(o, &t, 1000, 10, true);
    assert_int_equal(origin_depth(o, &t), 4);
    for (int i = 0; i < 100; i++)
        origin_answered(o, &t, 1000, 10, true);
    assert_int_equal(origin_depth(o, &t), ORIGIN_MAX_DEPTH);
    origin_pipeline_failed(o);
    assert_int_equal(origin_depth(o, &t), 1);
    assert_int_equal(o->peak_depth, ORIGIN_MAX_DEPTH);
    assert_ptr_equal(origins_next_ready(&t, 0), &j);
    struct origin *q = get(&t, "https://idle.example/"); /* no demand: no deeper */
    for (int i = 0; i < 100; i++)
        origin_answered(q, &t, 1000, 10, true);
    assert_int_equal(origin_depth(q, &t), 2);
    struct origin_table f = table(8, 3);
    struct origin *p = get(&f, "https://example.com/");
    answer(&f, p, 100, 1000, 10);
    assert_int_equal(origin_depth(p, &f), 3);
    origins_fini(&f);
    origins_fini(&t);
}

/* Connections: no more than the target needs at the depth proved so far; four times that for
 * a far origin; never over the cap. */
static void test_connections_follow_target(void **state)
{
    struct origin_table t = table(10, 0);
    (void)state;
    struct origin *o = get(&t, "https://example.com/");
    o->target = 8; /* depth 2: 4 connections */
    o->conns = 3;
    assert_true(origin_may_connect(o, &t));
    o->conns = 4;
    assert_false(origin_may_connect(o, &t));
    o->target = 100;
    o->conns = 10; /* the cap */
    assert_false(origin_may_connect(o, &t));
    t.conf.max_conns = 64;
    o->target = 8;
    o->min_ttfb_us = 50000; /* far: 4 x 8 / 2 = 16 */
    o->conns = 15;
    assert_true(origin_may_connect(o, &t));
    o->conns = 16;
    assert_false(origin_may_connect(o, &t));
    origins_fini(&t);
}

/* Origins with waiting jobs take turns; one without room is passed over, not waited for. */
static void test_round_robin(void **state)
{
    struct origin_table t = table(64, 0);
    (void)state;
    struct origin *a = get(&t, "https://a.example/");
    struct origin *b = get(&t, "https://b.example/");
    struct origin *c = get(&t, "https://c.example/");
    struct job ja[3], jb[2], jc[1];
    memset(ja, 0, sizeof(ja));
    memset(jb, 0, sizeof(jb));
    memset(jc, 0, sizeof(jc));
    for (int i = 0; i < 3; i++)
        origin_park(&t, a, &ja[i]);
    for (int i = 0; i < 2; i++)
        origin_park(&t, b, &jb[i]);
    origin_park(&t, c, &jc[0]);
    b->inflight = ORIGIN_START; /* full: passed over */
    assert_ptr_equal(origins_next_ready(&t, 0), &ja[0]);
    assert_ptr_equal(origins_next_ready(&t, 0), &jc[0]);
    assert_ptr_equal(origins_next_ready(&t, 0), &ja[1]);
    assert_ptr_equal(origins_next_ready(&t, 0), &ja[2]);
    assert_null(origins_next_ready(&t, 0)); /* only b waits, and it has no room */
    b->inflight = 0;
    assert_ptr_equal(origins_next_ready(&t, 0), &jb[0]);
    assert_ptr_equal(origins_next_ready(&t, 0), &jb[1]);
    assert_null(origins_next_ready(&t, 0));
    assert_null(t.ring);
    origins_fini(&t);
}

/* A fixed -k: the table counts, never limits. */
static void test_fixed_never_limits(void **state)
{
    struct origin_table t;
    struct origin_conf c = {false, 8, 1};
    (void)state;
    assert_int_equal(origins_init(&t, &c), 0);
    struct origin *o = get(&t, "https://example.com/");
    o->inflight = 1000;
    o->conns = 1000;
    assert_true(origin_has_room(o, &t, 0));
    assert_true(origin_may_connect(o, &t));
    origins_fini(&t);
}

/* The report sums an origin over threads and lists the busiest first. */
static void test_report(void **state)
{
    struct origin_table t1 = table(32, 0), t2 = table(32, 0);
    (void)state;
    struct origin *a1 = get(&t1, "https://a.example/");
    struct origin *a2 = get(&t2, "https://a.example/");
    struct origin *b2 = get(&t2, "http://b.example:8080/");
    a1->answered = 10;
    a2->answered = 20;
    b2->answered = 25;
    a1->peak_conns = 3;
    a2->peak_conns = 4;
    a2->min_ttfb_us = 900;
    a1->min_ttfb_us = 700;
    a2->decreases = 1;
    a2->last_why = WHY_STATUS_429;
    const struct origin_table *ts[] = {&t1, &t2};
    struct origin_report r;
    assert_int_equal(origin_report_build(&r, ts, 2), 0);
    assert_int_equal(r.total, 2);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0].host, "a.example");
    assert_int_equal(r.v[0].answered, 30);
    assert_int_equal(r.v[0].peak_conns, 7);
    assert_int_equal(r.v[0].min_ttfb_us, 700);
    assert_int_equal(r.v[0].last_why, WHY_STATUS_429);
    assert_string_equal(r.v[1].host, "b.example");
    assert_int_equal(r.v[1].port, 8080);
    assert_int_equal(r.v[1].scheme, URL_HTTP);
    origins_fini(&t1);
    origins_fini(&t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_origin),
        cmocka_unit_test(test_slow_start_bound),
        cmocka_unit_test(test_no_growth_without_demand),
        cmocka_unit_test(test_room_whole_requests),
        cmocka_unit_test(test_halve_once_per_burst),
        cmocka_unit_test(test_429_names_the_limit),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_pipeline_depth),
        cmocka_unit_test(test_connections_follow_target),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_fixed_never_limits),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
