/* cli.c: argv -> struct config. Every message names the option, the problem and the fix. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "hostcache.h"

#define MAX_CONNS 50000

/* How an option's value is read into struct config. */
enum opt_kind {
    O_TRUE,    /* bool: set */
    O_SET,     /* int: set to lo (--progress 1, --no-progress 0) */
    O_COUNT,   /* int: one more each time (-v) */
    O_UINT,    /* unsigned in lo..hi */
    O_LLONG,   /* long long in lo..hi */
    O_SECONDS, /* unsigned milliseconds, from seconds > 0 (2.5 allowed) */
    O_SIZE,    /* uint64_t bytes, k/M/G suffixes */
    O_STR,     /* const char *, borrowed from argv */
    O_NAME,    /* const char *, not empty */
    O_CUSTOM,  /* parse(config, value) */
    O_HELP,
    O_VERSION,
};

/* One option: it drives getopt, the checks, the error text and --help alike. */
struct opt {
    const char *name;
    char shortc;
    enum opt_kind kind;
    size_t off; /* offsetof(struct config, field) */
    unsigned long long lo, hi;
    const char *arg;    /* the value's name in --help, or NULL for none */
    const char *help;   /* --help text; "\n" continues on the next line */
    const char *expect; /* what a bad value should have been */
    int (*parse)(struct config *c, const char *arg);
    const char *section; /* a heading printed before this option, or NULL */
};

static int parse_resolve(struct config *c, const char *arg);
static int parse_rate(struct config *c, const char *arg);
static int parse_checksum(struct config *c, const char *arg);
static int parse_pipeline(struct config *c, const char *arg);
static int parse_shard(struct config *c, const char *arg);

/* Every field by name, so that what an entry leaves out is zero without a warning. */
#define O(name_, short_, kind_, field_, lo_, hi_, arg_, help_, expect_)                            \
    .name = name_, .shortc = short_, .kind = kind_, .off = offsetof(struct config, field_),        \
    .lo = lo_, .hi = hi_, .arg = arg_, .help = help_, .expect = expect_

