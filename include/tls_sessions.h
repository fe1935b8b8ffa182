/* One reactor thread's TLS sessions, one per host:port, for resumption; and the connection
 * making a host's first full handshake, so that others to the same host wait for its session. */
#ifndef VOLLEY_TLS_SESSIONS_H
#define VOLLEY_TLS_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"

#define TLS_SESSIONS_BUCKETS 256

struct tls_session_entry {
    struct tls_session_entry *next;
    const void *warming; /* the connection making the first full handshake, or NULL; borrowed */
    bool no_wait;        /* the server gave no session to resume: nobody waits for one */
    uint16_t port;
    struct tls_session s;
    char host[];
};

struct tls_sessions {
    struct tls_session_entry *buckets[TLS_SESSIONS_BUCKETS];
};

void tls_sessions_init(struct tls_sessions *ts);
void tls_sessions_fini(struct tls_sessions *ts);
/* The entry for host[0..len) (case-insensitive) and port, created empty on first use.
 * Returns NULL only when out of memory. */
struct tls_session_entry *tls_sessions_get(struct tls_sessions *ts, const char *host, size_t len,
                                           uint16_t port);

#endif
