/* writeout.c: expand -w formats. */
#include "writeout.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

struct out {
    char *buf;
    size_t len, n;
};

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->n + 1 < o->len; i++)
        o->buf[o->n++] = s[i];
}

static bool var_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(name, want, n) == 0;
}

/* Write variable name[0..n) of v; returns 0, or -1 when unknown. */
static int put_var(struct out *o, const char *name, size_t n, const struct writeout_vars *v)
{
    char tmp[64];
    int k = -1;
    if (var_is(name, n, "url")) {
        char esc[8192];
        struct buf_writer w = {esc, sizeof(esc), 0, true};
        text_put_url(&w, v->url, v->url_len, TEXT_HUMAN);
        put(o, esc, w.len); /* a URL too long for one line is cut, like the line itself */
        return 0;
    }
    if (var_is(name, n, "errormsg")) {
        put(o, v->error, strlen(v->error));
        return 0;
    }
    if (var_is(name, n, "http_code"))
        k = snprintf(tmp, sizeof(tmp), "%03d", v->http_code);
    else if (var_is(name, n, "size") || var_is(name, n, "size_download"))
        k = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v->size);
    else if (var_is(name, n, "attempts"))
        k = snprintf(tmp, sizeof(tmp), "%u", v->attempts);
    else if (var_is(name, n, "num_redirects"))
        k = snprintf(tmp, sizeof(tmp), "%u", v->redirects);
    else if (var_is(name, n, "time_dns") || var_is(name, n, "time_namelookup"))
        k = snprintf(tmp, sizeof(tmp), "%.6f", v->time_dns);
    else if (var_is(name, n, "time_connect"))
        k = snprintf(tmp, sizeof(tmp), "%.6f", v->time_connect);
    else if (var_is(name, n, "time_tls") || var_is(name, n, "time_appconnect"))
        k = snprintf(tmp, sizeof(tmp), "%.6f", v->time_tls);
    else if (var_is(name, n, "time_ttfb") || var_is(name, n, "time_starttransfer"))
        k = snprintf(tmp, sizeof(tmp), "%.6f", v->time_ttfb);
    else if (var_is(name, n, "time_total"))
        k = snprintf(tmp, sizeof(tmp), "%.6f", v->time_total);
    if (k < 0)
        return -1;
    put(o, tmp, (size_t)k);
    return 0;
}

size_t writeout_format(char *buf, size_t len, const char *fmt, const struct writeout_vars *v)
{
    struct out o = {buf, len, 0};
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            if (end && put_var(&o, p + 2, (size_t)(end - p - 2), v) == 0) {
                p = end;
                continue;
            }
        } else if (p[0] == '%' && p[1] == '%') {
            p++;
        } else if (p[0] == '\\' && (p[1] == 'n' || p[1] == 't' || p[1] == '\\')) {
            p++;
            put(&o, *p == 'n' ? "\n" : *p == 't' ? "\t" : "\\", 1);
            continue;
        }
        put(&o, p, 1);
    }
    if (len)
        buf[o.n] = '\0';
    return o.n;
}