static const struct opt opts[] = {
    {O("threads", 't', O_UINT, threads, 1, MAX_THREADS, "N",
       "reactor threads (default: number of CPUs)", "a whole number from 1 to 64")},
    {O("conns", 'k', O_UINT, conns, 1, MAX_CONNS, "N",
       "connections per thread, fixed (default: adaptive per origin,\nsee --max-per-host)",
       "a whole number from 1 to 50000 (connections per thread)")},
    {O("limit", 'n', O_LLONG, limit, 0, 1ULL << 62, "N", "only the first N URLs of the index",
       "a whole number")},
    {O("output", 'o', O_STR, output_dir, 0, 0, "DIR", "save each body as DIR/<host[:port]>/<path>",
       NULL)},
    {O("input", 'i', O_STR, input, 0, 0, "FILE",
       "URL list, one a line, instead of an index ('-' = stdin)", NULL)},
    {O("field", 0, O_NAME, field, 0, 0, "NAME", "index field holding the URL (default url)",
       "a field name such as url")},
    {O("cacert", 0, O_STR, cacert, 0, 0, "FILE", "CA bundle (default: the system bundle)", NULL)},
    {O("insecure", 0, O_TRUE, insecure, 0, 0, NULL, "do not verify certificates (warns)", NULL)},
    {O("dns-server", 0, O_STR, dns_servers, 0, 0, "LIST", "DNS servers, IP[:PORT][,...]", NULL)},
    {O("resolve", 0, O_CUSTOM, resolve, 0, 0, "H:P:A",
       "use address A (or A,B,... tried as DNS answers are) for\nhost H, port P (repeatable)",
       "HOST:PORT:ADDRESS[,ADDRESS...], e.g. example.com:443:127.0.0.1"),
     .parse = parse_resolve},
    {O("max-size", 0, O_SIZE, max_size, 0, 0, "BYTES",
       "largest body accepted (default 1 GiB; k, M, G suffixes)", "bytes, e.g. 1048576 or 64M")},
    {O("timeout", 0, O_SECONDS, timeout_ms, 0, 0, "SEC",
       "one try of a URL, redirects included (default 30)", "seconds > 0, e.g. 30 or 2.5")},
    {O("connect-timeout", 0, O_SECONDS, connect_timeout_ms, 0, 0, "SEC",
       "TCP connect, then TLS handshake, each (default 10)", "seconds > 0, e.g. 10")},
    {O("pipeline", 0, O_CUSTOM, pipeline, 0, 0, "N|auto",
       "requests in flight per connection (default: auto, probed\nper origin up to 16; 1 with -k)",
       "a whole number from 1 to 64, or auto"),
     .parse = parse_pipeline},
    {O("max-per-host", 0, O_UINT, max_per_host, 1, MAX_CONNS, "N",
       "connections per origin at most, adaptive runs (default 64)",
       "a whole number from 1 to 50000")},
    {O("retries", 0, O_UINT, retries, 0, 100, "N",
       "retries for what can heal: connect errors, resets, timeouts,\n"
       "5xx, 408, 429 (default 3; backoff with jitter, Retry-After)",
       "a whole number from 0 to 100")},
    {O("retry-max-time", 0, O_SECONDS, retry_max_time_ms, 0, 0, "SEC",
       "start no retry later than SEC after a URL's first try", "seconds > 0, e.g. 60")},
    {O("manifest", 0, O_STR, manifest, 0, 0, "FILE",
       "append one JSON line per URL (url, status, bytes, attempts,\n"
       "ms, error, path) as results come in",
       NULL)},
    {O("resume", 0, O_TRUE, resume, 0, 0, NULL,
       "skip URLs the manifest says are saved whole (needs -o and\n--manifest)", NULL)},
    {O("checksum", 0, O_CUSTOM, checksum, 0, 0, "sha256",
       "each saved file's SHA-256 in its manifest line", "sha256 (the one digest offered)"),
     .parse = parse_checksum},
    {O("verify", 0, O_TRUE, verify, 0, 0, NULL,
       "with --resume: skip a file only if its SHA-256 is still the\nrecorded one", NULL)},
    {O("requests-per-conn", 0, O_UINT, requests_per_conn, 1, 1000000000, "N",
       "close each connection after N requests (1 = churn)", "a whole number >= 1"),
     .section = "Stress testing:"},
    {O("repeat", 0, O_UINT, repeat, 1, 1000000, "R", "go through the URL list R times",
       "a whole number from 1 to 1000000")},
    {O("duration", 0, O_SECONDS, duration_ms, 0, 0, "SEC",
       "repeat the URL list until SEC have passed", "seconds > 0, e.g. 30")},
    {O("rate", 0, O_CUSTOM, rate, 0, 0, "N",
       "N requests (or lookups) per second across all threads;\n"
       "latency counts from when each was due",
       "requests per second > 0"),
     .parse = parse_rate},
    {O("hold", 0, O_SECONDS, hold_ms, 0, 0, "SEC",
       "open -t x -k connections, hold them SEC, then close", "seconds > 0, e.g. 30")},
    {O("hold-idle", 0, O_TRUE, hold_idle, 0, 0, NULL, "with --hold: handshake only, no request",
       NULL)},
    {O("hold-ping", 0, O_SECONDS, hold_ping_ms, 0, 0, "SEC",
       "with --hold: a request on each connection every SEC", "seconds > 0, e.g. 5")},
    {O("dns-only", 0, O_TRUE, dns_only, 0, 0, NULL,
       "resolve the list's host names (or one name a line with -i)", NULL)},
    {O("dns-concurrency", 0, O_UINT, dns_concurrency, 1, 100000, "N",
       "lookups in flight per thread with --dns-only (default -k)", "a whole number >= 1")},
    {O("bind", 0, O_STR, bind, 0, 0, "LIST", "source addresses A[,B...] or a range A-B", NULL)},
    {O("strict", 0, O_TRUE, strict, 0, 0, NULL,
       "refuse, instead of lowering -k, when open files run short", NULL)},
    {O("sweep", 0, O_STR, sweep, 0, 0, "LIST",
       "run at each level: TxK items (2x64) or total connections", NULL),
     .section = "Presentation:"},
    {O("plot", 0, O_STR, plot, 0, 0, "FILE.svg", "with --sweep: chart of wall time and requests/s",
       NULL)},
    {O("write-out", 'w', O_STR, write_out, 0, 0, "FMT",
       "per URL: %{url} %{http_code} %{size} %{time_total}\n"
       "%{time_dns} %{time_connect} %{time_tls} %{time_ttfb}",
       NULL)},
    {O("shard", 0, O_CUSTOM, shard_k, 0, 0, "K/N", "only URLs whose position modulo N is K",
       "K/N with 0 <= K < N, e.g. 0/4"),
     .parse = parse_shard},
    {O("progress", 0, O_SET, progress, 1, 0, NULL, "live progress line (default: when a terminal)",
       NULL)},
    {O("no-progress", 0, O_SET, progress, 0, 0, NULL, "no progress line", NULL)},
    {O("json", 0, O_TRUE, json, 0, 0, NULL, "print the summary as one JSON object", NULL)},
    {O("quiet", 'q', O_TRUE, quiet, 0, 0, NULL, "no per-URL failure lines", NULL)},
    {O("verbose", 'v', O_COUNT, verbose, 0, 0, NULL, "a line on stderr for every URL fetched, too",
       NULL)},
    {O("help", 'h', O_HELP, threads, 0, 0, NULL, "this text", NULL)},
    {O("version", 'V', O_VERSION, threads, 0, 0, NULL, "versions of volley and its libraries",
       NULL)},
};

