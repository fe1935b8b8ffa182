/* http_parse.c: HTTP/1.1 response heads and body framing (RFC 9112), pure and zero-copy.
 * The head parser re-scans from the start on every call; the body decoder is a byte-wise state
 * machine that keeps everything it needs in struct http_body. */
#include "http_parse.h"
#include "text.h"

#include <limits.h>
#include <string.h>

#define MAX_CHUNK_SIZE ((uint64_t)1 << 62)
#define MAX_CHUNK_LINE 4096 /* bytes of a chunk-size line (with extensions) or a trailer line */

/* Chunked decoder states (struct http_body.state); zero is the start of a message. */
enum chunk_state {
    CH_SIZE_FIRST,    /* first hex digit of a chunk-size */
    CH_SIZE,          /* further hex digits */
    CH_SIZE_WS,       /* whitespace after the size, before ';' or the line end */
    CH_EXT,           /* chunk-ext, skipped */
    CH_EXT_QUOTE,     /* inside a quoted-string chunk-ext-val */
    CH_EXT_ESC,       /* after a backslash inside a quoted-string */
    CH_SIZE_LF,       /* CR ending the size line seen, LF expected */
    CH_DATA,          /* chunk-data, remaining bytes in b->remaining */
    CH_DATA_CR,       /* CRLF after chunk-data expected */
    CH_DATA_LF,       /* CR after chunk-data seen, LF expected */
    CH_TRAILER_FIRST, /* start of a trailer line or of the final blank line */
    CH_TRAILER,       /* inside a trailer line, skipped */
    CH_TRAILER_LF,    /* CR ending a trailer line seen */
    CH_END_LF,        /* CR of the final blank line seen */
    CH_ERROR,         /* malformed; sticky */
};

struct scan {
    const char *p;
    const char *end;
};

/* tchar (RFC 9110 section 5.6.2) as a bitmap over bytes 0x00..0x7f. */
static const uint32_t tchar_map[4] = {0, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff};

static bool is_tchar(unsigned char c)
{
    return c < 128 && ((tchar_map[c >> 5] >> (c & 31)) & 1);
}

