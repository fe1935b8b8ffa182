/* worker.c: one reactor thread's scheduler. Jobs come from the shared atomic cursor (or back from
 * a redirect or resend); each is routed to a matching open connection, a free slot, or an idle
 * slot closed to make room, after its host name is known. */
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "index.h"
#include "pathclaim.h"
#include "result.h"
#include "retry.h"

#define MAX_REDIRECTS 5
#define LIMIT_REQUEUES 100 /* client-limit requeues per URL before it fails */
#define BUSY_REQUEUES 8    /* requeues per URL at an origin whose budget a 429/503 cut */
#define LIMIT_BACKOFF_MS 50
#define GRACE_MS 2000
#define IDLE_MS 30000

static void fill(struct worker *w, struct conn *hint);
static void release_session_waiters(struct worker *w);

/* ---- jobs ---- */

static struct job *job_new_for(struct worker *w)
{
    struct job *j = job_new(&w->pool);
    if (j)
        j->owner = w;
    return j;
}

static void job_free(struct worker *w, struct job *j)
{
    job_release(&w->pool, j);
}

/* Nothing left to take and nothing in flight: the loop ends, unless the mode keeps it. */
static void check_done(struct worker *w)
{
    if (!w->exhausted || w->busy != 0)
        return;
    if (w->mode && w->mode->drained && !w->stop_seen && w->mode->drained(w))
        return;
    reactor_stop(&w->r);
}

/* This thread's CPU time per finished URL: what the origins' budgets weigh a round trip
 * against. Measured over the first 8 URLs, then every 32; the smallest so far counts: a
 * window heavy with handshakes (the first ones are) says more about connecting than about
 * what one more URL in flight costs, and would hold the budgets down for many round trips. */
static void measure_cpu(struct worker *w)
{
    uint64_t done = w->stats.ok + w->stats.failed;
    if (done - w->cpu_mark_done < (w->cpu_mark_done ? 32u : 8u))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    double per = (double)(us - w->cpu_mark_us) / (double)(done - w->cpu_mark_done);
    if (!w->cpu_us_per_req || per < w->cpu_us_per_req)
        w->cpu_us_per_req = per > 1 ? per : 1;
    w->cpu_mark_us = us;
    w->cpu_mark_done = done;
}

/* A job's single final state: counted, reported, freed. */
static void finish(struct worker *w, struct job *j, int err)
{
    bool ping = j->ping;
    if (ping) { /* --hold-ping: a probe, not one of the run's URLs */
        w->stats.pings_ok += err == 0;
        w->stats.pings_failed += err != 0;
    } else {
        result_record(&w->results, &w->stats, &w->progress, j, err, timer_now_us() - j->start_us);
        measure_cpu(w);
    }
    if (err == 0 && j->req.sink == SINK_MEMORY) { /* the index: the run parses it */
        free(w->src->body);
        w->src->body = j->req.body;
        w->src->body_len = j->req.body_len;
        j->req.body = NULL;
    }
    job_free(w, j);
    w->busy--;
    if (!ping)
        check_done(w);
}

/* What j's URL is fit for before any request (job_prepare). Returns 0 or the failure. */
static int prepare(struct worker *w, struct job *j)
{
    const struct config *cfg = w->sh->cfg;
    int rc = job_prepare(j, j->listed_len, cfg->output_dir, w->sh->claims);
    /* A mode that routes jobs itself takes a bare host name too (--dns-only with -i). */
    if (rc == VL_EURL && w->mode && w->mode->route && !memchr(j->url, '\0', j->listed_len)) {
        j->req.u.host = j->url;
        j->req.u.host_len = j->listed_len;
        return 0;
    }
    return rc;
}

/* --resume: a URL the manifest says is saved whole is skipped; its file stays claimed, so no
 * other URL of this run may overwrite it. */
static bool skip_done(struct worker *w, struct source_item *it)
{
    const struct strmap_entry *done = w->sh->done ? manifest_find(w->sh->done, it->url) : NULL;
    if (!done)
        return false;
    if (w->sh->claims)
        pathclaims_claim(w->sh->claims, done->str, done->num);
    w->stats.skipped++;
    free(it->owned);
    return true;
}

