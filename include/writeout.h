/* -w/--write-out: one line per URL in the spirit of curl's, e.g.
 * "%{url} %{http_code} %{size} %{time_total}\n". Pure. */
#ifndef VOLLEY_WRITEOUT_H
#define VOLLEY_WRITEOUT_H

#include <stddef.h>
#include <stdint.h>

struct writeout_vars {
    const char *url; /* url_len bytes, written as text_put_url(TEXT_HUMAN) does */
    size_t url_len;
    int http_code; /* 0 when no response */
    uint64_t size; /* body bytes */
    unsigned attempts;
    unsigned redirects;
    const char *error;   /* failure tag, or "" */
    double time_dns;     /* seconds from the URL's start until its address was known */
    double time_connect; /* ... until TCP connected */
    double time_tls;     /* ... until the TLS handshake finished (= connect for http) */
    double time_ttfb;    /* ... until the first response byte */
    double time_total;
};

/* Expand fmt into buf (always NUL-terminated when len > 0). Variables: url, http_code, size,
 * attempts, num_redirects, errormsg, time_namelookup|time_dns, time_connect,
 * time_appconnect|time_tls, time_starttransfer|time_ttfb, time_total; escapes \n \t \\ and %%.
 * Unknown variables are copied through unchanged. Returns the length (truncated to len-1). */
size_t writeout_format(char *buf, size_t len, const char *fmt, const struct writeout_vars *v);

#endif
