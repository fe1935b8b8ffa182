/* conn.c: the connection state machine. One function per state; every failure ends in
 * conn_close, which hands the queued requests back to the owner. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "http_request.h"

#define RBUF_INIT (16 * 1024)
#define RBUF_MAX (HTTP_MAX_HEAD + 16 * 1024)
#define WBUF_INIT 2048
#define WBUF_MAX (64 * 1024)
#define READS_PER_EVENT 16
#define MAX_HEADERS 100
#define LOCATION_MAX 8192 /* a redirect target still has to fit URL_MAX once resolved */

static void on_io(struct reactor *r, struct reactor_io *io, int events);
static void on_timer(void *arg);
static void flush(struct conn *c);
static void start_ready(struct conn *c);
static void on_dialed(void *arg, int fd, int err);

void conn_init(struct conn *c, const struct conn_env *env)
{
    memset(c, 0, sizeof(*c));
    c->env = env;
    c->state = CONN_FREE;
    reactor_io_init(&c->io, -1, on_io, c);
    timer_init(&c->timer, on_timer, c);
    dial_init(&c->dial, env->r, env->binds, env->bind_cursor, on_dialed, c);
}

void conn_fini(struct conn *c)
{
    if (c->state != CONN_FREE)
        conn_close(c, VL_EINTR);
    if (c->tls)
        tls_conn_fini(c->tls);
    free(c->tls);
    free(c->rbuf);
    free(c->wbuf);
    c->tls = NULL;
    c->rbuf = c->wbuf = NULL;
}

bool conn_matches(const struct conn *c, const struct request *rq)
{
    unsigned max = c->env->max_requests;
    const struct url *u = &rq->u;
    return c->origin == rq->origin && c->state == CONN_READY && c->keep_alive &&
           (!max || c->served + c->inflight < max) && c->scheme == u->scheme &&
           c->port == u->port && strncasecmp(c->host, u->host, u->host_len) == 0 &&
           c->host[u->host_len] == '\0';
}

static void arm(struct conn *c, unsigned ms)
{
    reactor_timer_in(c->env->r, &c->timer, ms);
}

/* The head request's --timeout: one deadline for the whole try, from its first request to the end
 * of its final response, so redirects share it (the worker clears it for a retry). */
static void arm_request(struct conn *c)
{
    struct request *rq = c->head;
    uint64_t now = timer_now_us();
    if (!rq->deadline_us)
        rq->deadline_us = now + (uint64_t)c->env->timeout_ms * 1000;
    arm(c, rq->deadline_us > now ? (unsigned)((rq->deadline_us - now + 999) / 1000) : 0);
}

/* Report err from a 0 ms timer: callers deep in a call chain never re-enter the worker. */
static void defer_close(struct conn *c, int err)
{
    if (!c->deferred_err)
        c->deferred_err = err;
    arm(c, 0);
}

static void interest(struct conn *c, int mask)
{
    if (reactor_watch(c->env->r, &c->io, mask) < 0)
        defer_close(c, VL_ESYS);
}

static void set_target(struct conn *c, const struct url *u)
{
    c->scheme = u->scheme;
    c->port = u->port;
    c->origin = url_origin_hash(u);
    size_t n = u->host_len < sizeof(c->host) - 1 ? u->host_len : sizeof(c->host) - 1;
    memcpy(c->host, u->host, n);
    c->host[n] = '\0';
    struct in_addr tmp;
    c->ip_literal = u->ipv6 || inet_pton(AF_INET, c->host, &tmp) == 1;
}

void conn_open(struct conn *c, struct request *rq, const struct hc_entry *he,
               struct tls_session *session)
{
    c->session = session;
    set_target(c, &rq->u);
    c->served = 0;
    c->wqueued = c->wsent = 0;
    c->keep_alive = true;
    c->was_ready = false;
    c->state = CONN_CONNECTING;
    conn_push(c, rq, false);
    int rc = dial_start(&c->dial, he, c->port);
    if (rc < 0) {
        defer_close(c, rc);
        return;
    }
    arm(c, c->env->connect_timeout_ms);
}

