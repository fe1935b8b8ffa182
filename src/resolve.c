/* resolve.c: a worker's side of the host cache, and the lookups it owns. */
#include "resolve.h"

#include <stdlib.h>

#include "err.h"
#include "timer.h"

struct lookup {
    struct resolver *rs;
    struct hc_entry *e;
    uint64_t start_us;
};

void resolver_init(struct resolver *rs, struct hostcache *hc, struct dns *dns, struct reactor *r,
                   struct stats *st, unsigned id)
{
    *rs = (struct resolver){hc, dns, r, st, id, {NULL, NULL}};
}

static void count(struct stats *st, int err, int timeouts, uint64_t us)
{
    hist_add(&st->dns_latency, us);
    st->dns_lookups++;
    st->dns_queries += 2 + (uint64_t)timeouts; /* A and AAAA, and every resend */
    st->dns_retries += (uint64_t)timeouts;
    st->dns_timeouts += err == VL_ETIMEOUT_DNS;
    st->dns_failed += err != 0;
}

static void on_lookup(void *arg, int err, const struct hc_addr *addrs, unsigned naddr, int timeouts)
{
    struct lookup *l = arg;
    struct resolver *rs = l->rs;
    uint64_t us = timer_now_us() - l->start_us;
    count(rs->st, err, timeouts, us);
    hostcache_finish(rs->hc, l->e, err, addrs, naddr, us);
    free(l);
    /* Route this thread's waiting jobs from the loop, not from inside c-ares. */
    reactor_wake(rs->r);
}

/* This thread owns e's lookup: an IP literal needs none, a name goes to c-ares. */
static void start_lookup(struct resolver *rs, struct hc_entry *e, const struct url *u)
{
    struct hc_addr a;
    if (hc_addr_parse(u->host, u->host_len, &a) == 0) {
        hostcache_finish(rs->hc, e, 0, &a, 1, 0);
        return;
    }
    struct lookup *l = malloc(sizeof(*l));
    if (!l) {
        hostcache_finish(rs->hc, e, VL_ENOMEM, NULL, 0, 0);
        return;
    }
    *l = (struct lookup){rs, e, timer_now_us()};
    dns_lookup(rs->dns, e->name, on_lookup, l);
}

int resolver_get(struct resolver *rs, struct job *j, const struct hc_entry **out)
{
    if (!j->he) {
        struct hc_entry *e;
        const struct url *u = &j->req.u;
        int rc = hostcache_get(rs->hc, u->host, u->host_len, u->port, rs->id, &e);
        if (rc < 0)
            return rc;
        j->he = e;
        if (rc == HC_OWNER)
            start_lookup(rs, e, u);
    }
    if (hc_ready(j->he)) {
        *out = j->he;
        return 1;
    }
    jobq_push(&rs->wait, j);
    return 0;
}

void resolver_ready(struct resolver *rs, struct job_queue *out)
{
    struct job_queue still = {NULL, NULL};
    for (struct job *j; (j = jobq_pop(&rs->wait)) != NULL;)
        jobq_push(hc_ready(j->he) ? out : &still, j);
    rs->wait = still;
}

void resolver_take_all(struct resolver *rs, struct job_queue *out)
{
    for (struct job *j; (j = jobq_pop(&rs->wait)) != NULL;)
        jobq_push(out, j);
}
