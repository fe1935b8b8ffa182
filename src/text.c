/* text.c: escaping for terminals and JSON, and password redaction in URLs. */
#include "text.h"

#include <string.h>

size_t text_utf8_len(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* the second byte's range (RFC 3629 section 4) */

    if (n == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0; /* overlong */
    else if (p[0] == 0xED)
        hi = 0x9F; /* UTF-16 surrogates */
    else if (p[0] == 0xF0)
        lo = 0x90; /* overlong */
    else if (p[0] == 0xF4)
        hi = 0x8F; /* over U+10FFFF */
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

/* A C1 control in UTF-8: U+0080..U+009F is C2 80..C2 9F. */
static bool is_c1(const unsigned char *p, size_t len)
{
    return len == 2 && p[0] == 0xC2 && p[1] <= 0x9F;
}

static void put_hex(struct buf_writer *w, const char *prefix, size_t plen, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char x[2] = {hex[c >> 4], hex[c & 15]};

    buf_put(w, prefix, plen);
    buf_put(w, x, 2);
}

void text_put_human(struct buf_writer *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t len = text_utf8_len(p + i, n - i);
        if (len == 0 || is_c1(p + i, len) || p[i] < 0x20 || p[i] == 0x7f) {
            put_hex(w, "\\x", 2, p[i]);
            i++;
            continue;
        }
        buf_put(w, s + i, len);
        i += len;
    }
}

void text_put_json(struct buf_writer *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t len = text_utf8_len(p + i, n - i);
        if (len == 0) {
            put_hex(w, "\\udc", 4, p[i++]); /* not UTF-8: surrogateescape */
        } else if (is_c1(p + i, len)) {
            put_hex(w, "\\u00", 4, p[i + 1]);
            i += 2;
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            put_hex(w, "\\u00", 4, p[i++]);
        } else if (p[i] == '"' || p[i] == '\\') {
            buf_put(w, "\\", 1);
            buf_put(w, s + i++, 1);
        } else {
            buf_put(w, s + i, len);
            i += len;
        }
    }
}

/* Where the password of "scheme://user:password@host..." is: [*off, *off + *len). The URL may
 * be malformed (it is shown because it failed), so this only looks for the shape. */
static bool password_span(const char *url, size_t n, size_t *off, size_t *len)
{
    const char *sep = memmem(url, n, "://", 3);

    if (!sep)
        return false;
    size_t start = (size_t)(sep - url) + 3, end = start, at = 0, colon = 0;
    for (; end < n && url[end] != '/' && url[end] != '?' && url[end] != '#'; end++)
        if (url[end] == '@')
            at = end;
    for (size_t i = start; i < at && !colon; i++)
        if (url[i] == ':')
            colon = i;
    if (!at || !colon)
        return false;
    *off = colon + 1;
    *len = at - colon - 1;
    return true;
}

void text_put_url(struct buf_writer *w, const char *url, size_t n, enum text_style style)
{
    void (*put)(struct buf_writer *, const char *, size_t) =
        style == TEXT_JSON ? text_put_json : text_put_human;
    size_t off, len;

    if (!password_span(url, n, &off, &len)) {
        put(w, url, n);
        return;
    }
    put(w, url, off);
    buf_put(w, "***", 3);
    put(w, url + off + len, n - off - len);
}
