/* sweep.c: run the same job at several levels of parallelism and tabulate it. */
#include "sweep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "plot.h"
#include "run.h"

static int parse_item(const char *item, unsigned ncpu, struct sweep_level *l)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(item, &end, 10), b = 0;
    if (errno || end == item || a == 0)
        return -1;
    if (*end == 'x' || *end == 'X') {
        const char *k = end + 1;
        b = strtoul(k, &end, 10);
        if (errno || end == k || *end || b == 0 || a > 64 || b > 50000)
            return -1;
        l->threads = (unsigned)a;
        l->conns = (unsigned)b;
        snprintf(l->label, sizeof(l->label), "%lux%lu", a, b);
        return 0;
    }
    if (*end || a > 64 * 50000)
        return -1;
    /* The lab's "N threads": N connections in total, spread over the CPUs. */
    l->threads = a < ncpu ? (unsigned)a : ncpu;
    l->conns = (unsigned)((a + l->threads - 1) / l->threads);
    snprintf(l->label, sizeof(l->label), "%lu", a);
    return 0;
}

int sweep_parse(const char *spec, unsigned ncpu, struct sweep_level *out, size_t cap, char *err,
                size_t errlen)
{
    char buf[1024];
    size_t n = 0;
    if (strlen(spec) >= sizeof(buf))
        goto bad;
    strcpy(buf, spec);
    /* strsep, not strtok: "1,,2" has an empty item, which is an error, not a gap to skip. */
    for (char *rest = buf, *tok; (tok = strsep(&rest, ",")) != NULL;) {
        if (n == cap || parse_item(tok, ncpu ? ncpu : 1, &out[n]) < 0)
            goto bad;
        n++;
    }
    if (n)
        return (int)n;
bad:
    snprintf(err, errlen,
             "--sweep '%s': expected up to %zu levels, each THREADSxCONNS (2x64) or a total "
             "number of connections (100), comma-separated",
             spec, cap);
    return VL_EUSAGE;
}

static void print_header(void)
{
    printf("%-8s %7s %6s %9s %9s %9s %10s %7s %9s\n", "level", "threads", "conns", "wall s",
           "user s", "sys s", "req/s", "errors", "rss MB");
}

static void print_row(const struct sweep_level *l, const struct run_result *r, bool json)
{
    const struct run_info *ri = &r->info;
    double rps = ri->wall_s > 0 ? (double)(r->total.ok + r->total.failed) / ri->wall_s : 0;
    if (json)
        printf("{\"level\":\"%s\",\"threads\":%u,\"conns\":%u,\"wall_s\":%.6f,\"cpu_user_s\":%.3f,"
               "\"cpu_sys_s\":%.3f,\"rps\":%.1f,\"ok\":%llu,\"errors\":%llu,\"peak_rss_kb\":%ld}\n",
               l->label, ri->threads, ri->conns, ri->wall_s, ri->cpu_user_s, ri->cpu_sys_s, rps,
               (unsigned long long)r->total.ok, (unsigned long long)r->total.failed,
               ri->peak_rss_kb);
    else
        printf("%-8s %7u %6u %9.3f %9.3f %9.3f %10.0f %7llu %9.1f\n", l->label, ri->threads,
               ri->conns, ri->wall_s, ri->cpu_user_s, ri->cpu_sys_s, rps,
               (unsigned long long)r->total.failed, ri->peak_rss_kb / 1024.0);
    fflush(stdout);
}

static int write_plot(const char *path, const struct plot_point *pts, size_t n)
{
    char sub[160], host[64] = "this machine";
    time_t now = time(NULL);
    struct tm tm;
    gethostname(host, sizeof(host) - 1);
    /* Formatted by hand: strftime drags glibc's time-zone code (110 KB) into the static
     * binary. */
    gmtime_r(&now, &tm);
    snprintf(sub, sizeof(sub), "%04d-%02d-%02d, %ld CPUs, host %s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, sysconf(_SC_NPROCESSORS_ONLN), host);
    FILE *f = fopen(path, "w");
    int rc =
        f ? plot_svg(f, "volley: wall time and throughput against parallelism", sub, pts, n) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "volley: --plot %s: cannot write the chart\n", path);
    return rc;
}

int sweep_run(const struct config *cfg)
{
    struct sweep_level levels[SWEEP_MAX];
    struct plot_point pts[SWEEP_MAX];
    char err[256];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int n =
        sweep_parse(cfg->sweep, ncpu > 0 ? (unsigned)ncpu : 1, levels, SWEEP_MAX, err, sizeof(err));
    if (n < 0) {
        fprintf(stderr, "volley: %s\n", err);
        return EXIT_USAGE;
    }
    int worst = 0;
    size_t np = 0;
    if (!cfg->json)
        print_header();
    for (int i = 0; i < n; i++) {
        struct config c = *cfg;
        struct run_result r;
        c.threads = levels[i].threads;
        c.conns = levels[i].conns;
        int rc = run_once(&c, &r);
        worst = rc > worst ? rc : worst;
        if (!r.ran || rc > EXIT_FAILED)
            break; /* usage, setup or a signal: later levels would fail the same way */
        print_row(&levels[i], &r, cfg->json);
        double rps = r.info.wall_s > 0 ? (double)(r.total.ok + r.total.failed) / r.info.wall_s : 0;
        pts[np++] = (struct plot_point){levels[i].label, (double)r.info.threads * r.info.conns,
                                        r.info.wall_s, rps};
    }
    if (cfg->plot && np && write_plot(cfg->plot, pts, np) < 0 && worst == 0)
        worst = EXIT_FAILED;
    return worst;
}
