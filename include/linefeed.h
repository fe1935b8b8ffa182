/* A URL list streamed from a file or a pipe: a thread of its own reads it (blocking reads never
 * stall a reactor) and splits it into lines (index.h's line_splitter), keeping at most a fixed
 * number waiting; the reactor threads take them as they come. Fetching starts with the first
 * line, and memory stays bounded by what waits plus what is in flight, however long the list:
 * `yes URL | volley -i -` runs in constant memory. --shard and -n apply as the lines arrive. */
#ifndef VOLLEY_LINEFEED_H
#define VOLLEY_LINEFEED_H

#include <stddef.h>

#include "source.h"

/* Called from the reader thread when lines arrive for a thread that was told to wait, and at
 * the end of the list. */
typedef void (*linefeed_wake_cb)(void *arg, unsigned worker);

struct linefeed_opts {
    int fd;           /* read until EOF; not closed */
    size_t waiting;   /* lines kept ready at most */
    unsigned shard_k; /* --shard K/N: keep line i when i % N == K; N = 0 keeps all */
    unsigned shard_n;
    long long limit; /* -n: stop after this many URLs; -1 = all */
    linefeed_wake_cb wake;
    void *arg;
};

/* Start the reader thread. Returns NULL when out of memory or threads. */
struct linefeed *linefeed_new(const struct linefeed_opts *o);
/* The next line for thread `worker` (0..63): SOURCE_ITEM with it->owned set (the caller frees
 * it), SOURCE_WAIT (the worker is woken through wake when there is one), or SOURCE_END. */
enum source_rc linefeed_next(struct linefeed *f, unsigned worker, struct source_item *it);
/* Lines handed out so far. */
size_t linefeed_handed(struct linefeed *f);
/* The errno of a failed read (the list ends there), or 0. */
int linefeed_error(struct linefeed *f);
/* Stop reading (even if blocked on a pipe), wait for the thread, free what is left. */
void linefeed_free(struct linefeed *f);

#endif
