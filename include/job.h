/* One URL's fetch as the worker sees it: the request a connection serves, plus what lives across
 * tries, redirects and retries. Jobs come from a per-thread pool and wait in job queues. */
#ifndef VOLLEY_JOB_H
#define VOLLEY_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "hostcache.h"
#include "pathclaim.h"
#include "timer.h"

struct worker;
struct origin;

struct job {
    struct request req; /* what the connection sends and fills (first: job_of) */
    struct job *next;   /* its job_queue */
    size_t idx;         /* position in the run's URLs */
    const char *listed; /* the URL as listed: listed_len bytes (a NUL inside is kept) */
    size_t listed_len;
    char *listed_own;          /* owned: listed, when the source handed it over (a stream) */
    const char *url;           /* listed, or redirect */
    char *redirect;            /* owned: the URL being fetched after a redirect */
    char *path;                /* owned: where a SINK_FILE body is saved; req.path borrows it */
    const struct hc_entry *he; /* its host's addresses, once looked up */
    unsigned hops;             /* redirects followed */
    unsigned attempts;         /* counted tries */
    bool free_retry;           /* the one uncounted resend after a reused connection failed */
    uint16_t limit_requeues;   /* uncounted requeues after hitting a client limit */
    uint16_t busy_requeues;    /* uncounted requeues after a 429/503 cut its origin's budget */
    bool ping;                 /* --hold-ping: a keep-alive probe, not one of the run's URLs */
    uint64_t start_us;
    struct origin *origin; /* its origin's budget, once routed (the worker's origin table) */
    struct timer backoff;  /* armed while waiting to retry */
    struct worker *owner;  /* for the timer callbacks */
};

/* The job a request handed back by a connection belongs to. */
static inline struct job *job_of(struct request *rq)
{
    return (struct job *)((char *)rq - offsetof(struct job, req));
}

/* A FIFO of jobs, linked through job->next. Zero-initialise. */
struct job_queue {
    struct job *head, *tail;
};

void jobq_push(struct job_queue *q, struct job *j);
void jobq_push_front(struct job_queue *q, struct job *j);
/* The first job, or NULL. */
struct job *jobq_pop(struct job_queue *q);
/* Unlink j if it is in q (a walk: for short queues). */
void jobq_remove(struct job_queue *q, struct job *j);

/* Freed jobs kept for reuse: the steady state allocates nothing. Zero-initialise. */
struct job_pool {
    struct job *free;
};

/* A zeroed job, or NULL when out of memory. */
struct job *job_new(struct job_pool *p);
/* Free what j owns and keep it for reuse. */
void job_release(struct job_pool *p, struct job *j);
void job_pool_fini(struct job_pool *p);

/* Where and how j saves, from its current url (url_len bytes): parsed, at most URL_MAX bytes,
 * and for SINK_FILE its path under dir built once and claimed in claims (dir and claims NULL
 * without -o). Returns 0, VL_EURL_LONG, VL_EURL, VL_EPATH, VL_EIO (path too long),
 * VL_EPATH_CONFLICT or VL_ENOMEM. */
int job_prepare(struct job *j, size_t url_len, const char *dir, struct pathclaims *claims);

#endif
