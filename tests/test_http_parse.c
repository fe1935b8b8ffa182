/* test_http_parse.c: response heads, framing and body decoding, fed whole, byte by byte and at
 * every split point, with each call's input placed against a guard page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http_parse.h"
#include "guard.h"

#define MAX_HDRS 8
#define MAX_MSGS 3
#define BODY_MAX 256
#define BYTEWISE ((size_t)-1)
#define S(str) .in = str, .len = sizeof(str) - 1

enum fail {
    END_OK,     /* every byte belongs to a complete message */
    FAIL_HEAD,  /* http_parse_head said -1 */
    FAIL_META,  /* http_response_meta said -1 for the last message */
    FAIL_BODY,  /* http_body_feed said -1 for the last message */
    FAIL_TRUNC, /* EOF in a head or in a body that is not close-delimited */
};

struct exp_msg {
    int minor, status; /* status 0 ends the list of messages */
    const char *reason;
    enum http_framing framing;
    uint64_t length;
    bool keep_alive;
    const char *body; /* bytes delivered, also before a body failure */
    const char *location;
    uint32_t retry_after;
    const char *hdrs[MAX_HDRS][2]; /* name, value; a NULL name ends the list */
};

struct sample {
    const char *name;
    const char *in;
    size_t len;
    enum fail fail;
    bool head_request;
    size_t cap; /* header capacity; 0 means MAX_HDRS */
    struct exp_msg msgs[MAX_MSGS];
};

