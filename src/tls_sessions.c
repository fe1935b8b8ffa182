/* tls_sessions.c: a small hash of TLS sessions per host:port, owned by one reactor thread. */
#include "tls_sessions.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void tls_sessions_init(struct tls_sessions *ts)
{
    memset(ts, 0, sizeof(*ts));
}

void tls_sessions_fini(struct tls_sessions *ts)
{
    for (size_t i = 0; i < TLS_SESSIONS_BUCKETS; i++) {
        struct tls_session_entry *e = ts->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            tls_session_fini(&e->s);
            free(e);
        }
        ts->buckets[i] = NULL;
    }
}

struct tls_session_entry *tls_sessions_get(struct tls_sessions *ts, const char *host, size_t len,
                                           uint16_t port)
{
    uint64_t h = text_hash(TEXT_HASH_INIT ^ port, host, len, true);
    struct tls_session_entry **b = &ts->buckets[h % TLS_SESSIONS_BUCKETS];
    for (struct tls_session_entry *e = *b; e; e = e->next)
        if (e->port == port && strncasecmp(e->host, host, len) == 0 && e->host[len] == '\0')
            return e;
    struct tls_session_entry *e = malloc(sizeof(*e) + len + 1);
    if (!e)
        return NULL;
    e->port = port;
    e->warming = NULL;
    e->no_wait = false;
    memcpy(e->host, host, len);
    e->host[len] = '\0';
    tls_session_init(&e->s);
    e->next = *b;
    *b = e;
    return e;
}
