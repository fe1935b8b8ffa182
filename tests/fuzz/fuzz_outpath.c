/* fuzz_outpath.c: libFuzzer target for outpath_build. Byte 0 picks the output directory and how
 * the URL is made: parsed by url_parse from the rest of the input (the real path), or, with bit 7
 * set, a struct url filled straight from the bytes (host length, host, path), which url_parse
 * would have filtered: outpath must stay inside DIR on its own. Byte 1 is a small capacity whose
 * result must agree with the roomy one. A success must be "DIR/" + host + '/' + safe segments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outpath.h"
#include "url.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_outpath: invariant failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define NAME_MAX_BYTES 255

struct dir {
    const char *dir;
    const char *prefix; /* what every result starts with */
};

static const struct dir dirs[] = {
    {"out", "out/"},
    {"out/", "out/"},
    {"/tmp/v", "/tmp/v/"},
    {".", "./"},
    {"", ""},
    {"a//b//", "a//b/"},
    {"/", "/"},
    {"../up", "../up/"},
    {"d i r", "d i r/"},
    {"x/./y", "x/./y/"},
    {"//", "/"},
    {"o\\", "o\\/"},
    {"dir.", "dir./"},
    {"..", "../"},
    {"out///", "out/"},
    {"\t", "\t/"},
};

#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

static bool unsafe_byte(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == '\\';
}

