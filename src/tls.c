/* tls.c: mbedTLS configuration, per-connection contexts and socket bio; maps mbedTLS results to
 * IO_* statuses and VL_E* codes (the only file that knows mbedTLS error codes). */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <psa/crypto.h>

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* Key exchange groups, cheapest first. mbedTLS's default list starts with secp521r1 in TLS 1.2,
 * and servers that follow the client's order (nginx's default) then make every full handshake
 * pay for a 521-bit ECDHE. P-256 (mbedTLS's NIST fast reduction and fixed-point comb) and X25519
 * are several times cheaper and just as standard; P-256 first, as in mbedTLS 3.6 it costs 26%
 * fewer instructions per handshake than X25519 (callgrind: 12.2M against 16.5M per resumed
 * TLS 1.3 connection, where the ECDHE is nearly all of it). A TLS 1.3 ClientHello carries a key
 * share for the first group only; a server that wants another asks again (HelloRetryRequest). */
static const uint16_t groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1, MBEDTLS_SSL_IANA_TLS_GROUP_SECP521R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

/* TLS 1.3's three suites, then TLS 1.2's forward-secret AEAD suites, then a few for old servers;
 * ChaCha20-Poly1305 first in each (its portable code beat AES-GCM here, 1.12x less CPU with
 * farm-bench and mbedTLS 2.28; with 3.6 and AES-NI the two cost the same CPU, and ChaCha20 9%
 * fewer instructions). A short list also keeps each ClientHello small: mbedTLS looks every offered
 * id up in a linear table, which cost ~27k instructions per handshake with the default list of 100+
 * suites. */
static const int ciphersuites[] = {
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA,
    0,
};

/* The handshake state, which mbedTLS keeps private; read only to tell a full handshake from a
 * resumed one and to see a TLS 1.3 ticket waiting to be parsed. */
static int hs_state(const struct tls_conn *c)
{
    return c->ssl.MBEDTLS_PRIVATE(state);
}

/* Parse the CA bundle into s->ca; on failure say why in s->ca_err. */
static int load_ca(struct tls_shared *s)
{
    const char *path = s->cafile ? s->cafile : SYSTEM_CA_BUNDLE;
    int rc = mbedtls_x509_crt_parse_file(&s->ca, path);
    if (rc >= 0 && s->ca.version != 0)
        return 0;
    char why[128];
    mbedtls_strerror(rc, why, sizeof(why));
    snprintf(s->ca_err, sizeof(s->ca_err), "cannot load CA bundle %s (%s): %s", path, why,
             s->cafile ? "check the --cacert path and that it holds PEM certificates"
                       : "set --cacert FILE or install ca-certificates");
    mbedtls_x509_crt_free(&s->ca);
    mbedtls_x509_crt_init(&s->ca);
    return VL_EUSAGE;
}

int tls_shared_init(struct tls_shared *s, const char *cafile, bool insecure, char *err,
                    size_t errlen)
{
    mbedtls_x509_crt_init(&s->ca);
    s->cafile = cafile;
    s->insecure = insecure;
    s->ca_rc = 0;
    s->ca_err[0] = '\0';
    pthread_mutex_init(&s->ca_lock, NULL);
    /* Only the system bundle is left for later: see shared_ca. */
    atomic_init(&s->ca_done, cafile != NULL || insecure);
    /* TLS 1.3's key exchange, key schedule and records go through PSA, whose state is one per
     * process: initialised here, before any reactor thread starts. */
    if (psa_crypto_init() != PSA_SUCCESS) {
        snprintf(err, errlen, "cannot initialise mbedTLS's PSA crypto (no entropy source?)");
        return VL_ETLS;
    }
    /* A --cacert file now, so that a wrong path is a usage error before any work is done. */
    if (cafile && (s->ca_rc = load_ca(s)) < 0) {
        snprintf(err, errlen, "%s", s->ca_err);
        return s->ca_rc;
    }
    return 0;
}

/* The CA chain, parsed once by whichever thread asks first: the system bundle (about 150
 * certificates) took half the instructions of a plain-http run that never needed it. Returns 0
 * or VL_EUSAGE. */
static int shared_ca(struct tls_shared *s)
{
    if (atomic_load_explicit(&s->ca_done, memory_order_acquire))
        return s->ca_rc;
    pthread_mutex_lock(&s->ca_lock);
    if (!atomic_load_explicit(&s->ca_done, memory_order_relaxed)) {
        s->ca_rc = load_ca(s);
        atomic_store_explicit(&s->ca_done, true, memory_order_release);
    }
    pthread_mutex_unlock(&s->ca_lock);
    return s->ca_rc;
}

const char *tls_shared_ca_error(const struct tls_shared *s)
{
    return !s->cafile && s->ca_err[0] ? s->ca_err : NULL; /* --cacert's was told at once */
}

void tls_shared_fini(struct tls_shared *s)
{
    mbedtls_x509_crt_free(&s->ca);
    mbedtls_psa_crypto_free();
    pthread_mutex_destroy(&s->ca_lock);
}

int tls_thread_init(struct tls_thread *t, struct tls_shared *s)
{
    static const char pers[] = "volley";
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_ssl_config_init(&t->conf);
    if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                              (const unsigned char *)pers, sizeof(pers) - 1) != 0)
        goto fail;
    if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        goto fail;
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_authmode(&t->conf,
                              s->insecure ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &s->ca, NULL); /* filled in place by shared_ca */
    mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_3);
    mbedtls_ssl_conf_session_tickets(&t->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    /* Off by default in 3.6: a TLS 1.3 ticket arrives after the handshake, and mbedtls_ssl_read
     * reports it (tls_read keeps it). */
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &t->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
    mbedtls_ssl_conf_ciphersuites(&t->conf, ciphersuites);
    mbedtls_ssl_conf_groups(&t->conf, groups);
    t->verify = !s->insecure;
    t->shared = s;
    return 0;
fail:
    tls_thread_fini(t);
    return VL_ETLS;
}