/* An expected message whose head parsed; the variadic part lists its {name, value} headers. */
#define MSGX(mi, st, re, fr, len, ka, bo, loc, ra, ...)                                            \
    {                                                                                              \
        .minor = mi, .status = st, .reason = re, .framing = fr, .length = len, .keep_alive = ka,   \
        .body = bo, .location = loc, .retry_after = ra, .hdrs = {                                  \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }
#define MSG(mi, st, re, fr, len, ka, bo, ...)                                                      \
    MSGX(mi, st, re, fr, len, ka, bo, NULL, 0, __VA_ARGS__)
/* A head whose framing http_response_meta rejects. */
#define BADMETA(mi, st, re, ...) MSG(mi, st, re, HTTP_BODY_NONE, 0, false, NULL, __VA_ARGS__)

#define NONE HTTP_BODY_NONE
#define LEN HTTP_BODY_LENGTH
#define CHUNKED HTTP_BODY_CHUNKED
#define CLOSE HTTP_BODY_CLOSE
#define TE_CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
#define CHUNKED_MSG(body)                                                                          \
    MSG(1, 200, "OK", CHUNKED, 0, true, body, {"Transfer-Encoding", "chunked"})
#define NO_HDRS                                                                                    \
    {                                                                                              \
        NULL                                                                                       \
    }

static const struct sample samples[] = {
    {"content-length",
     S("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"), END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 5, true, "hello", {"Content-Type", "text/plain"},
                  {"Content-Length", "5"})}},
    {"chunked with extensions and trailers",
     S(TE_CHUNKED "5;name=value;q=\"a;b\\\"c\"\r\nhello\r\n7 ; foo\r\n, world\r\n"
                  "00A\r\n0123456789\r\n0;last\r\nExpires: never\r\nX-T: 1\r\n\r\n"),
     END_OK, .msgs = {CHUNKED_MSG("hello, world0123456789")}},
    {"chunked with bare LF",
     S("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\nb\n0123456789a\n0\nT: x\n\n"),
     END_OK, .msgs = {CHUNKED_MSG("abc0123456789a")}},
    {"HTTP/1.0 close-delimited",
     S("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of the rest\r\nuntil close"), END_OK,
     .msgs = {MSG(0, 200, "OK", CLOSE, 0, false, "all of the rest\r\nuntil close",
                  {"Server", "old"})}},
    {"HTTP/1.0 keep-alive",
     S("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 3\r\n\r\nabc"), END_OK,
     .msgs = {MSG(0, 200, "OK", LEN, 3, true, "abc", {"Connection", "Keep-Alive"},
                  {"Content-Length", "3"})}},
    {"HTTP/1.0 with a length but no keep-alive",
     S("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"), END_OK,
     .msgs = {MSG(0, 200, "OK", LEN, 3, false, "abc", {"Content-Length", "3"})}},
    {"HTTP/1.0 keep-alive without length",
     S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc"), END_OK,
     .msgs = {MSG(0, 200, "OK", CLOSE, 0, false, "abc", {"Connection", "keep-alive"})}},
    {"100 Continue then 200",
     S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), END_OK,
     .msgs = {MSG(1, 100, "Continue", NONE, 0, true, "", NO_HDRS),
              MSG(1, 200, "OK", LEN, 2, true, "hi", {"Content-Length", "2"})}},
    {"204", S("HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n"), END_OK,
     .msgs = {MSG(1, 204, "No Content", NONE, 0, true, "", {"Server", "x"})}},
    {"304 with Content-Length",
     S("HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\nContent-Length: 1234\r\n\r\n"), END_OK,
     .msgs = {MSG(1, 304, "Not Modified", NONE, 0, true, "", {"ETag", "\"abc\""},
                  {"Content-Length", "1234"})}},
    {"HEAD", S("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), END_OK, .head_request = true,
     .msgs = {MSG(1, 200, "OK", NONE, 0, true, "", {"Content-Length", "1000"})}},
    {"Connection: close",
     S("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok"), END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 2, false, "ok", {"Connection", "keep-alive, Close"},
                  {"Content-Length", "2"})}},
    {"Connection: closed is not close",
     S("HTTP/1.1 200 OK\r\nConnection: closed,upgrade\r\nContent-Length: 0\r\n\r\n"), END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 0, true, "", {"Connection", "closed,upgrade"},
                  {"Content-Length", "0"})}},
    {"identical Content-Length",
     S("HTTP/1.1 200 OK\r\nContent-Length: 4\r\ncontent-length: 4 ,4\r\n\r\nbody"), END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 4, true, "body", {"Content-Length", "4"},
                  {"content-length", "4 ,4"})}},
    {"conflicting Content-Length",
     S("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nbody!"), FAIL_META,
     .msgs = {BADMETA(1, 200, "OK", {"Content-Length", "4"}, {"Content-Length", "5"})}},
    {"conflicting Content-Length list", S("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"),
     FAIL_META, .msgs = {BADMETA(1, 200, "OK", {"Content-Length", "5, 6"})}},
    {"non-numeric Content-Length", S("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"),
     FAIL_META, .msgs = {BADMETA(1, 200, "OK", {"Content-Length", "+5"})}},
    {"Content-Length overflow",
     S("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n"), FAIL_META,
     .msgs = {BADMETA(1, 200, "OK", {"Content-Length", "18446744073709551616"})}},
    {"largest Content-Length, cut short",
     S("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc"), FAIL_TRUNC,
     .msgs = {MSG(1, 200, "OK", LEN, UINT64_MAX, true, "abc",
                  {"Content-Length", "18446744073709551615"})}},
    {"Transfer-Encoding gzip only",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n\x1f\x8b\x08zz"),
     END_OK,
     .msgs = {MSG(1, 200, "OK", CLOSE, 0, false, "\x1f\x8b\x08zz", {"Transfer-Encoding", "gzip"},
                  {"Content-Length", "3"})}},
    {"Transfer-Encoding chunked not last",
     S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\nx"), END_OK,
     .msgs = {MSG(1, 200, "OK", CLOSE, 0, false, "x", {"Transfer-Encoding", "chunked"},
                  {"Transfer-Encoding", "gzip"})}},
    {"Transfer-Encoding overrides Content-Length",
     S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
       "3\r\nxyz\r\n0\r\n\r\n"),
     END_OK,
     .msgs = {MSG(1, 200, "OK", CHUNKED, 0, false, "xyz", {"Content-Length", "100"},
                  {"Transfer-Encoding", "gzip, Chunked"})}},
    {"HTTP/1.0 chunked",
     S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
       "1\r\nx\r\n0\r\n\r\n"),
     END_OK,
     .msgs = {MSG(0, 200, "OK", CHUNKED, 0, false, "x", {"Connection", "keep-alive"},
                  {"Transfer-Encoding", "chunked"})}},
    {"huge chunk size", S(TE_CHUNKED "4000000000000001\r\n"), FAIL_BODY, .msgs = {CHUNKED_MSG("")}},
    {"bad hex", S(TE_CHUNKED "5\r\nhello\r\nzz\r\n"), FAIL_BODY, .msgs = {CHUNKED_MSG("hello")}},
    {"empty chunk size", S(TE_CHUNKED ";ext\r\n"), FAIL_BODY, .msgs = {CHUNKED_MSG("")}},
    {"missing chunk CRLF", S(TE_CHUNKED "5\r\nhelloX\r\n0\r\n\r\n"), FAIL_BODY,
     .msgs = {CHUNKED_MSG("hello")}},
    /* A lenient decoder would read the hex digit as the next size line ("helloabc"). */
    {"hex digit instead of chunk CRLF", S(TE_CHUNKED "5\r\nhello3\r\nabc\r\n0\r\n\r\n"), FAIL_BODY,
     .msgs = {CHUNKED_MSG("hello")}},
    {"chunked cut short", S(TE_CHUNKED "5\r\nhel"), FAIL_TRUNC, .msgs = {CHUNKED_MSG("hel")}},
    {"chunked missing final CRLF", S(TE_CHUNKED "1\r\na\r\n0\r\n"), FAIL_TRUNC,
     .msgs = {CHUNKED_MSG("a")}},
    {"Content-Length cut short", S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
     FAIL_TRUNC, .msgs = {MSG(1, 200, "OK", LEN, 10, true, "short", {"Content-Length", "10"})}},
    {"head cut short", S("HTTP/1.1 200 OK\r\nContent-Le"), FAIL_TRUNC},
    {"mixed-case headers",
     S("HTTP/1.1 301 Moved Permanently\r\nLOCATION: \t /new/place \t\r\ncOnTeNt-LeNgTh:0\r\n"
       "retry-AFTER: 120\r\nX-Empty:\r\nX-Blank:  \t \r\n\r\n"),
     END_OK,
     .msgs = {MSGX(1, 301, "Moved Permanently", LEN, 0, true, "", "/new/place", 120,
                   {"LOCATION", "/new/place"}, {"cOnTeNt-LeNgTh", "0"}, {"retry-AFTER", "120"},
                   {"X-Empty", ""}, {"X-Blank", ""})}},
    {"Retry-After as a date",
     S("HTTP/1.1 503 Unavailable\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n"
       "Content-Length: 0\r\n\r\n"),
     END_OK,
     .msgs = {MSG(1, 503, "Unavailable", LEN, 0, true, "",
                  {"Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT"}, {"Content-Length", "0"})}},
    {"empty reason without SP", S("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx"), END_OK,
     .msgs = {MSG(1, 200, "", LEN, 1, true, "x", {"Content-Length", "1"})}},
    {"empty reason with SP, obs-text",
     S("HTTP/1.1 404 \r\nX-Name: caf\xc3\xa9\tau lait\r\nContent-Length: 0\r\n\r\n"), END_OK,
     .msgs = {MSG(1, 404, "", LEN, 0, true, "", {"X-Name", "caf\xc3\xa9\tau lait"},
                  {"Content-Length", "0"})}},
    {"too many headers", S("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), FAIL_HEAD, .cap = 2},
    {"exactly capacity headers", S("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"), END_OK, .cap = 2,
     .msgs = {MSG(1, 200, "OK", CLOSE, 0, false, "", {"A", "1"}, {"B", "2"})}},
    {"garbage status line", S("HTTP/1.1 2OO OK\r\n\r\n"), FAIL_HEAD},
    {"not HTTP", S("SSH-2.0-OpenSSH_9.2p1\r\n"), FAIL_HEAD},
    {"obs-fold: the view spans the fold",
     S("HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n"), END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 0, true, "", {"X-Long", "a\r\n  b"},
                  {"Content-Length", "0"})}},
    {"obs-fold into an empty value, bare LF",
     S("HTTP/1.1 200 OK\nX-Empty:\n\t \tv  \n \nContent-Length: 1\n\nz"), END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 1, true, "z", {"X-Empty", "v"}, {"Content-Length", "1"})}},
    {"NUL in a header", S("HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n"), FAIL_HEAD},
    {"space before colon", S("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"), FAIL_HEAD},
    {"pipelined responses",
     S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
       "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"
       "HTTP/1.1 302 Found\r\nLocation: http://x/\r\nContent-Length: 0\r\n\r\n"),
     END_OK,
     .msgs = {MSG(1, 200, "OK", LEN, 3, true, "abc", {"Content-Length", "3"}),
              MSG(1, 404, "Not Found", CHUNKED, 0, true, "no", {"Transfer-Encoding", "chunked"}),
              MSGX(1, 302, "Found", LEN, 0, true, "", "http://x/", 0, {"Location", "http://x/"},
                   {"Content-Length", "0"})}},
    {"garbage after a response", S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy"), FAIL_HEAD,
     .msgs = {MSG(1, 200, "OK", LEN, 1, true, "x", {"Content-Length", "1"})}},
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