/* A job for item: 1 with *out set, 0 when it ended at once (its failure counted), -1 when out
 * of memory. */
static int start_job(struct worker *w, struct source_item *it, uint64_t now, struct job **out)
{
    struct job *j = job_new_for(w);
    if (!j) {
        free(it->owned);
        return -1;
    }
    w->busy++;
    w->taken++;
    j->idx = it->idx;
    j->attempts = 1;
    j->url = j->listed = it->url;
    j->listed_len = it->len;
    j->listed_own = it->owned;
    j->req.sink = w->src->sink;
    /* Paced jobs count from when they were due, not when sent (coordinated omission). */
    j->start_us = w->due_interval_us ? w->next_due_us : now;
    w->next_due_us += w->due_interval_us;
    j->req.connect_only = w->mode && w->mode->own_conn && w->sh->cfg->hold_idle;
    int rc = prepare(w, j);
    if (rc < 0) {
        finish(w, j, rc);
        return 0;
    }
    *out = j;
    return 1;
}

/* Next job: one waiting to be routed again, else a new one from the source. */
static struct job *take(struct worker *w)
{
    struct job *ready = jobq_pop(&w->ready);
    if (ready)
        return ready;
    /* Take no more than the connections can carry, so other threads get their share. */
    const struct config *cfg = w->sh->cfg;
    const struct worker_mode *m = w->mode;
    unsigned depth = cfg->pipeline ? cfg->pipeline : ORIGIN_MAX_DEPTH;
    unsigned cap = m && m->jobs_in_flight ? m->jobs_in_flight : w->slots.n * depth;
    while (!w->exhausted && w->busy < cap) {
        uint64_t now = timer_now_us();
        /* The mode's share (--hold: -k per thread), or --duration's end. */
        if ((m && m->jobs_per_thread && w->taken >= m->jobs_per_thread) ||
            (w->src->deadline_us && now >= w->src->deadline_us)) {
            w->exhausted = true;
            break;
        }
        if (w->due_interval_us && w->next_due_us > now) {
            reactor_timer_in(&w->r, &w->pace, (w->next_due_us - now + 999) / 1000);
            return NULL; /* not yet due: the pace timer calls fill again */
        }
        struct source_item it;
        enum source_rc rc = source_next(w->src, w->id, &it);
        if (rc == SOURCE_WAIT)
            return NULL; /* the list is still being read: woken when a line comes */
        if (rc == SOURCE_END) {
            w->exhausted = true;
            break;
        }
        if (skip_done(w, &it))
            continue;
        struct job *j;
        int started = start_job(w, &it, now, &j);
        if (started > 0)
            return j;
        if (started < 0) {
            w->exhausted = true; /* out of memory: finish what we have */
            break;
        }
    }
    check_done(w);
    return NULL;
}

/* ---- TLS sessions ---- */

/* c is still getting its host's first session: connecting, in the handshake, or (TLS 1.3)
 * waiting for the ticket that follows the handshake. */
static bool warming(const struct conn *c)
{
    return c->state == CONN_CONNECTING || c->state == CONN_HANDSHAKE ||
           (c->state == CONN_READY && c->secure && tls_awaiting_ticket(c->tls));
}

/* With no session for this host yet and a first handshake under way, a new connection waits
 * for it: then it resumes (an abbreviated handshake) instead of paying for a full one. */
static bool session_busy(struct tls_session_entry *e)
{
    const struct conn *c = (const struct conn *)e->warming;
    if (e->s.valid || e->no_wait)
        return false;
    if (c && warming(c) && c->port == e->port && strcmp(c->host, e->host) == 0)
        return true;
    e->warming = NULL;
    return false;
}

/* ---- routing ---- */

static void flush_dirty(struct reactor *r, void *arg)
{
    struct worker *w = arg;
    (void)r;
    connpool_flush(&w->slots);
}

static void on_resume(void *arg);

/* The outcome of routing a job. */
enum route_rc {
    ROUTED, /* on a connection, at the resolver, or ended */
    PARKED, /* waiting for room at its origin (or its host's first TLS session) */
};

