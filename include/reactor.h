/* One epoll loop per thread: fd interest with callbacks, timers, a cross-thread wakeup.
 * Knows nothing of HTTP. Level-triggered; EPOLLERR/EPOLLHUP are reported as readable+writable. */
#ifndef VOLLEY_REACTOR_H
#define VOLLEY_REACTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "timer.h"

#define REACTOR_READ 1
#define REACTOR_WRITE 2

struct reactor;
struct reactor_io;
typedef void (*reactor_io_cb)(struct reactor *r, struct reactor_io *io, int events);
typedef void (*reactor_wake_cb)(struct reactor *r, void *arg);

/* Embedded in its owner; epoll_data.ptr points here. */
struct reactor_io {
    int fd;
    int mask; /* current interest */
    reactor_io_cb cb;
    void *arg;
    uint64_t added_turn; /* the loop turn it was (re)added to epoll in */
};

struct reactor {
    int epfd;
    int wakefd; /* eventfd: other threads call reactor_wake */
    struct reactor_io wake_io;
    reactor_wake_cb on_wake;
    void *wake_arg;
    reactor_wake_cb before_wait; /* once per turn, before sleeping: batch work (NULL: none) */
    void *before_arg;
    struct timer_heap timers;
    uint64_t now;  /* ms, refreshed once per loop turn */
    uint64_t turn; /* epoll_wait batches so far */
    bool stopping; /* set by reactor_stop, from the loop's own thread only */
};

/* Create the epoll instance and wakeup eventfd. Returns 0 or a VL_E* code. */
int reactor_init(struct reactor *r, reactor_wake_cb on_wake, void *wake_arg);
void reactor_fini(struct reactor *r);

void reactor_io_init(struct reactor_io *io, int fd, reactor_io_cb cb, void *arg);
/* Set the interest of io to mask (0 removes it from epoll). Returns 0 or VL_ESYS. */
int reactor_watch(struct reactor *r, struct reactor_io *io, int mask);

/* Arm a timer at now + ms (reactor's clock). */
int reactor_timer_in(struct reactor *r, struct timer *t, uint64_t ms);
void reactor_timer_cancel(struct reactor *r, struct timer *t);

/* Call cb(r, arg) once per loop turn, before the loop sleeps (NULL: none). */
void reactor_set_before_wait(struct reactor *r, reactor_wake_cb cb, void *arg);

/* Run timers and I/O callbacks until reactor_stop (a stop asked before the call is forgotten:
 * the loop runs). */
void reactor_run(struct reactor *r);
void reactor_stop(struct reactor *r);
/* Thread-safe: make r's loop call on_wake soon. */
void reactor_wake(struct reactor *r);

#endif
