/* origin.c: per-origin budgets of one thread: slow start, additive increase, halving on
 * trouble, pipeline depth that proves itself, shared pauses, round robin among waiting origins. */
#include "origin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "text.h"

#define SLOW_START_STEP 3.0 /* the target's growth per answer in slow start: x4 a round trip */
#define ORIGIN_FAR_US 5000  /* a first byte later than this: connections are opened ahead */
#define PIPELINE_PROOF 1    /* clean responses per depth step before the next */

int origins_init(struct origin_table *t, const struct origin_conf *conf)
{
    memset(t, 0, sizeof(*t));
    t->conf = *conf;
    t->nbuckets = 64;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    return t->buckets ? 0 : -1;
}

void origins_fini(struct origin_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct origin *o = t->buckets[i], *next; o; o = next) {
            next = o->next;
            free(o->host);
            free(o);
        }
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static bool same(const struct origin *o, const struct url *u, uint32_t hash)
{
    return o->hash == hash && o->scheme == u->scheme && o->port == u->port &&
           strlen(o->host) == u->host_len && strncasecmp(o->host, u->host, u->host_len) == 0;
}

static struct origin *create(const struct origin_table *t, const struct url *u, uint32_t hash)
{
    struct origin *o = calloc(1, sizeof(*o));
    char *host = o ? malloc(u->host_len + 1) : NULL;
    if (!host) {
        free(o);
        return NULL;
    }
    for (size_t i = 0; i < u->host_len; i++)
        host[i] = text_lower(u->host[i]);
    host[u->host_len] = '\0';
    o->host = host;
    o->hash = hash;
    o->scheme = u->scheme;
    o->port = u->port;
    o->target = o->peak_target = ORIGIN_START;
    o->ceiling = 1e9;
    o->patience = 1;
    o->depth = o->peak_depth = t->conf.depth ? t->conf.depth : 2;
    return o;
}

struct origin *origins_get(struct origin_table *t, const struct url *u, uint32_t hash,
                           void (*on_resume)(void *arg))
{
    struct origin **b = &t->buckets[hash & (t->nbuckets - 1)];
    for (struct origin *o = *b; o; o = o->next)
        if (same(o, u, hash))
            return o;
    struct origin *o = create(t, u, hash);
    if (!o)
        return NULL;
    timer_init(&o->resume, on_resume, o);
    o->next = *b;
    *b = o;
    t->n++;
    return o;
}

bool origin_has_room(const struct origin *o, const struct origin_table *t, uint64_t now_us)
{
    if (o->paused_until_us > now_us)
        return false;
    return !t->conf.adaptive || (double)o->inflight + 1 <= o->target; /* whole requests */
}

unsigned origin_depth(const struct origin *o, const struct origin_table *t)
{
    (void)t;
    return o->no_pipeline ? 1 : o->depth;
}

/* A connection costs a handshake and pipelines cost nothing, so no more connections than
 * the target needs at the pipeline depth proved so far; twice that for an origin far enough
 * that a handshake's round trips, not its CPU time, are the cost, so that connections are
 * ready before the target reaches them. */
bool origin_may_connect(const struct origin *o, const struct origin_table *t)
{
    if (!t->conf.adaptive)
        return true;
    double ahead = o->min_ttfb_us > ORIGIN_FAR_US ? 4 : 1;
    return o->conns < t->conf.max_conns &&
           (double)(o->conns * origin_depth(o, t)) < ahead * o->target;
}

void origin_connecting(struct origin *o)
{
    if (++o->conns > o->peak_conns)
        o->peak_conns = o->conns;
}

void origin_park(struct origin_table *t, struct origin *o, struct job *j)
{
    jobq_push(&o->waiting, j);
    if (o->in_ring)
        return;
    o->in_ring = true;
    if (!t->ring) {
        o->ring = o;
        t->ring = o;
    } else { /* in behind the current one: served after everyone already waiting */
        struct origin *last = t->ring;
        while (last->ring != t->ring)
            last = last->ring;
        o->ring = t->ring;
        last->ring = o;
    }
}

