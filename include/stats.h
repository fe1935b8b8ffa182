/* Per-thread counters and latency histogram; main merges them after join. */
#ifndef VOLLEY_STATS_H
#define VOLLEY_STATS_H

#include <stdint.h>

#include "err.h"
#include "hist.h"

#define STATS_NCODES (-VL_ERR_MIN + 1)

/* A fetched URL's time, phase by phase (of its last try): waiting for room and for its host's
 * address, TCP connect, TLS handshake, request sent to first byte, first byte to last. A request
 * on an open connection spends none in connect and tls. */
enum stats_phase { PHASE_WAIT, PHASE_CONNECT, PHASE_TLS, PHASE_TTFB, PHASE_TRANSFER };
#define STATS_NPHASES 5
extern const char *const stats_phase_names[STATS_NPHASES];

struct stats {
    uint64_t ok, failed;
    uint64_t skipped; /* --resume: already saved whole */
    uint64_t retries; /* counted retries scheduled */
    uint64_t resent;  /* uncounted resends after a reused connection closed */
    uint64_t client_limit_requeues;
    uint64_t busy_requeues;    /* 429/503 absorbed by a cut in the origin's budget, not retries */
    uint64_t client_limits[3]; /* events: open files, ephemeral ports, kernel buffers */
    uint64_t by_code[STATS_NCODES]; /* failures indexed by -code */
    uint64_t bytes;                 /* body bytes received */
    uint64_t requests;              /* responses completed, redirects included */
    uint64_t conns_opened, conns_reused_requests;
    uint64_t discarded_excess; /* connections closed for bytes no request asked for */
    uint64_t manifest_errors;  /* manifest lines that could not be written */
    int manifest_errno;        /* why the last one could not */
    uint64_t tls_full, tls_resumed;
    uint64_t tls_waits; /* URLs parked until their host's first session came (or did not) */
    uint64_t dns_lookups, dns_failed;
    uint64_t conns_established, conns_peak; /* peak: sum of per-thread peaks */
    uint64_t conn_failed_by[STATS_NCODES];  /* connections never established, by -code */
    uint64_t hold_server_closed, pings_ok, pings_failed;
    uint64_t establish_us;  /* --hold: slowest thread's time to establish all */
    long rss_hold_kb;       /* --hold: the process's RSS just before the hold ends */
    uint64_t dns_rcodes[8]; /* NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED, other */
    uint64_t dns_timeouts, dns_retries, dns_queries; /* queries: every one sent, resends too */
    struct hist latency;                             /* per URL, microseconds */
    struct hist phase[STATS_NPHASES];                /* per URL fetched: where its time went */
    struct hist dns_latency;                         /* per lookup, microseconds */
};

void stats_init(struct stats *s);
void stats_fail(struct stats *s, int code);
void stats_merge(struct stats *dst, const struct stats *src);

#endif
