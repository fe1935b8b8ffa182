/* source.c: handing out a run's URLs, from memory or from a stream. */
#include "source.h"

#include "linefeed.h"

enum source_rc source_next(struct source *s, unsigned worker, struct source_item *it)
{
    if (s->feed)
        return linefeed_next(s->feed, worker, it);
    size_t idx = atomic_fetch_add_explicit(&s->cursor, 1, memory_order_relaxed);
    if (idx >= s->n)
        return SOURCE_END;
    size_t k = idx % s->nurls;
    *it = (struct source_item){idx, s->urls[k], s->lens[k], NULL};
    return SOURCE_ITEM;
}

size_t source_taken(struct source *s)
{
    if (s->feed)
        return linefeed_handed(s->feed);
    size_t n = atomic_load(&s->cursor);
    return n < s->n ? n : s->n;
}
