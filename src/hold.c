/* hold.c: --hold as a worker mode: connections opened, kept, pinged and counted, then closed. */
#include <stdlib.h>
#include <string.h>

#include "modes.h"
#include "procstat.h"

struct hold {
    struct worker *w;
    bool holding, ending;
    struct timer end, ping;
};

static void on_hold_end(void *arg)
{
    struct hold *h = arg;
    struct worker *w = h->w;
    w->stats.rss_hold_kb = procstat_rss_kb();
    h->ending = true;
    reactor_timer_cancel(&w->r, &h->ping);
    connpool_close_all(&w->slots, 0, false);
    worker_check_done(w);
}

/* A request on every idle held connection (a ping), to see that the server still serves it. */
static void on_hold_ping(void *arg)
{
    struct hold *h = arg;
    struct worker *w = h->w;
    for (unsigned i = 0; i < w->slots.n; i++) {
        struct conn *c = &w->slots.conns[i];
        struct job *j = conn_idle(c) ? worker_job_new(w) : NULL;
        if (!j)
            continue;
        j->ping = true;
        j->url = w->src->urls[i % w->src->nurls];
        j->start_us = timer_now_us();
        if (url_parse(j->url, strlen(j->url), &j->req.u) < 0 ||
            (j->req.origin = url_origin_hash(&j->req.u), !conn_matches(c, &j->req))) {
            job_release(&w->pool, j);
            continue;
        }
        w->busy++;
        conn_push(c, &j->req, true);
    }
    reactor_timer_in(&w->r, &h->ping, w->sh->cfg->hold_ping_ms);
}

/* Every connection of this thread is up (or failed): hold them, until the end timer. */
static bool drained(struct worker *w)
{
    struct hold *h = w->mode_state;
    const struct config *cfg = w->sh->cfg;
    if (h->holding)
        return !h->ending;
    h->holding = true;
    w->stats.establish_us = timer_now_us() - w->started_us;
    reactor_timer_in(&w->r, &h->end, cfg->hold_ms);
    if (cfg->hold_ping_ms)
        reactor_timer_in(&w->r, &h->ping, cfg->hold_ping_ms);
    return true;
}

/* Every close before the hold ends is the server's doing (or a failure after the handshake):
 * the connection was established, then lost. */
static void closed(struct worker *w, struct conn *c, int err)
{
    struct hold *h = w->mode_state;
    (void)c;
    (void)err;
    w->stats.hold_server_closed += !h->ending;
}

static int init(struct worker *w)
{
    struct hold *h = calloc(1, sizeof(*h));
    if (!h)
        return -1;
    h->w = w;
    timer_init(&h->end, on_hold_end, h);
    timer_init(&h->ping, on_hold_ping, h);
    w->mode_state = h;
    return 0;
}

static void fini(struct worker *w)
{
    struct hold *h = w->mode_state;
    if (!h)
        return;
    reactor_timer_cancel(&w->r, &h->end);
    reactor_timer_cancel(&w->r, &h->ping);
    free(h);
    w->mode_state = NULL;
}

void hold_mode(struct worker_mode *m, const struct config *cfg)
{
    *m = (struct worker_mode){
        .init = init,
        .fini = fini,
        .drained = drained,
        .closed = closed,
        .jobs_per_thread = cfg->conns,
        .own_conn = true,
        .idle_ms = cfg->hold_ms + 600000, /* the hold ends them, not idleness */
    };
}
