/* report.c: the summary. Field names in the JSON form are a documented, stable schema
 * (README "JSON summary"); new fields may be added, existing ones keep their meaning. */
#include "report.h"

#include <string.h>

#include "buf.h"
#include "err.h"
#include "text.h"

#define REPORT_VERSION 1

typedef unsigned long long ull;

static const char *rcode_names[7] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                     "NOTIMP",  "REFUSED", "other"};

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static double rate(const struct stats *s, const struct run_info *ri)
{
    return ri->wall_s > 0 ? (double)(s->ok + s->failed) / ri->wall_s : 0.0;
}

static uint64_t answered(const struct stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < 7; i++)
        n += s->dns_rcodes[i];
    return n;
}

static double dns_qps(const struct stats *s, const struct run_info *ri)
{
    return ri->wall_s > 0 ? (double)answered(s) / ri->wall_s : 0.0;
}

/* Connections that were opened and never became ready for requests. */
static uint64_t conns_failed(const struct stats *s)
{
    uint64_t n = 0;
    for (int i = 1; i < STATS_NCODES; i++)
        n += s->conn_failed_by[i];
    return n;
}

/* Connection setups per second over the run: the churn figure. */
static double conns_per_s(const struct stats *s, const struct run_info *ri)
{
    return ri->wall_s > 0 ? (double)s->conns_opened / ri->wall_s : 0.0;
}

static double rss_per_conn(const struct stats *s, const struct run_info *ri)
{
    long grown = ri->rss_hold_kb - ri->rss_base_kb;
    return s->conns_established && grown > 0 ? (double)grown / (double)s->conns_established : 0;
}

void report_bytes(char *buf, size_t len, uint64_t b)
{
    if (b >= 10ULL << 20)
        snprintf(buf, len, "%.1f MB", (double)b / (1 << 20));
    else if (b >= 10ULL << 10)
        snprintf(buf, len, "%.1f KB", (double)b / (1 << 10));
    else
        snprintf(buf, len, "%llu B", (ull)b);
}

static void text_head(FILE *out, const struct stats *s, const struct run_info *ri)
{
    char bytes[32];
    uint64_t ended = s->ok + s->failed + s->skipped;
    report_bytes(bytes, sizeof(bytes), s->bytes);
    fprintf(out, "volley: %llu ok, %llu failed", (ull)s->ok, (ull)s->failed);
    if (s->skipped)
        fprintf(out, ", %llu skipped (already saved)", (ull)s->skipped);
    if (ri->urls > ended)
        fprintf(out, ", %llu not started", (ull)(ri->urls - ended));
    fprintf(out, ", %s in %.3f s (%.0f req/s), %u threads x %u conns\n", bytes, ri->wall_s,
            rate(s, ri), ri->threads, ri->conns);
    if (s->retries || s->resent || s->client_limit_requeues)
        fprintf(out,
                "  retries: %llu; resent after a reused connection closed: %llu; client-limit "
                "requeues: %llu\n",
                (ull)s->retries, (ull)s->resent, (ull)s->client_limit_requeues);
    if (s->busy_requeues)
        fprintf(out,
                "  requeued at their origin after a 429/503 cut its budget (not retries): %llu\n",
                (ull)s->busy_requeues);
}

static void text_hold(FILE *out, const struct stats *s, const struct run_info *ri)
{
    fprintf(out,
            "  hold: %llu attempted, %llu established, %llu failed; all up in %.3f s; peak %llu "
            "concurrent; %llu closed by the server during the hold\n",
            (ull)s->conns_opened, (ull)s->conns_established, (ull)conns_failed(s),
            (double)s->establish_us / 1e6, (ull)s->conns_peak, (ull)s->hold_server_closed);
    fprintf(out, "  hold memory: rss %.1f MB holding, %.1f MB before, %.1f KB per connection\n",
            ri->rss_hold_kb / 1024.0, ri->rss_base_kb / 1024.0, rss_per_conn(s, ri));
    if (s->pings_ok || s->pings_failed)
        fprintf(out, "  hold pings: %llu ok, %llu failed\n", (ull)s->pings_ok,
                (ull)s->pings_failed);
}

