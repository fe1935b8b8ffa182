/* dnsprobe.c: --dns-only as a worker mode: a job is one A lookup, timed and counted by rcode. */
#include <string.h>

#include "err.h"
#include "modes.h"

static int rcode_slot(int rcode)
{
    return rcode >= 0 && rcode <= 5 ? rcode : 6;
}

static void on_dns_answer(void *arg, int err, int rcode, int timeouts)
{
    struct job *j = arg;
    struct worker *w = j->owner;
    w->stats.dns_retries += (uint64_t)timeouts;
    w->stats.dns_queries += 1 + (uint64_t)timeouts;
    if (err == 0) {
        w->stats.dns_rcodes[rcode_slot(rcode)]++;
        hist_add(&w->stats.dns_latency, timer_now_us() - j->start_us);
    } else if (err == VL_ETIMEOUT_DNS) {
        w->stats.dns_timeouts++;
    }
    worker_finish(w, j, err);
    worker_fill(w);
}

/* The job's host (a URL's, or a -i line that is a bare name) goes to c-ares. */
static void route(struct worker *w, struct job *j)
{
    char name[256];
    if (j->req.u.host_len >= sizeof(name)) {
        worker_finish(w, j, VL_EURL);
        return;
    }
    memcpy(name, j->req.u.host, j->req.u.host_len);
    name[j->req.u.host_len] = '\0';
    w->stats.dns_lookups++;
    dns_query_a(&w->dns, name, on_dns_answer, j);
}

void dnsprobe_mode(struct worker_mode *m, const struct config *cfg)
{
    *m = (struct worker_mode){
        .route = route,
        .jobs_in_flight = cfg->dns_concurrency ? cfg->dns_concurrency : cfg->conns,
    };
}
