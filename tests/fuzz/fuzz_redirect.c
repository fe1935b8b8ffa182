/* fuzz_redirect.c: libFuzzer target for url_resolve (RFC 3986 section 5.2). Byte 0 picks a base
 * URL from a fixed set, byte 1 a small output capacity; the rest is the Location value. A success
 * must be NUL-terminated within cap, parse again with url_parse, hold no dot segments (for bases
 * that hold none), be a fixed point of resolution, and agree with the result at a smaller cap. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_redirect: invariant failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Room for scheme, the longest base authority and path, and the whole reference. */
#define SLACK 512

struct base {
    const char *url;
    bool clean; /* the path has no "." or ".." segment, so no result may have one */
};

static const struct base bases[] = {
    {"http://example.com/a/b/c?q=1", true},
    {"https://example.com:8443/", true},
    {"http://[::1]:8080/dir/sub/", true},
    {"http://h?only=query", true},
    {"https://a.b/dir/file.html#frag", true},
    {"http://h", true},
    {"HTTPS://Host.Example:443/x//y/", true},
    {"http://127.0.0.1:1/a/./b/../c", false},
    {"http://h/%2e%2e/seg;p?x=/y", true},
    {"https://[2001:db8::7]/", true},
    {"http://h:65535/a/b/", true},
    {"http://h/..", false},
};

#define NBASES (sizeof(bases) / sizeof(bases[0]))

/* Does the path part (before '?') of an absolute http(s) URL hold a "." or ".." segment? */
static bool has_dot_segment(const struct url *u)
{
    const char *p = u->path, *end = u->path + u->path_len, *q = memchr(p, '?', u->path_len);

    if (q != NULL)
        end = q;
    while (p < end) {
        const char *s = p + (*p == '/');
        const char *e = memchr(s, '/', (size_t)(end - s));
        size_t n;

        e = e != NULL ? e : end;
        n = (size_t)(e - s);
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return true;
        p = e;
    }
    return false;
}