static void start_handshake(struct conn *c)
{
    if (!c->tls)
        c->tls = calloc(1, sizeof(*c->tls));
    int rc = c->tls
                 ? tls_conn_start(c->tls, c->env->tls, c->io.fd, c->host, c->ip_literal, c->session)
                 : VL_ENOMEM;
    if (rc < 0) {
        defer_close(c, rc);
        return;
    }
    c->secure = true;
    c->state = CONN_HANDSHAKE;
    arm(c, c->env->connect_timeout_ms);
}

/* The race of addresses is over: a connected socket, or why none connected. */
static void on_dialed(void *arg, int fd, int err)
{
    struct conn *c = arg;
    if (err) {
        conn_close(c, err);
        return;
    }
    reactor_io_init(&c->io, fd, on_io, c);
    if (c->head)
        c->head->t_conn_us = timer_now_us();
    if (c->scheme == URL_HTTPS) {
        start_handshake(c);
        interest(c, REACTOR_WRITE);
        return;
    }
    start_ready(c); /* its flush sets the interest */
}

static void do_handshake(struct conn *c)
{
    int err = 0;
    enum io_status st = tls_handshake(c->tls, &err);
    if (st == IO_WANT_READ || st == IO_WANT_WRITE) {
        interest(c, st == IO_WANT_READ ? REACTOR_READ : REACTOR_WRITE);
        return;
    }
    if (st != IO_OK) {
        conn_close(c, err);
        return;
    }
    start_ready(c);
}

static void start_ready(struct conn *c)
{
    c->state = CONN_READY;
    c->was_ready = true;
    if (c->head)
        c->head->t_tls_us = timer_now_us();
    c->env->ready(c->env->arg, c,
                  !c->secure        ? CONN_PLAIN
                  : c->tls->resumed ? CONN_TLS_RESUMED
                                    : CONN_TLS_FULL);
    struct request *rq = c->head;
    if (rq && rq->connect_only && rq == c->tail) {
        /* --hold-idle: the request was only to get here. */
        c->head = c->tail = NULL;
        c->inflight = 0;
        rq->action = REQ_SAVE;
        c->last_active = c->env->r->now;
        arm(c, c->env->idle_ms);
        interest(c, REACTOR_READ); /* to notice the server closing */
        c->env->request_done(c->env->arg, c, rq, 0);
        return;
    }
    if (c->head)
        arm_request(c);
    else
        arm(c, c->env->idle_ms);
    flush(c);
}

/* One send or receive, over TLS or plain: the bytes moved in *n, the io_status, and err when
 * IO_ERR. */
static enum io_status xfer_write(struct conn *c, const char *p, size_t len, size_t *n, int *err)
{
    if (c->secure)
        return tls_write(c->tls, p, len, n, err);
    ssize_t w = send(c->io.fd, p, len, MSG_NOSIGNAL);
    *n = w > 0 ? (size_t)w : 0;
    *err = w < 0 && errno != EAGAIN ? err_from_errno(errno) : 0;
    return w >= 0 ? IO_OK : errno == EAGAIN ? IO_WANT_WRITE : IO_ERR;
}

static enum io_status xfer_read(struct conn *c, char *p, size_t len, size_t *n, int *err)
{
    if (c->secure)
        return tls_read(c->tls, p, len, n, err);
    ssize_t r = recv(c->io.fd, p, len, 0);
    *n = r > 0 ? (size_t)r : 0;
    *err = r < 0 && errno != EAGAIN ? err_from_errno(errno) : 0;
    return r > 0 ? IO_OK : r == 0 ? IO_EOF : errno == EAGAIN ? IO_WANT_READ : IO_ERR;
}

/* Write as much of wbuf as the socket takes; interest follows what is left. */
static void flush(struct conn *c)
{
    while (c->wpos < c->wlen) {
        size_t n = 0;
        int err = 0;
        enum io_status st;
        st = xfer_write(c, c->wbuf + c->wpos, c->wlen - c->wpos, &n, &err);
        if (st == IO_ERR) {
            defer_close(c, err);
            return;
        }
        if (st != IO_OK)
            break;
        c->wpos += n;
        c->wsent += n;
    }
    if (c->wpos == c->wlen)
        c->wpos = c->wlen = 0;
    interest(c, REACTOR_READ | (c->wlen ? REACTOR_WRITE : 0));
}

