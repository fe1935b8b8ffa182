/* result.c: how the end of one URL is told: the stderr line, the -w line, the manifest line.
 * Each is written with a single call, so lines from different threads never interleave. */
#include "result.h"

#include <stdarg.h>
#include <stdbool.h>

#include "err.h"
#include "manifest.h"
#include "outpath.h"
#include "writeout.h"

void result_manifest(int fd, const char *dir, const char *url, const struct job *j, int err,
                     uint64_t us)
{
    char path[4096];
    bool saved =
        err == 0 && j->sink == SINK_FILE && outpath_build(dir, &j->u, path, sizeof(path)) > 0;
    struct manifest_rec rec = {
        .url = url,
        .path = saved ? path : NULL,
        .status = j->status,
        .bytes = j->bytes,
        .attempts = j->attempts,
        .ms = us / 1000,
        .err = err,
    };
    manifest_write(fd, &rec);
}

void result_line(FILE *out, const char *url, const char *fmt, ...)
{
    char line[8192 + 256];
    size_t n = 0;
    n += (size_t)snprintf(line, sizeof(line), "volley: ");
    for (const unsigned char *p = (const unsigned char *)url; *p && n < 4 * 2048; p++)
        n += (size_t)(*p < 0x20 || *p == 0x7f ? snprintf(line + n, sizeof(line) - n, "\\x%02x", *p)
                                              : snprintf(line + n, sizeof(line) - n, "%c", *p));
    n += (size_t)snprintf(line + n, sizeof(line) - n, ": ");
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    n += k > 0 ? (size_t)k : 0;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    fwrite(line, 1, n, out); /* one call: lines from threads never interleave */
}

static double since(uint64_t t, uint64_t start)
{
    return t > start ? (double)(t - start) / 1e6 : 0.0;
}

void result_write_out(const char *fmt, const char *url, const struct job *j, int err, uint64_t us)
{
    char line[8192];
    uint64_t s = j->start_us;
    uint64_t t_conn = j->t_conn_us ? j->t_conn_us : j->t_addr_us;
    struct writeout_vars v = {
        .url = url,
        .http_code = j->status,
        .size = j->bytes,
        .attempts = j->attempts,
        .redirects = j->hops,
        .error = err ? err_tag(err) : "",
        .time_dns = since(j->t_addr_us, s),
        .time_connect = since(t_conn, s),
        .time_tls = since(j->t_tls_us ? j->t_tls_us : t_conn, s),
        .time_ttfb = since(j->t_first_us, s),
        .time_total = (double)us / 1e6,
    };
    size_t n = writeout_format(line, sizeof(line), fmt, &v);
    fwrite(line, 1, n, stdout);
}
