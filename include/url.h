/* URL parsing and reference resolution for http and https (RFC 3986 subset). Pure, no allocation:
 * results are views into the caller's string. */
#ifndef VOLLEY_URL_H
#define VOLLEY_URL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum url_scheme { URL_HTTP, URL_HTTPS };

struct url {
    enum url_scheme scheme;
    const char *host; /* without brackets for IPv6 literals; never empty */
    size_t host_len;
    uint16_t port;         /* explicit, else 80 / 443 */
    bool ipv6;             /* host was a bracketed IPv6 literal */
    const char *path;      /* path+query; '/' first unless path_needs_slash; static "/" if absent */
    size_t path_len;       /* the fragment is never included */
    bool path_needs_slash; /* "http://h?q" (query, no path): path is "?q"; write "/" before it */
};

/* Parse an absolute http:// or https:// URL (scheme case-insensitive) of len bytes (no NUL
 * needed). Rejects: other schemes, userinfo, empty host, bad or out-of-range port, control bytes
 * (CR, LF, NUL, ...), spaces, non-ASCII bytes, malformed IPv6 literals. Returns 0 or -1. */
int url_parse(const char *s, size_t len, struct url *u);

/* Resolve a Location value against base (RFC 3986 section 5.2: absolute, scheme-relative "//h/p",
 * absolute-path "/p", relative "p", "../p", query-only "?q"), with dot-segment removal, and write
 * the absolute URL, NUL-terminated, to out. Returns its length, or -1 if ref is invalid (same rules
 * as url_parse), its scheme is not http(s), or it does not fit in cap. */
int url_resolve(const struct url *base, const char *ref, size_t ref_len, char *out, size_t cap);

/* Write the Host header value: host (IPv6 in brackets) plus ":port" when not the default.
 * Returns its length, or -1 if it does not fit in cap (NUL included). */
int url_authority(const struct url *u, char *out, size_t cap);

/* A hash of the origin (scheme, host case-insensitively, port): equal origins hash equal, so
 * connection lookups compare one integer before any string. */
uint32_t url_origin_hash(const struct url *u);

/* A 64-bit hash of what the URL names (scheme, host case-insensitively, port, path and query):
 * URLs that differ only in the case of the host or an explicit default port hash equal. */
uint64_t url_identity_hash(const struct url *u);

#endif