static int append_request(struct conn *c, struct request *rq)
{
    if (rq->connect_only)
        return 0;
    if (!c->wbuf) {
        c->wbuf = malloc(WBUF_INIT);
        c->wcap = c->wbuf ? WBUF_INIT : 0;
    }
    unsigned max = c->env->max_requests;
    bool last = max && c->served + c->inflight >= max; /* inflight already counts rq */
    size_t before = c->wlen;
    while (c->wbuf && http_request_write(c->wbuf, &c->wlen, c->wcap, &rq->u, last) < 0) {
        if (c->wcap >= WBUF_MAX)
            return VL_EURL; /* a request line this long is no URL a server accepts */
        char *w = realloc(c->wbuf, c->wcap * 2);
        if (!w)
            return VL_ENOMEM;
        c->wbuf = w;
        c->wcap *= 2;
    }
    if (!c->wbuf)
        return VL_ENOMEM;
    rq->req_start = c->wqueued;
    c->wqueued += c->wlen - before;
    return 0;
}

void conn_flush(struct conn *c)
{
    if (c->state == CONN_READY && c->wlen > c->wpos)
        flush(c);
}

void conn_push(struct conn *c, struct request *rq, bool flush_now)
{
    rq->next = NULL;
    rq->answered = false;
    rq->pipelined = c->inflight > 0;
    if (c->tail)
        c->tail->next = rq;
    else
        c->head = rq;
    c->tail = rq;
    if (c->inflight++ == 0 && c->state == CONN_READY)
        arm_request(c);
    int rc = append_request(c, rq);
    if (rc < 0) {
        defer_close(c, rc);
        return;
    }
    if (flush_now)
        conn_flush(c);
}

/* The head of the queue got its whole response. */
static void finish_request(struct conn *c, int err)
{
    struct request *rq = c->head;
    c->head = rq->next;
    if (!c->head)
        c->tail = NULL;
    c->inflight--;
    c->served++;
    c->in_body = false;
    rq->bytes = c->sink.bytes;
    if (rq->action == REQ_SAVE && err == 0)
        err = sink_commit(&c->sink);
    memcpy(rq->sha256, c->sink.sha256, sizeof(rq->sha256));
    if (rq->action == REQ_SAVE && err == 0 && rq->sink == SINK_MEMORY)
        rq->body = sink_take(&c->sink, &rq->body_len);
    sink_abort(&c->sink);
    c->last_active = c->env->r->now;
    if (c->inflight)
        arm_request(c);
    else
        arm(c, c->env->idle_ms);
    c->env->request_done(c->env->arg, c, rq, err);
}

/* A final response head for the queue's head request: decide what its body is for. */
static int start_body(struct conn *c, const struct http_response *resp)
{
    struct request *rq = c->head;
    struct http_meta meta;
    if (http_response_meta(resp, false, &meta) < 0)
        return VL_EHTTP;
    c->keep_alive = meta.keep_alive;
    rq->status = resp->status;
    rq->retry_after = meta.retry_after;
    if (meta.framing == HTTP_BODY_LENGTH && meta.length > c->env->max_size)
        return VL_EBODY_SIZE;
    enum sink_kind kind = SINK_DISCARD;
    enum http_class class = http_classify(resp->status, &meta);
    if (class == HTTP_REDIRECT) {
        /* Kept as sent (bounded): the owner resolves it against the request's URL. */
        if (meta.location_len > LOCATION_MAX)
            return VL_EREDIRECT;
        rq->action = REQ_REDIRECT;
        free(rq->location);
        if (!(rq->location = strndup(meta.location, meta.location_len)))
            return VL_ENOMEM;
    } else if (class == HTTP_SAVE) {
        rq->action = REQ_SAVE;
        kind = rq->sink;
    } else {
        rq->action = REQ_HTTP_ERROR;
    }
    int rc = sink_open(&c->sink, kind, c->env->out, rq->path, c->env->max_size, c->env->checksum);
    if (rc < 0)
        return rc;
    http_body_init(&c->body, meta.framing, meta.length);
    c->in_body = true;
    return 0;
}