#undef O

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* One option's --help lines: "  -t, --threads N         text", continuations aligned. */
static void usage_opt(struct buf_writer *w, const struct opt *o)
{
    char head[64];
    int n = snprintf(head, sizeof(head), "  %c%c%s --%s%s%s", o->shortc ? '-' : ' ',
                     o->shortc ? o->shortc : ' ', o->shortc ? "," : " ", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
    buf_put(w, head, (size_t)n);
    /* The text starts at column 26, or two spaces after a longer head. */
    for (int pad = n < 25 ? 26 - n : 2; pad > 0; pad--)
        buf_put(w, " ", 1);
    for (const char *p = o->help, *nl; p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        buf_put(w, p, nl ? (size_t)(nl - p) : strlen(p));
        BUF_PUT_LIT(w, "\n");
        if (nl)
            BUF_PUT_LIT(w, "                          ");
    }
}

void cli_usage(FILE *out)
{
    char text[8192];
    struct buf_writer w = {text, sizeof(text), 0, true};

    BUF_PUT_LIT(&w, "usage: volley [options] [INDEX_URL]\n"
                    "Fetch a JSON index, then every URL it lists, over HTTP/1.1 keep-alive "
                    "connections.\nINDEX_URL defaults to " CLI_DEFAULT_INDEX "\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        if (opts[i].section) {
            buf_put(&w, opts[i].section, strlen(opts[i].section));
            BUF_PUT_LIT(&w, "\n");
        }
        usage_opt(&w, &opts[i]);
    }
    BUF_PUT_LIT(&w, "Exit status: 0 all fetched, 1 some failed, 2 bad usage or setup.\n");
    fwrite(text, 1, w.len, out);
}

static void defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = n > 0 ? (unsigned)(n > MAX_THREADS ? MAX_THREADS : n) : 1;
    c->conns = 0; /* not given: adaptive, see finish_defaults */
    c->max_per_host = 64;
    c->limit = -1;
    c->index_url = CLI_DEFAULT_INDEX;
    c->field = "url";
    c->max_size = 1ULL << 30;
    c->timeout_ms = 30000;
    c->connect_timeout_ms = 10000;
    c->pipeline = UINT32_MAX; /* not given */
    c->retries = 3;
    c->repeat = 1;
    c->progress = -1;
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
    struct hc_addr tmp[HC_MAX_ADDRS];
    if (strlen(a) >= sizeof(e.addr) || hc_addr_list_parse(a, tmp, HC_MAX_ADDRS) < 0)
        return -1;
    memcpy(e.addr, a, strlen(a) + 1);
    struct resolve_entry *v = realloc(c->resolve, (c->nresolve + 1) * sizeof(*v));
    if (!v)
        return -1;
    c->resolve = v;
    c->resolve[c->nresolve++] = e;
    return 0;
}

static int parse_rate(struct config *c, const char *arg)
{
    char *end;
    c->rate = strtod(arg, &end);
    return *end || end == arg || !(c->rate > 0) || c->rate > 1e7 ? -1 : 0;
}

static int parse_pipeline(struct config *c, const char *arg)
{
    unsigned long long v;
    if (strcmp(arg, "auto") == 0) {
        c->pipeline = 0;
        return 0;
    }
    if (parse_uint(arg, 1, 64, &v) < 0)
        return -1;
    c->pipeline = (unsigned)v;
    return 0;
}

static int parse_checksum(struct config *c, const char *arg)
{
    c->checksum = strcmp(arg, "sha256") == 0;
    return c->checksum ? 0 : -1;
}

static int parse_shard(struct config *c, const char *arg)
{
    char *slash, *end = NULL;
    errno = 0;
    unsigned long k = strtoul(arg, &slash, 10), n = 0;
    if (*slash == '/')
        n = strtoul(slash + 1, &end, 10);
    if (errno || slash == arg || *slash != '/' || *end || n == 0 || n > 1000000 || k >= n)
        return -1;
    c->shard_k = (unsigned)k;
    c->shard_n = (unsigned)n;
    return 0;
}