static bool is_seg(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* The part after DIR/: segments separated by single '/', none empty, ".", ".." or over
 * NAME_MAX_BYTES, no unsafe bytes; the first holds the lowercased host, and a file name follows. */
static void check_tail(const char *t, size_t n, const struct url *u)
{
    size_t segs = 0, i = 0;

    while (i <= n) {
        const char *e = memchr(t + i, '/', n - i);
        size_t end = e != NULL ? (size_t)(e - t) : n, len = end - i;

        CHECK(len > 0 && len <= NAME_MAX_BYTES);
        CHECK(!is_seg(t + i, len, ".") && !is_seg(t + i, len, ".."));
        for (size_t j = i; j < end; j++)
            CHECK(!unsafe_byte((unsigned char)t[j]));
        if (segs == 0) {
            size_t h = u->ipv6;
            CHECK(len >= u->host_len + 2 * u->ipv6);
            for (size_t j = 0; j < u->host_len; j++) {
                char c = u->host[j];
                CHECK(t[i + h + j] == (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
            }
        }
        segs++;
        i = end + 1;
    }
    CHECK(segs >= 2);
}

static void check_ok(const struct dir *d, const struct url *u, const char *out, int n, size_t cap)
{
    size_t plen = strlen(d->prefix);

    CHECK(n > 0 && (size_t)n < cap && out[n] == '\0');
    CHECK(memchr(out, '\0', (size_t)n) == NULL);
    CHECK((size_t)n > plen && memcmp(out, d->prefix, plen) == 0);
    check_tail(out + plen, (size_t)n - plen, u);
}

/* The expected result, built independently from outpath.h's rules (and outpath.c's stricter
 * reading where the header is silent: '\\' is unsafe too, a bad %-escape or an unsafe byte in
 * the query is unsafe). */
struct expect {
    char *p;
    size_t n;
    int rc; /* 0, -1 or -2 */
};

static void ex_put(struct expect *e, const char *s, size_t n)
{
    memcpy(e->p + e->n, s, n);
    e->n += n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode a segment onto e; -1 if unsafe. Returns the decoded length through *len. */
static int ex_segment(struct expect *e, const char *s, size_t n, size_t *len)
{
    size_t start = e->n;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
                return -1;
            c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        }
        if (unsafe_byte((unsigned char)c) || c == '/')
            return -1;
        ex_put(e, &c, 1);
    }
    *len = e->n - start;
    if (is_seg(e->p + start, *len, ".") || is_seg(e->p + start, *len, ".."))
        return -1;
    return 0;
}

static void ex_fail(struct expect *e, int rc)
{
    if (e->rc != -1)
        e->rc = rc;
}

/* The last name: its segment (or "index.html") and the query with '/' as "%2F". */
static void ex_last(struct expect *e, const char *seg, size_t n, const char *q, size_t qn)
{
    size_t len = 10;

    if (n == 0)
        ex_put(e, "index.html", 10);
    else if (ex_segment(e, seg, n, &len) < 0)
        return ex_fail(e, -1);
    for (size_t i = 0; i < qn; i++) {
        if (q[i] == '/')
            ex_put(e, "%2F", 3), len += 3;
        else if (unsafe_byte((unsigned char)q[i]))
            return ex_fail(e, -1);
        else
            ex_put(e, q + i, 1), len++;
    }
    if (len > NAME_MAX_BYTES)
        ex_fail(e, -2);
}

static void expect_build(const struct dir *d, const struct url *u, struct expect *e)
{
    const char *path = u->path, *q = memchr(u->path, '?', u->path_len);
    size_t pn = q ? (size_t)(q - path) : u->path_len, start = 0, len;

    ex_put(e, d->prefix, strlen(d->prefix));
    if (is_seg(u->host, u->host_len, ".") || is_seg(u->host, u->host_len, ".."))
        return ex_fail(e, -1);
    /* The origin: the host (IPv6 in brackets), lowercased, ":port" unless the default. */
    size_t origin_len = u->host_len + 2 * u->ipv6;
    if (u->ipv6)
        ex_put(e, "[", 1);
    for (size_t i = 0; i < u->host_len; i++) {
        char c = u->host[i];
        if (unsafe_byte((unsigned char)c) || c == '/')
            return ex_fail(e, -1);
        c = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        ex_put(e, &c, 1);
    }
    if (u->ipv6)
        ex_put(e, "]", 1);
    if (u->port != (u->scheme == URL_HTTPS ? 443 : 80)) {
        char port[8];
        int n = snprintf(port, sizeof(port), ":%u", (unsigned)u->port);
        ex_put(e, port, (size_t)n);
        origin_len += (size_t)n;
    }
    if (origin_len > NAME_MAX_BYTES)
        ex_fail(e, -2);
    ex_put(e, "/", 1);
    for (size_t i = 0; i < pn; i++) {
        if (path[i] != '/')
            continue;
        if (i > start && ex_segment(e, path + start, i - start, &len) < 0)
            return ex_fail(e, -1);
        if (i > start && len > NAME_MAX_BYTES)
            ex_fail(e, -2);
        if (i > start)
            ex_put(e, "/", 1);
        start = i + 1;
    }
    ex_last(e, path + start, pn - start, q, q ? u->path_len - pn : 0);
}

/* outpath_build with a roomy cap against the expected result. */
static void check_expected(const struct dir *d, const struct url *u, const char *out, int n)
{
    struct expect e = {malloc(strlen(d->prefix) + 4 * (u->host_len + u->path_len) + 24), 0, 0};

    CHECK(e.p != NULL);
    expect_build(d, u, &e);
    if (e.rc == 0)
        CHECK(n >= 0 && (size_t)n == e.n && memcmp(out, e.p, e.n) == 0);
    else
        CHECK(n == e.rc);
    free(e.p);
}

/* At a tight cap: the same result when it fits, -2 when it does not, -1 whenever unsafe. */
static void check_small_cap(const struct dir *d, const struct url *u, size_t cap, const char *big,
                            int big_n)
{
    char *out = malloc(cap ? cap : 1);
    int n;

    CHECK(out != NULL);
    n = outpath_build(d->dir, u, out, cap);
    if (big_n >= 0 && (size_t)big_n < cap)
        CHECK(n == big_n && memcmp(out, big, (size_t)n + 1) == 0);
    else if (big_n >= 0)
        CHECK(n == -2);
    else
        CHECK(n == big_n);
    free(out);
}

/* A url straight from bytes: host length, host, then path ("/" if none; '/' put in front of a
 * path that starts with neither '/' nor '?', as url_parse would never give one). */
static int raw_url(const char *s, size_t len, struct url *u, char *path_buf)
{
    size_t hl;

    if (len < 2)
        return -1;
    hl = (unsigned char)s[0] % (len - 1) + 1;
    memset(u, 0, sizeof(*u));
    u->port = 80;
    u->host = s + 1;
    u->host_len = hl;
    s += 1 + hl;
    len -= 1 + hl;
    path_buf[0] = '/';
    if (len > 0)
        memcpy(path_buf + 1, s, len);
    u->path = len > 0 && (s[0] == '/' || s[0] == '?') ? path_buf + 1 : path_buf;
    u->path_len = len > 0 && (s[0] == '/' || s[0] == '?') ? len : len + 1;
    u->path_needs_slash = u->path[0] == '?';
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct dir *d;
    const char *s;
    char *out, *path_buf;
    size_t len, cap;
    struct url u;
    int n, rc;

    if (size < 2)
        return 0;
    d = &dirs[(data[0] & 0x7f) % NDIRS];
    s = (const char *)data + 2;
    len = size - 2;
    path_buf = malloc(len + 1);
    CHECK(path_buf != NULL);
    if (data[0] & 0x80)
        rc = raw_url(s, len, &u, path_buf);
    else
        rc = url_parse(s, len, &u);
    if (rc == 0) {
        cap = strlen(d->dir) + 3 * (u.host_len + u.path_len) + 72;
        out = malloc(cap);
        CHECK(out != NULL);
        n = outpath_build(d->dir, &u, out, cap);
        CHECK(n == -1 || n == -2 || n > 0);
        if (n > 0)
            check_ok(d, &u, out, n, cap);
        check_expected(d, &u, out, n);
        check_small_cap(d, &u, data[1], out, n);
        free(out);
    }
    free(path_buf);
    return 0;
}
