/* url.c: absolute http(s) URL parsing and RFC 3986 reference resolution. Pure, no allocation. */
#include "url.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "text.h"

#define IPV6_TEXT_MAX 45 /* INET6_ADDRSTRLEN - 1 */

static const char root_path[] = "/";

/* One reference split per RFC 3986 section 3 / appendix B. */
struct ref {
    bool has_scheme;
    enum url_scheme scheme;
    bool has_auth;
    const char *auth;
    size_t auth_len;
    const char *path;
    size_t path_len;
    bool has_query;
    const char *query; /* after the '?' */
    size_t query_len;
};

/* RFC 3986 section 2 allows only printable ASCII. Spaces, controls (CR/LF: request splitting),
 * NUL and raw UTF-8 are refused rather than guessed at; so is '\\', which WHATWG parsers read
 * as '/' and a server might too. */
static bool bytes_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            return false;
    }
    return true;
}

/* Index of the first byte of s that is one of stops, or len. */
static size_t span_until(const char *s, size_t len, const char *stops)
{
    size_t i = 0;
    while (i < len && (s[i] == '\0' || strchr(stops, s[i]) == NULL))
        i++;
    return i;
}

static int scheme_of(const char *s, size_t len, enum url_scheme *sc)
{
    /* RFC 3986 section 3.1: schemes compare case-insensitively. */
    if (len == 4 && strncasecmp(s, "http", 4) == 0)
        *sc = URL_HTTP;
    else if (len == 5 && strncasecmp(s, "https", 5) == 0)
        *sc = URL_HTTPS;
    else
        return -1;
    return 0;
}

static uint16_t default_port(enum url_scheme sc)
{
    return sc == URL_HTTPS ? 443 : 80;
}