/* Unlink o (whose predecessor is prev) from the ring. */
static void leave_ring(struct origin_table *t, struct origin *prev, struct origin *o)
{
    o->in_ring = false;
    if (o->ring == o) {
        t->ring = NULL;
    } else {
        prev->ring = o->ring;
        if (t->ring == o)
            t->ring = o->ring;
    }
    o->ring = NULL;
}

struct job *origins_next_ready(struct origin_table *t, uint64_t now_us)
{
    if (!t->ring)
        return NULL;
    struct origin *prev = t->ring;
    while (prev->ring != t->ring)
        prev = prev->ring;
    struct origin *o = t->ring;
    for (size_t seen = 0; t->ring && seen <= t->n; seen++) {
        struct origin *next = o->ring;
        if (!o->waiting.head) {
            leave_ring(t, prev, o);
        } else if (origin_has_room(o, t, now_us)) {
            t->ring = next; /* the next call starts with the next origin: round robin */
            struct job *j = jobq_pop(&o->waiting);
            if (!o->waiting.head)
                leave_ring(t, prev, o);
            return j;
        } else {
            prev = o;
        }
        o = next;
    }
    return NULL;
}

/* Little's law: enough requests in flight to cover the round trip at the rate this thread
 * works, twice over. Until both are known, one doubling of the start: a far origin loses
 * nothing (its first answers take a round trip anyway), a near one opens no more connections
 * than it will keep busy. */
static double bound(const struct origin *o, const struct origin_table *t, double cpu_us)
{
    double most = (double)t->conf.max_conns * (t->conf.depth ? t->conf.depth : ORIGIN_MAX_DEPTH);
    double b =
        o->min_ttfb_us && cpu_us > 0 ? 2.0 * (double)o->min_ttfb_us / cpu_us : 2 * ORIGIN_START;
    return b < ORIGIN_START ? ORIGIN_START : b > most ? most : b;
}

void origin_answered(struct origin *o, const struct origin_table *t, uint64_t ttfb_us,
                     double cpu_us, bool pipelined)
{
    if (ttfb_us && (!o->min_ttfb_us || ttfb_us < o->min_ttfb_us))
        o->min_ttfb_us = ttfb_us;
    if (t->conf.adaptive) {
        double most = bound(o, t, cpu_us);
        bool probe = o->target >= o->ceiling;
        if (o->waiting.head && o->target < most && !(probe && o->frozen)) /* work waits */
            o->target += probe ? 1.0 / (o->target * o->patience) : SLOW_START_STEP;
        if (o->target > most)
            o->target = most;
        if (o->target > o->peak_target)
            o->peak_target = o->target;
    }
    o->answered++;
    /* Pipelining proves itself: depth 2 after a few clean answers, then deeper. */
    if (t->conf.depth || o->no_pipeline)
        return;
    o->clean += pipelined || o->depth == 1;
    if (o->clean >= PIPELINE_PROOF * o->depth && o->depth < ORIGIN_MAX_DEPTH && o->waiting.head) {
        o->depth *= 2;
        o->clean = 0;
        if (o->depth > o->peak_depth)
            o->peak_depth = o->depth;
    }
}

void origin_trouble(struct origin *o, const struct origin_trouble *tr, uint64_t now_us)
{
    uint64_t pause_us = (uint64_t)tr->retry_after_s * 1000000;
    if (pause_us && now_us + pause_us > o->paused_until_us)
        o->paused_until_us = now_us + pause_us;
    if (tr->sent_us < o->cut_us)
        return; /* sent before the last cut: the same overload, already answered */
    if (tr->why == WHY_STATUS_429) {
        /* "Too many" names this client's own concurrency: what the server was serving
         * besides the refused request is what it allows. A server works through each
         * connection's requests one by one, so that is the connections (with pipelines) or
         * the requests in flight (without), whichever is fewer; pipelines, which hide the
         * number, end here. A server that also asked for a pause is not probed above it. */
        unsigned others = o->inflight < tr->busy_conns ? o->inflight : tr->busy_conns;
        double allowed = others < 1 ? 1 : (double)others;
        o->target = allowed < o->target ? allowed : o->target;
        o->no_pipeline = true;
        o->depth = 1;
        o->frozen = o->frozen || tr->retry_after_s > 0;
        if (o->patience < 64) /* each probe that met the limit waits twice as long */
            o->patience *= 2;
    } else {
        o->target = o->target / 2 < 1 ? 1 : o->target / 2;
    }
    o->ceiling = o->target;
    o->cut_us = now_us;
    o->decreases++;
    o->last_why = tr->why;
}

