/* cli.c: argv -> struct config. Every message names the option, the problem and the fix. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

#define MAX_THREADS 64
#define MAX_CONNS 50000

enum {
    OPT_FIELD = 256,
    OPT_CACERT,
    OPT_INSECURE,
    OPT_DNS_SERVER,
    OPT_RESOLVE,
    OPT_MAX_SIZE,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_JSON,
    OPT_PIPELINE,
    OPT_RETRIES,
    OPT_RETRY_MAX_TIME,
    OPT_MANIFEST,
    OPT_RESUME,
    OPT_RPC,
    OPT_REPEAT,
    OPT_DURATION,
    OPT_BIND,
    OPT_STRICT,
    OPT_HOLD,
    OPT_HOLD_IDLE,
    OPT_HOLD_PING,
    OPT_DNS_ONLY,
    OPT_DNS_CONC,
    OPT_RATE,
    OPT_SWEEP,
    OPT_PLOT,
    OPT_SHARD,
    OPT_PROGRESS,
    OPT_NO_PROGRESS
};

static const struct option options[] = {
    {"threads", required_argument, NULL, 't'},
    {"conns", required_argument, NULL, 'k'},
    {"limit", required_argument, NULL, 'n'},
    {"output", required_argument, NULL, 'o'},
    {"input", required_argument, NULL, 'i'},
    {"field", required_argument, NULL, OPT_FIELD},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"dns-server", required_argument, NULL, OPT_DNS_SERVER},
    {"resolve", required_argument, NULL, OPT_RESOLVE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"pipeline", required_argument, NULL, OPT_PIPELINE},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME},
    {"manifest", required_argument, NULL, OPT_MANIFEST},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"requests-per-conn", required_argument, NULL, OPT_RPC},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"bind", required_argument, NULL, OPT_BIND},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"hold", required_argument, NULL, OPT_HOLD},
    {"hold-idle", no_argument, NULL, OPT_HOLD_IDLE},
    {"hold-ping", required_argument, NULL, OPT_HOLD_PING},
    {"dns-only", no_argument, NULL, OPT_DNS_ONLY},
    {"dns-concurrency", required_argument, NULL, OPT_DNS_CONC},
    {"rate", required_argument, NULL, OPT_RATE},
    {"sweep", required_argument, NULL, OPT_SWEEP},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"write-out", required_argument, NULL, 'w'},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

const char *cli_usage(void)
{
    return "usage: volley [options] [INDEX_URL]\n"
           "Fetch a JSON index, then every URL it lists, over HTTP/1.1 keep-alive connections.\n"
           "INDEX_URL defaults to " CLI_DEFAULT_INDEX "\n\n"
           "  -t, --threads N         reactor threads (default: number of CPUs)\n"
           "  -k, --conns N           connections per thread (default 8)\n"
           "  -n, --limit N           only the first N URLs of the index\n"
           "  -o, --output DIR        save each body as DIR/<host>/<path>\n"
           "  -i, --input FILE        URL list, one a line, instead of an index ('-' = stdin)\n"
           "      --field NAME        index field holding the URL (default url)\n"
           "      --cacert FILE       CA bundle (default: the system bundle)\n"
           "      --insecure          do not verify certificates (warns)\n"
           "      --dns-server LIST   DNS servers, IP[:PORT][,...]\n"
           "      --resolve H:P:A     use address A for host H, port P (repeatable)\n"
           "      --max-size BYTES    largest body accepted (default 1 GiB; k, M, G suffixes)\n"
           "      --timeout SEC       one try of a URL, redirects included (default 30)\n"
           "      --connect-timeout SEC  TCP connect, then TLS handshake, each (default 10)\n"
           "      --pipeline N        requests in flight per connection (default 1)\n"
           "      --retries N         retries for what can heal: connect errors, resets, "
           "timeouts,\n"
           "                          5xx, 408, 429 (default 3; backoff with jitter, Retry-After)\n"
           "      --retry-max-time SEC  start no retry later than SEC after a URL's first try\n"
           "      --manifest FILE     append one JSON line per URL (url, status, bytes, attempts,\n"
           "                          ms, error, path) as results come in\n"
           "      --resume            skip URLs the manifest says are saved whole (needs -o and\n"
           "                          --manifest)\n"
           "Stress testing:\n"
           "      --requests-per-conn N  close each connection after N requests (1 = churn)\n"
           "      --repeat R          go through the URL list R times\n"
           "      --duration SEC      repeat the URL list until SEC have passed\n"
           "      --rate N            N requests (or lookups) per second across all threads;\n"
           "                          latency counts from when each was due\n"
           "      --hold SEC          open -t x -k connections, hold them SEC, then close\n"
           "      --hold-idle         with --hold: handshake only, no request\n"
           "      --hold-ping SEC     with --hold: a request on each connection every SEC\n"
           "      --dns-only          resolve the list's host names (or one name a line with -i)\n"
           "      --dns-concurrency N lookups in flight per thread with --dns-only (default -k)\n"
           "      --bind LIST         source addresses A[,B...] or a range A-B\n"
           "      --strict            refuse, instead of lowering -k, when open files run short\n"
           "Presentation:\n"
           "      --sweep LIST        run at each level: TxK items (2x64) or total connections\n"
           "      --plot FILE.svg     with --sweep: chart of wall time and requests/s\n"
           "  -w, --write-out FMT     per URL: %{url} %{http_code} %{size} %{time_total}\n"
           "                          %{time_dns} %{time_connect} %{time_tls} %{time_ttfb}\n"
           "      --shard K/N         only URLs whose position modulo N is K\n"
           "      --progress | --no-progress  live progress line (default: when a terminal)\n"
           "      --json              print the summary as one JSON object\n"
           "  -q, --quiet             no per-URL failure lines\n"
           "  -v, --verbose           a line on stderr for every URL fetched, too\n"
           "  -h, --help              this text\n"
           "  -V, --version           versions of volley and its libraries\n"
           "Exit status: 0 all fetched, 1 some failed, 2 bad usage or setup.\n";
}

static void defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = n > 0 ? (unsigned)(n > MAX_THREADS ? MAX_THREADS : n) : 1;
    c->conns = 8;
    c->limit = -1;
    c->index_url = CLI_DEFAULT_INDEX;
    c->field = "url";
    c->max_size = 1ULL << 30;
    c->timeout_ms = 30000;
    c->connect_timeout_ms = 10000;
    c->pipeline = 1;
    c->retries = 3;
    c->repeat = 1;
    c->progress = -1;
}

static int bad(char *err, size_t errlen, const char *opt, const char *val, const char *why)
{
    snprintf(err, errlen, "%s '%s': %s", opt, val, why);
    return VL_EUSAGE;
}

static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    if (errno || (shift && end[1]) || (!shift && *end) || v == 0 || v > (1ULL << 50) >> shift)
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_seconds(const char *s, unsigned *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v > 0) || v > 86400)
        return -1;
    *ms = (unsigned)(v * 1000 + 0.5);
    return *ms ? 0 : -1;
}

/* HOST:PORT:ADDR, ADDR may be [v6] or bare v6. */
static int parse_resolve(struct config *c, const char *arg)
{
    const char *p1 = strchr(arg, ':');
    const char *p2 = p1 ? strchr(p1 + 1, ':') : NULL;
    if (!p1 || !p2 || p1 == arg || (size_t)(p1 - arg) >= sizeof(c->resolve[0].host))
        return -1;
    struct resolve_entry e;
    memset(&e, 0, sizeof(e));
    memcpy(e.host, arg, (size_t)(p1 - arg));
    char port[8] = {0};
    unsigned long long port_v;
    if ((size_t)(p2 - p1 - 1) >= sizeof(port))
        return -1;
    memcpy(port, p1 + 1, (size_t)(p2 - p1 - 1));
    if (parse_uint(port, 1, 65535, &port_v) < 0)
        return -1;
    e.port = (uint16_t)port_v;
    const char *a = p2 + 1;
    size_t alen = strlen(a);
    if (alen >= 2 && a[0] == '[' && a[alen - 1] == ']') {
        a++;
        alen -= 2;
    }
    if (alen == 0 || alen >= sizeof(e.addr))
        return -1;
    memcpy(e.addr, a, alen);
    unsigned char tmp[16];
    if (inet_pton(AF_INET, e.addr, tmp) != 1 && inet_pton(AF_INET6, e.addr, tmp) != 1)
        return -1;
    struct resolve_entry *v = realloc(c->resolve, (c->nresolve + 1) * sizeof(*v));
    if (!v)
        return -1;
    c->resolve = v;
    c->resolve[c->nresolve++] = e;
    return 0;
}

