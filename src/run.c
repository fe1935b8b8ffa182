/* run.c: one run of the job. Set up the shared state and the reactor threads, fetch and parse
 * the index, hand out the URLs, merge the threads' stats. Prints only setup errors and
 * per-URL lines; main prints the summary. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "bindaddr.h"
#include "cli.h"
#include "err.h"
#include "hostcache.h"
#include "index.h"
#include "linefeed.h"
#include "modes.h"
#include "outdir.h"
#include "pathclaim.h"
#include "procstat.h"
#include "progress.h"
#include "report.h"
#include "stats.h"
#include "tls.h"
#include "worker.h"

struct run {
    struct config cfg; /* a copy: fit_open_files may lower -k */
    struct tls_shared tls;
    struct hostcache hosts;
    struct shared sh;
    struct worker *workers;
    unsigned nworkers;
    struct url_list urls;
    int input_fd;                 /* -i, or -1 */
    struct linefeed *feed;        /* -i streamed, or NULL */
    struct index_skipped skipped; /* elements of the JSON index that held no URL */
    struct pathclaims claims;     /* with -o */
    struct worker_mode mode;      /* --hold or --dns-only */
    struct stats setup;           /* the index fetch's connection figures */
    struct manifest_done done;
    struct bindaddr_set binds;
    int sigfd;  /* signalfd for SIGINT/SIGTERM, read by the main thread */
    int donefd; /* eventfd: each reactor thread adds 1 as it ends */
    int signo;  /* the first stop signal, 0 if none */
};

static void run_workers(struct run *run, struct source *src, unsigned n);

static void wake_worker(void *arg, unsigned thread_id)
{
    struct run *run = arg;
    if (thread_id < run->nworkers)
        worker_wake(&run->workers[thread_id]);
}

/* SIGINT/SIGTERM arrive as reads on a signalfd that the main thread watches: no handler, no
 * global. The first asks every worker to finish in-flight work; a second stops at once. */
static void on_signal(struct run *run)
{
    struct signalfd_siginfo si;
    while (read(run->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (!run->signo) {
            run->signo = (int)si.ssi_signo;
            fprintf(stderr, "volley: %s: finishing requests in flight (again to stop now)\n",
                    strsignal(run->signo));
        }
        int level = atomic_load(&run->sh.stop) + 1;
        atomic_store(&run->sh.stop, level > 2 ? 2 : level);
    }
    for (unsigned i = 0; i < run->nworkers; i++)
        worker_wake(&run->workers[i]);
}

static int watch_signals(struct run *run)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked before any thread starts, so every thread inherits the mask. */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    run->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    run->donefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return run->sigfd < 0 || run->donefd < 0 ? -1 : 0;
}

/* A list file up to this size is read whole before the fetch: it costs milliseconds, and the
 * progress line then knows the total. */
#define LIST_READ_WHOLE (64 << 20)

/* Whether the -i list on fd is streamed: read while it is fetched, in bounded memory. Pipes,
 * devices and large files are, on a single pass; --repeat, --duration, --hold and --sweep go
 * round the list, so they read it whole first. */
static bool list_streams(const struct config *cfg, int fd)
{
    struct stat st;
    bool small = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= LIST_READ_WHOLE;
    return !small && cfg->repeat <= 1 && !cfg->duration_ms && !cfg->hold_ms && !cfg->sweep;
}

static int add_url(void *arg, const char *s, size_t n)
{
    return url_list_add(arg, s, n);
}

/* Read the whole list from fd into run->urls, a line at a time. Returns 0 or -errno. */
static int read_list(struct run *run, int fd)
{
    struct line_splitter *ls = calloc(1, sizeof(*ls));
    char *buf = malloc(1 << 16);
    int rc = ls && buf ? 0 : -ENOMEM;
    for (ssize_t n = 1; rc == 0 && n > 0;) {
        n = read(fd, buf, 1 << 16);
        if (n < 0 && errno != EINTR)
            rc = -errno;
        else if (n > 0 && line_splitter_feed(ls, buf, (size_t)n, add_url, &run->urls) < 0)
            rc = -ENOMEM;
    }
    if (rc == 0 && line_splitter_end(ls, add_url, &run->urls) < 0)
        rc = -ENOMEM;
    free(buf);
    free(ls);
    return rc;
}