struct got_msg {
    size_t head_start, head_len; /* offsets into sample.in */
    int minor, status;
    const char *reason; /* views rebased into sample.in */
    size_t reason_len;
    struct http_header hdrs[MAX_HDRS];
    size_t nhdrs;
    int meta_rc;
    struct http_meta meta;
    char body[BODY_MAX];
    size_t body_len;
};

struct outcome {
    struct got_msg msgs[MAX_MSGS];
    int nmsgs;
    enum fail fail;
    size_t fail_pos; /* start of the head that failed */
};

/* A simulated connection: bytes [0, avail) have arrived, [0, pos) are consumed. */
struct run {
    const struct sample *s;
    struct guard *g;
    struct outcome *o;
    size_t pos, avail;
    bool in_body;
    struct http_body body;
};

static int nmsgs_of(const struct sample *s)
{
    int n = 0;

    while (n < MAX_MSGS && s->msgs[n].status != 0)
        n++;
    return n;
}

static size_t cap_of(const struct sample *s)
{
    return s->cap != 0 ? s->cap : MAX_HDRS;
}

/* A view p into the guard copy that holds sample bytes from `pos` on, as a view into s->in. */
static const char *rebase(const struct run *r, const char *copy, const char *p, size_t len)
{
    size_t n = r->avail - r->pos;
    assert_true(p >= copy && p + len <= copy + n);
    return r->s->in + r->pos + (size_t)(p - copy);
}

static void record_head(struct run *r, const char *copy, int n, const struct http_response *resp)
{
    struct got_msg *m = &r->o->msgs[r->o->nmsgs++];

    assert_in_range(resp->num_headers, 0, cap_of(r->s));
    m->head_start = r->pos;
    m->head_len = (size_t)n;
    m->minor = resp->minor_version;
    m->status = resp->status;
    m->reason = rebase(r, copy, resp->reason, resp->reason_len);
    m->reason_len = resp->reason_len;
    m->nhdrs = resp->num_headers;
    for (size_t i = 0; i < resp->num_headers; i++) {
        const struct http_header *h = &resp->headers[i];
        m->hdrs[i] = *h;
        m->hdrs[i].name = rebase(r, copy, h->name, h->name_len);
        m->hdrs[i].value = rebase(r, copy, h->value, h->value_len);
    }
}