void tls_thread_fini(struct tls_thread *t)
{
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
}

void tls_session_init(struct tls_session *ts)
{
    mbedtls_ssl_session_init(&ts->s);
    ts->valid = false;
}

void tls_session_fini(struct tls_session *ts)
{
    mbedtls_ssl_session_free(&ts->s);
    ts->valid = false;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    const struct tls_conn *c = ctx;
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    return errno == ECONNRESET || errno == EPIPE ? MBEDTLS_ERR_NET_CONN_RESET
                                                 : MBEDTLS_ERR_NET_SEND_FAILED;
}

/* Fill the read-ahead buffer from the socket. Returns bytes, 0 at EOF, or an mbedTLS error. */
static int refill(struct tls_conn *c)
{
    if (c->drained)
        return MBEDTLS_ERR_SSL_WANT_READ; /* saves the recv that would say EAGAIN */
    if (!c->ra && !(c->ra = malloc(TLS_READAHEAD)))
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    ssize_t n = recv(c->fd, c->ra, TLS_READAHEAD, 0);
    if (n > 0) {
        c->ra_pos = 0;
        c->ra_len = (uint32_t)n;
        c->drained = n < TLS_READAHEAD;
        return (int)n;
    }
    if (n == 0)
        return 0;
    if (errno == EAGAIN || errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_READ;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct tls_conn *c = ctx;
    if (c->ra_pos == c->ra_len) {
        int rc = refill(c);
        if (rc <= 0)
            return rc;
    }
    size_t n = c->ra_len - c->ra_pos < len ? c->ra_len - c->ra_pos : len;
    memcpy(buf, c->ra + c->ra_pos, n);
    c->ra_pos += (uint32_t)n;
    return (int)n;
}

/* mbedTLS matches host names against DNS SANs; an IP literal must equal an iPAddress SAN instead
 * (RFC 6125 section 6.2.1, RFC 5280 section 4.2.1.6). The leaf is checked while the chain is
 * verified, so a mismatch fails the handshake as a wrong name does. */
static int verify_ip(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const struct tls_conn *c = arg;
    if (depth != 0 || c->ip_len == 0)
        return 0;
    for (const mbedtls_x509_sequence *san = &crt->subject_alt_names; san; san = san->next) {
        if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
            san->buf.len == c->ip_len && memcmp(san->buf.p, c->ip, c->ip_len) == 0)
            return 0;
    }
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

int tls_conn_start(struct tls_conn *c, struct tls_thread *t, int fd, const char *host,
                   bool ip_literal, struct tls_session *session)
{
    /* Without a CA bundle nothing can be trusted; main says why, once (tls_shared_ca_error). */
    if (t->verify && shared_ca(t->shared) < 0)
        return VL_ETLS_VERIFY;
    if (c->set_up && mbedtls_ssl_session_reset(&c->ssl) != 0)
        tls_conn_fini(c); /* start over with a fresh context */
    if (!c->set_up) {
        mbedtls_ssl_init(&c->ssl);
        if (mbedtls_ssl_setup(&c->ssl, &t->conf) != 0)
            goto fail;
        mbedtls_ssl_set_verify(&c->ssl, verify_ip, c);
        c->set_up = true;
    }
    c->fd = fd;
    c->session = session;
    c->full = c->resumed = c->await_ticket = c->ticket_retry = c->notified = false;
    c->ip_len = 0;
    if (ip_literal && t->verify)
        c->ip_len = inet_pton(AF_INET6, host, c->ip) == 1  ? 16
                    : inet_pton(AF_INET, host, c->ip) == 1 ? 4
                                                           : 0;
    /* An IP literal is neither sent as SNI (RFC 6066 section 3) nor matched as a DNS name. */
    if (mbedtls_ssl_set_hostname(&c->ssl, ip_literal ? NULL : host) != 0)
        goto fail;
    if (session && session->valid)
        mbedtls_ssl_set_session(&c->ssl, &session->s); /* a refused session just means full */
    c->ra_pos = c->ra_len = 0;
    c->drained = false;
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    return 0;
fail:
    tls_conn_fini(c);
    return VL_ENOMEM;
}

void tls_conn_fini(struct tls_conn *c)
{
    mbedtls_ssl_free(&c->ssl);
    free(c->ra);
    c->ra = NULL;
    c->set_up = false;
    c->await_ticket = false;
}

static int map_error(struct tls_conn *c, int rc)
{
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
        return flags == MBEDTLS_X509_BADCERT_CN_MISMATCH ? VL_ETLS_HOSTNAME : VL_ETLS_VERIFY;
    }
    if (rc == MBEDTLS_ERR_NET_CONN_RESET)
        return VL_ERESET;
    if (rc == MBEDTLS_ERR_SSL_CONN_EOF)
        return VL_ECLOSED;
    /* mbedTLS reassembles a handshake message split over records, but only within its input
     * buffer (MBEDTLS_SSL_IN_CONTENT_LEN, at most TLS's 16 KB of record content, and a few
     * hundred bytes of slack): a longer certificate chain cannot be received at all. */
    if (!mbedtls_ssl_is_handshake_over(&c->ssl) &&
        c->ssl.MBEDTLS_PRIVATE(in_hslen) > MBEDTLS_SSL_IN_CONTENT_LEN)
        return VL_ETLS_TOO_BIG;
    return VL_ETLS;
}