/* Parse one head from rbuf. Returns 1 when a body starts, 0 for more input, or a VL_E code. */
static int parse_head(struct conn *c)
{
    struct http_header headers[MAX_HEADERS];
    for (;;) {
        struct http_response resp = {.headers = headers, .num_headers = MAX_HEADERS};
        size_t avail = c->rlen - c->rpos;
        int n = http_parse_head(c->rbuf + c->rpos, avail, &resp);
        if (n == -2)
            return avail >= HTTP_MAX_HEAD ? VL_EHEADER_SIZE : 0;
        if (n < 0) /* malformed, or more than MAX_HEADERS fields: no server volley talks to */
            return VL_EHTTP;
        if ((size_t)n > HTTP_MAX_HEAD)
            return VL_EHEADER_SIZE;
        if (resp.obs_fold)
            http_unfold(c->rbuf + c->rpos, (size_t)n);
        c->rpos += (size_t)n;
        /* 1xx interim responses are skipped (RFC 9110 section 15.2); 101 is never asked for. */
        if (resp.status >= 200 || resp.status == 101) {
            int rc = start_body(c, &resp);
            return rc < 0 ? rc : 1;
        }
    }
}

/* Feed rbuf to the body decoder. Returns 1 when the response ended, 0 for more, or VL_E. */
static int feed_body(struct conn *c)
{
    while (!c->body.done) {
        if (c->rpos == c->rlen)
            return 0;
        const char *data;
        size_t dlen;
        ssize_t n = http_body_feed(&c->body, c->rbuf + c->rpos, c->rlen - c->rpos, &data, &dlen);
        if (n < 0)
            return VL_EHTTP;
        c->rpos += (size_t)n;
        if (dlen) {
            int rc = sink_write(&c->sink, data, dlen);
            if (rc < 0)
                return rc;
        }
        if (n == 0 && dlen == 0 && !c->body.done)
            return 0;
    }
    return 1;
}

/* Whether a received byte can belong to rq's response: its request has started to leave.
 * Bytes before that (or with no request queued) answer nothing this client asked for. */
static bool request_started(const struct conn *c, const struct request *rq)
{
    return rq->connect_only ? false : rq->req_start < c->wsent;
}

/* Consume every complete response in rbuf. Bytes that no request in flight accounts for are
 * never parsed as a response (RFC 9112 section 6.3): they poison the connection, which closes
 * and is not reused. */
static void process(struct conn *c)
{
    while (c->state == CONN_READY) {
        if (!c->in_body) {
            if (c->rpos == c->rlen)
                break;
            if (!c->head || !request_started(c, c->head)) {
                conn_close(c, VL_EEXCESS);
                return;
            }
            int rc = parse_head(c);
            if (rc < 0) {
                conn_close(c, rc);
                return;
            }
            if (rc == 0)
                break;
        }
        int rc = feed_body(c);
        if (rc < 0) {
            conn_close(c, rc);
            return;
        }
        if (rc == 0)
            break;
        bool close_after = !c->keep_alive;
        finish_request(c, 0);
        if (close_after && c->state == CONN_READY) {
            conn_close(c, c->rpos < c->rlen ? VL_EEXCESS : VL_ECLOSED);
            return;
        }
    }
    if (c->rpos == c->rlen)
        c->rpos = c->rlen = 0;
}

static int make_room(struct conn *c)
{
    if (c->rpos > 0 && c->rpos == c->rlen)
        c->rpos = c->rlen = 0;
    if (c->rlen < c->rcap)
        return 0;
    if (c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
        return 0;
    }
    size_t cap = c->rcap ? c->rcap * 2 : RBUF_INIT;
    if (cap > RBUF_MAX)
        return VL_EHEADER_SIZE;
    char *b = realloc(c->rbuf, cap);
    if (!b)
        return VL_ENOMEM;
    c->rbuf = b;
    c->rcap = cap;
    return 0;
}

