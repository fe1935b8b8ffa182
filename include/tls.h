/* TLS over nonblocking sockets with mbedTLS. The CA chain is parsed once (the system bundle by
 * the first connection that needs it) and shared read-only;
 * each reactor thread has its own DRBG and ssl config (so no lock guards the RNG); each
 * connection has its own context whose bio reads and writes the socket directly. */
#ifndef VOLLEY_TLS_H
#define VOLLEY_TLS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "err.h"

struct tls_shared {
    mbedtls_x509_crt ca; /* read only once ca_done is seen set */
    const char *cafile;  /* borrowed; NULL for the system bundle */
    bool insecure;
    pthread_mutex_t ca_lock; /* one thread parses the bundle, the others wait for it */
    atomic_bool ca_done;
    int ca_rc;        /* 0 or VL_EUSAGE, once ca_done */
    char ca_err[300]; /* why the bundle did not load, or "" */
};

struct tls_thread {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    struct tls_shared *shared; /* borrowed */
    bool verify;               /* certificates are checked (no --insecure) */
};

/* A saved session for resumption with one host: a TLS 1.2 ticket or id, or a TLS 1.3 ticket. */
struct tls_session {
    mbedtls_ssl_session s;
    bool valid;
};

#define TLS_READAHEAD (16 * 1024)

struct tls_conn {
    mbedtls_ssl_context ssl;
    bool set_up; /* ssl has its buffers: the next connection resets it instead */
    int fd;
    /* Read-ahead: mbedTLS asks for a record's 5-byte header, then its body; one recv fills
     * this buffer with whatever the socket holds and serves both. */
    unsigned char *ra; /* owned, TLS_READAHEAD bytes, allocated on first use */
    uint32_t ra_pos, ra_len;
    bool drained; /* the last recv came back short: the socket is empty until epoll says not */
    struct tls_session *session; /* borrowed: offered, and where a full handshake's goes */
    bool full;                   /* the handshake got the server's certificate */
    bool resumed;                /* the last handshake resumed a session */
    bool await_ticket;           /* TLS 1.3 full handshake done, its ticket not yet read */
    bool ticket_retry;           /* tls_read: a ticket is waiting in mbedTLS's buffer */
    bool notified;  /* the peer sent close_notify: what came before it is all there is */
    uint8_t ip_len; /* 4 or 16 when the host is an IP literal to match against iPAddress SANs */
    unsigned char ip[16];
};

/* Set up mbedTLS for the process and load cafile (borrowed: it must outlive s) now, or note
 * that the system bundle is to be loaded when the first https connection starts; with insecure
 * and no cafile no CA is needed. Returns 0, or VL_EUSAGE with a message naming the file and the
 * fix in err (VL_ETLS if mbedTLS cannot start). Call before any thread uses s. */
int tls_shared_init(struct tls_shared *s, const char *cafile, bool insecure, char *err,
                    size_t errlen);
/* Why the system bundle could not be loaded (https URLs then failed as not trusted), or NULL.
 * Read it after the threads that used s are done. */
const char *tls_shared_ca_error(const struct tls_shared *s);
void tls_shared_fini(struct tls_shared *s);

/* A reactor thread's DRBG and ssl config, borrowing s (which it loads the CA bundle into). */
int tls_thread_init(struct tls_thread *t, struct tls_shared *s);
void tls_thread_fini(struct tls_thread *t);

void tls_session_init(struct tls_session *ts);
void tls_session_fini(struct tls_session *ts);

/* Start a TLS connection on fd for host (NUL-terminated; SNI and name check unless
 * ip_literal, then the iPAddress SAN check), offering session's session if valid; a full
 * handshake stores its new session there (TLS 1.2 at the handshake's end, TLS 1.3 when the
 * first ticket is read). session may be NULL; it is borrowed and must outlive the connection.
 * c must be zeroed the first time; after that the same context is reset and reused, keeping its
 * record buffers (no allocation, no page faults per connection). Returns 0 or a VL_E* code.
 * Free with tls_conn_fini. */
int tls_conn_start(struct tls_conn *c, struct tls_thread *t, int fd, const char *host,
                   bool ip_literal, struct tls_session *session);
void tls_conn_fini(struct tls_conn *c);

/* The socket became readable: the next read goes to the kernel again. */
static inline void tls_readable(struct tls_conn *c)
{
    c->drained = false;
}

/* Bytes received but not yet read out: in the read-ahead buffer or in mbedTLS's record. */
bool tls_pending(const struct tls_conn *c);

/* Advance the handshake. IO_OK when done; IO_WANT_READ/IO_WANT_WRITE; IO_ERR with *err set
 * (VL_ETLS_VERIFY, VL_ETLS_HOSTNAME, VL_ETLS, VL_ERESET). */
enum io_status tls_handshake(struct tls_conn *c, int *err);
/* Read up to len bytes into buf: IO_OK with *n > 0, IO_WANT_*, IO_EOF (close_notify or FIN),
 * IO_ERR with *err. TLS 1.3 tickets met on the way are kept as the handshake's session. */
enum io_status tls_read(struct tls_conn *c, char *buf, size_t len, size_t *n, int *err);
/* Whether the IO_EOF came with the peer's close_notify (else a bare FIN, which an attacker can
 * forge: RFC 8446 section 6.1). */
static inline bool tls_close_notified(const struct tls_conn *c)
{
    return c->notified;
}
/* Write up to len bytes: IO_OK with *n > 0 written, IO_WANT_*, IO_ERR with *err. */
enum io_status tls_write(struct tls_conn *c, const char *buf, size_t len, size_t *n, int *err);
/* A TLS 1.3 full handshake is done but its ticket has not come yet: other connections to the
 * host do better to wait for it (a ticket comes before the first response, or never). */
static inline bool tls_awaiting_ticket(const struct tls_conn *c)
{
    return c->await_ticket;
}
/* Best effort close_notify; never blocks. */
void tls_close_notify(struct tls_conn *c);

#endif
