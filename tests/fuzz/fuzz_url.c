/* fuzz_url.c: libFuzzer target for url_parse and url_authority. The whole input is one URL; on
 * success the views must satisfy the header's promises (url.h) and the authority must round-trip
 * through url_resolve. An invariant failure aborts so that libFuzzer keeps the input. */
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
            fprintf(stderr, "fuzz_url: invariant failed: %s (line %d)\n", #cond, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* "[" host "]" ":" 5 digits and a NUL. */
#define AUTH_EXTRA 9

static bool inside(const char *p, size_t n, const char *s, size_t len)
{
    return p >= s && n <= len && (size_t)(p - s) <= len - n;
}

/* No byte url_parse promises to reject (control, space, non-ASCII, backslash) got through. */
static bool clean(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            return false;
    }
    return true;
}

/* RFC 3986 section 3: scheme ":" "//" authority, so the host starts right after "://" (and
 * after '[' for an IPv6 literal). */
static void check_prefix(const struct url *u, const char *s, size_t len)
{
    size_t sl = u->scheme == URL_HTTPS ? 5 : 4;

    CHECK(len > sl + 3);
    CHECK(strncasecmp(s, u->scheme == URL_HTTPS ? "https" : "http", sl) == 0);
    CHECK(memcmp(s + sl, "://", 3) == 0);
    CHECK(u->host == s + sl + 3 + u->ipv6);
}

static void check_views(const struct url *u, const char *s, size_t len)
{
    CHECK(u->scheme == URL_HTTP || u->scheme == URL_HTTPS);
    check_prefix(u, s, len);
    CHECK(u->host_len > 0);
    CHECK(inside(u->host, u->host_len, s, len));
    CHECK(clean(u->host, u->host_len));
    CHECK(memchr(u->host, '@', u->host_len) == NULL);
    CHECK(u->ipv6 || memchr(u->host, ':', u->host_len) == NULL);
    CHECK(u->port > 0);
    CHECK(u->path_len > 0);
    CHECK(inside(u->path, u->path_len, s, len) || (u->path_len == 1 && u->path[0] == '/'));
    CHECK(u->path[0] == '/' || u->path_needs_slash);
    CHECK(!u->path_needs_slash || u->path[0] == '?');
    CHECK(clean(u->path, u->path_len));
    CHECK(memchr(u->path, '#', u->path_len) == NULL);
}

/* url_authority with room to spare succeeds, is NUL-terminated, and fails with one byte less. */
static void check_authority(const struct url *u)
{
    size_t cap = u->host_len + AUTH_EXTRA;
    char *out = malloc(cap);
    char *tight;
    int n;

    CHECK(out != NULL);
    n = url_authority(u, out, cap);
    CHECK(n > 0 && (size_t)n < cap);
    CHECK(out[n] == '\0' && strlen(out) == (size_t)n);
    CHECK(u->ipv6 == (out[0] == '['));
    /* Exactly n + 1 bytes suffice; n do not. Exact-size buffers let ASan see any overrun. */
    tight = malloc((size_t)n + 1);
    CHECK(tight != NULL);
    CHECK(url_authority(u, tight, (size_t)n + 1) == n && memcmp(tight, out, (size_t)n + 1) == 0);
    CHECK(url_authority(u, tight, (size_t)n) == -1);
    CHECK(url_authority(u, tight, 0) == -1);
    free(tight);
    free(out);
}

/* An absolute URL resolved against itself keeps its scheme, host and port, and the result parses
 * again. Only the path may change (dot segments are removed). */
static void check_resolve_self(const struct url *u, const char *s, size_t len)
{
    size_t cap = len + 16;
    char *out = malloc(cap);
    struct url v;
    int n;

    CHECK(out != NULL);
    n = url_resolve(u, s, len, out, cap);
    CHECK(n > 0 && (size_t)n < cap && out[n] == '\0');
    CHECK(url_parse(out, (size_t)n, &v) == 0);
    CHECK(v.scheme == u->scheme && v.port == u->port && v.ipv6 == u->ipv6);
    CHECK(v.host_len == u->host_len && memcmp(v.host, u->host, u->host_len) == 0);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct url u;

    memset(&u, 0xa5, sizeof(u));
    if (url_parse(s, size, &u) != 0)
        return 0;
    check_views(&u, s, size);
    check_authority(&u);
    check_resolve_self(&u, s, size);
    return 0;
}