static void on_eof(struct conn *c)
{
    /* Over TLS a body framed by the close is whole only if close_notify came before the FIN: a
     * bare FIN may cut it anywhere (RFC 9112 section 9.8). Framed bodies never end here. */
    bool clean = !c->secure || tls_close_notified(c->tls);
    if (c->in_body && clean && http_body_eof(&c->body) == 0) {
        finish_request(c, 0);
        if (c->state != CONN_READY)
            return;
    }
    conn_close(c, c->head ? VL_ECLOSED : 0);
}

static void do_read(struct conn *c)
{
    /* The budget bounds reads from the kernel only: bytes already in user space (read-ahead,
     * mbedTLS's record) raise no epoll event, so they are always consumed before returning. */
    for (int i = 0; c->state == CONN_READY; i++) {
        if (i >= READS_PER_EVENT && !(c->secure && tls_pending(c->tls)))
            return;
        int rc = make_room(c);
        if (rc < 0) {
            conn_close(c, rc);
            return;
        }
        size_t space = c->rcap - c->rlen, n = 0;
        int err = 0;
        enum io_status st;
        bool awaiting = c->secure && tls_awaiting_ticket(c->tls);
        st = xfer_read(c, c->rbuf + c->rlen, space, &n, &err);
        if (awaiting && !tls_awaiting_ticket(c->tls)) {
            c->env->session_ready(c->env->arg, c);
            if (c->state != CONN_READY)
                return; /* the callback closed it (evicted while idle) */
        }
        if (st == IO_EOF) {
            on_eof(c);
            return;
        }
        if (st == IO_ERR) {
            conn_close(c, err);
            return;
        }
        if (st != IO_OK) {
            if (st == IO_WANT_WRITE)
                interest(c, REACTOR_READ | REACTOR_WRITE);
            return;
        }
        if (c->head && !c->head->answered) {
            c->head->answered = true;
            c->head->t_first_us = timer_now_us();
        }
        c->rlen += n;
        process(c);
        /* A short plain read drained the socket; level-triggered epoll says when there is more.
         * mbedTLS may still hold decrypted bytes, so TLS reads go on until WANT_READ. */
        if (!c->secure && n < space)
            return;
    }
}

static void on_io(struct reactor *r, struct reactor_io *io, int events)
{
    struct conn *c = io->arg;
    (void)r;
    if (c->secure && (events & REACTOR_READ))
        tls_readable(c->tls);
    switch (c->state) {
    case CONN_HANDSHAKE:
        do_handshake(c);
        break;
    case CONN_READY:
        if (events & REACTOR_WRITE)
            flush(c);
        if ((events & REACTOR_READ) && c->state == CONN_READY)
            do_read(c);
        break;
    default:
        break;
    }
}

static void on_timer(void *arg)
{
    struct conn *c = arg;
    int err = c->deferred_err;
    c->deferred_err = 0;
    if (!err) {
        switch (c->state) {
        case CONN_CONNECTING:
            err = VL_ETIMEOUT_CONNECT;
            break;
        case CONN_HANDSHAKE:
            err = VL_ETIMEOUT_TLS;
            break;
        default:
            err = !c->head ? 0 : c->head->answered ? VL_ETIMEOUT : VL_ETIMEOUT_TTFB;
            break;
        }
    }
    if (c->state != CONN_FREE)
        conn_close(c, err);
}

void conn_close(struct conn *c, int err)
{
    if (c->state == CONN_FREE || c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    reactor_timer_cancel(c->env->r, &c->timer);
    dial_cancel(&c->dial);
    c->deferred_err = 0;
    if (c->io.fd >= 0) {
        reactor_watch(c->env->r, &c->io, 0);
        if (c->secure && err == 0)
            tls_close_notify(c->tls);
        close(c->io.fd);
        c->io.fd = -1;
    }
    c->secure = false; /* c->tls stays, for the slot's next https connection */
    if (c->in_body)
        sink_abort(&c->sink);
    c->in_body = false;
    c->rpos = c->rlen = c->wpos = c->wlen = 0;
    struct request *rq = c->head;
    c->head = c->tail = NULL;
    c->inflight = 0;
    while (rq) {
        struct request *next = rq->next;
        c->env->request_done(c->env->arg, c, rq, err ? err : VL_ECLOSED);
        rq = next;
    }
    c->state = CONN_FREE;
    c->env->closed(c->env->arg, c, err);
}
