/* test_reactor.c: the epoll loop (src/reactor.c): interest, before_wait, and the guard against
 * an event of a socket that was closed and replaced within the same batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "reactor.h"

struct fixture {
    struct reactor r;
    struct reactor_io a, b;
    int pa[2], pb[2], fresh[2];
    int a_calls, b_calls, turns;
    int a_events;
};

static void on_a(struct reactor *r, struct reactor_io *io, int events)
{
    struct fixture *f = io->arg;
    char c;
    (void)r;
    f->a_calls++;
    f->a_events = events;
    if (read(io->fd, &c, 1) != 1) /* level-triggered: drain, or it fires again */
        f->a_events = -1;
}

static void stop_loop(void *arg)
{
    reactor_stop(arg);
}

/* B runs first in the batch: it closes A's socket and reopens the same io on a new socket
 * with nothing to read, as a connection slot is closed and reused for the next URL. */
static void on_b(struct reactor *r, struct reactor_io *io, int events)
{
    struct fixture *f = io->arg;
    (void)events;
    f->b_calls++;
    reactor_watch(r, &f->a, 0);
    close(f->pa[0]);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f->fresh), 0);
    reactor_io_init(&f->a, f->fresh[0], on_a, f);
    assert_int_equal(reactor_watch(r, &f->a, REACTOR_READ), 0);
    char c;
    assert_int_equal(read(f->pb[0], &c, 1), 1);
    reactor_stop(r);
}

static void count_turn(struct reactor *r, void *arg)
{
    (void)r;
    ((struct fixture *)arg)->turns++;
}

static void test_stale_event_after_reuse(void **state)
{
    struct fixture f = {0};
    (void)state;
    assert_int_equal(reactor_init(&f.r, NULL, NULL), 0);
    reactor_set_before_wait(&f.r, count_turn, &f);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.pa), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.pb), 0);
    reactor_io_init(&f.a, f.pa[0], on_a, &f);
    reactor_io_init(&f.b, f.pb[0], on_b, &f);
    assert_int_equal(reactor_watch(&f.r, &f.a, REACTOR_READ), 0);
    assert_int_equal(reactor_watch(&f.r, &f.b, REACTOR_READ), 0);
    /* B becomes readable first, then A: one batch, B's event ahead of A's. */
    assert_int_equal(write(f.pb[1], "b", 1), 1);
    assert_int_equal(write(f.pa[1], "a", 1), 1);
    reactor_run(&f.r);
    assert_int_equal(f.b_calls, 1);
    assert_int_equal(f.turns, 1);
    /* The old socket's readability was never given to the new one. */
    assert_int_equal(f.a_calls, 0);
    /* The new socket's own events arrive in later turns. */
    assert_int_equal(write(f.fresh[1], "x", 1), 1);
    reactor_watch(&f.r, &f.b, 0);
    f.b.cb = NULL;
    reactor_set_before_wait(&f.r, NULL, NULL);
    struct timer stop;
    timer_init(&stop, stop_loop, &f.r);
    reactor_timer_in(&f.r, &stop, 50);
    reactor_run(&f.r);
    assert_int_equal(f.a_calls, 1);
    assert_int_equal(f.a_events, REACTOR_READ);
    close(f.pa[1]);
    close(f.pb[0]);
    close(f.pb[1]);
    close(f.fresh[0]);
    close(f.fresh[1]);
    reactor_fini(&f.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_event_after_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