/* j goes on a connection that already serves its origin: the open one with the fewest requests
 * in flight below the origin's pipeline depth. */
static bool send_on_open(struct worker *w, struct job *j, struct origin *o, struct conn *hint)
{
    bool own = w->mode && w->mode->own_conn; /* --hold measures connections: one per job */
    struct conn *c =
        own ? NULL : connpool_find(&w->slots, &j->req, origin_depth(o, &w->origins), hint);
    if (!c)
        return false;
    w->stats.conns_reused_requests += c->served > 0;
    j->req.t_addr_us = j->req.t_conn_us = j->req.t_tls_us = timer_now_us();
    o->inflight++;
    conn_push(c, &j->req, false);
    connpool_mark(&w->slots, c);
    return true;
}

/* j opens a connection of its own to he's addresses, if its origin and the slots allow. */
static enum route_rc open_for(struct worker *w, struct job *j, struct origin *o,
                              const struct hc_entry *he)
{
    const struct url *u = &j->req.u;
    bool own = w->mode && w->mode->own_conn;
    struct tls_session_entry *se =
        u->scheme == URL_HTTPS ? tls_sessions_get(&w->sessions, u->host, u->host_len, u->port)
                               : NULL;
    if (se && session_busy(se)) {
        /* Parked apart: jobs for other hosts keep being routed meanwhile. */
        w->stats.tls_waits++;
        jobq_push(&w->session_wait, j);
        return PARKED;
    }
    struct conn *c = origin_may_connect(o, &w->origins) ? connpool_slot(&w->slots, !own) : NULL;
    if (!c) { /* its origin's cap, or every slot busy: it waits for room */
        origin_park(&w->origins, o, j);
        return PARKED;
    }
    if (se && !se->s.valid)
        se->warming = c; /* this one gets the host's first session */
    w->stats.conns_opened++;
    j->req.t_addr_us = timer_now_us(); /* its wait ends: address known, room, a slot */
    origin_connecting(o);
    o->inflight++;
    conn_open(c, &j->req, he, se ? &se->s : NULL);
    c->owner_data = o;
    return ROUTED;
}

/* Send j on its way: a mode's own route, an open connection of its origin, or (once its name
 * is known) a new connection; else it waits for room at its origin. */
static enum route_rc route(struct worker *w, struct job *j, struct conn *hint)
{
    if (w->mode && w->mode->route) {
        w->mode->route(w, j);
        return ROUTED;
    }
    struct origin *o = j->origin;
    if (!o && !(o = j->origin = origins_get(&w->origins, &j->req.u, j->req.origin, on_resume))) {
        finish(w, j, VL_ENOMEM);
        return ROUTED;
    }
    if (!origin_has_room(o, &w->origins, timer_now_us())) {
        origin_park(&w->origins, o, j);
        return PARKED;
    }
    if (send_on_open(w, j, o, hint))
        return ROUTED;
    const struct hc_entry *he;
    int rc = resolver_get(&w->resolver, j, &he);
    if (rc <= 0) { /* parked until its lookup ends, or none could start */
        if (rc < 0)
            finish(w, j, rc);
        return ROUTED;
    }
    if (he->err || he->naddr == 0) {
        finish(w, j, he->err ? he->err : VL_EDNS_NOTFOUND);
        return ROUTED;
    }
    return open_for(w, j, o, he);
}

/* Route what can go now: first the jobs waiting at origins that have room again (round robin,
 * until one that cannot go yet is met), then new and returning jobs from take(). */
static void fill(struct worker *w, struct conn *hint)
{
    if (w->filling)
        return; /* a callback under an outer fill: the outer loop carries on */
    w->filling = true;
    for (struct job *j; (j = origins_next_ready(&w->origins, timer_now_us())) != NULL;) {
        if (route(w, j, hint) == PARKED)
            break; /* room at its origin, but no slot yet: wait for one to free */
        hint = NULL;
    }
    for (struct job *j; (j = take(w)) != NULL;) {
        route(w, j, hint);
        hint = NULL;
    }
    w->filling = false;
    check_done(w);
}

