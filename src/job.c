/* job.c: the job pool, job queues, and a URL made ready to fetch. */
#include "job.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "index.h"
#include "outpath.h"

void jobq_push(struct job_queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

void jobq_push_front(struct job_queue *q, struct job *j)
{
    j->next = q->head;
    q->head = j;
    if (!q->tail)
        q->tail = j;
}

struct job *jobq_pop(struct job_queue *q)
{
    struct job *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        j->next = NULL;
    }
    return j;
}

void jobq_remove(struct job_queue *q, struct job *j)
{
    struct job *prev = NULL;
    for (struct job *k = q->head; k; prev = k, k = k->next) {
        if (k != j)
            continue;
        if (prev)
            prev->next = j->next;
        else
            q->head = j->next;
        if (q->tail == j)
            q->tail = prev;
        j->next = NULL;
        return;
    }
}

struct job *job_new(struct job_pool *p)
{
    struct job *j = p->free;
    if (j)
        p->free = j->next;
    else if (!(j = malloc(sizeof(*j))))
        return NULL;
    memset(j, 0, sizeof(*j));
    return j;
}

void job_release(struct job_pool *p, struct job *j)
{
    free(j->listed_own);
    free(j->redirect);
    free(j->path);
    free(j->req.location);
    free(j->req.body);
    j->next = p->free;
    p->free = j;
}

void job_pool_fini(struct job_pool *p)
{
    while (p->free) {
        struct job *j = p->free;
        p->free = j->next;
        free(j);
    }
}

/* Build j's output path (once per URL it fetches) and claim it for the run. */
static int claim_path(struct job *j, const char *dir, struct pathclaims *claims)
{
    char path[PATH_MAX];

    free(j->path);
    j->path = NULL;
    j->req.path = NULL;
    if (j->req.sink != SINK_FILE)
        return 0;
    int n = outpath_build(dir, &j->req.u, path, sizeof(path));
    if (n < 0)
        return n == -1 ? VL_EPATH : VL_EIO;
    if (!(j->path = strdup(path)))
        return VL_ENOMEM;
    j->req.path = j->path;
    return pathclaims_claim(claims, j->path, url_identity_hash(&j->req.u));
}

int job_prepare(struct job *j, size_t url_len, const char *dir, struct pathclaims *claims)
{
    /* Longer URLs are refused here, each on its own, rather than failing the connection (and
     * every request pipelined on it) when their request will not fit its buffer. */
    if (url_len > URL_MAX)
        return VL_EURL_LONG;
    if (url_parse(j->url, url_len, &j->req.u) < 0)
        return VL_EURL;
    j->req.origin = url_origin_hash(&j->req.u);
    /* A path that would leave -o, or that another URL saves to, fails before a request. */
    return claim_path(j, dir, claims);
}