/* Parse a head from what has arrived: 1 progressed, 0 needs more, -1 failed. */
static int head_step(struct run *r)
{
    struct http_header hdrs[MAX_HDRS];
    struct http_response resp = {.headers = hdrs, .num_headers = cap_of(r->s)};
    struct got_msg *m = &r->o->msgs[r->o->nmsgs];
    const char *copy = guard_put(r->g, r->s->in + r->pos, r->avail - r->pos);
    int n = http_parse_head(copy, r->avail - r->pos, &resp);

    if (n == -2)
        return 0;
    if (n == -1 || n == HTTP_PARSE_TOO_MANY) {
        r->o->fail = FAIL_HEAD;
        r->o->fail_pos = r->pos;
        return -1;
    }
    assert_in_range(n, 1, r->avail - r->pos);
    assert_true(r->o->nmsgs < MAX_MSGS);
    record_head(r, copy, n, &resp);
    m->meta_rc = http_response_meta(&resp, r->s->head_request, &m->meta);
    if (m->meta_rc != 0) {
        r->o->fail = FAIL_META;
        return -1;
    }
    if (m->meta.location != NULL)
        m->meta.location = rebase(r, copy, m->meta.location, m->meta.location_len);
    http_body_init(&r->body, m->meta.framing, m->meta.length);
    r->pos += (size_t)n;
    r->in_body = true;
    return 1;
}

/* Feed the body decoder what has arrived: 1 progressed, 0 needs more, -1 failed. */
static int body_step(struct run *r)
{
    struct got_msg *m = &r->o->msgs[r->o->nmsgs - 1];
    size_t len = r->avail - r->pos, data_len = 0;
    const char *copy = guard_put(r->g, r->s->in + r->pos, len), *data = NULL;
    ssize_t n = http_body_feed(&r->body, copy, len, &data, &data_len);

    if (n < 0) {
        r->o->fail = FAIL_BODY;
        return -1;
    }
    assert_in_range(n, 0, len);
    if (data_len > 0) {
        assert_true(data >= copy && data + data_len <= copy + n);
        assert_in_range(data_len, 0, BODY_MAX - m->body_len);
        memcpy(m->body + m->body_len, data, data_len);
        m->body_len += data_len;
    }
    r->pos += (size_t)n;
    if (r->body.done) {
        r->in_body = false;
        return 1;
    }
    /* Without the end of the message, a call makes progress unless it got nothing. */
    assert_true(n > 0 || len == 0);
    return n > 0;
}

static size_t next_avail(size_t avail, size_t len, size_t cut)
{
    if (cut == BYTEWISE)
        return avail + 1;
    return avail < cut ? cut : len;
}

/* Deliver s->in in pieces: all at once (cut 0), byte by byte (BYTEWISE), or [0,cut) [cut,len). */
static void run(const struct sample *s, struct guard *g, size_t cut, struct outcome *o)
{
    struct run r = {.s = s, .g = g, .o = o};

    memset(o, 0, sizeof(*o));
    for (;;) {
        int rc = r.in_body ? body_step(&r) : head_step(&r);
        if (rc < 0)
            return;
        if (rc > 0)
            continue;
        if (r.avail < s->len) {
            r.avail = next_avail(r.avail, s->len, cut);
            continue;
        }
        /* EOF: only a close-delimited body (or nothing at all) may end here. */
        if ((r.in_body && http_body_eof(&r.body) != 0) || (!r.in_body && r.pos < s->len))
            o->fail = FAIL_TRUNC;
        return;
    }
}

#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            fail_msg("%s (%s %zu): %s", s->name, how, at, #c);                                     \
    } while (0)

static bool same(const char *a, size_t alen, const char *b)
{
    return b != NULL && a != NULL && alen == strlen(b) && memcmp(a, b, alen) == 0;
}

static void check_msg(const struct sample *s, int i, const struct got_msg *g, const char *how,
                      size_t at)
{
    const struct exp_msg *e = &s->msgs[i];
    size_t nh = 0;

    EXPECT(g->minor == e->minor && g->status == e->status);
    EXPECT(same(g->reason, g->reason_len, e->reason));
    while (nh < MAX_HDRS && e->hdrs[nh][0] != NULL)
        nh++;
    EXPECT(g->nhdrs == nh);
    for (size_t k = 0; k < nh; k++)
        EXPECT(same(g->hdrs[k].name, g->hdrs[k].name_len, e->hdrs[k][0]) &&
               same(g->hdrs[k].value, g->hdrs[k].value_len, e->hdrs[k][1]));
    if (s->fail == FAIL_META && i == nmsgs_of(s) - 1) {
        EXPECT(g->meta_rc == -1);
        return;
    }
    EXPECT(g->meta_rc == 0);
    EXPECT(g->meta.framing == e->framing && g->meta.length == e->length);
    EXPECT(g->meta.keep_alive == e->keep_alive);
    EXPECT(e->location == NULL ? g->meta.location == NULL
                               : same(g->meta.location, g->meta.location_len, e->location));
    EXPECT(g->meta.retry_after == e->retry_after);
    EXPECT(same(g->body, g->body_len, e->body));
}

static void check(const struct sample *s, const struct outcome *o, const char *how, size_t at)
{
    EXPECT(o->nmsgs == nmsgs_of(s));
    EXPECT(o->fail == s->fail);
    for (int i = 0; i < o->nmsgs; i++)
        check_msg(s, i, &o->msgs[i], how, at);
}

static int guard_setup(void **state)
{
    static struct guard g;

    if (guard_init(&g, HTTP_MAX_HEAD + 4096) != 0)
        return -1;
    *state = &g;
    return 0;
}

static int guard_teardown(void **state)
{
    guard_fini(*state);
    return 0;
}