static int parse_opt(struct config *c, int opt, const char *arg, char *err, size_t errlen)
{
    unsigned long long v;
    switch (opt) {
    case 't':
        if (parse_uint(arg, 1, MAX_THREADS, &v) < 0)
            return bad(err, errlen, "-t/--threads", arg, "expected a whole number from 1 to 64");
        c->threads = (unsigned)v;
        return 0;
    case 'k':
        if (parse_uint(arg, 1, MAX_CONNS, &v) < 0)
            return bad(err, errlen, "-k/--conns", arg,
                       "expected a whole number from 1 to 50000 (connections per thread)");
        c->conns = (unsigned)v;
        return 0;
    case 'n':
        if (parse_uint(arg, 0, (1ULL << 62), &v) < 0)
            return bad(err, errlen, "-n/--limit", arg, "expected a whole number");
        c->limit = (long long)v;
        return 0;
    case 'o':
        c->output_dir = arg;
        return 0;
    case 'i':
        c->input = arg;
        return 0;
    case OPT_FIELD:
        if (!*arg)
            return bad(err, errlen, "--field", arg, "expected a field name such as url");
        c->field = arg;
        return 0;
    case OPT_CACERT:
        c->cacert = arg;
        return 0;
    case OPT_INSECURE:
        c->insecure = true;
        return 0;
    case OPT_DNS_SERVER:
        c->dns_servers = arg;
        return 0;
    case OPT_RESOLVE:
        if (parse_resolve(c, arg) < 0)
            return bad(err, errlen, "--resolve", arg,
                       "expected HOST:PORT:ADDRESS, e.g. example.com:443:127.0.0.1");
        return 0;
    case OPT_MAX_SIZE:
        if (parse_size(arg, &c->max_size) < 0)
            return bad(err, errlen, "--max-size", arg, "expected bytes, e.g. 1048576 or 64M");
        return 0;
    case OPT_TIMEOUT:
        if (parse_seconds(arg, &c->timeout_ms) < 0)
            return bad(err, errlen, "--timeout", arg, "expected seconds > 0, e.g. 30 or 2.5");
        return 0;
    case OPT_CONNECT_TIMEOUT:
        if (parse_seconds(arg, &c->connect_timeout_ms) < 0)
            return bad(err, errlen, "--connect-timeout", arg, "expected seconds > 0, e.g. 10");
        return 0;
    case OPT_PIPELINE:
        if (parse_uint(arg, 1, 64, &v) < 0)
            return bad(err, errlen, "--pipeline", arg, "expected a whole number from 1 to 64");
        c->pipeline = (unsigned)v;
        return 0;
    case OPT_RETRIES:
        if (parse_uint(arg, 0, 100, &v) < 0)
            return bad(err, errlen, "--retries", arg, "expected a whole number from 0 to 100");
        c->retries = (unsigned)v;
        return 0;
    case OPT_RETRY_MAX_TIME:
        if (parse_seconds(arg, &c->retry_max_time_ms) < 0)
            return bad(err, errlen, "--retry-max-time", arg, "expected seconds > 0, e.g. 60");
        return 0;
    case OPT_MANIFEST:
        c->manifest = arg;
        return 0;
    case OPT_RESUME:
        c->resume = true;
        return 0;
    case OPT_RPC:
        if (parse_uint(arg, 1, 1000000000, &v) < 0)
            return bad(err, errlen, "--requests-per-conn", arg, "expected a whole number >= 1");
        c->requests_per_conn = (unsigned)v;
        return 0;
    case OPT_REPEAT:
        if (parse_uint(arg, 1, 1000000, &v) < 0)
            return bad(err, errlen, "--repeat", arg, "expected a whole number from 1 to 1000000");
        c->repeat = (unsigned)v;
        return 0;
    case OPT_DURATION:
        if (parse_seconds(arg, &c->duration_ms) < 0)
            return bad(err, errlen, "--duration", arg, "expected seconds > 0, e.g. 30");
        return 0;
    case OPT_BIND:
        c->bind = arg;
        return 0;
    case OPT_STRICT:
        c->strict = true;
        return 0;
    case OPT_HOLD:
        if (parse_seconds(arg, &c->hold_ms) < 0)
            return bad(err, errlen, "--hold", arg, "expected seconds > 0, e.g. 30");
        return 0;
    case OPT_HOLD_IDLE:
        c->hold_idle = true;
        return 0;
    case OPT_HOLD_PING:
        if (parse_seconds(arg, &c->hold_ping_ms) < 0)
            return bad(err, errlen, "--hold-ping", arg, "expected seconds > 0, e.g. 5");
        return 0;
    case OPT_DNS_ONLY:
        c->dns_only = true;
        return 0;
    case OPT_DNS_CONC:
        if (parse_uint(arg, 1, 100000, &v) < 0)
            return bad(err, errlen, "--dns-concurrency", arg, "expected a whole number >= 1");
        c->dns_concurrency = (unsigned)v;
        return 0;
    case OPT_RATE: {
        char *end;
        c->rate = strtod(arg, &end);
        if (*end || !(c->rate > 0) || c->rate > 1e7)
            return bad(err, errlen, "--rate", arg, "expected requests per second > 0");
        return 0;
    }
    case OPT_SWEEP:
        c->sweep = arg;
        return 0;
    case OPT_PLOT:
        c->plot = arg;
        return 0;
    case 'w':
        c->write_out = arg;
        return 0;
    case OPT_SHARD: {
        char *slash, *end = NULL;
        errno = 0;
        unsigned long k = strtoul(arg, &slash, 10), n = 0;
        if (*slash == '/')
            n = strtoul(slash + 1, &end, 10);
        if (errno || slash == arg || *slash != '/' || *end || n == 0 || n > 1000000 || k >= n)
            return bad(err, errlen, "--shard", arg, "expected K/N with 0 <= K < N, e.g. 0/4");
        c->shard_k = (unsigned)k;
        c->shard_n = (unsigned)n;
        return 0;
    }
    case OPT_PROGRESS:
        c->progress = 1;
        return 0;
    case OPT_NO_PROGRESS:
        c->progress = 0;
        return 0;
    case OPT_JSON:
        c->json = true;
        return 0;
    case 'q':
        c->quiet = true;
        return 0;
    case 'v':
        c->verbose++;
        return 0;
    }
    snprintf(err, errlen, "unknown option; see volley --help");
    return VL_EUSAGE;
}

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
    defaults(cfg);
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":t:k:n:o:i:w:qvhV", options, NULL)) != -1) {
        if (opt == 'h')
            return CLI_HELP;
        if (opt == 'V')
            return CLI_VERSION;
        if (opt == '?' || opt == ':') {
            const char *o = argv[optind - 1];
            snprintf(err, errlen, "%s: %s; see volley --help", o,
                     opt == ':' ? "missing value" : "unknown option");
            return VL_EUSAGE;
        }
        int rc = parse_opt(cfg, opt, optarg, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (optind < argc - 1) {
        snprintf(err, errlen, "'%s': only one INDEX_URL may be given", argv[optind + 1]);
        return VL_EUSAGE;
    }
    if (optind == argc - 1) {
        if (cfg->input) {
            snprintf(err, errlen, "'%s': give either -i FILE or an INDEX_URL, not both",
                     argv[optind]);
            return VL_EUSAGE;
        }
        cfg->index_url = argv[optind];
    }
    if (cfg->plot && !cfg->sweep) {
        snprintf(err, errlen, "--plot %s: needs --sweep LIST (the levels to chart)", cfg->plot);
        return VL_EUSAGE;
    }
    if ((cfg->hold_idle || cfg->hold_ping_ms) && !cfg->hold_ms) {
        snprintf(err, errlen, "--hold-idle/--hold-ping: need --hold SEC");
        return VL_EUSAGE;
    }
    if (cfg->resume && (!cfg->manifest || !cfg->output_dir)) {
        snprintf(err, errlen,
                 "--resume: needs --manifest FILE and -o DIR (it skips URLs whose "
                 "saved file the manifest vouches for)");
        return VL_EUSAGE;
    }
    return CLI_RUN;
}

void cli_free(struct config *cfg)
{
    free(cfg->resolve);
    cfg->resolve = NULL;
    cfg->nresolve = 0;
}