/* SP, HTAB, VCHAR or obs-text (RFC 9110 section 5.5): every control but HTAB, and DEL, is out. */
static bool is_text(unsigned char c)
{
    return (c >= 0x20 && c != 0x7f) || c == '\t';
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* CRLF, or a bare LF, which RFC 9112 section 2.2 lets a recipient accept. */
static int eat_eol(struct scan *s)
{
    if (s->p == s->end)
        return -2;
    if (*s->p == '\r' && ++s->p == s->end)
        return -2;
    if (*s->p != '\n')
        return -1;
    s->p++;
    return 0;
}

/* A fixed string; a prefix of it at the end of the input needs more. */
static int eat_lit(struct scan *s, const char *lit, size_t n)
{
    size_t avail = (size_t)(s->end - s->p);
    size_t m = avail < n ? avail : n;

    if (memcmp(s->p, lit, m) != 0)
        return -1;
    if (m < n)
        return -2;
    s->p += n;
    return 0;
}

/* status-code = 3DIGIT (RFC 9110 section 15); the header promises 100..999. */
static int parse_status_code(struct scan *s, int *status)
{
    int v = 0;

    for (int i = 0; i < 3; i++, s->p++) {
        if (s->p == s->end)
            return -2;
        if (*s->p < '0' || *s->p > '9')
            return -1;
        v = v * 10 + (*s->p - '0');
    }
    if (v < 100)
        return -1;
    *status = v;
    return 0;
}

/* SP reason-phrase line end (RFC 9112 section 4). The SP is mandatory, but servers that send
 * an empty phrase sometimes drop it, so a line end right after the code is accepted too. */
static int parse_reason(struct scan *s, struct http_response *r)
{
    if (s->p == s->end)
        return -2;
    if (*s->p == ' ')
        s->p++;
    else if (*s->p != '\r' && *s->p != '\n')
        return -1;
    r->reason = s->p;
    while (s->p < s->end && is_text((unsigned char)*s->p))
        s->p++;
    r->reason_len = (size_t)(s->p - r->reason);
    return eat_eol(s);
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 section 4). */
static int parse_status_line(struct scan *s, struct http_response *r)
{
    int rc = eat_lit(s, "HTTP/1.", 7);

    if (rc != 0)
        return rc;
    if (s->p == s->end)
        return -2;
    if (*s->p != '0' && *s->p != '1')
        return -1;
    r->minor_version = *s->p++ - '0';
    if ((rc = eat_lit(s, " ", 1)) != 0)
        return rc;
    if ((rc = parse_status_code(s, &r->status)) != 0)
        return rc;
    return parse_reason(s, r);
}

/* OWS field-value OWS up to the line end: the value without the whitespace around it. */
static void scan_value(struct scan *s, const char **value, const char **end)
{
    while (s->p < s->end && is_ows(*s->p))
        s->p++;
    *value = s->p;
    while (s->p < s->end && is_text((unsigned char)*s->p))
        s->p++;
    for (*end = s->p; *end > *value && is_ows((*end)[-1]);)
        (*end)--;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5). Whitespace before the
 * colon is forbidden (5.1) and fails the tchar scan, as do NUL and other controls. */
static int parse_header(struct scan *s, struct http_header *h)
{
    const char *name = s->p, *value, *end;

    while (s->p < s->end && is_tchar((unsigned char)*s->p))
        s->p++;
    if (s->p == s->end)
        return -2;
    if (*s->p != ':' || s->p == name)
        return -1;
    h->name = name;
    h->name_len = (size_t)(s->p - name);
    s->p++;
    scan_value(s, &value, &end);
    h->value = value;
    h->value_len = (size_t)(end - value);
    return eat_eol(s);
}

/* obs-fold = OWS CRLF RWS (RFC 9112 section 5.2): a line that starts with whitespace goes on
 * with the previous field's value. The view grows over the fold's raw bytes; http_unfold turns
 * them into spaces, as a user agent must before it interprets the value. */
static int parse_fold(struct scan *s, struct http_header *h)
{
    const char *text, *end;

    scan_value(s, &text, &end);
    if (end > text) {
        if (h->value_len == 0)
            h->value = text;
        h->value_len = (size_t)(end - h->value);
    }
    return eat_eol(s);
}

int http_parse_head(const char *buf, size_t len, struct http_response *resp)
{
    /* Scanning stops at HTTP_MAX_HEAD, so a longer head stays -2 and the result fits an int. */
    struct scan s = {buf, buf + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD)};
    size_t n = 0;
    bool folded = false;
    struct http_header scratch;
    int rc = parse_status_line(&s, resp);

    if (rc != 0)
        return rc;
    for (;;) {
        if (s.p == s.end)
            return -2;
        if (*s.p == '\r' || *s.p == '\n')
            break;
        if (is_ows(*s.p)) {
            /* Whitespace before the first field is no fold: RFC 9112 section 2.2 lets a
             * recipient reject the message. */
            if (n == 0 || (rc = parse_fold(&s, n <= resp->num_headers ? &resp->headers[n - 1]
                                                                      : &scratch)) != 0)
                return n == 0 ? -1 : rc;
            folded = true;
            continue;
        }
        /* Past capacity the fields are still checked, in a scratch slot, so that the caller
         * learns "too many" only for a whole head (and a fold of a dropped field is checked
         * too). */
        struct http_header *h = n < resp->num_headers ? &resp->headers[n] : &scratch;
        if ((rc = parse_header(&s, h)) != 0)
            return rc;
        n++;
    }
    if ((rc = eat_eol(&s)) != 0)
        return rc;
    if (n > resp->num_headers)
        return HTTP_PARSE_TOO_MANY;
    /* only on success, so a -2 caller can retry with the same capacity */
    resp->num_headers = n;
    resp->obs_fold = folded;
    return (int)(s.p - buf);
}

void http_unfold(char *head, size_t len)
{
    for (size_t i = 1; i < len; i++) {
        if (head[i - 1] != '\n' || !is_ows(head[i]))
            continue;
        head[i - 1] = ' ';
        if (i >= 2 && head[i - 2] == '\r')
            head[i - 2] = ' ';
    }
}

/* ASCII case-insensitive equality; field names and the tokens compared here are ASCII. */
static bool ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (text_lower(a[i]) != text_lower(b[i]))
            return false;
    return true;
}