/* RFC 3986 section 3.2.3: port = *DIGIT; an empty port means the scheme's default. */
static int parse_port(const char *s, size_t len, enum url_scheme sc, uint16_t *port)
{
    unsigned long v = 0;

    if (len == 0) {
        *port = default_port(sc);
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* IP-literal, brackets stripped. RFC 6874 zone ids ("%25eth0") mean nothing to a remote host. */
static int check_ipv6(const char *s, size_t len)
{
    char tmp[IPV6_TEXT_MAX + 1];
    struct in6_addr a;

    if (len == 0 || len > IPV6_TEXT_MAX || memchr(s, '%', len) != NULL)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return inet_pton(AF_INET6, tmp, &a) == 1 ? 0 : -1;
}

/* A DNS name or dotted IPv4 address; percent-encoded hosts are not supported. */
static int check_reg_name(const char *s, size_t len)
{
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return -1;
    }
    return 0;
}

/* RFC 3986 section 3.2: authority = host [":" port]; userinfo is refused outright. Sets host,
 * host_len, ipv6 and port of u. */
static int parse_authority(const char *s, size_t len, enum url_scheme sc, struct url *u)
{
    const char *rest;
    size_t rest_len;

    if (memchr(s, '@', len) != NULL)
        return -1;
    if (len > 0 && s[0] == '[') {
        const char *end = memchr(s, ']', len);
        if (end == NULL || check_ipv6(s + 1, (size_t)(end - s - 1)) < 0)
            return -1;
        u->host = s + 1;
        u->host_len = (size_t)(end - s - 1);
        u->ipv6 = true;
        rest = end + 1;
    } else {
        const char *colon = memchr(s, ':', len);
        u->host = s;
        u->host_len = colon != NULL ? (size_t)(colon - s) : len;
        u->ipv6 = false;
        if (check_reg_name(u->host, u->host_len) < 0)
            return -1;
        rest = s + u->host_len;
    }
    rest_len = len - (size_t)(rest - s);
    if (rest_len == 0)
        return parse_port(rest, 0, sc, &u->port);
    if (rest[0] != ':')
        return -1;
    return parse_port(rest + 1, rest_len - 1, sc, &u->port);
}

static void set_path(struct url *u, const char *p, size_t len)
{
    if (len == 0) {
        u->path = root_path;
        u->path_len = 1;
        u->path_needs_slash = false;
    } else {
        u->path = p;
        u->path_len = len;
        u->path_needs_slash = p[0] == '?';
    }
}

int url_parse(const char *s, size_t len, struct url *u)
{
    struct url t;
    size_t i, alen;

    if (!bytes_ok(s, len))
        return -1;
    i = span_until(s, len, ":/?#");
    if (i == len || scheme_of(s, i, &t.scheme) < 0)
        return -1;
    /* RFC 3986 section 3: hier-part must be "//" authority path-abempty for http(s). */
    if (len - i < 3 || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
        return -1;
    s += i + 3;
    len -= i + 3;
    alen = span_until(s, len, "/?#");
    if (parse_authority(s, alen, t.scheme, &t) < 0)
        return -1;
    s += alen;
    len -= alen;
    set_path(&t, s, span_until(s, len, "#"));
    *u = t;
    return 0;
}

static void put_authority(struct buf_writer *w, const struct url *u)
{
    char port[8];
    int n;

    if (u->ipv6)
        buf_put(w, "[", 1);
    buf_put(w, u->host, u->host_len);
    if (u->ipv6)
        buf_put(w, "]", 1);
    if (u->port != default_port(u->scheme)) {
        n = snprintf(port, sizeof(port), ":%u", (unsigned)u->port);
        buf_put(w, port, (size_t)n);
    }
}

/* NUL-terminate and return the length, or -1 if anything did not fit. */
static int finish(struct buf_writer *w)
{
    if (!w->ok || w->len > INT_MAX)
        return -1;
    w->out[w->len] = '\0';
    return (int)w->len;
}

int url_authority(const struct url *u, char *out, size_t cap)
{
    struct buf_writer w = {out, cap, 0, true};

    put_authority(&w, u);
    return finish(&w);
}

/* Split ref into scheme, authority, path, query; the fragment is dropped (RFC 3986 5.2.2 T.fragment
 * is never sent). Returns -1 for a scheme other than http(s). */
static int split_ref(const char *s, size_t len, enum url_scheme base_scheme, struct ref *r)
{
    size_t i = span_until(s, len, ":/?#");

    memset(r, 0, sizeof(*r));
    if (i < len && s[i] == ':') {
        if (scheme_of(s, i, &r->scheme) < 0)
            return -1;
        s += i + 1;
        len -= i + 1;
        r->has_scheme = len >= 2 && s[0] == '/' && s[1] == '/';
        /* "http:g" with an http base: RFC 3986 section 5.2.2 lets a non-strict parser read it as
         * relative, as browsers do. With another scheme there is no authority to use. */
        if (!r->has_scheme && r->scheme != base_scheme)
            return -1;
    }
    if (len >= 2 && s[0] == '/' && s[1] == '/') {
        r->has_auth = true;
        r->auth = s + 2;
        r->auth_len = span_until(s + 2, len - 2, "/?#");
        s += 2 + r->auth_len;
        len -= 2 + r->auth_len;
    }
    r->path = s;
    r->path_len = span_until(s, len, "?#");
    if (r->path_len < len && s[r->path_len] == '?') {
        r->has_query = true;
        r->query = s + r->path_len + 1;
        r->query_len = span_until(r->query, len - r->path_len - 1, "#");
    }
    return 0;
}

/* The base's path and query (without '?'), split. */
static void base_parts(const struct url *b, struct ref *p)
{
    const char *q;

    memset(p, 0, sizeof(*p));
    p->path = b->path;
    p->path_len = b->path_needs_slash ? 0 : b->path_len;
    q = memchr(b->path, '?', b->path_len);
    if (q != NULL) {
        p->has_query = true;
        p->query = q + 1;
        p->query_len = b->path_len - (size_t)(q + 1 - b->path);
        if (!b->path_needs_slash)
            p->path_len = (size_t)(q - b->path);
    }
}

static bool is(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* An absolute path given as up to two pieces, each the text after a '/' and split on '/' into
 * segments: a merged path is the base directory's segments followed by the reference's. */
struct segs {
    const char *p[2];
    size_t n[2];
    size_t count;
};

/* One segment, last to first: a ".." cancels the nearest kept segment before it. Writing
 * backwards from *end when end is not NULL; returns the bytes the segment adds. */
static size_t rev_seg(const char *s, size_t n, size_t *skip, char **end)
{
    if (is(s, n, "."))
        return 0;
    if (is(s, n, "..")) {
        (*skip)++;
        return 0;
    }
    if (*skip > 0) {
        (*skip)--;
        return 0;
    }
    if (*end != NULL) {
        *end -= n;
        memcpy(*end, s, n);
        *--*end = '/';
    }
    return n + 1;
}

/* RFC 3986 section 5.2.4 remove_dot_segments for an absolute path, done right to left so that no
 * scratch copy is needed and the result is measured (end NULL) before it is written backwards
 * from end: a segment is kept unless a later ".." cancels it, "." segments go, and a final "."
 * or ".." leaves a trailing '/'. Same output as the RFC's input/output buffer loop. */
static size_t dots_pass(const struct segs *sg, char *end)
{
    const char *lp = sg->p[sg->count - 1], *ls;
    size_t ln = sg->n[sg->count - 1], skip = 0, len = 0;

    ls = memrchr(lp, '/', ln);
    ls = ls != NULL ? ls + 1 : lp;
    if (is(ls, ln - (size_t)(ls - lp), ".") || is(ls, ln - (size_t)(ls - lp), "..")) {
        len = 1;
        if (end != NULL)
            *--end = '/';
    }
    for (size_t i = sg->count; i-- > 0;) {
        const char *p = sg->p[i];
        size_t k = sg->n[i], j;
        for (;;) {
            for (j = k; j > 0 && p[j - 1] != '/'; j--)
                ;
            len += rev_seg(p + j, k - j, &skip, &end);
            if (j == 0)
                break;
            k = j - 1;
        }
    }
    return len;
}

static void put_dotted(struct buf_writer *w, const struct segs *sg)
{
    size_t n = dots_pass(sg, NULL);

    if (!w->ok || w->cap == 0 || n > w->cap - 1 - w->len) {
        w->ok = false;
        return;
    }
    dots_pass(sg, w->out + w->len + n);
    w->len += n;
}

/* RFC 3986 section 5.2.3 merge: the base path up to its last '/', then the reference. A base
 * path with no '/' (empty) merges as "/". */
static void put_merged(struct buf_writer *w, const struct ref *b, const struct ref *r)
{
    const char *slash = memrchr(b->path, '/', b->path_len);
    struct segs sg = {{NULL, NULL}, {0, 0}, 0};

    /* "/x/y/" contributes segments "x" and "y"; "/" contributes none. */
    if (slash != NULL && slash > b->path) {
        sg.p[0] = b->path + 1;
        sg.n[0] = (size_t)(slash - b->path - 1);
        sg.count = 1;
    }
    sg.p[sg.count] = r->path;
    sg.n[sg.count] = r->path_len;
    sg.count++;
    put_dotted(w, &sg);
}

/* RFC 3986 section 5.2.2: the target path and query. */
static void put_path_query(struct buf_writer *w, const struct ref *b, const struct ref *r)
{
    size_t start = w->len;
    const struct ref *q = r;

    if (r->has_auth || (r->path_len > 0 && r->path[0] == '/')) {
        if (r->path_len > 0) {
            struct segs sg = {{r->path + 1, NULL}, {r->path_len - 1, 0}, 1};
            put_dotted(w, &sg);
        }
    } else if (r->path_len == 0) {
        buf_put(w, b->path, b->path_len); /* 5.2.2 takes the base path as is, no dot removal */
        if (!r->has_query)
            q = b;
    } else {
        put_merged(w, b, r);
    }
    if (w->len == start)
        buf_put(w, "/", 1); /* path-abempty allows none, but the request line wants "/" */
    if (q->has_query) {
        buf_put(w, "?", 1);
        buf_put(w, q->query, q->query_len);
    }
}

int url_resolve(const struct url *base, const char *ref, size_t ref_len, char *out, size_t cap)
{
    struct buf_writer w = {out, cap, 0, true};
    struct url t = *base;
    struct ref r, b;

    if (!bytes_ok(ref, ref_len) || split_ref(ref, ref_len, base->scheme, &r) < 0)
        return -1;
    if (r.has_scheme)
        t.scheme = r.scheme;
    if (r.has_auth && parse_authority(r.auth, r.auth_len, t.scheme, &t) < 0)
        return -1;
    base_parts(base, &b);
    buf_put(&w, t.scheme == URL_HTTPS ? "https://" : "http://", t.scheme == URL_HTTPS ? 8 : 7);
    put_authority(&w, &t);
    put_path_query(&w, &b, &r);
    return finish(&w);
}

uint32_t url_origin_hash(const struct url *u)
{
    uint64_t h = text_hash(TEXT_HASH_INIT ^ (uint64_t)u->scheme, u->host, u->host_len, true);
    h = (h ^ u->port) * 1099511628211ULL;
    return (uint32_t)(h ^ h >> 32);
}

uint64_t url_identity_hash(const struct url *u)
{
    uint64_t h = text_hash(TEXT_HASH_INIT ^ (uint64_t)u->scheme, u->host, u->host_len, true);
    h = (h ^ u->port) * 1099511628211ULL;
    return text_hash(h, u->path, u->path_len, false);
}