/* A Retry-After pause ended: the origin's waiting jobs may go. */
static void on_resume(void *arg)
{
    struct origin *o = arg;
    struct job *j = o->waiting.head;
    if (j)
        fill(j->owner, NULL);
}

/* ---- retries ---- */

static uint64_t rand64(struct worker *w)
{
    uint64_t x = w->rng; /* xorshift64: jitter only, not security */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return w->rng = x;
}

static void on_backoff(void *arg)
{
    struct job *j = arg;
    struct worker *w = j->owner;
    jobq_remove(&w->backing_off, j);
    jobq_push(&w->ready, j);
    fill(w, NULL);
}

static void backoff(struct worker *w, struct job *j, uint64_t ms)
{
    j->req.deadline_us = 0; /* a retry is a new try, with a --timeout of its own */
    j->he = NULL; /* look the name up again in the cache: --resolve or DNS may differ now */
    timer_init(&j->backoff, on_backoff, j);
    jobq_push(&w->backing_off, j);
    reactor_timer_in(&w->r, &j->backoff, ms);
}

/* A "too many" or "unavailable" with no Retry-After, from an origin that still has other
 * requests in flight: the origin's budget was cut for it, and that is the backoff. The URL
 * waits in the origin's queue, uncounted (the overload was the run's, not the URL's), at most
 * BUSY_REQUEUES times; alone at its origin, it backs off and counts as usual. */
static bool waits_at_origin(const struct worker *w, const struct job *j, int err)
{
    const struct origin *o = j->origin;
    return err == VL_ESTATUS && w->origins.conf.adaptive && o && o->inflight > 0 &&
           !j->req.retry_after && (j->req.status == 429 || j->req.status == 503) &&
           j->busy_requeues < BUSY_REQUEUES;
}

static void fail_or_retry(struct worker *w, struct job *j, int err)
{
    const struct config *cfg = w->sh->cfg;
    if (w->stop_seen) {
        finish(w, j, err);
        return;
    }
    if (err_is_client_limit(err))
        w->stats.client_limits[err == VL_ECLIENT_FILES ? 0 : err == VL_ECLIENT_PORTS ? 1 : 2]++;
    if (err_is_client_limit(err) && j->limit_requeues < LIMIT_REQUEUES) {
        /* This client's own limit (files, ports): not the server's fault, not a retry. */
        j->limit_requeues++;
        w->stats.client_limit_requeues++;
        backoff(w, j, LIMIT_BACKOFF_MS);
        return;
    }
    if (waits_at_origin(w, j, err)) {
        j->busy_requeues++;
        w->stats.busy_requeues++;
        jobq_push(&w->ready, j);
        return;
    }
    bool own_conn = w->mode && w->mode->own_conn; /* a held connection is not retried */
    if (retry_allowed(err, j->req.status) && j->attempts <= cfg->retries && !own_conn) {
        uint64_t delay = retry_delay_ms(j->attempts, j->req.retry_after, rand64(w));
        uint64_t elapsed_ms = (timer_now_us() - j->start_us) / 1000;
        if (!cfg->retry_max_time_ms || elapsed_ms + delay <= cfg->retry_max_time_ms) {
            j->attempts++;
            w->stats.retries++;
            backoff(w, j, delay);
            return;
        }
    }
    finish(w, j, err);
}

/* ---- stopping ---- */

static void cut(struct worker *w)
{
    connpool_close_all(&w->slots, VL_EINTR, false);
}

static void on_grace(void *arg)
{
    cut(arg);
}

static void on_pace(void *arg)
{
    fill(arg, NULL);
}

static void finish_list(struct worker *w, struct job *j)
{
    while (j) {
        struct job *next = j->next;
        reactor_timer_cancel(&w->r, &j->backoff);
        finish(w, j, VL_EINTR);
        j = next;
    }
}

/* Act on a stop request: take no more URLs, give up the queued ones, let what is on the wire
 * finish within the grace time (level 1) or cut it now (level 2). */
