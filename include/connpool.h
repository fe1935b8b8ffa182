/* A thread's connection slots: the open connection that serves an origin, a free slot (or an
 * idle connection closed to make one), and the requests of a loop turn flushed in one write per
 * connection. Owned by a worker; knows connections, not jobs. */
#ifndef VOLLEY_CONNPOOL_H
#define VOLLEY_CONNPOOL_H

#include <stdbool.h>

#include "conn.h"

struct connpool {
    struct conn *conns; /* n slots, owned */
    unsigned n;
    struct conn **dirty; /* connections given requests this turn, flushed before it sleeps */
    unsigned ndirty;
};

/* n slots, each conn_init'ed with env. Returns 0 or VL_ENOMEM. */
int connpool_init(struct connpool *p, unsigned n, const struct conn_env *env);
/* Close and free every slot. */
void connpool_fini(struct connpool *p);
/* The open connection to rq's origin with the fewest requests in flight (below depth), trying
 * hint first (usually the connection that just answered), or NULL. */
struct conn *connpool_find(struct connpool *p, const struct request *rq, unsigned depth,
                           struct conn *hint);
/* A free slot; else, with evict, the idle connection unused longest, closed; else NULL. */
struct conn *connpool_slot(struct connpool *p, bool evict);
/* c was given requests: flush it once before the loop sleeps (connpool_flush). */
void connpool_mark(struct connpool *p, struct conn *c);
void connpool_flush(struct connpool *p);
/* The connections other than except whose owner_data is owner_data and that carry requests. */
unsigned connpool_busy(const struct connpool *p, const void *owner_data, const struct conn *except);
/* Close every connection with err (0: idle ones only). */
void connpool_close_all(struct connpool *p, int err, bool idle_only);

#endif
