/* Asynchronous A+AAAA lookups through one c-ares channel per reactor thread, driven by that
 * reactor: c-ares sockets become fd interest, ares_timeout becomes a timer. */
#ifndef VOLLEY_DNS_H
#define VOLLEY_DNS_H

#include <ares.h>
#include <stddef.h>
#include <stdint.h>

#include "hostcache.h"
#include "reactor.h"

/* Called once per lookup, from the reactor loop or from within dns_lookup itself (answers from
 * /etc/hosts, bad names). err is 0 or a VL_E* code; addrs is valid only during the call;
 * timeouts counts the queries c-ares had to send again. */
typedef void (*dns_cb)(void *arg, int err, const struct hc_addr *addrs, unsigned naddr,
                       int timeouts);

/* --dns-only: one A query's outcome. err 0 for any answer (rcode says which), else
 * VL_ETIMEOUT_DNS or VL_EDNS; timeouts counts retries c-ares made. */
typedef void (*dns_answer_cb)(void *arg, int err, int rcode, int timeouts);

struct dns_sock;

struct dns {
    ares_channel ch;
    struct reactor *r;
    struct timer timer;
    struct dns_sock *socks; /* every socket c-ares has used; nodes reused, freed at fini */
};

/* servers: NULL (system resolv.conf) or "IP[:PORT][,...]" ([v6]:port for IPv6).
 * Returns 0, or VL_EUSAGE/VL_EDNS with a message in err. */
int dns_init(struct dns *d, struct reactor *r, const char *servers, unsigned timeout_ms, char *err,
             size_t errlen);
void dns_fini(struct dns *d);
/* Look up name (NUL-terminated); cb(arg, ...) runs exactly once unless dns_fini comes first. */
void dns_lookup(struct dns *d, const char *name, dns_cb cb, void *arg);
/* Send one A query for name, no search list; cb runs exactly once unless dns_fini comes first. */
void dns_query_a(struct dns *d, const char *name, dns_answer_cb cb, void *arg);

#endif