/* The next field named `name` (length `len`) from index *i on, or NULL; moves *i past it. */
static const struct http_header *next_named(const struct http_response *r, size_t *i,
                                            const char *name, size_t len)
{
    while (*i < r->num_headers) {
        const struct http_header *h = &r->headers[(*i)++];
        if (h->name != NULL && ieq(h->name, h->name_len, name, len))
            return h;
    }
    return NULL;
}

const struct http_header *http_find_header(const struct http_response *resp, const char *name)
{
    size_t i = 0;

    return next_named(resp, &i, name, strlen(name));
}

/* Walks the elements of a list-valued field across all of its lines, in order, as one list
 * (RFC 9110 sections 5.3 and 5.6.1). Zero-initialise all but name. */
struct list_iter {
    const char *name;
    size_t next;   /* index of the next header to look at */
    const char *p; /* rest of the current field value; NULL when used up */
    const char *end;
};

/* Next element, OWS trimmed and possibly empty; false after the last one. */
static bool list_next(const struct http_response *r, struct list_iter *it, const char **elem,
                      size_t *elem_len)
{
    const char *s, *e;

    while (it->p == NULL) {
        const struct http_header *h = next_named(r, &it->next, it->name, strlen(it->name));
        if (h == NULL)
            return false;
        it->p = h->value;
        it->end = h->value + h->value_len;
    }
    s = it->p;
    e = memchr(s, ',', (size_t)(it->end - s));
    it->p = e != NULL ? e + 1 : NULL;
    for (e = e != NULL ? e : it->end; e > s && is_ows(e[-1]);)
        e--;
    while (s < e && is_ows(*s))
        s++;
    *elem = s;
    *elem_len = (size_t)(e - s);
    return true;
}

/* Does the `name` list hold `token`? Used for Connection (RFC 9110 section 7.6.1). */
static bool has_token(const struct http_response *r, const char *name, const char *token)
{
    struct list_iter it = {.name = name};
    const char *elem;
    size_t elen;

    while (list_next(r, &it, &elem, &elen))
        if (ieq(elem, elen, token, strlen(token)))
            return true;
    return false;
}

/* 1*DIGIT into a uint64_t; -1 if empty, not all digits, or too large. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Content-Length (RFC 9110 section 8.6): several lines or a list are fine only if every value
 * is the same number. Sets *found when there is at least one. */
static int content_length(const struct http_response *r, bool *found, uint64_t *length)
{
    struct list_iter it = {.name = "Content-Length"};
    const char *elem;
    size_t elen;
    uint64_t v;

    while (list_next(r, &it, &elem, &elen)) {
        if (parse_u64(elem, elen, &v) != 0 || (*found && v != *length))
            return -1;
        *found = true;
        *length = v;
    }
    return 0;
}

/* Is the final transfer coding chunked (RFC 9112 section 6.3 item 4)? */
static bool te_chunked(const struct http_response *r)
{
    struct list_iter it = {.name = "Transfer-Encoding"};
    bool chunked = false;
    const char *elem;
    size_t elen;

    while (list_next(r, &it, &elem, &elen))
        if (elen > 0)
            chunked = ieq(elem, elen, "chunked", 7);
    return chunked;
}

/* Body length rules of RFC 9112 section 6.3, in their order. */
static int set_framing(const struct http_response *r, bool head_request, struct http_meta *m)
{
    bool have_length = false;

    if (head_request || r->status < 200 || r->status == 204 || r->status == 304) {
        m->framing = HTTP_BODY_NONE;
        return 0;
    }
    if (te_chunked(r)) {
        m->framing = HTTP_BODY_CHUNKED;
        /* Transfer-Encoding in HTTP/1.0 means faulty framing (section 6.1), and with a
         * Content-Length it hints at smuggling (6.3 item 3): read this one, then close. */
        if (r->minor_version == 0 || http_find_header(r, "Content-Length") != NULL)
            m->keep_alive = false;
        return 0;
    }
    if (http_find_header(r, "Transfer-Encoding") != NULL) {
        m->framing = HTTP_BODY_CLOSE;
        return 0;
    }
    if (content_length(r, &have_length, &m->length) != 0)
        return -1;
    m->framing = have_length ? HTTP_BODY_LENGTH : HTTP_BODY_CLOSE;
    return 0;
}

