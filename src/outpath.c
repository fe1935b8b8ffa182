/* outpath.c: map a URL to DIR/<host[:port]>/<path> so that a saved body can never land outside
 * DIR, and two origins never share a file. */
#include "outpath.h"

#include <limits.h>
#include <string.h>

#include "buf.h"
#include "text.h"

#define NAME_MAX_BYTES 255 /* NAME_MAX on Linux file systems */

/* A byte that may not appear in a file name component: '/' would add a directory level (the
 * whole point of the checks here), '\\' does on Windows, NUL ends the name, and controls (incl.
 * 0x7f) have no business in a file name. */
static bool unsafe_byte(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == '/' || c == '\\';
}

/* Percent-decode one segment (RFC 3986 section 2.1) into dst (NAME_MAX_BYTES bytes), storing at
 * most that many and counting all in *dlen. Returns -1 for a bad escape or an unsafe byte. */
static int decode_seg(const char *s, size_t n, char *dst, size_t *dlen)
{
    size_t d = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? text_hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? text_hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (unsafe_byte(c))
            return -1;
        if (d < NAME_MAX_BYTES)
            dst[d] = (char)c;
        d++;
    }
    *dlen = d;
    /* "." and ".." (also spelt "%2e%2E") would climb out of DIR: RFC 3986 section 6.2.2.3. */
    if (d == 1 && dst[0] == '.')
        return -1;
    if (d == 2 && dst[0] == '.' && dst[1] == '.')
        return -1;
    return 0;
}

size_t outpath_dir_len(const char *dir)
{
    size_t n = dir != NULL ? strlen(dir) : 0;

    if (n == 0)
        return 0;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return dir[n - 1] == '/' ? n : n + 1;
}

/* DIR with exactly one '/' after it; an empty dir means the current directory. */
static void put_dir(struct buf_writer *w, const char *dir)
{
    size_t n = outpath_dir_len(dir);

    if (n == 0)
        return;
    buf_put(w, dir, n - 1);
    buf_put(w, "/", 1);
}

/* The origin as a directory name: the URL's authority (url_authority: IPv6 in brackets, the
 * port when it is not the scheme's default), lowercased (DNS names are case-insensitive, RFC
 * 4343). So http://h:8001/x and http://h:8002/x never share a file. */
static int put_origin(struct buf_writer *w, const struct url *u)
{
    char name[NAME_MAX_BYTES + 1];
    size_t n = u->host_len;

    if (n == 0 || (n == 1 && u->host[0] == '.') || (n == 2 && memcmp(u->host, "..", 2) == 0))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (unsafe_byte((unsigned char)u->host[i]))
            return -1;
    int len = url_authority(u, name, sizeof(name));
    if (len < 0)
        return -2;
    for (int i = 0; i < len; i++)
        name[i] = text_lower(name[i]);
    buf_put(w, name, (size_t)len);
    buf_put(w, "/", 1);
    return 0;
}

/* The query goes into the file name verbatim; only '/' must be escaped to stay in one name. */
static int put_query(struct buf_writer *w, const char *q, size_t n, size_t *name_len)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c == '/') {
            buf_put(w, "%2F", 3);
            *name_len += 3;
            continue;
        }
        if (unsafe_byte(c))
            return -1;
        buf_put(w, q + i, 1);
        *name_len += 1;
    }
    return 0;
}

/* The last segment (or "index.html" if empty) with the query appended. */
static int put_last(struct buf_writer *w, const char *seg, size_t n, const char *q, size_t qn)
{
    char name[NAME_MAX_BYTES];
    size_t len = 0;

    if (n == 0) {
        buf_put(w, "index.html", 10);
        len = 10;
    } else if (decode_seg(seg, n, name, &len) < 0) {
        return -1;
    } else if (len <= NAME_MAX_BYTES) {
        buf_put(w, name, len);
    }
    if (put_query(w, q, qn, &len) < 0)
        return -1;
    return len > NAME_MAX_BYTES ? -2 : 0;
}

/* Every segment of path p[0..n) (no query) but the last becomes a directory; "a//b" drops the
 * empty one. Sets *last to where the last segment starts. Returns 0, -1 or -2 (after the whole
 * scan, so that a later unsafe segment still gives -1). */
static int put_dirs(struct buf_writer *w, const char *p, size_t n, size_t *last)
{
    char name[NAME_MAX_BYTES];
    size_t i = 0, seg_start = 0, len;
    int rc = 0;

    for (; i < n; i++) {
        if (p[i] != '/')
            continue;
        if (i > seg_start) {
            if (decode_seg(p + seg_start, i - seg_start, name, &len) < 0)
                return -1;
            if (len > NAME_MAX_BYTES)
                rc = -2;
            else
                buf_put(w, name, len);
            buf_put(w, "/", 1);
        }
        seg_start = i + 1;
    }
    *last = seg_start;
    return rc;
}

int outpath_build(const char *dir, const struct url *u, char *out, size_t cap)
{
    struct buf_writer w = {out, cap, 0, true};
    const char *path = u->path, *q;
    size_t n = u->path_len, qn = 0, last;
    int rc = 0, r;

    q = memchr(path, '?', n);
    if (q != NULL) {
        qn = n - (size_t)(q - path);
        n = (size_t)(q - path);
    }
    put_dir(&w, dir);
    /* Unsafe (-1) is reported ahead of too long (-2), whatever the cap. */
    r = put_origin(&w, u);
    if (r == -1)
        return -1;
    rc = r < 0 ? r : rc;
    /* A leading '/' only opens the first (possibly empty) segment: the result stays under
     * DIR/host/ however the path begins. */
    r = put_dirs(&w, path, n, &last);
    if (r == -1)
        return -1;
    rc = r < 0 ? r : rc;
    r = put_last(&w, path + last, n - last, q, qn);
    if (r == -1)
        return -1;
    rc = r < 0 ? r : rc;
    if (rc < 0 || !w.ok || w.len > INT_MAX)
        return -2;
    out[w.len] = '\0';
    return (int)w.len;
}