static void check_stop(struct worker *w)
{
    int level = atomic_load(&w->sh->stop);
    if (level <= w->stop_seen)
        return;
    if (w->stop_seen == 0) {
        w->exhausted = true;
        resolver_take_all(&w->resolver, &w->ready);
        for (struct job *j; (j = jobq_pop(&w->session_wait)) != NULL;)
            jobq_push(&w->ready, j);
        struct job *ready = w->ready.head, *waiting = w->backing_off.head;
        w->ready = w->backing_off = (struct job_queue){NULL, NULL};
        w->stop_seen = level;
        finish_list(w, ready);
        finish_list(w, waiting);
        connpool_close_all(&w->slots, 0, true);
        reactor_timer_in(&w->r, &w->grace, GRACE_MS);
    }
    w->stop_seen = level;
    if (level >= 2)
        cut(w);
    check_done(w);
}

/* ---- connection callbacks ---- */

static void follow_redirect(struct worker *w, struct job *j)
{
    if (++j->hops > MAX_REDIRECTS) {
        finish(w, j, VL_EREDIRECT_LOOP);
        return;
    }
    /* Resolved against the URL that answered (RFC 9110 section 10.2.2). */
    char *target = malloc(URL_MAX + 1);
    int n = target ? url_resolve(&j->req.u, j->req.location, strlen(j->req.location), target,
                                 URL_MAX + 1)
                   : -1;
    if (n < 0) {
        free(target);
        finish(w, j, target ? VL_EREDIRECT : VL_ENOMEM);
        return;
    }
    free(j->redirect);
    j->redirect = target;
    j->url = j->redirect;
    j->he = NULL;
    j->origin = NULL; /* maybe another origin now */
    /* The same limits as a listed URL; the body is saved under the final URL's path, which
     * must be free too. */
    int rc = job_prepare(j, strlen(j->url), w->sh->cfg->output_dir, w->sh->claims);
    if (rc < 0) {
        finish(w, j, rc == VL_EURL ? VL_EREDIRECT : rc);
        return;
    }
    jobq_push(&w->ready, j);
}

/* What a request's end tells its origin: an answer (its first byte's time, for the budget), or
 * trouble that halves the budget (and a Retry-After that pauses the origin). */
static void tell_origin(struct worker *w, struct conn *c, struct job *j, int err)
{
    struct origin *o = j->origin;
    const struct request *rq = &j->req;
    if (!o)
        return; /* a --hold-ping, or a mode's own job */
    o->inflight--;
    bool busy = err == 0 && (rq->status == 429 || rq->status == 503);
    if (err == 0 && !busy) /* a first byte in the same loop turn as the request: ttfb 0 */
        origin_answered(o, &w->origins,
                        rq->t_first_us > rq->t_tls_us ? rq->t_first_us - rq->t_tls_us : 0,
                        w->cpu_us_per_req, rq->pipelined);
    if ((err && rq->pipelined && !rq->answered) || err == VL_EEXCESS)
        origin_pipeline_failed(o); /* lost in the middle of a pipeline */
    enum origin_why why = busy               ? (rq->status == 429 ? WHY_STATUS_429 : WHY_STATUS_503)
                          : err == VL_ERESET ? WHY_RESET
                          : err == VL_ECONNREFUSED || err == VL_ECONNECT     ? WHY_REFUSED
                          : err <= VL_ETIMEOUT_CONNECT && err >= VL_ETIMEOUT ? WHY_TIMEOUT
                                                                             : WHY_NONE;
    if (why == WHY_NONE)
        return;
    uint64_t now = timer_now_us();
    struct origin_trouble tr = {why, rq->retry_after, rq->t_tls_us, connpool_busy(&w->slots, o, c)};
    origin_trouble(o, &tr, now);
    if (o->paused_until_us > now)
        reactor_timer_in(&w->r, &o->resume, (o->paused_until_us - now) / 1000 + 1);
}

/* The first answer on a connection that made a full handshake came with no session to keep (a
 * TLS 1.3 server sends its ticket before any data, if at all; nginx with tickets and its
 * session cache off sends none): the host gives none, so connections to it stop waiting. */
static void note_no_session(struct worker *w, const struct conn *c)
{
    if (!c->secure || c->served != 1 || !c->tls->full || tls_awaiting_ticket(c->tls))
        return;
    struct tls_session_entry *se =
        tls_sessions_get(&w->sessions, c->host, strlen(c->host), c->port);
    if (!se || se->s.valid || se->no_wait)
        return;
    se->no_wait = true;
    release_session_waiters(w);
}