/* Store arg into the config field o names. Returns 0, or -1 for a value o does not take. */
static int apply(struct config *c, const struct opt *o, const char *arg)
{
    char *field = (char *)c + o->off;
    unsigned long long v;
    switch (o->kind) {
    case O_TRUE:
        *(bool *)field = true;
        return 0;
    case O_SET:
        *(int *)field = (int)o->lo;
        return 0;
    case O_COUNT:
        ++*(int *)field;
        return 0;
    case O_UINT:
    case O_LLONG:
        if (parse_uint(arg, o->lo, o->hi, &v) < 0)
            return -1;
        if (o->kind == O_UINT)
            *(unsigned *)field = (unsigned)v;
        else
            *(long long *)field = (long long)v;
        return 0;
    case O_SECONDS:
        return parse_seconds(arg, (unsigned *)field);
    case O_SIZE:
        return parse_size(arg, (uint64_t *)field);
    case O_NAME:
        if (!*arg)
            return -1;
        /* fall through */
    case O_STR:
        *(const char **)field = arg;
        return 0;
    case O_CUSTOM:
        return o->parse(c, arg);
    default:
        return -1;
    }
}

/* The option getopt_long reported as opt (a short letter, or 256 + its index in opts). */
static const struct opt *find_opt(int opt)
{
    if (opt >= 256 && (size_t)(opt - 256) < NOPTS)
        return &opts[opt - 256];
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].shortc && opts[i].shortc == opt)
            return &opts[i];
    return NULL;
}

/* getopt_long's tables, from opts: every long name, and ":t:k:..." for the short ones. */
static void getopt_tables(struct option *longs, char *shorts)
{
    size_t k = 0;
    shorts[k++] = ':';
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        longs[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                   o->shortc ? o->shortc : (int)(256 + i)};
        if (o->shortc) {
            shorts[k++] = o->shortc;
            if (o->arg)
                shorts[k++] = ':';
        }
    }
    longs[NOPTS] = (struct option){NULL, 0, NULL, 0};
    shorts[k] = '\0';
}

/* What was left to the run: without -k (and outside the stress modes, which measure a server
 * at a concurrency of their own), budgets per origin adapt and the pipeline depth is probed. */
static void finish_defaults(struct config *c)
{
    bool stress = c->hold_ms || c->dns_only || c->rate > 0 || c->duration_ms || c->repeat > 1 ||
                  c->requests_per_conn || c->sweep;
    c->adaptive = c->conns == 0 && !stress;
    if (c->conns == 0) /* slots per thread: one origin may use max_per_host / threads of them */
        c->conns = c->adaptive ? c->max_per_host : 8;
    if (c->pipeline == UINT32_MAX)
        c->pipeline = c->adaptive ? 0 : 1;
}

/* Act on one option: CLI_RUN to go on, CLI_HELP/CLI_VERSION, or VL_EUSAGE with err filled. */
static int take_opt(struct config *cfg, const struct opt *o, const char *arg, char *err,
                    size_t errlen)
{
    if (o->kind == O_HELP || o->kind == O_VERSION)
        return o->kind == O_HELP ? CLI_HELP : CLI_VERSION;
    if (apply(cfg, o, arg) == 0)
        return CLI_RUN;
    char name[48];
    if (o->shortc)
        snprintf(name, sizeof(name), "-%c/--%s", o->shortc, o->name);
    else
        snprintf(name, sizeof(name), "--%s", o->name);
    snprintf(err, errlen, "%s '%s': expected %s", name, arg, o->expect);
    return VL_EUSAGE;
}

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
    struct option longs[NOPTS + 1];
    char shorts[2 * NOPTS + 2];
    int opt;
    defaults(cfg);
    getopt_tables(longs, shorts);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const struct opt *o = opt == '?' || opt == ':' ? NULL : find_opt(opt);
        if (!o) {
            snprintf(err, errlen, "%s: %s; see volley --help", argv[optind - 1],
                     opt == ':' ? "missing value" : "unknown option");
            return VL_EUSAGE;
        }
        int rc = take_opt(cfg, o, optarg, err, errlen);
        if (rc != CLI_RUN)
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
    finish_defaults(cfg);
    if (cfg->plot && !cfg->sweep) {
        snprintf(err, errlen, "--plot %s: needs --sweep LIST (the levels to chart)", cfg->plot);
        return VL_EUSAGE;
    }
    if ((cfg->hold_idle || cfg->hold_ping_ms) && !cfg->hold_ms) {
        snprintf(err, errlen, "--hold-idle/--hold-ping: need --hold SEC");
        return VL_EUSAGE;
    }
    if (cfg->checksum && (!cfg->manifest || !cfg->output_dir)) {
        snprintf(err, errlen,
                 "--checksum: needs -o DIR and --manifest FILE (it records the "
                 "digest of each saved file there)");
        return VL_EUSAGE;
    }
    if (cfg->verify && !cfg->resume) {
        snprintf(err, errlen, "--verify: needs --resume (it checks the files a resume skips)");
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
