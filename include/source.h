/* Where a run's URLs come from, handed to the threads one at a time: a list in memory (an index,
 * or a list that --repeat, --duration or --hold go round) through an atomic cursor, or a list
 * streamed from a file or standard input while it is read (linefeed.h). Also what becomes of
 * the results of this source's URLs (the index phase keeps its body; the fetch phase saves or
 * counts). */
#ifndef VOLLEY_SOURCE_H
#define VOLLEY_SOURCE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sink.h"

struct linefeed;

/* One URL handed out: url[0..len) is borrowed from the source, or owned (then `owned` is it,
 * for the taker to free). */
struct source_item {
    size_t idx; /* its place in the run, from 0 */
    const char *url;
    size_t len;
    char *owned;
};

enum source_rc {
    SOURCE_ITEM, /* *it is the next URL */
    SOURCE_WAIT, /* none yet: the caller is woken when there is (streamed lists) */
    SOURCE_END,  /* no more */
};

struct source {
    /* in memory */
    char **urls; /* borrowed */
    size_t *lens;
    size_t nurls;
    size_t n;             /* jobs: nurls x --repeat, or SIZE_MAX until the deadline */
    uint64_t deadline_us; /* --duration: take nothing after this; 0 = none */
    atomic_size_t cursor; /* job i fetches urls[i % nurls] */
    /* or streamed (then urls is NULL) */
    struct linefeed *feed; /* borrowed */
    /* what becomes of the results */
    enum sink_kind sink;
    FILE *errout;          /* per-URL failure lines; NULL when quiet */
    const char *write_out; /* -w format, printed to stdout per URL; NULL for none */
    char *body;            /* SINK_MEMORY: the body fetched (the index), owned; else NULL */
    size_t body_len;
};

/* The next URL for thread `worker`. Thread-safe. (--duration's deadline is the caller's to
 * check: it is policy, not supply.) */
enum source_rc source_next(struct source *s, unsigned worker, struct source_item *it);
/* How many URLs were handed out (so far). */
size_t source_taken(struct source *s);

#endif