static void text_dns(FILE *out, const struct stats *s, const struct run_info *ri)
{
    const struct hist *h = &s->dns_latency;
    fprintf(out, "  dns: %llu lookups, %llu answered, %llu timed out, %llu retries, %.0f/s;",
            (ull)s->dns_lookups, (ull)answered(s), (ull)s->dns_timeouts, (ull)s->dns_retries,
            dns_qps(s, ri));
    for (int i = 0; i < 7; i++)
        if (s->dns_rcodes[i])
            fprintf(out, " %s %llu", rcode_names[i], (ull)s->dns_rcodes[i]);
    fprintf(out, "\n  dns latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
            ms(hist_percentile(h, 50)), ms(hist_percentile(h, 90)), ms(hist_percentile(h, 99)),
            ms(hist_percentile(h, 99.9)), ms(h->max));
    if (ri->dns_only && s->dns_lookups)
        fprintf(out, "  dns client cpu: %.1f us per lookup\n",
                (ri->cpu_user_s + ri->cpu_sys_s) * 1e6 / (double)s->dns_lookups);
}

/* "scheme://host:port" of an origin, its host escaped for style. */
static void origin_name(char *dst, size_t cap, const struct origin_line *l, enum text_style style)
{
    struct buf_writer w = {dst, cap, 0, true};
    if (l->scheme == URL_HTTPS)
        BUF_PUT_LIT(&w, "https://");
    else
        BUF_PUT_LIT(&w, "http://");
    if (style == TEXT_JSON)
        text_put_json(&w, l->host, strlen(l->host));
    else
        text_put_human(&w, l->host, strlen(l->host));
    char port[8];
    int n = snprintf(port, sizeof(port), ":%u", (unsigned)l->port);
    buf_put(&w, port, (size_t)n);
    dst[w.len] = '\0';
}

/* One line per busy origin: what its budget grew to and why it last went down. */
static void text_origins(FILE *out, const struct origin_report *r)
{
    char name[sizeof(r->v[0].host) * 4 + 16];
    for (size_t i = 0; i < r->n; i++) {
        const struct origin_line *l = &r->v[i];
        origin_name(name, sizeof(name), l, TEXT_HUMAN);
        fprintf(out, "  origin %s: %llu answers, %u conns at most, pipeline %u%s", name,
                (ull)l->answered, l->peak_conns, l->depth, l->pipeline_off ? " then off" : "");
        if (r->adaptive)
            fprintf(out, ", in flight up to %.0f", l->peak_target);
        if (l->decreases)
            fprintf(out, ", cut %u times (last: %s)", l->decreases, origin_why_str(l->last_why));
        fprintf(out, "; first byte %.2f ms at best\n", ms(l->min_ttfb_us));
    }
    if (r->total > r->n)
        fprintf(out, "  origins: %zu more\n", r->total - r->n);
}

void report_text(FILE *out, const struct stats *s, const struct run_info *ri)
{
    const struct hist *h = &s->latency;
    text_head(out, s, ri);
    fprintf(out, "  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
            ms(hist_percentile(h, 50)), ms(hist_percentile(h, 90)), ms(hist_percentile(h, 99)),
            ms(h->max));
    if (s->phase[PHASE_TTFB].n) {
        fputs("  phases ms, p50/p99:", out);
        for (int i = 0; i < STATS_NPHASES; i++)
            fprintf(out, "%s %s %.2f/%.2f", i ? "," : "", stats_phase_names[i],
                    ms(hist_percentile(&s->phase[i], 50)), ms(hist_percentile(&s->phase[i], 99)));
        fputc('\n', out);
    }
    fprintf(out,
            "  connections: %llu opened (%.0f/s), %llu established, %llu requests on reused ones\n",
            (ull)s->conns_opened, conns_per_s(s, ri), (ull)s->conns_established,
            (ull)s->conns_reused_requests);
    if (s->discarded_excess)
        fprintf(out, "  connections dropped for bytes no request asked for: %llu\n",
                (ull)s->discarded_excess);
    for (int i = 1; i < STATS_NCODES; i++)
        if (s->conn_failed_by[i])
            fprintf(out, "  connections failed: %llu %s (%s)\n", (ull)s->conn_failed_by[i],
                    err_str(-i), err_tag(-i));
    fprintf(out, "  tls handshakes: %llu full, %llu resumed\n", (ull)s->tls_full,
            (ull)s->tls_resumed);
    if (!ri->dns_only)
        fprintf(out, "  dns lookups: %llu (%llu failed), p50 %.2f ms\n", (ull)s->dns_lookups,
                (ull)s->dns_failed, ms(hist_percentile(&s->dns_latency, 50)));
    fprintf(out, "  cpu: %.3f s user, %.3f s sys; peak rss %.1f MB\n", ri->cpu_user_s,
            ri->cpu_sys_s, (double)ri->peak_rss_kb / 1024.0);
    if (!ri->dns_only && !ri->hold)
        text_origins(out, &ri->origins);
    if (ri->hold)
        text_hold(out, s, ri);
    if (ri->dns_only)
        text_dns(out, s, ri);
    if (ri->rate_target > 0)
        fprintf(out, "  rate: target %.1f/s, achieved %.1f/s (latency counted from due time)\n",
                ri->rate_target, rate(s, ri));
    if (s->client_limits[0] + s->client_limits[1] + s->client_limits[2])
        fprintf(out,
                "  client limits hit (requeued, not failures): open files %llu, ephemeral ports "
                "%llu, kernel buffers %llu\n",
                (ull)s->client_limits[0], (ull)s->client_limits[1], (ull)s->client_limits[2]);
    for (int i = 1; i < STATS_NCODES; i++)
        if (s->by_code[i])
            fprintf(out, "  failed: %llu %s (%s)\n", (ull)s->by_code[i], err_str(-i), err_tag(-i));
    if (ri->index_skipped.no_field + ri->index_skipped.not_string)
        fprintf(out, "  index: %zu elements without the URL field, %zu whose URL is no string\n",
                ri->index_skipped.no_field, ri->index_skipped.not_string);
    if (s->manifest_errors)
        fprintf(out, "  manifest: %llu lines could not be written (%s)\n", (ull)s->manifest_errors,
                strerror(s->manifest_errno));
}