void origin_pipeline_failed(struct origin *o)
{
    o->no_pipeline = true;
    o->depth = 1;
}

const char *origin_why_str(enum origin_why why)
{
    static const char *const names[] = {
        [WHY_NONE] = "none",       [WHY_STATUS_429] = "429", [WHY_STATUS_503] = "503",
        [WHY_TIMEOUT] = "timeout", [WHY_RESET] = "reset",    [WHY_REFUSED] = "refused",
    };
    return names[why];
}

/* o's line in lines (found through keys by "scheme://host:port"), added when new. */
static struct origin_line *line_for(struct strmap *keys, struct origin_line *lines, size_t *n,
                                    const struct origin *o)
{
    char key[300];
    snprintf(key, sizeof(key), "%d://%s:%u", (int)o->scheme, o->host, (unsigned)o->port);
    bool added;
    struct strmap_entry *e = strmap_put(keys, key, &added);
    if (!e)
        return NULL;
    if (!added)
        return &lines[e->num];
    e->num = (*n)++;
    struct origin_line *l = &lines[e->num];
    memset(l, 0, sizeof(*l));
    l->scheme = o->scheme;
    l->port = o->port;
    snprintf(l->host, sizeof(l->host), "%s", o->host);
    return l;
}

static void add_to_line(struct origin_line *l, const struct origin *o)
{
    l->answered += o->answered;
    l->target += o->target;
    l->peak_target += o->peak_target;
    l->peak_conns += o->peak_conns;
    if (o->peak_depth > l->depth)
        l->depth = o->peak_depth;
    if (o->decreases)
        l->last_why = o->last_why;
    l->decreases += o->decreases;
    l->pipeline_off = l->pipeline_off || o->no_pipeline;
    if (o->min_ttfb_us && (!l->min_ttfb_us || o->min_ttfb_us < l->min_ttfb_us))
        l->min_ttfb_us = o->min_ttfb_us;
}

static int busier(const void *a, const void *b)
{
    const struct origin_line *x = a, *y = b;
    return x->answered < y->answered ? 1 : x->answered > y->answered ? -1 : 0;
}

int origin_report_build(struct origin_report *r, const struct origin_table *const *tables, size_t n)
{
    size_t most = 0, used = 0;
    for (size_t i = 0; i < n; i++)
        most += tables[i]->n;
    memset(r, 0, sizeof(*r));
    r->adaptive = n && tables[0]->conf.adaptive;
    struct origin_line *lines = calloc(most ? most : 1, sizeof(*lines));
    struct strmap keys;
    strmap_init(&keys);
    int rc = lines ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        for (size_t b = 0; rc == 0 && b < tables[i]->nbuckets; b++)
            for (const struct origin *o = tables[i]->buckets[b]; o && rc == 0; o = o->next) {
                struct origin_line *l = line_for(&keys, lines, &used, o);
                if (l)
                    add_to_line(l, o);
                else
                    rc = -1;
            }
    if (rc == 0) {
        qsort(lines, used, sizeof(*lines), busier);
        r->total = used;
        r->n = used < ORIGIN_REPORT_MAX ? used : ORIGIN_REPORT_MAX;
        memcpy(r->v, lines, r->n * sizeof(*lines));
    }
    strmap_fini(&keys);
    free(lines);
    return rc;
}
