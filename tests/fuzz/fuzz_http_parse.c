/* fuzz_http_parse.c: libFuzzer target for the response parser (http_parse.h).
 *
 * Input: byte 0 bits 0-1 pick how bytes "arrive" (one at a time, reads of 1 + (byte 0 >> 2)
 * bytes, pseudo-random read sizes seeded by bytes 0-1, or all at once); byte 1 % 65 is the header
 * capacity (0 only with byte 0 bit 6 set); bit 7 of both means the request was HEAD. The rest is
 * the response. The head is parsed once whole and again as bytes arrive (every prefix must agree
 * with the whole parse); the body is decoded once in one piece and again with the arrival
 * pattern, and both must yield the same bytes, the same end and the same verdict. While a call
 * runs, the bytes not yet "arrived" are poisoned so that ASan catches any read past len. Last,
 * the response bytes are chunk-encoded in varied legal forms and must decode back to themselves. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HIDE(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SHOW(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#endif
#endif
#ifndef HIDE
#define HIDE(p, n) ((void)(p), (void)(n))
#define SHOW(p, n) ((void)(p), (void)(n))
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http_parse: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_CAP 64
#define HEAD_CALLS 1024 /* at most about this many incremental head parses per input */

enum arrive_mode { ARRIVE_BYTE, ARRIVE_FIXED, ARRIVE_RANDOM, ARRIVE_WHOLE };

/* How the input trickles in: arrive_next() gives the size of the next read (>= 1). */
struct arrive {
    enum arrive_mode mode;
    size_t fixed;
    uint32_t rng;
};

/* The message under test, in a heap block of exactly len bytes (ASan bounds). */
struct msg {
    char *buf;
    size_t len;
    size_t cap; /* header capacity */
    bool head_request;
};

/* Everything a body decode produced, to compare the whole and the split runs. */
struct decoded {
    char *out;
    size_t out_len;
    size_t consumed;
    bool failed;
    bool done;
    int eof; /* http_body_eof at the end, unless failed */
};

/* xorshift32: reproducible from the input. */
static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static size_t arrive_next(struct arrive *a)
{
    uint32_t r;

    switch (a->mode) {
    case ARRIVE_BYTE:
        return 1;
    case ARRIVE_FIXED:
        return a->fixed;
    case ARRIVE_RANDOM:
        /* Mostly tiny reads, some larger ones. */
        r = rng_next(&a->rng);
        return 1 + (r % 97 < 60 ? r % 7 : r % 300);
    default:
        return SIZE_MAX;
    }
}

static void arrive_init(struct arrive *a, uint8_t b0, uint8_t b1)
{
    a->mode = (enum arrive_mode)(b0 & 3);
    a->fixed = 1 + (size_t)(b0 >> 2);
    a->rng = 0x9e3779b9u ^ ((uint32_t)b0 << 8 | b1);
}

/* Call http_parse_head on the first n bytes with the rest poisoned. */
static int parse_prefix(const struct msg *m, size_t n, struct http_response *r,
                        struct http_header *h)
{
    int rc;

    memset(r, 0, sizeof(*r));
    r->headers = h;
    r->num_headers = m->cap;
    HIDE(m->buf + n, m->len - n);
    rc = http_parse_head(m->buf, n, r);
    SHOW(m->buf + n, m->len - n);
    CHECK(rc == -1 || rc == -2 || rc == HTTP_PARSE_TOO_MANY || (rc > 0 && (size_t)rc <= n));
    return rc;
}