static void json_latency(FILE *out, const char *name, const struct hist *h)
{
    fprintf(out, "\"%s\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p99.9\":%.3f,\"max\":%.3f}",
            name, ms(hist_percentile(h, 50)), ms(hist_percentile(h, 90)),
            ms(hist_percentile(h, 99)), ms(hist_percentile(h, 99.9)), ms(h->max));
}

/* {"tag":count,...} for counts indexed by -code. */
static void json_counts(FILE *out, const uint64_t *by_code)
{
    const char *sep = "";
    fputc('{', out);
    for (int i = 1; i < STATS_NCODES; i++) {
        if (!by_code[i])
            continue;
        fprintf(out, "%s\"%s\":%llu", sep, err_tag(-i), (ull)by_code[i]);
        sep = ",";
    }
    fputc('}', out);
}

static void json_conns(FILE *out, const struct stats *s, const struct run_info *ri)
{
    fprintf(out,
            "\"conns\":{\"opened\":%llu,\"per_s\":%.1f,\"reused_requests\":%llu,\"attempted\":%llu,"
            "\"established\":%llu,\"failed\":%llu,\"peak\":%llu,"
            "\"server_closed_during_hold\":%llu,\"discarded_excess\":%llu,\"establish_s\":%.6f,"
            "\"failed_by_reason\":",
            (ull)s->conns_opened, conns_per_s(s, ri), (ull)s->conns_reused_requests,
            (ull)s->conns_opened, (ull)s->conns_established, (ull)conns_failed(s),
            (ull)s->conns_peak, (ull)s->hold_server_closed, (ull)s->discarded_excess,
            (double)s->establish_us / 1e6);
    json_counts(out, s->conn_failed_by);
    fprintf(out,
            "},\"client_limits\":{\"open_files\":%llu,\"ephemeral_ports\":%llu,"
            "\"kernel_buffers\":%llu,\"requeues\":%llu},",
            (ull)s->client_limits[0], (ull)s->client_limits[1], (ull)s->client_limits[2],
            (ull)s->client_limit_requeues);
    fprintf(out, "\"rss_kb\":%ld,\"rss_base_kb\":%ld,\"rss_per_conn_kb\":%.2f,",
            ri->hold ? ri->rss_hold_kb : ri->peak_rss_kb, ri->rss_base_kb, rss_per_conn(s, ri));
}

