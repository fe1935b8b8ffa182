/* Command line -> struct config. Pure: prints nothing, allocates only the --resolve table. */
#ifndef VOLLEY_CLI_H
#define VOLLEY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_DEFAULT_INDEX "https://jsonplaceholder.typicode.com/photos"
#define MAX_THREADS 64 /* -t; thread ids index 64-bit masks (hostcache, linefeed) */

struct resolve_entry {
    char host[256];
    uint16_t port;
    char addr[400]; /* "A[,B...]": IPv4 or IPv6 literals (IPv6 maybe in brackets) */
};

struct config {
    unsigned threads, conns;
    long long limit; /* -n; -1 = all */
    const char *index_url;
    const char *output_dir;
    const char *input; /* -i FILE or "-" */
    const char *field;
    const char *cacert;
    bool insecure;
    const char *dns_servers;
    struct resolve_entry *resolve; /* owned */
    size_t nresolve;
    uint64_t max_size;
    unsigned timeout_ms, connect_timeout_ms;
    unsigned pipeline;     /* requests in flight per connection; 0 = auto (probed per origin) */
    unsigned max_per_host; /* connections per origin, all threads together (adaptive runs) */
    bool adaptive;         /* no -k given (and no stress mode): budgets per origin adapt */
    unsigned retries;      /* counted retries after the first try (default 3) */
    unsigned retry_max_time_ms; /* no retry starts later than this after the first try; 0 = none */
    const char *manifest;
    bool resume;
    bool checksum; /* --checksum sha256: each saved file's digest in the manifest */
    bool verify;   /* --verify: --resume also checks a saved file's recorded digest */
    /* stress */
    unsigned requests_per_conn; /* 0 = unlimited keep-alive */
    unsigned repeat;            /* go through the list this many times (default 1) */
    unsigned duration_ms;       /* repeat the list until time is up; 0 = off */
    const char *bind;           /* source addresses: A[,B...] or A-B range */
    bool strict;                /* refuse instead of clamping -k to the open-file limit */
    unsigned hold_ms, hold_ping_ms;
    bool hold_idle;
    bool dns_only;
    unsigned dns_concurrency; /* lookups in flight per thread in --dns-only; 0 = -k */
    double rate;              /* requests (or lookups) per second across threads; 0 = off */
    /* presentation */
    const char *sweep;         /* "1x1,2x64" or "1,10,100" */
    const char *plot;          /* SVG file for --sweep */
    const char *write_out;     /* -w format per URL */
    unsigned shard_k, shard_n; /* --shard K/N; n = 0 off */
    int progress;              /* -1 auto (terminal), 0 off, 1 on */
    bool json, quiet;
    int verbose;
};

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

/* Parse argv into cfg (defaults first). Returns CLI_RUN/CLI_HELP/CLI_VERSION, or VL_EUSAGE with
 * a message naming the option, the problem and the fix in err. */
int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
void cli_free(struct config *cfg);
/* Print the --help text, made from the same table that parses the options. */
void cli_usage(FILE *out);

#endif
