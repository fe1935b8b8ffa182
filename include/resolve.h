/* Names to addresses for one worker: the run-wide host cache (one lookup per name for every
 * thread, --resolve entries included), this thread's c-ares channel for the lookups it owns,
 * and the jobs parked until their name is known. */
#ifndef VOLLEY_RESOLVE_H
#define VOLLEY_RESOLVE_H

#include "dns.h"
#include "hostcache.h"
#include "job.h"
#include "reactor.h"
#include "stats.h"

struct resolver {
    struct hostcache *hc;  /* shared, borrowed */
    struct dns *dns;       /* this thread's, borrowed */
    struct reactor *r;     /* woken when a lookup this thread owns ends */
    struct stats *st;      /* this thread's DNS figures */
    unsigned id;           /* the thread, for the cache's waiter bits */
    struct job_queue wait; /* jobs whose lookup is under way */
};

void resolver_init(struct resolver *rs, struct hostcache *hc, struct dns *dns, struct reactor *r,
                   struct stats *st, unsigned id);
/* The addresses of j's host (j->he is set on the first call): 1 with *out ready (its err says
 * whether the name resolved), 0 when j is parked until the lookup ends, or VL_ENOMEM. */
int resolver_get(struct resolver *rs, struct job *j, const struct hc_entry **out);
/* Move the parked jobs whose lookup has ended to out, in order. */
void resolver_ready(struct resolver *rs, struct job_queue *out);
/* Hand every parked job to out (stopping). */
void resolver_take_all(struct resolver *rs, struct job_queue *out);

#endif
