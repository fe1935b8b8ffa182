/* What one thread knows about each origin (scheme, host, port) it talks to: how many requests it
 * may have in flight there, over how many connections and how deep a pipeline, whether the
 * origin asked everyone to wait, and the jobs waiting for room. Adaptive by default:
 *
 * - The target number of requests in flight starts at ORIGIN_START and grows by two per
 *   response while jobs wait for room (slow start: it triples every round trip), up to a bound
 *   from Little's law: the smallest time to first byte seen on the origin divided by this
 *   thread's CPU time per request, twice over, so that the round trip is covered at the rate
 *   the thread can work (a nearby server needs few; one 100 ms away, hundreds).
 * - A 503, a timeout, a reset or a refused connection halve the target (never below 1), and
 *   from there it grows by one per round trip's worth of responses (additive increase). A 429
 *   sets it to what the server was serving besides the refused request (the server's limit
 *   for this client) and turns pipelining off there; each 429 doubles the round trips between
 *   steps of the increase, and one with Retry-After ends probing above it.
 *   One cut per burst: trouble with requests sent before the last cut cuts no more.
 *   A Retry-After pauses the whole origin, not just the URL that got it.
 * - The requests go out first as more requests on open connections (pipelines 2 deep at
 *   first, doubled as answers come back in order), then on new connections: as many as the
 *   target needs at the depth proved so far (twice that for a far origin), up to the
 *   per-origin cap; a close or a response that cannot be matched in the middle of a pipeline
 *   turns pipelining off for the origin.
 *
 * With a fixed -k and --pipeline, the table only counts and never limits. Per thread: no lock. */
#ifndef VOLLEY_ORIGIN_H
#define VOLLEY_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "timer.h"
#include "url.h"

#define ORIGIN_START 8      /* requests in flight to a new origin */
#define ORIGIN_MAX_DEPTH 16 /* the deepest pipeline --pipeline auto goes to */

/* Why the target last went down (reported). */
enum origin_why { WHY_NONE, WHY_STATUS_429, WHY_STATUS_503, WHY_TIMEOUT, WHY_RESET, WHY_REFUSED };

struct origin {
    struct origin *next; /* hash chain */
    struct origin *ring; /* the next origin with waiting jobs (a circular list) */
    bool in_ring;
    uint32_t hash; /* url_origin_hash */
    enum url_scheme scheme;
    uint16_t port;
    char *host;               /* owned, lowercased */
    unsigned conns;           /* open or opening */
    unsigned inflight;        /* requests on connections */
    double target;            /* requests in flight allowed now */
    double ceiling;           /* slow start below it; additive increase above */
    double patience;          /* round trips per step of that increase (429s double it) */
    unsigned depth;           /* pipeline depth allowed now */
    unsigned clean;           /* responses since the depth last changed, none troubled */
    bool no_pipeline;         /* pipelining failed here once, or hid a 429: never again */
    bool frozen;              /* a 429 with Retry-After: the target never probes above it */
    uint64_t min_ttfb_us;     /* smallest time to first byte seen (0: none yet) */
    uint64_t paused_until_us; /* Retry-After: no request before this */
    uint64_t cut_us;          /* when the target was last halved */
    struct timer resume;      /* ends the pause */
    struct job_queue waiting; /* jobs waiting for room here, in order */
    /* reported */
    uint64_t answered;
    double peak_target;
    unsigned peak_conns, peak_depth;
    unsigned decreases;
    enum origin_why last_why;
};

struct origin_conf {
    bool adaptive;      /* else the target never limits (a fixed -k) */
    unsigned max_conns; /* per origin on this thread */
    unsigned depth;     /* a fixed --pipeline depth, or 0 for auto */
};

struct origin_table {
    struct origin **buckets;
    size_t nbuckets, n;
    struct origin *ring; /* origins with waiting jobs; the next to serve */
    struct origin_conf conf;
};

int origins_init(struct origin_table *t, const struct origin_conf *conf);
/* Free every origin (cancelling nothing: the caller's reactor is gone or stopped). */
void origins_fini(struct origin_table *t);
/* u's origin, created on first use (timer_init'ed with on_resume, arg the origin). NULL when out
 * of memory. */
struct origin *origins_get(struct origin_table *t, const struct url *u, uint32_t hash,
                           void (*on_resume)(void *arg));

/* Whether one more request may go to o now (not paused, under its target). */
bool origin_has_room(const struct origin *o, const struct origin_table *t, uint64_t now_us);
/* The pipeline depth a connection to o may carry now. */
unsigned origin_depth(const struct origin *o, const struct origin_table *t);
/* Whether o may have one more connection. */
bool origin_may_connect(const struct origin *o, const struct origin_table *t);

/* o opens one more connection (o->conns goes down again when it closes). */
void origin_connecting(struct origin *o);
/* Park j until o has room; o joins the ring of origins with waiting jobs. */
void origin_park(struct origin_table *t, struct origin *o, struct job *j);
/* The next parked job of the next origin in the ring that has room now, round robin; NULL if
 * none. */
struct job *origins_next_ready(struct origin_table *t, uint64_t now_us);

/* A response came (first byte ttfb_us after its request left): the target may grow, while
 * jobs wait (demand), by the rules above; cpu_us is this thread's CPU time per request. */
void origin_answered(struct origin *o, const struct origin_table *t, uint64_t ttfb_us,
                     double cpu_us, bool pipelined);
/* A sign of trouble at an origin, about one request. */
struct origin_trouble {
    enum origin_why why;
    uint32_t retry_after_s; /* > 0: the origin pauses that long (the caller arms o->resume) */
    uint64_t sent_us;       /* when the request left */
    unsigned busy_conns;    /* the origin's other connections with requests in flight */
};
/* The target goes down (see above), once per burst: not again for requests sent before the
 * last cut, as TCP cuts once per window. */
void origin_trouble(struct origin *o, const struct origin_trouble *tr, uint64_t now_us);
/* A pipelined request was lost without an answer (a close mid-pipeline, bytes that fit no
 * request): no more pipelining to o. */
void origin_pipeline_failed(struct origin *o);
const char *origin_why_str(enum origin_why why);

/* The summary's view of the origins: the busiest ones, each summed over the threads. */
#define ORIGIN_REPORT_MAX 8
struct origin_line {
    enum url_scheme scheme;
    char host[256]; /* cut to fit */
    uint16_t port;
    uint64_t answered;
    double target, peak_target; /* requests in flight allowed, summed over threads */
    unsigned peak_conns, depth; /* the most connections at once (summed), deepest pipeline */
    unsigned decreases;
    enum origin_why last_why;
    uint64_t min_ttfb_us;
    bool pipeline_off; /* turned off on some thread */
};
struct origin_report {
    bool adaptive;
    size_t n, total; /* lines filled, origins seen */
    struct origin_line v[ORIGIN_REPORT_MAX];
};

/* Fill r from n threads' tables (busiest first). Returns 0, or -1 when out of memory. */
int origin_report_build(struct origin_report *r, const struct origin_table *const *tables,
                        size_t n);

#endif
