/* reactor.c: epoll loop with fd interest, a timer heap and an eventfd wakeup. */
#include "reactor.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "err.h"

#define EVENTS_PER_WAIT 256

static void on_wakefd(struct reactor *r, struct reactor_io *io, int events)
{
    uint64_t v;
    (void)events;
    /* Drain the counter; several wakes collapse into one call. */
    if (read(io->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        return;
    if (r->on_wake)
        r->on_wake(r, r->wake_arg);
}

int reactor_init(struct reactor *r, reactor_wake_cb on_wake, void *wake_arg)
{
    memset(r, 0, sizeof(*r));
    r->epfd = r->wakefd = -1;
    r->on_wake = on_wake;
    r->wake_arg = wake_arg;
    if (timer_heap_init(&r->timers) < 0)
        return VL_ENOMEM;
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epfd < 0)
        goto fail;
    r->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->wakefd < 0)
        goto fail;
    reactor_io_init(&r->wake_io, r->wakefd, on_wakefd, NULL);
    if (reactor_watch(r, &r->wake_io, REACTOR_READ) < 0)
        goto fail;
    r->now = timer_now_ms();
    return 0;
fail:
    reactor_fini(r);
    return err_from_errno(errno);
}

void reactor_fini(struct reactor *r)
{
    if (r->wakefd >= 0)
        close(r->wakefd);
    if (r->epfd >= 0)
        close(r->epfd);
    r->wakefd = r->epfd = -1;
    timer_heap_fini(&r->timers);
}

void reactor_io_init(struct reactor_io *io, int fd, reactor_io_cb cb, void *arg)
{
    io->fd = fd;
    io->mask = 0;
    io->cb = cb;
    io->arg = arg;
}

int reactor_watch(struct reactor *r, struct reactor_io *io, int mask)
{
    if (mask == io->mask)
        return 0;
    struct epoll_event ev = {0};
    ev.data.ptr = io;
    ev.events = (mask & REACTOR_READ ? EPOLLIN : 0) | (mask & REACTOR_WRITE ? EPOLLOUT : 0);
    int op = io->mask == 0 ? EPOLL_CTL_ADD : mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(r->epfd, op, io->fd, &ev) < 0)
        return VL_ESYS;
    io->mask = mask;
    if (op == EPOLL_CTL_ADD)
        io->added_turn = r->turn;
    return 0;
}

int reactor_timer_in(struct reactor *r, struct timer *t, uint64_t ms)
{
    return timer_arm(&r->timers, t, r->now + ms);
}

void reactor_timer_cancel(struct reactor *r, struct timer *t)
{
    timer_cancel(&r->timers, t);
}

static void dispatch(struct reactor *r, struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        struct reactor_io *io = evs[i].data.ptr;
        uint32_t e = evs[i].events;
        int events = 0;
        if (e & (EPOLLIN | EPOLLERR | EPOLLHUP))
            events |= REACTOR_READ;
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            events |= REACTOR_WRITE;
        /* An earlier callback in this batch may have dropped interest in io (its owner keeps io
         * alive: slots are never freed mid-run), or closed its fd and added io again with a new
         * one: then this event was the old socket's (say a reset idle connection's ERR|HUP),
         * and must not pass for the new socket's writability. */
        events &= io->mask;
        if (events && io->added_turn != r->turn)
            io->cb(r, io, events);
    }
}

void reactor_set_before_wait(struct reactor *r, reactor_wake_cb cb, void *arg)
{
    r->before_wait = cb;
    r->before_arg = arg;
}

void reactor_run(struct reactor *r)
{
    struct epoll_event evs[EVENTS_PER_WAIT];
    r->stopping = false;
    while (!r->stopping) {
        r->now = timer_now_ms();
        timer_run_due(&r->timers, r->now);
        if (r->stopping)
            break;
        if (r->before_wait)
            r->before_wait(r, r->before_arg);
        int timeout = timer_next_ms(&r->timers, r->now);
        int n = epoll_wait(r->epfd, evs, EVENTS_PER_WAIT, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        r->now = timer_now_ms();
        r->turn++;
        dispatch(r, evs, n);
    }
}

void reactor_stop(struct reactor *r)
{
    r->stopping = true;
}

void reactor_wake(struct reactor *r)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: a wake is pending anyway. */
    if (write(r->wakefd, &one, sizeof(one)) < 0)
        return;
}
