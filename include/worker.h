/* A reactor thread's work: take URLs from the shared cursor, find or open a connection for each,
 * look up host names once per run, follow redirects, record results. Owns its reactor, c-ares
 * channel, TLS config, connection slots, TLS sessions and stats. */
#ifndef VOLLEY_WORKER_H
#define VOLLEY_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "conn.h"
#include "connpool.h"
#include "job.h"
#include "origin.h"
#include "dns.h"
#include "hostcache.h"
#include "manifest.h"
#include "progress.h"
#include "reactor.h"
#include "resolve.h"
#include "result.h"
#include "source.h"
#include "stats.h"
#include "tls.h"
#include "tls_sessions.h"

/* Everything a worker borrows from main, shared read-only (hostcache has its own lock, and so
 * does the CA bundle that tls loads on first use). */
struct shared {
    const struct config *cfg;
    struct tls_shared *tls;
    struct hostcache *hosts;
    int manifest_fd;                  /* -1 without --manifest */
    struct pathclaims *claims;        /* output paths claimed by URLs of the run; NULL without -o */
    const struct manifest_done *done; /* --resume: URLs to skip, or NULL */
    atomic_int stop;                  /* 0 run, 1 finish in-flight work then stop, 2 stop now */
    const struct bindaddr_set *binds;
    const struct worker_mode *mode; /* --hold, --dns-only, or NULL */
};

struct worker;

/* A stress mode (hold.c, dnsprobe.c): what it changes in how a worker treats its jobs and
 * connections. run.c picks one, or none; the worker calls it back and includes neither. */
struct worker_mode {
    /* Set up (and the end: tear down) the mode's own state in w->mode_state. */
    int (*init)(struct worker *w);
    void (*fini)(struct worker *w);
    /* Take j instead of the connection path (--dns-only); NULL: the ordinary routing. */
    void (*route)(struct worker *w, struct job *j);
    /* Every job is done: return true to keep the loop running (--hold begins to hold). */
    bool (*drained)(struct worker *w);
    /* An established connection closed; err is why. */
    void (*closed)(struct worker *w, struct conn *c, int err);
    unsigned jobs_in_flight; /* per thread; 0: -k x --pipeline */
    size_t jobs_per_thread;  /* per run; 0: as many as the source gives */
    bool own_conn;           /* a connection per job, kept: never reused, evicted or retried */
    unsigned idle_ms;        /* how long an idle connection stays open; 0: 30 s */
};

/* Public to run.c (stats, progress, mode_state's owner) and to the modes, which act on its
 * connections, stats, reactor and source; the rest is worker.c's own. */
struct worker {
    unsigned id;
    const struct shared *sh;
    struct source *src;
    const struct worker_mode *mode; /* sh->mode in the fetch phase, else NULL */
    void *mode_state;               /* the mode's own, owned by it */
    struct reactor r;
    struct dns dns;
    struct tls_thread tls;
    struct conn_env env;
    struct connpool slots;        /* cfg->conns connections */
    unsigned busy;                /* jobs taken and not finished */
    size_t taken;                 /* jobs taken from the source in this run */
    bool filling;                 /* inside fill(): a callback's own fill returns at once */
    bool exhausted;               /* the source has no more for this worker */
    int stop_seen;                /* the shared stop level this worker acted on */
    struct timer grace;           /* after a first signal: when in-flight work is cut */
    struct job_queue backing_off; /* jobs waiting for a retry */
    uint64_t rng;                 /* jitter */
    size_t bind_cursor;
    uint64_t next_due_us;                /* --rate: when the next job is due */
    uint64_t due_interval_us;            /* --rate: per-thread interval; 0 = unpaced */
    struct timer pace;                   /* --rate: wakes take() at the next due time */
    uint64_t started_us;                 /* when this source began */
    unsigned open_now;                   /* connections established and not closed */
    struct job_queue ready;              /* jobs to route again (redirects, resends) */
    struct job_queue session_wait;       /* jobs waiting for their host's first TLS session */
    struct resolver resolver;            /* names to addresses, and the jobs waiting for them */
    struct origin_table origins;         /* per-origin budgets and the jobs waiting for room */
    double cpu_us_per_req;               /* this thread's CPU time per finished URL, at least */
    uint64_t cpu_mark_us, cpu_mark_done; /* where that was last measured */
    struct job_pool pool;
    struct tls_sessions sessions; /* per host:port, for resumption */
    struct outdir out;            /* -o, as this thread writes into it */
    struct stats stats;
    struct progress_counters progress;
    struct result_ctx results; /* how this source's URLs are told */
    pthread_t thread;
};

/* Set up everything but the connections' sockets. Returns 0 or VL_E* with err filled. */
int worker_init(struct worker *w, unsigned id, const struct shared *sh, char *err, size_t errlen);
void worker_fini(struct worker *w);
/* Fetch src's URLs until the cursor runs out and every job has ended. */
void worker_run(struct worker *w, struct source *src);
/* Thread-safe wake from another thread (host lookup finished, stop requested). */
void worker_wake(struct worker *w);

/* For the modes, on the worker's own thread: a new job (counted busy until worker_finish), a
 * job's single end, taking and routing more, and a look at whether all is done. */
struct job *worker_job_new(struct worker *w);
void worker_finish(struct worker *w, struct job *j, int err);
void worker_fill(struct worker *w);
void worker_check_done(struct worker *w);

#endif