/* Retry-After delta-seconds (RFC 9110 section 10.2.3), saturating; an HTTP-date gives 0
 * because this module has no clock. */
static uint32_t parse_delta(const char *s, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > UINT32_MAX)
            v = UINT32_MAX;
    }
    return (uint32_t)v;
}

/* Persistence (RFC 9112 section 9.3): 1.1 persists unless "close"; 1.0 only with "keep-alive". */
static bool want_keep_alive(const struct http_response *r)
{
    if (has_token(r, "Connection", "close"))
        return false;
    return r->minor_version >= 1 || has_token(r, "Connection", "keep-alive");
}

int http_response_meta(const struct http_response *resp, bool head_request, struct http_meta *meta)
{
    const struct http_header *h;

    memset(meta, 0, sizeof(*meta));
    meta->keep_alive = want_keep_alive(resp);
    if ((h = http_find_header(resp, "Location")) != NULL) {
        meta->location = h->value;
        meta->location_len = h->value_len;
    }
    if ((h = http_find_header(resp, "Retry-After")) != NULL)
        meta->retry_after = parse_delta(h->value, h->value_len);
    if (set_framing(resp, head_request, meta) != 0)
        return -1;
    if (meta->framing == HTTP_BODY_CLOSE)
        meta->keep_alive = false;
    return 0;
}

void http_body_init(struct http_body *b, enum http_framing framing, uint64_t length)
{
    memset(b, 0, sizeof(*b));
    b->framing = framing;
    if (framing == HTTP_BODY_LENGTH)
        b->remaining = length;
    b->done = framing == HTTP_BODY_NONE || (framing == HTTP_BODY_LENGTH && length == 0);
}

/* The size line ended: data follows, or trailers after the last-chunk (RFC 9112 section 7.1). */
static int size_done(struct http_body *b)
{
    b->line_len = 0;
    b->state = b->remaining != 0 ? CH_DATA : CH_TRAILER_FIRST;
    return 0;
}

static int end_size_line(struct http_body *b, unsigned char c)
{
    if (c == '\n')
        return size_done(b);
    if (c != '\r')
        return -1;
    b->state = CH_SIZE_LF;
    return 0;
}

/* chunk-size = 1*HEXDIG, then optional BWS (section 7.1.1) before ";" or the line end. */
static int step_size(struct http_body *b, unsigned char c)
{
    int d = text_hex_digit(c);

    if (d >= 0 && b->state != CH_SIZE_WS) {
        if (b->remaining > MAX_CHUNK_SIZE >> 4)
            return -1;
        b->remaining = b->remaining << 4 | (uint64_t)d;
        if (b->remaining > MAX_CHUNK_SIZE)
            return -1;
        b->state = CH_SIZE;
        return 0;
    }
    if (b->state == CH_SIZE_FIRST)
        return -1;
    if (is_ows((char)c)) {
        b->state = CH_SIZE_WS;
        return 0;
    }
    if (c == ';') {
        b->state = CH_EXT;
        return 0;
    }
    return end_size_line(b, c);
}

/* chunk-ext (section 7.1.1) is skipped, but a quoted-string may hold ';' or '"' escaped. */
static int step_ext(struct http_body *b, unsigned char c)
{
    if (b->state == CH_EXT_ESC) {
        b->state = CH_EXT_QUOTE;
    } else if (b->state == CH_EXT_QUOTE) {
        if (c == '\\')
            b->state = CH_EXT_ESC;
        else if (c == '"')
            b->state = CH_EXT;
    } else if (c == '"') {
        b->state = CH_EXT_QUOTE;
    } else if (c == '\r' || c == '\n') {
        return end_size_line(b, c);
    }
    return is_text(c) ? 0 : -1;
}

/* The CRLF that closes chunk-data; bare LF tolerated. */
static int step_data_end(struct http_body *b, unsigned char c)
{
    if (b->state == CH_DATA_CR && c == '\r') {
        b->state = CH_DATA_LF;
        return 0;
    }
    if (c != '\n')
        return -1;
    b->state = CH_SIZE_FIRST;
    b->line_len = 0;
    return 0;
}

