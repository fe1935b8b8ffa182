/* connpool.c: finding, freeing and flushing a thread's connection slots. */
#include "connpool.h"

#include <stdlib.h>

#include "err.h"

int connpool_init(struct connpool *p, unsigned n, const struct conn_env *env)
{
    p->conns = calloc(n, sizeof(*p->conns));
    p->dirty = calloc(n, sizeof(*p->dirty));
    p->n = p->conns && p->dirty ? n : 0;
    p->ndirty = 0;
    for (unsigned i = 0; i < p->n; i++)
        conn_init(&p->conns[i], env);
    return p->n == n ? 0 : VL_ENOMEM;
}

void connpool_fini(struct connpool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        conn_fini(&p->conns[i]);
    free(p->conns);
    free(p->dirty);
    p->conns = NULL;
    p->dirty = NULL;
    p->n = p->ndirty = 0;
}

struct conn *connpool_find(struct connpool *p, const struct request *rq, unsigned depth,
                           struct conn *hint)
{
    if (hint && hint->inflight == 0 && conn_matches(hint, rq))
        return hint;
    struct conn *best = NULL;
    for (unsigned i = 0; i < p->n; i++) {
        struct conn *c = &p->conns[i];
        if (c->origin != rq->origin || c->inflight >= depth || !conn_matches(c, rq))
            continue;
        if (c->inflight == 0)
            return c;
        if (!best || c->inflight < best->inflight)
            best = c;
    }
    return best;
}

struct conn *connpool_slot(struct connpool *p, bool evict)
{
    struct conn *idle = NULL;
    for (unsigned i = 0; i < p->n; i++) {
        struct conn *c = &p->conns[i];
        if (c->state == CONN_FREE)
            return c;
        if (evict && conn_idle(c) && (!idle || c->last_active < idle->last_active))
            idle = c;
    }
    if (idle)
        conn_close(idle, 0);
    return idle && idle->state == CONN_FREE ? idle : NULL;
}

/* Every request a turn of the loop queued on a connection leaves in one write (with
 * --pipeline, several per write). */
void connpool_mark(struct connpool *p, struct conn *c)
{
    for (unsigned i = 0; i < p->ndirty; i++)
        if (p->dirty[i] == c)
            return;
    if (p->ndirty < p->n)
        p->dirty[p->ndirty++] = c;
    else
        conn_flush(c);
}

void connpool_flush(struct connpool *p)
{
    for (unsigned i = 0; i < p->ndirty; i++)
        conn_flush(p->dirty[i]);
    p->ndirty = 0;
}

unsigned connpool_busy(const struct connpool *p, const void *owner_data, const struct conn *except)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->n; i++) {
        const struct conn *c = &p->conns[i];
        n += c != except && c->owner_data == owner_data && c->inflight > 0;
    }
    return n;
}

void connpool_close_all(struct connpool *p, int err, bool idle_only)
{
    for (unsigned i = 0; i < p->n; i++)
        if (!idle_only || conn_idle(&p->conns[i]))
            conn_close(&p->conns[i], err);
}