static void test_samples_whole(void **state)
{
    struct outcome o;

    for (size_t i = 0; i < NSAMPLES; i++) {
        run(&samples[i], *state, 0, &o);
        check(&samples[i], &o, "whole", 0);
    }
}

static void test_samples_bytewise(void **state)
{
    struct outcome o;

    for (size_t i = 0; i < NSAMPLES; i++) {
        run(&samples[i], *state, BYTEWISE, &o);
        check(&samples[i], &o, "byte by byte", 0);
    }
}

static void test_samples_every_split(void **state)
{
    struct outcome o;

    for (size_t i = 0; i < NSAMPLES; i++)
        for (size_t cut = 1; cut < samples[i].len; cut++) {
            run(&samples[i], *state, cut, &o);
            check(&samples[i], &o, "split at", cut);
        }
}

/* Each prefix of a bad head gives -2 until the bad byte arrives, then -1 (or too many) for
 * good. */
static void assert_rejected(struct guard *g, const char *in, size_t len, size_t cap, size_t id)
{
    struct http_header hdrs[MAX_HDRS];
    bool failed = false;

    for (size_t n = 0; n <= len; n++) {
        struct http_response resp = {.headers = hdrs, .num_headers = cap};
        int rc = http_parse_head(guard_put(g, in, n), n, &resp);
        bool bad = rc == -1 || rc == HTTP_PARSE_TOO_MANY;
        if (failed ? !bad : !bad && rc != -2)
            fail_msg("bad head %zu, prefix %zu: got %d (failed before: %d)", id, n, rc, failed);
        failed = bad;
    }
    if (!failed)
        fail_msg("bad head %zu accepted", id);
}

/* Every strict prefix of a good head needs more; a bad head fails and stays failed. */
static void test_head_prefixes(void **state)
{
    struct http_header hdrs[MAX_HDRS];
    struct outcome o;

    for (size_t i = 0; i < NSAMPLES; i++) {
        const struct sample *s = &samples[i];
        run(s, *state, 0, &o);
        for (int k = 0; k < o.nmsgs; k++) {
            const char *in = s->in + o.msgs[k].head_start;
            for (size_t n = 0; n <= o.msgs[k].head_len; n++) {
                struct http_response resp = {.headers = hdrs, .num_headers = cap_of(s)};
                int want = n < o.msgs[k].head_len ? -2 : (int)n;
                assert_int_equal(http_parse_head(guard_put(*state, in, n), n, &resp), want);
            }
        }
        if (o.fail == FAIL_HEAD)
            assert_rejected(*state, s->in + o.fail_pos, s->len - o.fail_pos, cap_of(s), i);
    }
}