static int load_list(struct run *run)
{
    const struct config *cfg = &run->cfg;
    bool in = strcmp(cfg->input, "-") == 0;
    run->input_fd = in ? STDIN_FILENO : open(cfg->input, O_RDONLY | O_CLOEXEC);
    if (run->input_fd < 0) {
        fprintf(stderr, "volley: -i %s: %s\n", cfg->input, strerror(errno));
        return EXIT_USAGE;
    }
    if (list_streams(cfg, run->input_fd)) {
        /* Enough lines waiting to keep every connection busy; a line is at most 64 KiB. */
        size_t depth = cfg->pipeline ? cfg->pipeline : ORIGIN_MAX_DEPTH;
        size_t waiting = (size_t)cfg->threads * cfg->conns * depth * 2;
        struct linefeed_opts o = {run->input_fd,
                                  waiting < 1024 ? 1024 : waiting,
                                  cfg->shard_k,
                                  cfg->shard_n,
                                  cfg->limit,
                                  wake_worker,
                                  run};
        run->feed = linefeed_new(&o);
        return run->feed ? 0 : EXIT_FAILED;
    }
    int rc = read_list(run, run->input_fd);
    if (rc < 0) {
        fprintf(stderr, "volley: -i %s: %s\n", cfg->input, strerror(-rc));
        return rc == -ENOMEM ? EXIT_FAILED : EXIT_USAGE;
    }
    return 0;
}

/* Fetch the index on worker 0 of this thread and turn it into the URL list. */
static int load_index(struct run *run)
{
    char *one[1] = {(char *)run->cfg.index_url};
    size_t len[1] = {strlen(run->cfg.index_url)};
    struct source src = {
        .urls = one, .lens = len, .nurls = 1, .n = 1, .sink = SINK_MEMORY, .errout = stderr};
    struct worker *w = &run->workers[0];
    atomic_init(&src.cursor, 0);
    run_workers(run, &src, 1);
    run->setup = w->stats;
    stats_init(&w->stats);
    progress_set(&w->progress, 0, 0, 0); /* before the progress line's first frame */
    if (!src.body)
        return EXIT_FAILED; /* the failure line is already on stderr */
    char err[256] = "";
    int rc = index_from_json(src.body, src.body_len, run->cfg.field, &run->urls, &run->skipped, err,
                             sizeof(err));
    free(src.body);
    if (rc < 0) {
        fprintf(stderr, "volley: %s: %s\n", run->cfg.index_url, err[0] ? err : err_str(rc));
        return EXIT_FAILED;
    }
    const struct index_skipped *k = &run->skipped;
    if (k->no_field + k->not_string && !run->cfg.quiet)
        fprintf(stderr,
                "volley: %s: skipped %zu elements without \"%s\" and %zu whose \"%s\" is no "
                "string\n",
                run->cfg.index_url, k->no_field, run->cfg.field, k->not_string, run->cfg.field);
    return 0;
}

/* --shard K/N: keep the URLs whose position modulo N is K, in order. Returns the count. */
static size_t shard(struct url_list *l, unsigned k, unsigned n)
{
    if (n == 0)
        return l->n;
    size_t kept = 0;
    for (size_t i = k; i < l->n; i += n)
        l->v[kept++] = l->v[i];
    l->n = kept;
    return kept;
}

struct thread_arg {
    struct worker *w;
    int donefd;
};

static void *thread_main(void *arg)
{
    struct thread_arg *t = arg;
    uint64_t one = 1;
    worker_run(t->w, t->w->src);
    ssize_t n = write(t->donefd, &one, sizeof(one)); /* an eventfd write of 8 bytes succeeds */
    (void)n;
    return NULL;
}

/* The supervisor: workers [0, n) each run src on a thread of their own, while this thread reads
 * SIGINT/SIGTERM and counts the threads that end. Returns when all have ended. */