static void on_request_done(void *arg, struct conn *c, struct request *rq, int err)
{
    struct worker *w = arg;
    struct job *j = job_of(rq);
    tell_origin(w, c, j, err);
    if (err == 0)
        note_no_session(w, c);
    if (err == 0) {
        w->stats.requests++;
        if (j->req.action == REQ_REDIRECT)
            follow_redirect(w, j);
        else if (j->req.action == REQ_SAVE)
            finish(w, j, 0);
        else
            fail_or_retry(w, j, VL_ESTATUS);
    } else if (!w->stop_seen && !j->req.answered && !j->free_retry && c->served > 0) {
        /* A reused connection closed before any byte of this response: the GET never reached
         * the server or was not answered, so resend it once, uncounted (RFC 9110 9.2.2). */
        j->free_retry = true;
        w->stats.resent++;
        jobq_push(&w->ready, j);
    } else {
        fail_or_retry(w, j, err);
    }
    fill(w, c);
}

static void on_ready(void *arg, struct conn *c, enum conn_ready how)
{
    struct worker *w = arg;
    (void)c;
    w->stats.conns_established++;
    if (++w->open_now > w->stats.conns_peak)
        w->stats.conns_peak = w->open_now;
    w->stats.tls_full += how == CONN_TLS_FULL;
    w->stats.tls_resumed += how == CONN_TLS_RESUMED;
    if (how != CONN_PLAIN)
        release_session_waiters(w); /* a session to resume now, or none to wait for */
}

static void on_closed(void *arg, struct conn *c, int err)
{
    struct worker *w = arg;
    struct origin *o = c->owner_data;
    if (o)
        o->conns--;
    c->owner_data = NULL;
    w->stats.discarded_excess += err == VL_EEXCESS;
    if (c->was_ready) {
        w->open_now--;
        if (w->mode && w->mode->closed && !w->stop_seen)
            w->mode->closed(w, c, err);
    } else if (err < 0 && err >= VL_ERR_MIN) {
        w->stats.conn_failed_by[-err]++;
    } else {
        w->stats.conn_failed_by[-VL_ECLOSED]++;
    }
    release_session_waiters(w); /* if c was warming a session, it never will */
}

/* A host's first session came (or its connection failed): the jobs that waited for one route
 * again, to resume it or to open their own connections. */
static void release_session_waiters(struct worker *w)
{
    for (struct job *j; (j = jobq_pop(&w->session_wait)) != NULL;)
        jobq_push(&w->ready, j);
    fill(w, NULL);
}

static void on_session_ready(void *arg, struct conn *c)
{
    (void)c;
    release_session_waiters(arg); /* the same, after a TLS 1.3 ticket */
}

static void on_wake(struct reactor *r, void *arg)
{
    struct worker *w = arg;
    (void)r;
    check_stop(w);
    resolver_ready(&w->resolver, &w->ready);
    fill(w, NULL);
}

/* ---- life cycle ---- */

/* What this worker's connections borrow from it. */
static void set_env(struct worker *w)
{
    const struct shared *sh = w->sh;
    const struct config *cfg = sh->cfg;
    w->env = (struct conn_env){
        .r = &w->r,
        .tls = &w->tls,
        .out = cfg->output_dir ? &w->out : NULL,
        .checksum = cfg->checksum,
        .max_size = cfg->max_size,
        .timeout_ms = cfg->timeout_ms,
        .connect_timeout_ms = cfg->connect_timeout_ms,
        .idle_ms = sh->mode && sh->mode->idle_ms ? sh->mode->idle_ms : IDLE_MS,
        .request_done = on_request_done,
        .closed = on_closed,
        .ready = on_ready,
        .session_ready = on_session_ready,
        .arg = w,
        .max_requests = cfg->requests_per_conn,
        .binds = sh->binds,
        .bind_cursor = &w->bind_cursor,
    };
}

