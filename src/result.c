/* result.c: how the end of one URL is told: the stderr line, the -w line, the manifest line.
 * Each is written with a single call, so lines from different threads never interleave. */
#include "result.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "manifest.h"
#include "text.h"
#include "writeout.h"

int result_manifest(int fd, const char *url, size_t url_len, const struct job *j, int err,
                    uint64_t us)
{
    bool redirected = j->hops > 0;
    struct manifest_rec rec = {
        .url = url,
        .url_len = url_len,
        .final_url = redirected ? j->url : NULL,
        .final_len = redirected ? strlen(j->url) : 0,
        .path = err == 0 && j->req.sink == SINK_FILE ? j->path : NULL,
        .status = j->req.status,
        .bytes = j->req.bytes,
        .attempts = j->attempts,
        .ms = us / 1000,
        .err = err,
        .sha256 = err == 0 && j->req.sha256[0] ? j->req.sha256 : NULL,
    };
    return manifest_write(fd, &rec);
}

/* How much of a URL a line shows: enough to recognise it, not a screenful. */
#define URL_SHOWN 2048

void result_line(FILE *out, const char *url, size_t url_len, const char *fmt, ...)
{
    char line[URL_SHOWN * 4 + 1024];
    struct buf_writer w = {line, sizeof(line), 0, true};
    BUF_PUT_LIT(&w, "volley: ");
    text_put_url(&w, url, url_len < URL_SHOWN ? url_len : URL_SHOWN, TEXT_HUMAN);
    if (url_len > URL_SHOWN)
        BUF_PUT_LIT(&w, "...");
    BUF_PUT_LIT(&w, ": ");
    size_t n = w.len, room = sizeof(line) - n - 1; /* one byte kept for the newline */
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line + n, room, fmt, ap);
    va_end(ap);
    n += k < 0 ? 0 : (size_t)k < room ? (size_t)k : room - 1;
    line[n++] = '\n';
    fwrite(line, 1, n, out); /* one call: lines from threads never interleave */
}

static double since(uint64_t t, uint64_t start)
{
    return t > start ? (double)(t - start) / 1e6 : 0.0;
}

void result_write_out(const char *fmt, const char *url, size_t url_len, const struct job *j,
                      int err, uint64_t us)
{
    char line[8192];
    uint64_t s = j->start_us;
    uint64_t t_conn = j->req.t_conn_us ? j->req.t_conn_us : j->req.t_addr_us;
    struct writeout_vars v = {
        .url = url,
        .url_len = url_len,
        .http_code = j->req.status,
        .size = j->req.bytes,
        .attempts = j->attempts,
        .redirects = j->hops,
        .error = err ? err_tag(err) : "",
        .time_dns = since(j->req.t_addr_us, s),
        .time_connect = since(t_conn, s),
        .time_tls = since(j->req.t_tls_us ? j->req.t_tls_us : t_conn, s),
        .time_ttfb = since(j->req.t_first_us, s),
        .time_total = (double)us / 1e6,
    };
    size_t n = writeout_format(line, sizeof(line), fmt, &v);
    fwrite(line, 1, n, stdout);
}

/* b - a, or 0 when b is not after a (a phase that did not happen on this try). */
static uint64_t span(uint64_t a, uint64_t b)
{
    return a && b > a ? b - a : 0;
}

static void add_phases(struct stats *st, const struct job *j, uint64_t end_us)
{
    const struct request *rq = &j->req;
    uint64_t conn = rq->t_conn_us ? rq->t_conn_us : rq->t_addr_us;
    uint64_t tls = rq->t_tls_us ? rq->t_tls_us : conn;
    hist_add(&st->phase[PHASE_WAIT], span(j->start_us, rq->t_addr_us));
    hist_add(&st->phase[PHASE_CONNECT], span(rq->t_addr_us, conn));
    hist_add(&st->phase[PHASE_TLS], span(conn, tls));
    hist_add(&st->phase[PHASE_TTFB], span(tls, rq->t_first_us));
    hist_add(&st->phase[PHASE_TRANSFER], span(rq->t_first_us, end_us));
}

void result_record(const struct result_ctx *rc, struct stats *st, struct progress_counters *p,
                   const struct job *j, int err, uint64_t us)
{
    const char *url = j->listed;
    size_t len = j->listed_len;
    if (rc->manifest_fd >= 0 && result_manifest(rc->manifest_fd, url, len, j, err, us) < 0) {
        st->manifest_errors++;
        st->manifest_errno = errno;
    }
    if (rc->write_out)
        result_write_out(rc->write_out, url, len, j, err, us);
    if (err == 0) {
        if (rc->errout && rc->verbose)
            result_line(rc->errout, url, len, "%d, %llu bytes, %.1f ms, %u attempt%s",
                        j->req.status, (unsigned long long)j->req.bytes, (double)us / 1000.0,
                        j->attempts, j->attempts == 1 ? "" : "s");
        st->ok++;
        st->bytes += j->req.bytes;
        hist_add(&st->latency, us);
        add_phases(st, j, j->start_us + us);
    } else {
        stats_fail(st, err);
        if (rc->errout && err == VL_ESTATUS)
            result_line(rc->errout, url, len, "HTTP %d", j->req.status);
        else if (rc->errout)
            result_line(rc->errout, url, len, "%s", err_str(err));
    }
    progress_set(p, st->ok, st->failed, st->bytes);
}
