/* A TCP connect to one of a host's addresses, RFC 8305 style: the next address is tried
 * DIAL_STEP_MS after the last attempt began (at once when one fails), the first socket to
 * connect wins and the others are closed. An address that never answers so costs 250 ms, not
 * the whole connect timeout. At most DIAL_MAX attempts at once; the caller bounds the whole. */
#ifndef VOLLEY_DIAL_H
#define VOLLEY_DIAL_H

#include <stdint.h>

#include "bindaddr.h"
#include "hostcache.h"
#include "reactor.h"
#include "timer.h"

#define DIAL_STEP_MS 250
#define DIAL_MAX 2

/* The winner's connected socket (now the callback's to own), or fd -1 and why none won. */
typedef void (*dial_done_cb)(void *arg, int fd, int err);

struct dial {
    struct reactor *r;
    const struct hc_entry *he; /* borrowed: the host cache outlives the run */
    uint16_t port;
    const struct bindaddr_set *binds; /* --bind, or NULL */
    size_t *bind_cursor;
    unsigned next;                   /* the next address to try */
    struct reactor_io att[DIAL_MAX]; /* fd -1: unused */
    struct timer step;
    int err; /* why the last attempt failed */
    dial_done_cb done;
    void *arg;
};

/* Once, before first use. */
void dial_init(struct dial *d, struct reactor *r, const struct bindaddr_set *binds,
               size_t *bind_cursor, dial_done_cb done, void *arg);
/* Begin with he's first address. Returns 0 (done will be called, from the reactor, exactly
 * once unless dial_cancel comes first) or a VL_E* code, done not called. */
int dial_start(struct dial *d, const struct hc_entry *he, uint16_t port);
/* Close every attempt; done is not called. */
void dial_cancel(struct dial *d);

#endif