int worker_init(struct worker *w, unsigned id, const struct shared *sh, char *err, size_t errlen)
{
    const struct config *cfg = sh->cfg;
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->sh = sh;
    w->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)id << 32) ^ timer_now_us();
    timer_init(&w->grace, on_grace, w);
    timer_init(&w->pace, on_pace, w);
    if (cfg->rate > 0)
        w->due_interval_us = (uint64_t)(1e6 * cfg->threads / cfg->rate);
    stats_init(&w->stats);
    int rc = reactor_init(&w->r, on_wake, w);
    if (rc < 0) {
        snprintf(err, errlen, "cannot create an epoll loop: %s", err_str(rc));
        return rc;
    }
    reactor_set_before_wait(&w->r, flush_dirty, w);
    if ((rc = dns_init(&w->dns, &w->r, cfg->dns_servers, 0, err, errlen)) < 0)
        goto fail_reactor;
    if ((rc = tls_thread_init(&w->tls, sh->tls)) < 0) {
        snprintf(err, errlen, "TLS setup failed: %s", err_str(rc));
        goto fail_dns;
    }
    tls_sessions_init(&w->sessions);
    resolver_init(&w->resolver, sh->hosts, &w->dns, &w->r, &w->stats, id);
    unsigned per_thread = (cfg->max_per_host + cfg->threads - 1) / cfg->threads;
    struct origin_conf oc = {cfg->adaptive, per_thread ? per_thread : 1, cfg->pipeline};
    if (origins_init(&w->origins, &oc) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = VL_ENOMEM;
        goto fail_all;
    }
    outdir_init(&w->out);
    if (cfg->output_dir && (rc = outdir_open(&w->out, cfg->output_dir, err, errlen)) < 0)
        goto fail_all;
    set_env(w);
    if ((rc = connpool_init(&w->slots, cfg->conns, &w->env)) < 0) {
        snprintf(err, errlen, "out of memory for %u connections", cfg->conns);
        goto fail_all;
    }
    if (sh->mode && sh->mode->init && sh->mode->init(w) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = VL_ENOMEM;
        goto fail_all;
    }
    return 0;
fail_all:
    origins_fini(&w->origins);
    outdir_close(&w->out);
    connpool_fini(&w->slots);
    tls_thread_fini(&w->tls);
fail_dns:
    dns_fini(&w->dns);
fail_reactor:
    reactor_fini(&w->r);
    return rc;
}

void worker_run(struct worker *w, struct source *src)
{
    const struct shared *sh = w->sh;
    bool index = src->sink == SINK_MEMORY;
    w->src = src;
    w->mode = index ? NULL : sh->mode; /* the index is fetched the ordinary way */
    w->results = (struct result_ctx){index ? -1 : sh->manifest_fd, index ? NULL : src->write_out,
                                     src->errout, sh->cfg->verbose > 0};
    w->exhausted = false;
    w->taken = 0;
    /* The progress line counts this source's URLs only (not the index fetched before). */
    progress_set(&w->progress, 0, 0, 0);
    w->next_due_us = w->started_us = timer_now_us();
    fill(w, NULL);
    if (!(w->exhausted && w->busy == 0))
        reactor_run(&w->r);
}

void worker_wake(struct worker *w)
{
    reactor_wake(&w->r);
}

struct job *worker_job_new(struct worker *w)
{
    return job_new_for(w);
}

void worker_finish(struct worker *w, struct job *j, int err)
{
    finish(w, j, err);
}

void worker_fill(struct worker *w)
{
    fill(w, NULL);
}

void worker_check_done(struct worker *w)
{
    check_done(w);
}

void worker_fini(struct worker *w)
{
    reactor_timer_cancel(&w->r, &w->grace);
    reactor_timer_cancel(&w->r, &w->pace);
    w->mode = NULL; /* the connections closed below are the teardown's, not the mode's to see */
    if (w->sh->mode && w->sh->mode->fini)
        w->sh->mode->fini(w);
    connpool_fini(&w->slots);
    origins_fini(&w->origins);
    tls_sessions_fini(&w->sessions);
    job_pool_fini(&w->pool);
    outdir_close(&w->out);
    tls_thread_fini(&w->tls);
    dns_fini(&w->dns);
    reactor_fini(&w->r);
}