static void run_workers(struct run *run, struct source *src, unsigned n)
{
    pthread_t tids[MAX_THREADS];
    struct thread_arg args[MAX_THREADS];
    unsigned started = 0;
    for (unsigned i = 0; i < n; i++) {
        run->workers[i].src = src;
        args[i] = (struct thread_arg){&run->workers[i], run->donefd};
        if (pthread_create(&tids[started], NULL, thread_main, &args[i]) == 0)
            started++;
    }
    struct pollfd p[2] = {{.fd = run->sigfd, .events = POLLIN},
                          {.fd = run->donefd, .events = POLLIN}};
    for (uint64_t ended = 0, v; ended < started;) {
        if (poll(p, 2, -1) <= 0)
            continue;
        if (p[0].revents)
            on_signal(run);
        if (p[1].revents && read(run->donefd, &v, sizeof(v)) == (ssize_t)sizeof(v))
            ended += v;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
}

/* --resolve HOST:PORT:ADDR entries: ready host cache entries for that host on that port. */
static int add_resolves(struct run *run)
{
    for (size_t i = 0; i < run->cfg.nresolve; i++) {
        const struct resolve_entry *r = &run->cfg.resolve[i];
        int rc = hostcache_preset(&run->hosts, r->host, r->port, r->addr);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Raise the open-file soft limit to the hard one; if -t x -k still does not fit, say so once
 * with the numbers and the fix, then lower -k (or refuse with --strict). Never fail halfway. */
static int fit_open_files(struct config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* A socket per connection, a file per connection when saving, and per thread an epoll fd,
     * an eventfd and a few c-ares sockets; plus stdio, the manifest, the signalfd. */
    unsigned per_conn = cfg->output_dir ? 2 : 1, per_thread = 8, fixed = 16;
    unsigned long long need =
        (unsigned long long)cfg->threads * (cfg->conns * per_conn + per_thread) + fixed;
    if (rl.rlim_cur == RLIM_INFINITY || need <= rl.rlim_cur)
        return 0;
    long long fit = ((long long)rl.rlim_cur - fixed) / cfg->threads - per_thread;
    fit /= per_conn;
    fprintf(stderr,
            "volley: -t %u x -k %u needs about %llu open files, but the limit is %llu (ulimit -n); "
            "%s. Raise the hard limit (ulimit -Hn, or LimitNOFILE= for a service) or lower -k.\n",
            cfg->threads, cfg->conns, need, (unsigned long long)rl.rlim_cur,
            cfg->strict || fit < 1 ? "refusing (--strict)" : "lowering -k to fit");
    if (cfg->strict || fit < 1)
        return EXIT_USAGE;
    fprintf(stderr, "volley: using -k %lld per thread\n", fit);
    cfg->conns = (unsigned)fit;
    return 0;
}

/* -o must be a folder volley can write in: said once, before any request, not per URL. With
 * --resume, the hidden files that killed runs left there (where O_TMPFILE was not available)
 * and that no process holds any more are removed. */
static int check_output_dir(const struct config *cfg)
{
    char err[512];
    struct outdir od;
    if (outdir_open(&od, cfg->output_dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "volley: -o %s: %s\n", cfg->output_dir, err);
        return -1;
    }
    outdir_close(&od);
    size_t swept = cfg->resume ? outdir_sweep(cfg->output_dir) : 0;
    if (swept && !cfg->quiet)
        fprintf(stderr, "volley: --resume: removed %zu partial files of earlier runs from %s\n",
                swept, cfg->output_dir);
    return 0;
}

/* Where results go: -o (checked, its paths claimed), --resume's manifest read, --manifest
 * opened. Returns 0 or the exit status. */
static int setup_outputs(struct run *run)
{
    const struct config *cfg = &run->cfg;
    if (cfg->output_dir && check_output_dir(cfg) < 0)
        return EXIT_USAGE;
    if (cfg->output_dir) {
        if (pathclaims_init(&run->claims) < 0)
            return EXIT_FAILED;
        run->sh.claims = &run->claims;
    }
    if (cfg->resume) {
        int rc = manifest_load(cfg->manifest, cfg->verify, &run->done);
        if (rc < 0) {
            fprintf(stderr, "volley: --resume: cannot read %s: %s\n", cfg->manifest, err_str(rc));
            return EXIT_USAGE;
        }
        run->sh.done = &run->done;
    }
    if (cfg->manifest && (run->sh.manifest_fd = manifest_open(cfg->manifest)) < 0) {
        fprintf(stderr, "volley: --manifest %s: %s\n", cfg->manifest, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

static int setup(struct run *run)
{
    char err[512];
    const struct config *cfg = &run->cfg;
    int frc = fit_open_files(&run->cfg);
    if (frc)
        return frc;
    if (cfg->bind) {
        if (bindaddr_parse(cfg->bind, &run->binds, err, sizeof(err)) < 0) {
            fprintf(stderr, "volley: %s\n", err);
            return EXIT_USAGE;
        }
        run->sh.binds = &run->binds;
    }
    if (cfg->insecure)
        fprintf(stderr, "volley: warning: --insecure: certificates are not verified\n");
    if (tls_shared_init(&run->tls, cfg->cacert, cfg->insecure, err, sizeof(err)) < 0) {
        fprintf(stderr, "volley: %s\n", err);
        return EXIT_USAGE;
    }
    if (hostcache_init(&run->hosts, wake_worker, run) < 0 || add_resolves(run) < 0)
        return EXIT_FAILED;
    run->sh.cfg = cfg;
    run->sh.tls = &run->tls;
    run->sh.hosts = &run->hosts;
    run->sh.manifest_fd = -1;
    if (cfg->hold_ms)
        hold_mode(&run->mode, cfg);
    else if (cfg->dns_only)
        dnsprobe_mode(&run->mode, cfg);
    run->sh.mode = cfg->hold_ms || cfg->dns_only ? &run->mode : NULL;
    atomic_init(&run->sh.stop, 0);
    int orc = setup_outputs(run);
    if (orc)
        return orc;
    run->workers = calloc(cfg->threads, sizeof(*run->workers));
    if (!run->workers)
        return EXIT_FAILED;
    for (unsigned i = 0; i < cfg->threads; i++) {
        if (worker_init(&run->workers[i], i, &run->sh, err, sizeof(err)) < 0) {
            fprintf(stderr, "volley: %s\n", err);
            return EXIT_USAGE;
        }
        run->nworkers++;
    }
    if (watch_signals(run) < 0) {
        fprintf(stderr, "volley: cannot watch SIGINT/SIGTERM: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    return 0;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void summarise(struct run *run, struct run_result *res, const struct rusage *ru0)
{
    struct stats *total = &res->total;
    struct rusage ru;
    stats_init(total);
    for (unsigned i = 0; i < run->nworkers; i++)
        stats_merge(total, &run->workers[i].stats);
    total->conns_opened += run->setup.conns_opened;
    total->conns_established += run->setup.conns_established;
    for (int i = 0; i < STATS_NCODES; i++)
        total->conn_failed_by[i] += run->setup.conn_failed_by[i];
    total->tls_full += run->setup.tls_full;
    total->tls_resumed += run->setup.tls_resumed;
    total->dns_lookups += run->setup.dns_lookups;
    total->dns_failed += run->setup.dns_failed;
    total->dns_queries += run->setup.dns_queries;
    total->dns_retries += run->setup.dns_retries;
    total->dns_timeouts += run->setup.dns_timeouts;
    hist_merge(&total->dns_latency, &run->setup.dns_latency);
    getrusage(RUSAGE_SELF, &ru);
    struct run_info *ri = &res->info;
    ri->threads = run->cfg.threads;
    ri->conns = run->cfg.conns;
    ri->cpu_user_s = tv_s(ru.ru_utime) - tv_s(ru0->ru_utime);
    ri->cpu_sys_s = tv_s(ru.ru_stime) - tv_s(ru0->ru_stime);
    ri->peak_rss_kb = procstat_peak_rss_kb();
    if (ri->peak_rss_kb == 0)
        ri->peak_rss_kb = ru.ru_maxrss;
    ri->rss_hold_kb = total->rss_hold_kb;
    ri->rate_target = run->cfg.rate;
    ri->hold = run->cfg.hold_ms > 0;
    ri->dns_only = run->cfg.dns_only;
    ri->index_skipped = run->skipped;
    const struct origin_table *tables[MAX_THREADS];
    for (unsigned i = 0; i < run->nworkers; i++)
        tables[i] = &run->workers[i].origins;
    if (origin_report_build(&ri->origins, tables, run->nworkers) < 0)
        memset(&ri->origins, 0, sizeof(ri->origins)); /* out of memory: no lines, no harm */
}

static void teardown(struct run *run)
{
    linefeed_free(run->feed); /* first: its reader wakes the workers */
    if (run->input_fd > STDIN_FILENO)
        close(run->input_fd);
    if (run->sigfd >= 0)
        close(run->sigfd);
    if (run->donefd >= 0)
        close(run->donefd);
    if (run->sh.manifest_fd >= 0)
        close(run->sh.manifest_fd);
    manifest_done_free(&run->done);
    bindaddr_free(&run->binds);
    for (unsigned i = 0; i < run->nworkers; i++)
        worker_fini(&run->workers[i]);
    free(run->workers);
    if (run->hosts.buckets)
        hostcache_fini(&run->hosts);
    if (run->sh.claims)
        pathclaims_fini(&run->claims);
    tls_shared_fini(&run->tls);
    url_list_free(&run->urls);
}

/* Hand the list to the threads and wait for them; the progress line runs beside them. */
/* The fetch phase's source: the list in memory (its first n URLs, gone round --repeat times,
 * or until --duration ends, or -t x -k of them for --hold), or the streamed list. */
static void source_init(struct run *run, struct source *src, size_t n)
{
    const struct config *cfg = &run->cfg;
    size_t jobs = cfg->duration_ms ? SIZE_MAX : n * cfg->repeat;
    if (cfg->hold_ms) /* one connection per job, -t x -k of them */
        jobs = (size_t)cfg->threads * cfg->conns;
    *src = (struct source){.urls = run->urls.v,
                           .lens = run->urls.len,
                           .nurls = n,
                           .n = n ? jobs : 0,
                           .feed = run->feed,
                           .sink = cfg->output_dir ? SINK_FILE : SINK_DISCARD,
                           .errout = cfg->quiet ? NULL : stderr,
                           .write_out = cfg->write_out};
    if (cfg->duration_ms)
        src->deadline_us = timer_now_us() + cfg->duration_ms * 1000ULL;
    atomic_init(&src->cursor, 0);
}

/* Hand the URLs to the threads and wait for them; the progress line runs beside them. */
static void fetch(struct run *run, struct run_result *res, size_t n)
{
    const struct config *cfg = &run->cfg;
    struct source src;
    source_init(run, &src, n);
    res->info.rss_base_kb = procstat_rss_kb();
    struct progress prog;
    const struct progress_counters *counters[MAX_THREADS];
    for (unsigned i = 0; i < run->nworkers; i++)
        counters[i] = &run->workers[i].progress;
    bool show = cfg->progress == 1 && (n > 0 || run->feed);
    if (show) /* no total for a stream, --duration or --hold */
        progress_start(&prog, counters, run->nworkers,
                       run->feed || src.n == SIZE_MAX || cfg->hold_ms ? 0 : src.n, stderr);
    if (n > 0 || run->feed)
        run_workers(run, &src, run->nworkers);
    if (show)
        progress_stop(&prog);
    /* URLs of the run: all of them (so that those a signal left are "not started"), or with a
     * stream, --duration or --hold, as many as were taken. */
    bool counted = run->feed || cfg->duration_ms || cfg->hold_ms;
    res->info.urls = counted ? source_taken(&src) : src.n;
}

int run_once(const struct config *cfg, struct run_result *res)
{
    struct run *run = calloc(1, sizeof(*run));
    if (!run)
        return EXIT_FAILED;
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    procstat_reset_peak();
    memset(res, 0, sizeof(*res));
    run->cfg = *cfg;
    run->input_fd = run->sigfd = run->donefd = -1;
    url_list_init(&run->urls);
    uint64_t t0 = timer_now_us();
    int rc = setup(run);
    if (rc == 0)
        rc = run->cfg.input ? load_list(run) : load_index(run);
    if (rc == 0 && atomic_load(&run->sh.stop) == 0) {
        size_t n = shard(&run->urls, cfg->shard_k, cfg->shard_n);
        if (cfg->limit >= 0 && (size_t)cfg->limit < n)
            n = (size_t)cfg->limit; /* a stream applies --shard and -n itself */
        fetch(run, res, n);
        res->info.wall_s = (double)(timer_now_us() - t0) / 1e6;
        summarise(run, res, &ru0);
        res->ran = true;
        rc = res->total.failed ? EXIT_FAILED : 0;
        int lerr = run->feed ? linefeed_error(run->feed) : 0;
        if (lerr) {
            fprintf(stderr, "volley: -i %s: reading stopped: %s\n", cfg->input, strerror(lerr));
            rc = EXIT_FAILED;
        }
        if (res->total.manifest_errors) {
            fprintf(stderr, "volley: --manifest %s: %llu lines could not be written: %s\n",
                    cfg->manifest, (unsigned long long)res->total.manifest_errors,
                    strerror(res->total.manifest_errno));
            rc = EXIT_FAILED;
        }
    }
    if (run->signo)
        rc = 128 + run->signo; /* 130 for SIGINT, 143 for SIGTERM, as shells report */
    if (tls_shared_ca_error(&run->tls))
        fprintf(stderr, "volley: %s\n", tls_shared_ca_error(&run->tls));
    teardown(run);
    free(run);
    return rc;
}
