/* test_job.c: job queues, the job pool and job_prepare (src/job.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "index.h"
#include "job.h"

static void test_queue(void **state)
{
    struct job a = {0}, b = {0}, c = {0};
    struct job_queue q = {NULL, NULL};
    (void)state;
    assert_null(jobq_pop(&q));
    jobq_push(&q, &a);
    jobq_push(&q, &b);
    jobq_push_front(&q, &c); /* c a b */
    jobq_remove(&q, &a);     /* c b: from the middle */
    jobq_remove(&q, &a);     /* not there: nothing happens */
    assert_ptr_equal(q.tail, &b);
    jobq_push(&q, &a);   /* c b a */
    jobq_remove(&q, &a); /* the tail */
    assert_ptr_equal(q.tail, &b);
    assert_ptr_equal(jobq_pop(&q), &c);
    assert_ptr_equal(jobq_pop(&q), &b);
    assert_null(jobq_pop(&q));
    assert_null(q.tail);
    jobq_push_front(&q, &a); /* into an empty queue: head and tail */
    assert_ptr_equal(q.tail, &a);
    assert_ptr_equal(jobq_pop(&q), &a);
}

static void test_pool_reuses(void **state)
{
    struct job_pool p = {NULL};
    (void)state;
    struct job *j = job_new(&p);
    assert_non_null(j);
    j->path = strdup("x");
    j->redirect = strdup("y");
    j->attempts = 3;
    job_release(&p, j);
    struct job *k = job_new(&p);
    assert_ptr_equal(k, j); /* the same memory, zeroed */
    assert_int_equal(k->attempts, 0);
    assert_null(k->path);
    job_release(&p, k);
    job_pool_fini(&p);
    assert_null(p.free);
}

static int prepare(struct job *j, const char *url, struct pathclaims *claims)
{
    memset(j, 0, sizeof(*j));
    j->url = url;
    j->req.sink = claims ? SINK_FILE : SINK_DISCARD;
    return job_prepare(j, strlen(url), "out", claims);
}

static void test_prepare(void **state)
{
    struct pathclaims pc;
    struct job a, b;
    char long_url[URL_MAX + 16];
    (void)state;
    assert_int_equal(pathclaims_init(&pc), 0);
    assert_int_equal(prepare(&a, "https://h:8443/a/b?q", &pc), 0);
    assert_string_equal(a.path, "out/h:8443/a/b?q");
    assert_ptr_equal(a.req.path, a.path);
    assert_int_equal(a.req.origin, url_origin_hash(&a.req.u));
    /* The same URL again claims its own file; another spelling of it is a conflict. */
    assert_int_equal(prepare(&b, "https://H:8443/a/b?q", &pc), 0);
    free(b.path);
    assert_int_equal(prepare(&b, "https://h:8443/a/%62?q", &pc), VL_EPATH_CONFLICT);
    free(b.path);
    assert_int_equal(prepare(&b, "https://h/../x", &pc), VL_EPATH);
    assert_int_equal(prepare(&b, "ftp://h/x", &pc), VL_EURL);
    memset(long_url, 'a', sizeof(long_url) - 1);
    memcpy(long_url, "http://h/", 9);
    long_url[URL_MAX + 1] = '\0';
    assert_int_equal(prepare(&b, long_url, &pc), VL_EURL_LONG);
    long_url[URL_MAX] = '\0';
    assert_int_equal(prepare(&b, long_url, NULL), 0); /* exactly URL_MAX: fine */
    free(a.path);
    pathclaims_fini(&pc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_pool_reuses),
        cmocka_unit_test(test_prepare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