/* Heads that must be rejected; each is checked whole and at every prefix. */
static void test_bad_heads(void **state)
{
    static const struct {
        const char *in;
        size_t len;
    } bad[] = {
#define B(str) {str, sizeof(str) - 1}
        B("HTTP/2 200 OK\r\n\r\n"),
        B("HTTP/1.2 200 OK\r\n\r\n"),
        B("http/1.1 200 OK\r\n\r\n"),
        B("HTTP/1.1 20 OK\r\n\r\n"),
        B("HTTP/1.1 2000 OK\r\n\r\n"),
        B("HTTP/1.1  200 OK\r\n\r\n"),
        B("HTTP/1.1 099 Low\r\n\r\n"),
        B("HTTP/1.1\t200 OK\r\n\r\n"),
        B("HTTP/1.1 200\tOK\r\n\r\n"),
        B(" HTTP/1.1 200 OK\r\n\r\n"),
        B("\r\nHTTP/1.1 200 OK\r\n\r\n"),
        B("HTTP/1.1 200 OK\rX\n\r\n"),
        B("HTTP/1.1 200 O\x01K\r\n\r\n"),
        B("HTTP/1.1 200 O\0K\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nName : v\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nName\t: v\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\n: v\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nNa\0me: v\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nNa(me: v\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nName: v\x7f\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nName: a\rb\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nName: a\x1b[0m\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\n\tA: b\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\n A: b\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nA: b\r\n\tc\x01\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n"),
        B("HTTP/1.1 200 OK\r\nA: b\r\n\rX"),
#undef B
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejected(*state, bad[i].in, bad[i].len, MAX_HDRS, i);
}

static int parse_one(struct guard *g, const char *head, struct http_response *resp)
{
    return http_parse_head(guard_put(g, head, strlen(head)), strlen(head), resp);
}

/* Field names are exactly the tchar set of RFC 9110 section 5.6.2. */
static void test_name_bytes(void **state)
{
    static const char tchar_punct[] = "!#$%&'*+-.^_`|~";
    struct http_header hdrs[2];

    for (int c = 0; c < 256; c++) {
        char in[] = "HTTP/1.1 200 OK\r\nA?B: v\r\n\r\n";
        struct http_response resp = {.headers = hdrs, .num_headers = 2};
        bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        bool tchar = alnum || (c != 0 && strchr(tchar_punct, c) != NULL);
        in[18] = (char)c;
        int rc = http_parse_head(guard_put(*state, in, sizeof(in) - 1), sizeof(in) - 1, &resp);
        if (tchar || c == ':') /* "A:B: v" is a field A with value "B: v" */
            assert_int_equal(rc, sizeof(in) - 1);
        else
            assert_int_equal(rc, -1);
        if (tchar)
            assert_int_equal(hdrs[0].name_len, 3);
    }
}

/* Values take HTAB, SP, VCHAR and obs-text; every other control and DEL is rejected. */
static void test_value_bytes(void **state)
{
    struct http_header hdrs[2];

    for (int c = 0; c < 256; c++) {
        char in[] = "HTTP/1.1 200 OK\r\nA: x?y\r\n\r\n";
        struct http_response resp = {.headers = hdrs, .num_headers = 2};
        bool text = c == '\t' || (c >= 0x20 && c != 0x7f);
        in[21] = (char)c;
        int rc = http_parse_head(guard_put(*state, in, sizeof(in) - 1), sizeof(in) - 1, &resp);
        assert_int_equal(rc, text ? (int)sizeof(in) - 1 : -1);
        if (text) {
            assert_int_equal(hdrs[0].value_len, 3);
            assert_int_equal((unsigned char)hdrs[0].value[1], c);
        }
        /* The reason phrase follows the same rule. */
        char st[] = "HTTP/1.1 200 O?K\r\n\r\n";
        st[14] = (char)c;
        rc = http_parse_head(guard_put(*state, st, sizeof(st) - 1), sizeof(st) - 1, &resp);
        assert_int_equal(rc, text ? (int)sizeof(st) - 1 : -1);
    }
}

static void test_capacity(void **state)
{
    struct http_header hdrs[3];
    struct http_response resp = {.headers = hdrs, .num_headers = 3};
    const char *three = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";

    assert_int_equal(parse_one(*state, three, &resp), strlen(three));
    assert_int_equal(resp.num_headers, 3);
    resp.num_headers = 2;
    assert_int_equal(parse_one(*state, three, &resp), HTTP_PARSE_TOO_MANY);
    assert_int_equal(resp.num_headers, 2); /* unchanged on failure */
    /* "Too many" only for a whole head: a part of one needs more, a bad one is malformed. */
    assert_int_equal(parse_one(*state, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n", &resp), -2);
    assert_int_equal(parse_one(*state, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC 3\r\n\r\n", &resp),
                     -1);
    assert_int_equal(
        parse_one(*state, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n \x01\r\n\r\n", &resp), -1);
    resp.num_headers = 0;
    assert_int_equal(parse_one(*state, "HTTP/1.1 200 OK\r\n\r\n", &resp), 19);
    assert_int_equal(resp.num_headers, 0);
    resp.headers = NULL;
    assert_int_equal(parse_one(*state, "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", &resp),
                     HTTP_PARSE_TOO_MANY);
    /* A partial head leaves the capacity alone, so the caller can simply call again. */
    resp.headers = hdrs;
    resp.num_headers = 3;
    assert_int_equal(parse_one(*state, "HTTP/1.1 200 OK\r\nA: 1\r\n", &resp), -2);
    assert_int_equal(resp.num_headers, 3);
}

/* A head of exactly HTTP_MAX_HEAD bytes parses; one byte more never completes. */
static void test_max_head(void **state)
{
    static char big[HTTP_MAX_HEAD + 64];
    const char *start = "HTTP/1.1 200 OK\r\nX: ";
    struct http_header hdrs[2];
    struct http_response resp = {.headers = hdrs, .num_headers = 2};
    size_t fill = HTTP_MAX_HEAD - strlen(start) - 4;

    memcpy(big, start, strlen(start));
    memset(big + strlen(start), 'v', fill);
    memcpy(big + strlen(start) + fill, "\r\n\r\nbody", 8);
    assert_int_equal(
        http_parse_head(guard_put(*state, big, HTTP_MAX_HEAD + 4), HTTP_MAX_HEAD + 4, &resp),
        HTTP_MAX_HEAD);
    assert_int_equal(hdrs[0].value_len, fill);
    memmove(big + strlen(start) + 1, big + strlen(start), fill + 8);
    assert_int_equal(
        http_parse_head(guard_put(*state, big, HTTP_MAX_HEAD + 5), HTTP_MAX_HEAD + 5, &resp), -2);
}

static void test_find_header(void **state)
{
    struct http_header hdrs[4];
    struct http_response resp = {.headers = hdrs, .num_headers = 4};
    const char *head = "HTTP/1.1 200 OK\r\nContent-Type: a\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n";

    assert_int_equal(parse_one(*state, head, &resp), strlen(head));
    assert_ptr_equal(http_find_header(&resp, "content-type"), &hdrs[0]);
    assert_ptr_equal(http_find_header(&resp, "CONTENT-TYPE"), &hdrs[0]);
    assert_ptr_equal(http_find_header(&resp, "X-DUP"), &hdrs[1]);
    assert_null(http_find_header(&resp, "Content"));
    assert_null(http_find_header(&resp, "Content-Type-X"));
    assert_null(http_find_header(&resp, "Location"));
}

static int meta_of(struct guard *g, const char *head, bool head_request, struct http_meta *m)
{
    struct http_header hdrs[MAX_HDRS];
    struct http_response resp = {.headers = hdrs, .num_headers = MAX_HDRS};

    assert_int_equal(parse_one(g, head, &resp), strlen(head));
    return http_response_meta(&resp, head_request, m);
}

static void test_meta_details(void **state)
{
    struct http_meta m;

    assert_int_equal(
        meta_of(*state, "HTTP/1.1 429 Slow\r\nRetry-After: 99999999999\r\n\r\n", false, &m), 0);
    assert_int_equal(m.retry_after, UINT32_MAX);
    assert_int_equal(meta_of(*state, "HTTP/1.1 429 Slow\r\nRetry-After: 12s\r\n\r\n", false, &m),
                     0);
    assert_int_equal(m.retry_after, 0);
    assert_int_equal(meta_of(*state, "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", false, &m), -1);
    assert_int_equal(meta_of(*state, "HTTP/1.1 200 OK\r\nContent-Length: 1,,1\r\n\r\n", false, &m),
                     -1);
    assert_int_equal(meta_of(*state, "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", false, &m),
                     -1);
    /* Bad framing headers do not matter when there is no body at all. */
    assert_int_equal(meta_of(*state, "HTTP/1.1 304 NM\r\nContent-Length: x\r\n\r\n", false, &m), 0);
    assert_int_equal(m.framing, HTTP_BODY_NONE);
    assert_int_equal(meta_of(*state, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", true, &m), 0);
    assert_int_equal(m.framing, HTTP_BODY_NONE);
    assert_int_equal(meta_of(*state, "HTTP/1.1 101 Switching\r\nUpgrade: x\r\n\r\n", false, &m), 0);
    assert_int_equal(m.framing, HTTP_BODY_NONE);
    /* Connection tokens may be spread over several fields. */
    assert_int_equal(meta_of(*state,
                             "HTTP/1.1 200 OK\r\nConnection: te\r\nConnection: x, CLOSE \r\n"
                             "Content-Length: 0\r\n\r\n",
                             false, &m),
                     0);
    assert_false(m.keep_alive);
    assert_int_equal(meta_of(*state,
                             "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n"
                             "Content-Length: 0\r\n\r\n",
                             false, &m),
                     0);
    assert_false(m.keep_alive);
    assert_int_equal(meta_of(*state, "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", false, &m),
                     0);
    assert_int_equal(m.framing, HTTP_BODY_CLOSE);
}

/* A folded head, unfolded in place as a user agent must (RFC 9112 section 5.2), reads as one
 * line per field, and its framing fields then mean what they say. */
static void test_unfold(void **state)
{
    static const char in[] = "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\tc\r\n"
                             "Transfer-Encoding: gzip,\r\n chunked\r\nContent-Length:\n 6\r\n"
                             "Connection:\r\n \r\n close\r\n\r\nrest";
    struct http_header hdrs[MAX_HDRS];
    struct http_response resp = {.headers = hdrs, .num_headers = MAX_HDRS};
    struct http_meta m;
    size_t head = sizeof(in) - 1 - 4;
    char *copy = guard_put(*state, in, sizeof(in) - 1);

    assert_int_equal(http_parse_head(copy, sizeof(in) - 1, &resp), head);
    assert_true(resp.obs_fold);
    http_unfold(copy, head);
    assert_memory_equal(copy + head, "rest", 4);
    assert_int_equal(resp.num_headers, 4);
    assert_int_equal(hdrs[0].value_len, 9);
    assert_memory_equal(hdrs[0].value, "a   b  \tc", 9);
    assert_int_equal(hdrs[2].value_len, 1);
    assert_memory_equal(hdrs[2].value, "6", 1);
    assert_int_equal(http_response_meta(&resp, false, &m), 0);
    assert_int_equal(m.framing, HTTP_BODY_CHUNKED); /* Transfer-Encoding wins over the length */
    assert_false(m.keep_alive);
    /* No fold: the flag stays clear. */
    resp.num_headers = MAX_HDRS;
    copy = guard_put(*state, "HTTP/1.1 200 OK\r\nA: b\r\n\r\n", 25);
    assert_int_equal(http_parse_head(copy, 25, &resp), 25);
    assert_false(resp.obs_fold);
}

/* Feed a whole chunked body in one buffer, looping like a caller; returns the last result. */
static ssize_t feed_all(struct guard *g, struct http_body *b, const char *in, size_t len,
                        size_t *body_len)
{
    const char *copy = guard_put(g, in, len), *data;
    size_t pos = 0, data_len;
    ssize_t n = 0;

    *body_len = 0;
    while (pos < len && !b->done) {
        n = http_body_feed(b, copy + pos, len - pos, &data, &data_len);
        if (n <= 0)
            return n;
        pos += (size_t)n;
        *body_len += data_len;
    }
    return (ssize_t)pos;
}

static void test_chunk_limits(void **state)
{
    static char in[2 * 4096 + 64];
    struct http_body b;
    size_t body_len;

    /* Sizes up to 2^62 are fine, anything larger is not. */
    http_body_init(&b, HTTP_BODY_CHUNKED, 0);
    assert_int_equal(feed_all(*state, &b, "4000000000000000\r\n", 18, &body_len), 18);
    assert_true(b.remaining == (uint64_t)1 << 62 && !b.done);
    http_body_init(&b, HTTP_BODY_CHUNKED, 0);
    assert_int_equal(feed_all(*state, &b, "10000000000000000\r\n", 19, &body_len), -1);
    /* Size line with extensions: 4096 bytes accepted, 4097 rejected; leading zeros count too. */
    for (size_t n = 4096; n <= 4097; n++) {
        in[0] = '1';
        in[1] = ';';
        memset(in + 2, 'e', n - 2);
        memcpy(in + n, "\r\nx\r\n0\r\n\r\n", 10);
        http_body_init(&b, HTTP_BODY_CHUNKED, 0);
        assert_int_equal(feed_all(*state, &b, in, n + 10, &body_len),
                         n == 4096 ? (ssize_t)n + 10 : -1);
        memset(in, '0', n - 1);
        in[n - 1] = '1';
        http_body_init(&b, HTTP_BODY_CHUNKED, 0);
        assert_int_equal(feed_all(*state, &b, in, n + 10, &body_len),
                         n == 4096 ? (ssize_t)n + 10 : -1);
        /* Trailer line. */
        memcpy(in, "0\r\n", 3);
        memset(in + 3, 't', n);
        memcpy(in + 3 + n, "\r\n\r\n", 4);
        http_body_init(&b, HTTP_BODY_CHUNKED, 0);
        assert_int_equal(feed_all(*state, &b, in, n + 7, &body_len),
                         n == 4096 ? (ssize_t)n + 7 : -1);
    }
}

static void test_chunk_syntax(void **state)
{
    static const struct {
        const char *in;
        ssize_t want; /* consumed by feed_all, or -1 */
    } cases[] = {
        {"1\r\nx\r\n0\r\n\r\nNEXT", 11},
        {"1 \t;a=\"x\\\"\"\r\nx\n0\r\n\r\n", 20},
        {"1;a=\"\r\n\"\r\nx\r\n0\r\n\r\n", -1}, /* CR inside a quoted string */
        {"1;a\x01\r\nx\r\n0\r\n\r\n", -1},      /* control in an extension */
        {"1 2\r\nxx\r\n0\r\n\r\n", -1},         /* digits after whitespace */
        {" 1\r\nx\r\n0\r\n\r\n", -1},           /* whitespace before the size */
        {"1\rx\nx\r\n0\r\n\r\n", -1},           /* CR not followed by LF */
        {"1\r\nx\rx0\r\n\r\n", -1},
        {"1\r\nx1\r\ny\r\n0\r\n\r\n", -1}, /* the next size line with no CRLF before it */
        {"0\r\nT: x\rX\r\n\r\n", -1},
        {"0\r\n\rX", -1},
        {"0\r\nT: \x01\r\n\r\n", -1},
        {"-1\r\n", -1},
        {"0x1\r\n", -1},
    };
    struct http_body b;
    size_t body_len;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_body_init(&b, HTTP_BODY_CHUNKED, 0);
        ssize_t got = feed_all(*state, &b, cases[i].in, strlen(cases[i].in), &body_len);
        if (got != cases[i].want)
            fail_msg("chunk case %zu: got %zd want %zd", i, got, cases[i].want);
        assert_true(got < 0 || b.done);
    }
}

static void test_body_state(void **state)
{
    struct http_body b = {.framing = HTTP_BODY_CHUNKED}; /* zero-filled state works */
    const char *data;
    size_t data_len;
    const char *bad = guard_put(*state, "zz", 2);

    assert_int_equal(http_body_eof(&b), -1);
    assert_int_equal(http_body_feed(&b, bad, 2, &data, &data_len), -1);
    assert_int_equal(http_body_feed(&b, "0\r\n\r\n", 5, &data, &data_len), -1); /* sticky */
    assert_int_equal(http_body_eof(&b), -1);

    http_body_init(&b, HTTP_BODY_LENGTH, 3);
    assert_int_equal(http_body_feed(&b, "ab", 2, &data, &data_len), 2);
    assert_int_equal(data_len, 2);
    assert_false(b.done);
    assert_int_equal(http_body_eof(&b), -1);
    assert_int_equal(http_body_feed(&b, "cdef", 4, &data, &data_len), 1);
    assert_true(b.done && data_len == 1 && data[0] == 'c');
    assert_int_equal(http_body_feed(&b, "def", 3, &data, &data_len), 0);
    assert_int_equal(data_len, 0);
    assert_int_equal(http_body_eof(&b), 0);

    http_body_init(&b, HTTP_BODY_LENGTH, 0);
    assert_true(b.done);
    assert_int_equal(http_body_feed(&b, "x", 1, &data, &data_len), 0);

    http_body_init(&b, HTTP_BODY_NONE, 99);
    assert_true(b.done);
    assert_int_equal(http_body_feed(&b, "HTTP", 4, &data, &data_len), 0);
    assert_int_equal(data_len, 0);

    http_body_init(&b, HTTP_BODY_CLOSE, 0);
    assert_int_equal(http_body_feed(&b, "abc", 3, &data, &data_len), 3);
    assert_int_equal(http_body_feed(&b, "", 0, &data, &data_len), 0);
    assert_false(b.done);
    assert_int_equal(http_body_eof(&b), 0);
    assert_true(b.done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_whole),
        cmocka_unit_test(test_samples_bytewise),
        cmocka_unit_test(test_samples_every_split),
        cmocka_unit_test(test_head_prefixes),
        cmocka_unit_test(test_bad_heads),
        cmocka_unit_test(test_name_bytes),
        cmocka_unit_test(test_value_bytes),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_max_head),
        cmocka_unit_test(test_find_header),
        cmocka_unit_test(test_meta_details),
        cmocka_unit_test(test_unfold),
        cmocka_unit_test(test_chunk_limits),
        cmocka_unit_test(test_chunk_syntax),
        cmocka_unit_test(test_body_state),
    };

    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