/* trailer-section CRLF (section 7.1.2): fields are skipped. Returns 1 at the end of message. */
static int step_trailer(struct http_body *b, unsigned char c)
{
    switch (b->state) {
    case CH_TRAILER_FIRST:
        if (c == '\n')
            return 1;
        if (c == '\r') {
            b->state = CH_END_LF;
            return 0;
        }
        b->state = CH_TRAILER;
        return is_text(c) ? 0 : -1;
    case CH_TRAILER:
        if (c == '\r') {
            b->state = CH_TRAILER_LF;
        } else if (c == '\n') {
            b->state = CH_TRAILER_FIRST;
            b->line_len = 0;
        } else if (!is_text(c)) {
            return -1;
        }
        return 0;
    case CH_TRAILER_LF:
        b->state = CH_TRAILER_FIRST;
        b->line_len = 0;
        return c == '\n' ? 0 : -1;
    default: /* CH_END_LF */
        return c == '\n' ? 1 : -1;
    }
}

/* One framing byte outside chunk-data: 0 to go on, 1 at the end of message, -1 if malformed. */
static int chunk_step(struct http_body *b, unsigned char c)
{
    bool in_line = b->state != CH_DATA_CR && b->state != CH_DATA_LF;

    if (in_line && c != '\r' && c != '\n' && ++b->line_len > MAX_CHUNK_LINE)
        return -1;
    switch (b->state) {
    case CH_SIZE_FIRST:
    case CH_SIZE:
    case CH_SIZE_WS:
        return step_size(b, c);
    case CH_EXT:
    case CH_EXT_QUOTE:
    case CH_EXT_ESC:
        return step_ext(b, c);
    case CH_SIZE_LF:
        return c == '\n' ? size_done(b) : -1;
    case CH_DATA_CR:
    case CH_DATA_LF:
        return step_data_end(b, c);
    case CH_ERROR:
        return -1;
    default:
        return step_trailer(b, c);
    }
}

/* Consume framing bytes up to and including the first run of chunk-data, or the message end. */
static ssize_t feed_chunked(struct http_body *b, const char *buf, size_t len, const char **data,
                            size_t *data_len)
{
    size_t i = 0;

    while (i < len) {
        if (b->state == CH_DATA) {
            size_t n = len - i < b->remaining ? len - i : (size_t)b->remaining;
            *data = buf + i;
            *data_len = n;
            b->remaining -= n;
            if (b->remaining == 0)
                b->state = CH_DATA_CR;
            return (ssize_t)(i + n);
        }
        int rc = chunk_step(b, (unsigned char)buf[i++]);
        if (rc < 0) {
            b->state = CH_ERROR;
            return -1;
        }
        if (rc > 0) {
            b->done = true;
            break;
        }
    }
    return (ssize_t)i;
}

ssize_t http_body_feed(struct http_body *b, const char *buf, size_t len, const char **data,
                       size_t *data_len)
{
    size_t n;

    *data = buf;
    *data_len = 0;
    if (len > SSIZE_MAX)
        len = SSIZE_MAX;
    if (b->framing == HTTP_BODY_CHUNKED && b->state == CH_ERROR)
        return -1;
    if (b->done || b->framing == HTTP_BODY_NONE) {
        b->done = true;
        return 0;
    }
    switch (b->framing) {
    case HTTP_BODY_CHUNKED:
        return feed_chunked(b, buf, len, data, data_len);
    case HTTP_BODY_LENGTH:
        n = len < b->remaining ? len : (size_t)b->remaining;
        b->remaining -= n;
        b->done = b->remaining == 0;
        break;
    default: /* HTTP_BODY_CLOSE: everything until the peer closes */
        n = len;
        break;
    }
    *data_len = n;
    return (ssize_t)n;
}

int http_body_eof(struct http_body *b)
{
    if (b->framing == HTTP_BODY_CHUNKED && b->state == CH_ERROR)
        return -1;
    if (b->done || b->framing == HTTP_BODY_NONE || b->framing == HTTP_BODY_CLOSE) {
        b->done = true;
        return 0;
    }
    return -1;
}

enum http_class http_classify(int status, const struct http_meta *meta)
{
    /* RFC 9110 section 15.4: the redirections a GET follows; 300 and 305 are not among them. */
    bool redirect =
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    if (redirect && meta->location)
        return HTTP_REDIRECT;
    return status >= 200 && status < 300 ? HTTP_SAVE : HTTP_ERROR_STATUS;
}
