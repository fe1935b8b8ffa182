/* One client connection: connect, TLS handshake, send requests, parse responses, keep-alive.
 * A connection serves the jobs queued on it in order (more than one when pipelining) and reports
 * each job's end, and its own closing, to its owner through struct conn_env callbacks. */
#ifndef VOLLEY_CONN_H
#define VOLLEY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bindaddr.h"
#include "hostcache.h"
#include "http_parse.h"
#include "reactor.h"
#include "sink.h"
#include "tls.h"
#include "url.h"

enum job_action { JOB_SAVE, JOB_REDIRECT, JOB_HTTP_ERROR };

/* One URL's fetch. Owned by a worker; borrowed by the connection it is queued on. */
struct job {
    struct job *next;
    size_t idx;         /* position in the run's URLs */
    const char *listed; /* the URL as listed: listed_len bytes (a NUL inside is kept) */
    size_t listed_len;
    char *listed_own;          /* owned: listed, when the source handed it over (a stream) */
    const char *url;           /* listed, or redirect */
    char *redirect;            /* owned: the URL being fetched after a redirect */
    char *path;                /* owned: where a SINK_FILE body is saved (outpath), else NULL */
    char *location;            /* owned: a resolved Location waiting for the body to end */
    const struct hc_entry *he; /* its host's addresses, once looked up */
    struct url u;              /* views into url */
    uint32_t origin;           /* url_origin_hash(&u) */
    enum sink_kind sink;
    unsigned hops;           /* redirects followed */
    unsigned attempts;       /* counted tries */
    bool free_retry;         /* the one uncounted resend after a reused connection failed */
    uint16_t limit_requeues; /* uncounted requeues after hitting a client limit */
    bool answered;           /* a response byte arrived for the current try */
    bool connect_only;       /* --hold-idle: done once the connection is ready, no request */
    bool ping;               /* --hold-ping: a keep-alive probe, not one of the run's URLs */
    enum job_action action;
    int status;              /* last HTTP status */
    uint64_t bytes;          /* body bytes of the last response */
    char sha256[DIGEST_HEX]; /* --checksum: the saved body's, else "" */
    uint64_t start_us;
    uint64_t deadline_us; /* --timeout of this try (redirects included); 0 until it starts */
    uint64_t req_start;   /* where its request starts in the connection's request stream */
    uint64_t t_addr_us, t_conn_us, t_tls_us, t_first_us; /* phase ends, absolute (-w) */
    uint32_t retry_after; /* seconds, from the last response's Retry-After */
    struct timer backoff; /* armed while waiting to retry */
    void *owner;          /* the worker, for the backoff callback */
    char *body;           /* SINK_MEMORY result, owned */
    size_t body_len;
};

struct conn;

struct conn_env {
    struct reactor *r;
    struct tls_thread *tls;
    struct outdir *out; /* -o, or NULL */
    bool checksum;      /* --checksum sha256 */
    uint64_t max_size;
    unsigned timeout_ms, connect_timeout_ms, idle_ms;
    /* A job left the connection: err 0 means a complete response (see job->action), else a
     * failure. reusable tells whether the connection can take another request now. */
    void (*job_done)(void *arg, struct conn *c, struct job *j, int err);
    /* The connection closed and its slot is free; err is why (0: a clean close). */
    void (*closed)(void *arg, struct conn *c, int err);
    /* The TLS session to offer for c's host, or NULL; and where to store a new one. */
    struct tls_session *(*session)(void *arg, const struct conn *c);
    /* A handshake finished (resumed or not). */
    void (*handshaken)(void *arg, struct conn *c, bool resumed);
    /* After a TLS 1.3 full handshake: its ticket came (or data came first, and no ticket will). */
    void (*session_ready)(void *arg, struct conn *c);
    /* The connection is ready for requests (TCP connected, TLS done). */
    void (*established)(void *arg, struct conn *c);
    void *arg;
    unsigned max_requests;            /* --requests-per-conn; 0 = no limit */
    const struct bindaddr_set *binds; /* --bind, or NULL */
    size_t *bind_cursor;
};

enum conn_state { CONN_FREE, CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY, CONN_CLOSING };

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
    const struct hc_entry *he;
    unsigned addr_idx;
    struct tls_conn *tls; /* owned, made for the slot's first https connection, then reused */
    bool secure;          /* this connection runs TLS */
    /* jobs: head is being answered; all have been (or are being) sent */
    struct job *head, *tail;
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
/* Open a connection for j's scheme/host/port to the addresses of he, and queue j. */
void conn_open(struct conn *c, struct job *j, const struct hc_entry *he);
/* Queue j (same scheme/host/port) on an open connection. Its request is written now when
 * flush_now, else by the next conn_flush, so several requests can leave in one write. */
void conn_push(struct conn *c, struct job *j, bool flush_now);
/* Write queued requests, if the connection is ready for them. */
void conn_flush(struct conn *c);
/* Close now; queued jobs are handed back through job_done with err. */
void conn_close(struct conn *c, int err);
/* Open, keep-alive, with room under --requests-per-conn, and serving j's origin. */
bool conn_matches(const struct conn *c, const struct job *j);
static inline bool conn_idle(const struct conn *c)
{
    return c->state == CONN_READY && c->inflight == 0;
}

#endif