static enum io_status want(int rc)
{
    return rc == MBEDTLS_ERR_SSL_WANT_WRITE ? IO_WANT_WRITE : IO_WANT_READ;
}

static bool is_want(int rc)
{
    return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* Keep c's session for the next connection to the same host. */
static void save_session(struct tls_conn *c)
{
    struct tls_session *ts = c->session;
    if (!ts)
        return;
    if (ts->valid) {
        mbedtls_ssl_session_free(&ts->s);
        mbedtls_ssl_session_init(&ts->s);
    }
    ts->valid = mbedtls_ssl_get_session(&c->ssl, &ts->s) == 0;
}

enum io_status tls_handshake(struct tls_conn *c, int *err)
{
    /* Step by step: only a full handshake passes through the server's Certificate message, in
     * TLS 1.2 and 1.3 alike. */
    while (!mbedtls_ssl_is_handshake_over(&c->ssl)) {
        if (hs_state(c) == MBEDTLS_SSL_SERVER_CERTIFICATE)
            c->full = true;
        int rc = mbedtls_ssl_handshake_step(&c->ssl);
        if (rc == 0)
            continue;
        if (is_want(rc))
            return want(rc);
        *err = map_error(c, rc);
        return IO_ERR;
    }
    c->resumed = !c->full;
    /* A TLS 1.2 session is complete now; a TLS 1.3 server sends its tickets after the handshake
     * (RFC 8446 section 4.6.1), and tls_read keeps the first one that comes. */
    if (c->full && mbedtls_ssl_get_version_number(&c->ssl) == MBEDTLS_SSL_VERSION_TLS1_3)
        c->await_ticket = true;
    else if (c->full)
        save_session(c);
    return IO_OK;
}

/* TLS 1.3 tickets come through mbedtls_ssl_read (or _write): keep the first one of a full
 * handshake. Returns true if the call is to be made again at once. */
static bool ticket_step(struct tls_conn *c, int rc)
{
    if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
        if (c->await_ticket)
            save_session(c);
        c->await_ticket = c->ticket_retry = false;
        return true;
    }
    /* On seeing a NewSessionTicket mbedTLS says WANT_READ with the message still in its buffer:
     * the next call parses it, with no new bytes from the socket. Once only, so a ticket whose
     * parsing really waits for the socket cannot spin here. */
    if (rc == MBEDTLS_ERR_SSL_WANT_READ && !c->ticket_retry &&
        hs_state(c) == MBEDTLS_SSL_TLS1_3_NEW_SESSION_TICKET) {
        c->ticket_retry = true;
        return true;
    }
    return false;
}