/* A string being built by the reference resolver; big enough for any input the target takes. */
struct sbuf {
    char *p;
    size_t n;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static bool starts(const char *s, size_t n, const char *lit)
{
    return n >= strlen(lit) && memcmp(s, lit, strlen(lit)) == 0;
}

static bool equals(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* Drop the last segment of the output and its '/' (RFC 3986 section 5.2.4 step 2C). */
static void drop_last(struct sbuf *o)
{
    while (o->n > 0 && o->p[o->n - 1] != '/')
        o->n--;
    if (o->n > 0)
        o->n--;
}

/* RFC 3986 section 5.2.4 remove_dot_segments, the RFC's own input/output loop, word for word:
 * a reference for url.c's right-to-left version. in is consumed (it is a scratch copy). */
static void remove_dots(char *in, size_t n, struct sbuf *o)
{
    while (n > 0) {
        size_t k;
        if (starts(in, n, "../") || starts(in, n, "./")) { /* A */
            k = in[0] == '.' && in[1] == '.' ? 3 : 2;
            in += k, n -= k;
        } else if (starts(in, n, "/./") || equals(in, n, "/.")) { /* B: replace with "/" */
            k = n == 2 ? 1 : 2;
            in += k, n -= k;
            in[0] = '/';
        } else if (starts(in, n, "/../") || equals(in, n, "/..")) { /* C: same, and pop */
            k = n == 3 ? 2 : 3;
            in += k, n -= k;
            in[0] = '/';
            drop_last(o);
        } else if (equals(in, n, ".") || equals(in, n, "..")) { /* D */
            n = 0;
        } else { /* E: the first segment, with its leading '/' */
            for (k = 1; k < n && in[k] != '/'; k++)
                ;
            sb_put(o, in, k);
            in += k, n -= k;
        }
    }
}

/* One reference split per RFC 3986 appendix B. */
struct parts {
    const char *scheme, *auth, *path, *query;
    size_t scheme_len, auth_len, path_len, query_len;
    bool has_scheme, has_auth, has_query;
};

static size_t upto(const char *s, size_t n, const char *stops)
{
    size_t i = 0;

    while (i < n && (s[i] == '\0' || strchr(stops, s[i]) == NULL))
        i++;
    return i;
}

static void split(const char *s, size_t n, struct parts *r)
{
    size_t i = upto(s, n, ":/?#");

    memset(r, 0, sizeof(*r));
    if (i < n && s[i] == ':') {
        r->has_scheme = true;
        r->scheme = s, r->scheme_len = i;
        s += i + 1, n -= i + 1;
    }
    if (starts(s, n, "//")) {
        r->has_auth = true;
        r->auth = s + 2, r->auth_len = upto(s + 2, n - 2, "/?#");
        s += 2 + r->auth_len, n -= 2 + r->auth_len;
    }
    r->path = s, r->path_len = upto(s, n, "?#");
    if (r->path_len < n && s[r->path_len] == '?') {
        r->has_query = true;
        r->query = s + r->path_len + 1;
        r->query_len = upto(r->query, n - r->path_len - 1, "#");
    }
}

/* RFC 3986 section 5.2.2 target path and query for ref against base, as url.h describes it:
 * non-strict "http:g", fragment dropped, an empty path sent as "/". Returns false when ref must
 * be refused for its scheme. */
static bool reference_resolve(const struct url *base, const struct parts *r, struct sbuf *o)
{
    const char *bq = memchr(base->path, '?', base->path_len);
    size_t bp_len = base->path_needs_slash ? 0 : bq ? (size_t)(bq - base->path) : base->path_len;
    char *tmp = malloc(bp_len + r->path_len + 2);
    const struct parts *q = r;
    struct parts bparts = {0};
    size_t t = 0;

    CHECK(tmp != NULL);
    if (r->has_scheme && !r->has_auth) {
        bool https = r->scheme_len == 5;
        if (https != (base->scheme == URL_HTTPS))
            return free(tmp), false;
    }
    if (bq != NULL)
        bparts.has_query = true, bparts.query = bq + 1;
    bparts.query_len = bq ? base->path_len - (size_t)(bq + 1 - base->path) : 0;
    if (r->has_auth || (r->path_len > 0 && r->path[0] == '/')) {
        memcpy(tmp, r->path, r->path_len);
        remove_dots(tmp, r->path_len, o);
    } else if (r->path_len == 0) {
        sb_put(o, base->path, bp_len);
        q = r->has_query ? r : &bparts;
    } else {
        /* 5.2.3 merge: the base path up to its last '/', "/" for an empty one. */
        const char *slash = bp_len ? memrchr(base->path, '/', bp_len) : NULL;
        t = slash ? (size_t)(slash - base->path) + 1 : 0;
        memcpy(tmp, base->path, t);
        if (t == 0)
            tmp[t++] = '/';
        memcpy(tmp + t, r->path, r->path_len);
        remove_dots(tmp, t + r->path_len, o);
    }
    if (o->n == 0)
        sb_put(o, "/", 1);
    if (q->has_query) {
        sb_put(o, "?", 1);
        sb_put(o, q->query, q->query_len);
    }
    free(tmp);
    return true;
}

/* url_resolve's path and query against the reference resolver's. */
static void check_reference(const struct url *base, const char *ref, size_t ref_len,
                            const char *out, int n)
{
    struct parts r;
    struct sbuf o;
    const char *p;

    split(ref, ref_len, &r);
    if (r.has_scheme && !(r.scheme_len == 4 && strncasecmp(r.scheme, "http", 4) == 0) &&
        !(r.scheme_len == 5 && strncasecmp(r.scheme, "https", 5) == 0)) {
        CHECK(n == -1);
        return;
    }
    o.p = malloc(base->path_len + 2 * ref_len + 8);
    o.n = 0;
    CHECK(o.p != NULL);
    if (!reference_resolve(base, &r, &o)) {
        CHECK(n == -1);
    } else if (n > 0) {
        p = strchr(strstr(out, "://") + 3, '/');
        CHECK(p != NULL);
        CHECK((size_t)(out + n - p) == o.n && memcmp(p, o.p, o.n) == 0);
    }
    free(o.p);
}

/* Result at a tight cap: the same string if it fits (NUL included), else -1; out has exactly cap
 * bytes so that ASan sees a write past it. */
static void check_small_cap(const struct url *base, const char *ref, size_t ref_len, size_t cap,
                            const char *big, int big_n)
{
    char *out = malloc(cap ? cap : 1);
    int n;

    CHECK(out != NULL);
    n = url_resolve(base, ref, ref_len, out, cap);
    if (big_n >= 0 && (size_t)big_n < cap)
        CHECK(n == big_n && memcmp(out, big, (size_t)n + 1) == 0);
    else
        CHECK(n == -1);
    free(out);
}

static void check_result(const struct base *bb, const struct url *base, const char *out, int n,
                         size_t cap)
{
    struct url v;
    char *again;
    int m;

    CHECK(n > 0 && (size_t)n < cap);
    CHECK(out[n] == '\0' && strlen(out) == (size_t)n);
    CHECK(url_parse(out, (size_t)n, &v) == 0);
    CHECK(v.path[0] == '/'); /* the request line always gets a path */
    CHECK(!bb->clean || !has_dot_segment(&v));
    /* An absolute, already-resolved URL resolves to itself against any base (a clean result's
     * path has nothing left to remove). */
    if (!has_dot_segment(&v)) {
        again = malloc(cap);
        CHECK(again != NULL);
        m = url_resolve(base, out, (size_t)n, again, cap);
        CHECK(m == n && memcmp(again, out, (size_t)n + 1) == 0);
        free(again);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct base *bb;
    const char *ref;
    size_t ref_len, cap;
    struct url base;
    char *out;
    int n;

    if (size < 2)
        return 0;
    bb = &bases[data[0] % NBASES];
    if (url_parse(bb->url, strlen(bb->url), &base) != 0)
        abort(); /* a broken fixed base is a harness bug, not a finding */
    ref = (const char *)data + 2;
    ref_len = size - 2;
    cap = ref_len * 2 + SLACK;
    out = malloc(cap);
    CHECK(out != NULL);
    n = url_resolve(&base, ref, ref_len, out, cap);
    CHECK(n == -1 || n > 0);
    if (n > 0)
        check_result(bb, &base, out, n, cap);
    check_reference(&base, ref, ref_len, out, n);
    check_small_cap(&base, ref, ref_len, data[1], out, n);
    free(out);
    return 0;
}
