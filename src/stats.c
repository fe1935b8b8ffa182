/* stats.c: per-thread counters; no locks, merged once at the end. */
#include "stats.h"

#include <string.h>

void stats_init(struct stats *s)
{
    memset(s, 0, sizeof(*s));
    hist_init(&s->latency);
    hist_init(&s->dns_latency);
    for (int i = 0; i < STATS_NPHASES; i++)
        hist_init(&s->phase[i]);
}

const char *const stats_phase_names[STATS_NPHASES] = {"wait", "connect", "tls", "ttfb", "transfer"};

void stats_fail(struct stats *s, int code)
{
    s->failed++;
    if (code < 0 && code >= VL_ERR_MIN)
        s->by_code[-code]++;
    else
        s->by_code[-VL_ESYS]++;
}

void stats_merge(struct stats *dst, const struct stats *src)
{
    dst->ok += src->ok;
    dst->failed += src->failed;
    dst->skipped += src->skipped;
    dst->retries += src->retries;
    dst->resent += src->resent;
    dst->client_limit_requeues += src->client_limit_requeues;
    dst->busy_requeues += src->busy_requeues;
    dst->tls_waits += src->tls_waits;
    for (int i = 0; i < 3; i++)
        dst->client_limits[i] += src->client_limits[i];
    for (int i = 0; i < STATS_NCODES; i++)
        dst->by_code[i] += src->by_code[i];
    dst->bytes += src->bytes;
    dst->requests += src->requests;
    dst->conns_opened += src->conns_opened;
    dst->conns_reused_requests += src->conns_reused_requests;
    dst->discarded_excess += src->discarded_excess;
    dst->manifest_errors += src->manifest_errors;
    if (src->manifest_errno)
        dst->manifest_errno = src->manifest_errno;
    dst->tls_full += src->tls_full;
    dst->tls_resumed += src->tls_resumed;
    dst->dns_lookups += src->dns_lookups;
    dst->dns_failed += src->dns_failed;
    dst->conns_established += src->conns_established;
    for (int i = 0; i < STATS_NCODES; i++)
        dst->conn_failed_by[i] += src->conn_failed_by[i];
    dst->conns_peak += src->conns_peak;
    dst->hold_server_closed += src->hold_server_closed;
    dst->pings_ok += src->pings_ok;
    dst->pings_failed += src->pings_failed;
    if (src->establish_us > dst->establish_us)
        dst->establish_us = src->establish_us;
    if (src->rss_hold_kb > dst->rss_hold_kb)
        dst->rss_hold_kb = src->rss_hold_kb;
    for (int i = 0; i < 8; i++)
        dst->dns_rcodes[i] += src->dns_rcodes[i];
    dst->dns_timeouts += src->dns_timeouts;
    dst->dns_retries += src->dns_retries;
    dst->dns_queries += src->dns_queries;
    hist_merge(&dst->latency, &src->latency);
    hist_merge(&dst->dns_latency, &src->dns_latency);
    for (int i = 0; i < STATS_NPHASES; i++)
        hist_merge(&dst->phase[i], &src->phase[i]);
}