static void json_dns(FILE *out, const struct stats *s, const struct run_info *ri)
{
    fprintf(out,
            "\"dns\":{\"lookups\":%llu,\"failed\":%llu,\"queries\":%llu,\"answered\":%llu,"
            "\"timeouts\":%llu,\"retries\":%llu,\"qps\":%.1f,\"rcodes\":{",
            (ull)s->dns_lookups, (ull)s->dns_failed, (ull)s->dns_queries, (ull)answered(s),
            (ull)s->dns_timeouts, (ull)s->dns_retries, dns_qps(s, ri));
    const char *sep = "";
    for (int i = 0; i < 7; i++)
        if (s->dns_rcodes[i]) {
            fprintf(out, "%s\"%s\":%llu", sep, rcode_names[i], (ull)s->dns_rcodes[i]);
            sep = ",";
        }
    fprintf(out, "},");
    json_latency(out, "latency_ms", &s->dns_latency);
    fprintf(out, ",\"cpu_us_per_lookup\":%.2f},",
            ri->dns_only && s->dns_lookups
                ? (ri->cpu_user_s + ri->cpu_sys_s) * 1e6 / (double)s->dns_lookups
                : 0);
}

static void json_origins(FILE *out, const struct origin_report *r, const struct stats *s)
{
    char name[sizeof(r->v[0].host) * 6 + 16];
    fprintf(out, "\"origins\":{\"adaptive\":%s,\"total\":%zu,\"requeues\":%llu,\"busiest\":[",
            r->adaptive ? "true" : "false", r->total, (ull)s->busy_requeues);
    for (size_t i = 0; i < r->n; i++) {
        const struct origin_line *l = &r->v[i];
        origin_name(name, sizeof(name), l, TEXT_JSON);
        fprintf(out,
                "%s{\"origin\":\"%s\",\"answered\":%llu,\"peak_conns\":%u,\"pipeline\":%u,"
                "\"pipeline_off\":%s,"
                "\"target\":%.1f,\"peak_target\":%.1f,\"decreases\":%u,\"last_decrease\":",
                i ? "," : "", name, (ull)l->answered, l->peak_conns, l->depth,
                l->pipeline_off ? "true" : "false", l->target, l->peak_target, l->decreases);
        if (l->decreases)
            fprintf(out, "\"%s\"", origin_why_str(l->last_why));
        else
            fputs("null", out);
        fprintf(out, ",\"min_ttfb_ms\":%.3f}", ms(l->min_ttfb_us));
    }
    fputs("]},", out);
}

void report_json(FILE *out, const struct stats *s, const struct run_info *ri)
{
    uint64_t ended = s->ok + s->failed + s->skipped;
    fprintf(out,
            "{\"version\":%d,\"urls\":%zu,\"ok\":%llu,\"failed\":%llu,\"skipped\":%llu,"
            "\"not_started\":%llu,\"retries\":%llu,\"resent\":%llu,\"failures\":",
            REPORT_VERSION, ri->urls, (ull)s->ok, (ull)s->failed, (ull)s->skipped,
            (ull)(ri->urls > ended ? ri->urls - ended : 0), (ull)s->retries, (ull)s->resent);
    json_counts(out, s->by_code);
    fprintf(out, ",\"bytes\":%llu,\"wall_s\":%.6f,\"rps\":%.1f,", (ull)s->bytes, ri->wall_s,
            rate(s, ri));
    fprintf(out, "\"threads\":%u,\"conns_per_thread\":%u,", ri->threads, ri->conns);
    json_latency(out, "latency_ms", &s->latency);
    fputs(",\"phases_ms\":{", out);
    for (int i = 0; i < STATS_NPHASES; i++) {
        if (i)
            fputc(',', out);
        json_latency(out, stats_phase_names[i], &s->phase[i]);
    }
    fputs("},", out);
    json_conns(out, s, ri);
    fprintf(out, "\"rate\":{\"target\":%.3f,\"achieved\":%.3f},", ri->rate_target, rate(s, ri));
    fprintf(out, "\"pings\":{\"ok\":%llu,\"failed\":%llu},", (ull)s->pings_ok,
            (ull)s->pings_failed);
    fprintf(out, "\"tls\":{\"full\":%llu,\"resumed\":%llu,\"waits\":%llu},", (ull)s->tls_full,
            (ull)s->tls_resumed, (ull)s->tls_waits);
    json_dns(out, s, ri);
    fprintf(out, "\"index\":{\"skipped_no_field\":%zu,\"skipped_not_string\":%zu},",
            ri->index_skipped.no_field, ri->index_skipped.not_string);
    fprintf(out, "\"manifest_errors\":%llu,", (ull)s->manifest_errors);
    json_origins(out, &ri->origins, s);
    fprintf(out, "\"cpu_s\":{\"user\":%.3f,\"sys\":%.3f},\"peak_rss_kb\":%ld}\n", ri->cpu_user_s,
            ri->cpu_sys_s, ri->peak_rss_kb);
}