enum io_status tls_read(struct tls_conn *c, char *buf, size_t len, size_t *n, int *err)
{
    int rc;
    while ((rc = mbedtls_ssl_read(&c->ssl, (unsigned char *)buf, len)) <= 0 && ticket_step(c, rc))
        ;
    if (rc > 0) {
        c->await_ticket = c->ticket_retry = false; /* data first: no ticket from this server */
        *n = (size_t)rc;
        return IO_OK;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        c->notified = rc != 0; /* mbedTLS returns 0 for a FIN with no close_notify */
        return IO_EOF;
    }
    if (is_want(rc))
        return want(rc);
    *err = map_error(c, rc);
    return IO_ERR;
}

enum io_status tls_write(struct tls_conn *c, const char *buf, size_t len, size_t *n, int *err)
{
    int rc;
    while ((rc = mbedtls_ssl_write(&c->ssl, (const unsigned char *)buf, len)) <= 0 &&
           ticket_step(c, rc))
        ;
    if (rc > 0) {
        *n = (size_t)rc;
        return IO_OK;
    }
    if (is_want(rc))
        return want(rc);
    *err = map_error(c, rc);
    return IO_ERR;
}

bool tls_pending(const struct tls_conn *c)
{
    return c->ra_pos < c->ra_len || mbedtls_ssl_get_bytes_avail(&c->ssl) > 0 ||
           mbedtls_ssl_check_pending(&c->ssl);
}

void tls_close_notify(struct tls_conn *c)
{
    (void)mbedtls_ssl_close_notify(&c->ssl);
}
