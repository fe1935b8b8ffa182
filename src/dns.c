/* dns.c: c-ares on the reactor (sock_state_cb -> fd interest, ares_timeout -> timer); maps
 * c-ares statuses to VL_E* codes (the only file that knows them). */
#include "dns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"

struct dns_sock {
    struct dns_sock *next;
    struct reactor_io io;
    struct dns *d;
};

struct lookup {
    dns_cb cb;
    void *arg;
};

static void rearm(struct dns *d)
{
    struct timeval tv, *tvp = ares_timeout(d->ch, NULL, &tv);
    if (!tvp) {
        reactor_timer_cancel(d->r, &d->timer);
        return;
    }
    uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)(tvp->tv_usec + 999) / 1000;
    reactor_timer_in(d->r, &d->timer, ms);
}

static void on_timer(void *arg)
{
    struct dns *d = arg;
    ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm(d);
}

static void on_sock(struct reactor *r, struct reactor_io *io, int events)
{
    struct dns_sock *s = io->arg;
    (void)r;
    int fd = io->fd;
    ares_process_fd(s->d->ch, events & REACTOR_READ ? fd : ARES_SOCKET_BAD,
                    events & REACTOR_WRITE ? fd : ARES_SOCKET_BAD);
    rearm(s->d);
}

static struct dns_sock *sock_for(struct dns *d, int fd, bool create)
{
    struct dns_sock *free_node = NULL;
    for (struct dns_sock *s = d->socks; s; s = s->next) {
        if (s->io.fd == fd)
            return s;
        if (s->io.fd < 0 && !free_node)
            free_node = s;
    }
    if (!create)
        return NULL;
    struct dns_sock *s = free_node;
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return NULL;
        s->d = d;
        s->next = d->socks;
        d->socks = s;
    }
    reactor_io_init(&s->io, fd, on_sock, s);
    return s;
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns *d = data;
    int mask = (readable ? REACTOR_READ : 0) | (writable ? REACTOR_WRITE : 0);
    struct dns_sock *s = sock_for(d, fd, mask != 0);
    if (!s)
        return;
    reactor_watch(d->r, &s->io, mask);
    if (mask == 0)
        s->io.fd = -1; /* c-ares closes it; the node waits for the next socket */
}

int dns_init(struct dns *d, struct reactor *r, const char *servers, unsigned timeout_ms, char *err,
             size_t errlen)
{
    struct ares_options o;
    memset(d, 0, sizeof(*d));
    memset(&o, 0, sizeof(o));
    d->r = r;
    timer_init(&d->timer, on_timer, d);
    o.sock_state_cb = on_sock_state;
    o.sock_state_cb_data = d;
    o.timeout = (int)(timeout_ms ? timeout_ms : 2000);
    o.tries = 2;
    int rc =
        ares_init_options(&d->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares init failed: %s", ares_strerror(rc));
        return VL_EDNS;
    }
    if (servers && (rc = ares_set_servers_ports_csv(d->ch, servers)) != ARES_SUCCESS) {
        snprintf(err, errlen, "--dns-server %s: %s (expected IP[:PORT][,IP[:PORT]...])", servers,
                 ares_strerror(rc));
        dns_fini(d);
        return VL_EUSAGE;
    }
    return 0;
}

void dns_fini(struct dns *d)
{
    if (d->ch) {
        ares_destroy(d->ch); /* pending callbacks run with ARES_EDESTRUCTION */
        d->ch = NULL;
    }
    reactor_timer_cancel(d->r, &d->timer);
    while (d->socks) {
        struct dns_sock *s = d->socks;
        d->socks = s->next;
        free(s);
    }
}

static int map_status(int status)
{
    switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
        return VL_EDNS_NOTFOUND;
    case ARES_ETIMEOUT:
        return VL_ETIMEOUT_DNS;
    case ARES_ENOMEM:
        return VL_ENOMEM;
    default:
        return VL_EDNS;
    }
}

static unsigned collect(const struct ares_addrinfo *ai, struct hc_addr *out)
{
    unsigned n = 0;
    for (const struct ares_addrinfo_node *p = ai ? ai->nodes : NULL; p && n < HC_MAX_ADDRS;
         p = p->ai_next) {
        if (p->ai_family == AF_INET) {
            out[n].family = AF_INET;
            out[n++].a.v4 = ((const struct sockaddr_in *)p->ai_addr)->sin_addr;
        } else if (p->ai_family == AF_INET6) {
            out[n].family = AF_INET6;
            out[n++].a.v6 = ((const struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
        }
    }
    return n;
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    if (status == ARES_EDESTRUCTION)
        return; /* the channel is going away: arg may be gone with it */
    struct lookup *l = arg;
    struct hc_addr addrs[HC_MAX_ADDRS];
    unsigned n = status == ARES_SUCCESS ? collect(res, addrs) : 0;
    int err = status == ARES_SUCCESS ? (n ? 0 : VL_EDNS_NOTFOUND) : map_status(status);
    if (res)
        ares_freeaddrinfo(res);
    l->cb(l->arg, err, addrs, n, timeouts);
    free(l);
}

void dns_lookup(struct dns *d, const char *name, dns_cb cb, void *arg)
{
    struct ares_addrinfo_hints hints = {0};
    struct lookup *l = malloc(sizeof(*l));
    if (!l) {
        cb(arg, VL_ENOMEM, NULL, 0, 0);
        return;
    }
    l->cb = cb;
    l->arg = arg;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(d->ch, name, NULL, &hints, on_addrinfo, l);
    rearm(d);
}

struct query {
    dns_answer_cb cb;
    void *arg;
};

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    if (status == ARES_EDESTRUCTION)
        return;
    struct query *q = arg;
    /* The header's RCODE is the truth (RFC 1035 section 4.1.1); c-ares maps most of them to
     * statuses, but keeping the raw one lets NOERROR-without-data count as NOERROR. */
    int rcode = abuf && alen >= 12 ? abuf[3] & 0x0f : -1;
    int err = 0;
    if (rcode < 0)
        err = status == ARES_ETIMEOUT ? VL_ETIMEOUT_DNS : VL_EDNS;
    q->cb(q->arg, err, rcode, timeouts);
    free(q);
}

void dns_query_a(struct dns *d, const char *name, dns_answer_cb cb, void *arg)
{
    struct query *q = malloc(sizeof(*q));
    if (!q) {
        cb(arg, VL_ENOMEM, -1, 0);
        return;
    }
    q->cb = cb;
    q->arg = arg;
    ares_query(d->ch, name, 1 /* IN */, 1 /* A */, on_answer, q);
    rearm(d);
}