static bool view_in(const char *p, size_t n, const char *base, size_t len)
{
    return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* A value holds line ends only inside an obs-fold: CR only right before LF, LF only right
 * before SP or HTAB; and only when the head says it is folded. */
static void check_value_lines(const struct http_header *h, bool folded)
{
    for (size_t i = 0; i < h->value_len; i++) {
        if (h->value[i] == '\r')
            CHECK(folded && i + 1 < h->value_len && h->value[i + 1] == '\n');
        if (h->value[i] == '\n')
            CHECK(folded && i + 1 < h->value_len && is_ows(h->value[i + 1]));
    }
}

static void check_head(const struct msg *m, int n, const struct http_response *r)
{
    CHECK(r->minor_version == 0 || r->minor_version == 1);
    CHECK(r->status >= 100 && r->status <= 999);
    CHECK(view_in(r->reason, r->reason_len, m->buf, (size_t)n));
    CHECK(memchr(r->reason, '\n', r->reason_len) == NULL);
    CHECK(memchr(r->reason, '\r', r->reason_len) == NULL);
    CHECK(r->num_headers <= m->cap);
    for (size_t i = 0; i < r->num_headers; i++) {
        const struct http_header *h = &r->headers[i];
        CHECK(h->name != NULL && h->name_len > 0);
        CHECK(view_in(h->name, h->name_len, m->buf, (size_t)n));
        CHECK(view_in(h->value, h->value_len, m->buf, (size_t)n));
        CHECK(memchr(h->name, ':', h->name_len) == NULL);
        check_value_lines(h, r->obs_fold);
        CHECK(h->value_len == 0 || !is_ows(h->value[0]));
        CHECK(h->value_len == 0 || !is_ows(h->value[h->value_len - 1]));
    }
}

static bool same_head(const struct http_response *a, const struct http_response *b)
{
    if (a->minor_version != b->minor_version || a->status != b->status || a->reason != b->reason ||
        a->reason_len != b->reason_len || a->num_headers != b->num_headers)
        return false;
    for (size_t i = 0; i < a->num_headers; i++) {
        const struct http_header *x = &a->headers[i], *y = &b->headers[i];
        if (x->name != y->name || x->name_len != y->name_len || x->value != y->value ||
            x->value_len != y->value_len)
            return false;
    }
    return true;
}

/* The head as bytes arrive: -2 until the whole parse's verdict, then exactly that verdict. */
static void head_incremental(const struct msg *m, struct arrive *a, int whole,
                             const struct http_response *wr)
{
    struct http_header h[MAX_CAP];
    struct http_response r;
    size_t have = 0;
    int rc = -2;

    while (have < m->len) {
        /* Each call re-scans the head: cap the calls so that a large input stays fast. */
        size_t step = arrive_next(a), min_step = m->len / HEAD_CALLS;
        step = step < min_step ? min_step : step;
        have = step > m->len - have ? m->len : have + step;
        rc = parse_prefix(m, have, &r, h);
        if (rc != -2)
            break;
    }
    if (m->len == 0)
        rc = parse_prefix(m, 0, &r, h);
    CHECK(rc == whole);
    if (rc > 0)
        CHECK(same_head(&r, wr));
}

/* Append a run of body bytes; the view must lie inside what this call was given. */
static void take(struct decoded *d, const char *in, size_t in_len, ssize_t used, const char *data,
                 size_t data_len)
{
    CHECK(used >= 0 && (size_t)used <= in_len);
    CHECK(data_len <= (size_t)used);
    if (data_len == 0)
        return;
    CHECK(data >= in && (size_t)(data - in) + data_len <= (size_t)used);
    memcpy(d->out + d->out_len, data, data_len);
    d->out_len += data_len;
}

/* A finished or failed decoder stays so, whatever it is fed. */
static void check_sticky(struct http_body *b, const char *rest, size_t rest_len, bool failed)
{
    const char *data = NULL;
    size_t data_len = 1;
    ssize_t rc = http_body_feed(b, rest, rest_len, &data, &data_len);

    if (failed) {
        CHECK(rc == -1);
        CHECK(http_body_eof(b) == -1);
        return;
    }
    CHECK(rc == 0 && data_len == 0 && b->done);
    CHECK(http_body_eof(b) == 0 && b->done);
}

/* Decode body[0..len) reading as `a` says; the caller's buffer keeps unconsumed bytes, so each
 * call sees everything arrived but not yet consumed (as conn.c does). */
static void decode(const char *body, size_t len, const struct http_meta *meta, struct arrive *a,
                   struct decoded *d)
{
    struct http_body b;
    size_t have = 0;

    http_body_init(&b, meta->framing, meta->length);
    for (;;) {
        const char *data = NULL;
        size_t data_len = 0, avail = have - d->consumed;
        ssize_t used;

        HIDE(body + have, len - have);
        used = http_body_feed(&b, body + d->consumed, avail, &data, &data_len);
        SHOW(body + have, len - have);
        if (used < 0) {
            CHECK(used == -1);
            d->failed = true;
            break;
        }
        take(d, body + d->consumed, avail, used, data, data_len);
        d->consumed += (size_t)used;
        if (b.done)
            break;
        /* Progress: with input left, a call that is not finished must eat something. */
        CHECK(used > 0 || avail == 0);
        if (used > 0)
            continue;
        if (have == len)
            break;
        size_t step = arrive_next(a);
        have = step > len - have ? len : have + step;
    }
    d->done = b.done;
    if (!d->failed)
        d->eof = http_body_eof(&b);
    /* A truncated body (eof -1) is neither finished nor failed: nothing to hold it to. */
    if (d->failed || d->eof == 0)
        check_sticky(&b, body + d->consumed, len - d->consumed, d->failed);
}

static void check_framing(const struct http_meta *meta, const struct decoded *d, size_t len)
{
    CHECK(d->consumed <= len);
    CHECK(d->out_len <= d->consumed);
    switch (meta->framing) {
    case HTTP_BODY_NONE:
        CHECK(d->done && d->consumed == 0 && d->eof == 0);
        break;
    case HTTP_BODY_LENGTH:
        CHECK(d->out_len == d->consumed);
        CHECK(d->out_len == (meta->length < len ? meta->length : len));
        CHECK(d->done == (meta->length <= len));
        CHECK(d->eof == (d->done ? 0 : -1));
        break;
    case HTTP_BODY_CLOSE:
        CHECK(!d->done && d->out_len == len && d->consumed == len && d->eof == 0);
        break;
    case HTTP_BODY_CHUNKED:
        CHECK(d->failed || d->done || d->consumed == len);
        CHECK(d->failed || d->eof == (d->done ? 0 : -1));
        break;
    default:
        CHECK(!"unknown framing");
    }
}

static void check_meta(const struct msg *m, int n, const struct http_response *r,
                       const struct http_meta *meta)
{
    CHECK(meta->framing <= HTTP_BODY_CLOSE);
    CHECK(meta->framing != HTTP_BODY_CLOSE || !meta->keep_alive);
    CHECK(!m->head_request || meta->framing == HTTP_BODY_NONE);
    CHECK((r->status >= 200 && r->status != 204 && r->status != 304) ||
          meta->framing == HTTP_BODY_NONE);
    CHECK(meta->location == NULL || view_in(meta->location, meta->location_len, m->buf, (size_t)n));
}

static void body_both_ways(const struct msg *m, int n, const struct http_meta *meta,
                           struct arrive *a)
{
    const char *body = m->buf + n;
    size_t len = m->len - (size_t)n;
    struct arrive whole = {ARRIVE_WHOLE, 0, 0};
    struct decoded d1 = {0}, d2 = {0};

    d1.out = malloc(len + 1);
    d2.out = malloc(len + 1);
    CHECK(d1.out != NULL && d2.out != NULL);
    decode(body, len, meta, &whole, &d1);
    decode(body, len, meta, a, &d2);
    check_framing(meta, &d1, len);
    CHECK(d1.failed == d2.failed && d1.done == d2.done && d1.eof == d2.eof);
    CHECK(d1.out_len == d2.out_len && memcmp(d1.out, d2.out, d1.out_len) == 0);
    /* Where a message ends is fixed by its bytes; a failure's position is not compared. */
    CHECK(d1.failed || d1.consumed == d2.consumed);
    free(d1.out);
    free(d2.out);
}

static void put_str(char *out, size_t *n, const char *s)
{
    size_t k = strlen(s);

    memcpy(out + *n, s, k);
    *n += k;
}

/* A chunk-size line in one of the forms RFC 9112 section 7.1 allows (and bare LF, which
 * http_parse.h accepts): any hex case, leading zeros, BWS, chunk extensions. */
static void put_size_line(char *out, size_t *n, size_t size, uint32_t *rng)
{
    static const char *const ext[] = {"", ";a=b", " ;n=\"q;\\\"x\"", ";flag", "\t;x=\"\""};
    uint32_t r = rng_next(rng);
    char hex[32];

    snprintf(hex, sizeof(hex), r & 1 ? "%0*zX" : "%0*zx", (int)(1 + (r >> 1) % 4), size);
    put_str(out, n, hex);
    put_str(out, n, (r >> 4) % 5 == 0 ? " \t" : "");
    put_str(out, n, ext[(r >> 8) % 5]);
    put_str(out, n, (r >> 12) % 4 == 0 ? "\n" : "\r\n");
}

/* Chunk-encode p[0..len) into out, chunk sizes and framing choices drawn from rng, with a
 * last-chunk, optional trailer fields and the final line end. Returns the encoded length. */
static size_t encode_chunked(const char *p, size_t len, uint32_t rng, char *out)
{
    static const char *const trailers[] = {"", "X-A: 1\r\n", "X-B: 2\nX-C:\r\n"};
    size_t n = 0, off = 0;

    while (off < len) {
        uint32_t r = rng_next(&rng);
        size_t k = 1 + (r % 5 == 0 ? r % (len - off) : r % 17);
        k = k > len - off ? len - off : k;
        put_size_line(out, &n, k, &rng);
        memcpy(out + n, p + off, k);
        n += k;
        off += k;
        put_str(out, &n, (r >> 9) % 4 == 0 ? "\n" : "\r\n");
    }
    put_size_line(out, &n, 0, &rng);
    put_str(out, &n, trailers[rng_next(&rng) % 3]);
    put_str(out, &n, rng_next(&rng) % 4 == 0 ? "\n" : "\r\n");
    return n;
}

/* Encoding any bytes and decoding them as they arrive gives them back, ending exactly at the end
 * of the encoding (the pipelined bytes after it stay unconsumed). */
static void chunked_round_trip(const struct msg *m, uint8_t b0, uint8_t b1)
{
    static const char next[] = "HTTP/1.1 200 OK\r\n";
    struct http_meta meta = {.framing = HTTP_BODY_CHUNKED};
    struct decoded d = {0};
    struct arrive a;
    size_t n, cap = m->len * 48 + 128;
    char *enc = malloc(cap);

    CHECK(enc != NULL);
    n = encode_chunked(m->buf, m->len, 0x2545f491u ^ ((uint32_t)b1 << 8 | b0), enc);
    CHECK(n + sizeof(next) <= cap);
    memcpy(enc + n, next, sizeof(next) - 1);
    d.out = malloc(m->len + 1);
    CHECK(d.out != NULL);
    arrive_init(&a, b0, b1);
    decode(enc, n + sizeof(next) - 1, &meta, &a, &d);
    CHECK(!d.failed && d.done && d.eof == 0);
    CHECK(d.consumed == n);
    CHECK(d.out_len == m->len && memcmp(d.out, m->buf, m->len) == 0);
    free(d.out);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_header wh[MAX_CAP];
    struct http_response wr;
    struct http_meta meta;
    struct arrive a;
    struct msg m;
    int n;

    if (size < 2)
        return 0;
    m.len = size - 2;
    m.cap = data[1] % (MAX_CAP + 1);
    m.head_request = (data[1] & 0x80) != 0 && (data[0] & 0x80) != 0;
    /* Header capacity 0 can only parse a head without fields; keep it rare but possible. */
    if (m.cap == 0 && (data[0] & 0x40) == 0)
        m.cap = MAX_CAP;
    m.buf = malloc(m.len ? m.len : 1);
    CHECK(m.buf != NULL);
    memcpy(m.buf, data + 2, m.len);
    n = parse_prefix(&m, m.len, &wr, wh);
    if (n > 0)
        check_head(&m, n, &wr);
    arrive_init(&a, data[0], data[1]);
    head_incremental(&m, &a, n, &wr);
    if (n > 0 && http_response_meta(&wr, m.head_request, &meta) == 0) {
        check_meta(&m, n, &wr, &meta);
        arrive_init(&a, data[0], data[1]);
        body_both_ways(&m, n, &meta, &a);
    }
    chunked_round_trip(&m, data[0], data[1]);
    free(m.buf);
    return 0;
}
