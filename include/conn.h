/* One client connection: connect, TLS handshake, send requests, parse responses, keep-alive.
 * A connection serves the requests queued on it in order (more than one when pipelining) and
 * reports each request's end, and its own closing, to its owner through struct conn_env
 * callbacks. */
#ifndef VOLLEY_CONN_H
#define VOLLEY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bindaddr.h"
#include "dial.h"
#include "hostcache.h"
#include "http_parse.h"
#include "reactor.h"
#include "sink.h"
#include "tls.h"
#include "url.h"

/* What a complete response means for its request. */
enum req_action { REQ_SAVE, REQ_REDIRECT, REQ_HTTP_ERROR };

/* What a connection needs to send one GET, and what it fills in from the response. Embedded in
 * its owner's job (the worker's struct job); borrowed by the connection it is queued on, from
 * conn_open/conn_push until request_done hands it back. */
struct request {
    struct request *next; /* the connection's queue */
    struct url u;         /* views into the owner's URL */
    uint32_t origin;      /* url_origin_hash(&u) */
    enum sink_kind sink;
    const char *path;  /* SINK_FILE: the file to save (outpath), borrowed from the owner */
    bool connect_only; /* --hold-idle: done once the connection is ready, no request */
    bool pipelined;    /* queued behind another request on its connection */
    /* filled by the connection */
    bool answered;        /* a response byte arrived for the current try */
    uint64_t deadline_us; /* --timeout of this try (redirects included); 0 until it starts */
    uint64_t req_start;   /* where its request starts in the connection's request stream */
    uint64_t t_addr_us, t_conn_us, t_tls_us, t_first_us; /* phase ends, absolute (-w) */
    enum req_action action;
    int status;           /* last HTTP status */
    uint64_t bytes;       /* body bytes of the last response */
    uint32_t retry_after; /* seconds, from the last response's Retry-After */
    char *location;       /* a resolved Location waiting for the body to end; the owner frees */
    char *body;           /* SINK_MEMORY result; the owner frees */
    size_t body_len;
    char sha256[DIGEST_HEX]; /* --checksum: the saved body's, else "" */
};

struct conn;

enum conn_ready { CONN_PLAIN, CONN_TLS_FULL, CONN_TLS_RESUMED };

struct conn_env {
    struct reactor *r;
    struct tls_thread *tls;
    struct outdir *out; /* -o, or NULL */
    bool checksum;      /* --checksum sha256 */
    uint64_t max_size;
    unsigned timeout_ms, connect_timeout_ms, idle_ms;
    /* A request left the connection: err 0 means a complete response (see rq->action), else a
     * failure. */
    void (*request_done)(void *arg, struct conn *c, struct request *rq, int err);
    /* The connection closed and its slot is free; err is why (0: a clean close). */
    void (*closed)(void *arg, struct conn *c, int err);
    /* The connection is ready for requests (TCP connected, TLS done, how). */
    void (*ready)(void *arg, struct conn *c, enum conn_ready how);
    /* After a TLS 1.3 full handshake: its ticket came (or data came first, and no ticket will). */
    void (*session_ready)(void *arg, struct conn *c);
    void *arg;
    unsigned max_requests;            /* --requests-per-conn; 0 = no limit */
    const struct bindaddr_set *binds; /* --bind, or NULL */
    size_t *bind_cursor;
};

enum conn_state { CONN_FREE, CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY, CONN_CLOSING };

/* The owner (its worker and connpool) may read state, origin, scheme, port, host, inflight,
 * served, keep_alive, last_active, was_ready, secure and tls (for tls_awaiting_ticket); every
 * other field is the connection's own, and only the functions below change any of them. */
struct conn {
    const struct conn_env *env;
    enum conn_state state;
    struct reactor_io io;
    struct timer timer;
    int deferred_err; /* failure found inside a call, reported from a 0 ms timer */
    /* target */
    enum url_scheme scheme;
    uint16_t port;
    uint32_t origin; /* url_origin_hash of the target */
    bool ip_literal;
    char host[256];
    struct dial dial;     /* the connect, racing the host's addresses */
    struct tls_conn *tls; /* owned, made for the slot's first https connection, then reused */
    struct tls_session *session; /* borrowed: offered, and where a full handshake's goes */
    void *owner_data;            /* the owner's, set after conn_open; never read here */
    bool secure;                 /* this connection runs TLS */
    /* requests: head is being answered; all have been (or are being) sent */
    struct request *head, *tail;
    unsigned inflight;
    unsigned served; /* responses completed on this connection */
    bool keep_alive; /* the last response allowed reuse */
    bool was_ready;  /* reached CONN_READY since conn_open (kept through close) */
    /* output */
    char *wbuf;
    size_t wlen, wpos, wcap;
    /* Request bytes queued and written since conn_open: a response byte is only taken for the
     * head job once its request has started to leave (see process). */
    uint64_t wqueued, wsent;
    /* input */
    char *rbuf;
    size_t rpos, rlen, rcap;
    bool in_body;
    struct http_body body;
    struct sink sink;
    uint64_t last_active; /* ms, for choosing an idle connection to evict */
};

void conn_init(struct conn *c, const struct conn_env *env);
void conn_fini(struct conn *c);
/* Open a connection for rq's scheme/host/port to the addresses of he, and queue rq. For https,
 * session (or NULL) is offered for resumption and receives a full handshake's session. */
void conn_open(struct conn *c, struct request *rq, const struct hc_entry *he,
               struct tls_session *session);
/* Queue rq (same scheme/host/port) on an open connection. It is written now when flush_now,
 * else by the next conn_flush, so several requests can leave in one write. */
void conn_push(struct conn *c, struct request *rq, bool flush_now);
/* Write queued requests, if the connection is ready for them. */
void conn_flush(struct conn *c);
/* Close now; queued requests are handed back through request_done with err. */
void conn_close(struct conn *c, int err);
/* Open, keep-alive, with room under --requests-per-conn, and serving rq's origin. */
bool conn_matches(const struct conn *c, const struct request *rq);
static inline bool conn_idle(const struct conn *c)
{
    return c->state == CONN_READY && c->inflight == 0;
}

#endif
