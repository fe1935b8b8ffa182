/* hostcache.c: the run-wide name -> address table behind "one lookup per host name". */
#include "hostcache.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

#include "err.h"
#include "text.h"

static uint64_t hash(const char *s, size_t len)
{
    return text_hash(TEXT_HASH_INIT, s, len, true); /* names are case-insensitive */
}

int hostcache_init(struct hostcache *hc, hostcache_wake_cb wake, void *wake_arg)
{
    hc->nbuckets = 1024;
    hc->count = 0;
    hc->wake = wake;
    hc->wake_arg = wake_arg;
    hc->buckets = calloc(hc->nbuckets, sizeof(*hc->buckets));
    if (!hc->buckets)
        return VL_ENOMEM;
    pthread_mutex_init(&hc->mu, NULL);
    return 0;
}

void hostcache_fini(struct hostcache *hc)
{
    for (size_t i = 0; i < hc->nbuckets; i++) {
        struct hc_entry *e = hc->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(hc->buckets);
    hc->buckets = NULL;
    pthread_mutex_destroy(&hc->mu);
}

static void grow(struct hostcache *hc)
{
    size_t n = hc->nbuckets * 2;
    struct hc_entry **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < hc->nbuckets; i++) {
        struct hc_entry *e = hc->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            size_t j = hash(e->name, strlen(e->name)) & (n - 1);
            e->next = b[j];
            b[j] = e;
        }
    }
    free(hc->buckets);
    hc->buckets = b;
    hc->nbuckets = n;
}

/* Caller holds the lock. */
static struct hc_entry *find_or_add(struct hostcache *hc, const char *name, size_t len, bool *added)
{
    size_t i = hash(name, len) & (hc->nbuckets - 1);
    for (struct hc_entry *e = hc->buckets[i]; e; e = e->next)
        if (strncasecmp(e->name, name, len) == 0 && e->name[len] == '\0')
            return e;
    struct hc_entry *e = calloc(1, sizeof(*e) + len + 1);
    if (!e)
        return NULL;
    memcpy(e->name, name, len);
    e->state = HC_RESOLVING;
    e->next = hc->buckets[i];
    hc->buckets[i] = e;
    *added = true;
    if (++hc->count > hc->nbuckets)
        grow(hc);
    return e;
}

/* The --resolve key of host on port: "host/port" ('/' is in no host name). */
static size_t preset_key(char *key, size_t cap, const char *host, size_t len, uint16_t port)
{
    int n = snprintf(key, cap, "%.*s/%u", (int)len, host, (unsigned)port);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Caller holds the lock. The ready --resolve entry for host on port, or NULL. */
static struct hc_entry *find_preset(struct hostcache *hc, const char *host, size_t len,
                                    uint16_t port)
{
    char key[300];
    size_t n = hc->npresets ? preset_key(key, sizeof(key), host, len, port) : 0;
    if (!n)
        return NULL;
    for (struct hc_entry *e = hc->buckets[hash(key, n) & (hc->nbuckets - 1)]; e; e = e->next)
        if (strncasecmp(e->name, key, n) == 0 && e->name[n] == '\0')
            return e;
    return NULL;
}

int hostcache_get(struct hostcache *hc, const char *host, size_t len, uint16_t port,
                  unsigned thread_id, struct hc_entry **out)
{
    bool added = false;
    int rc;
    pthread_mutex_lock(&hc->mu);
    struct hc_entry *e = find_preset(hc, host, len, port);
    if (!e)
        e = find_or_add(hc, host, len, &added);
    if (!e)
        rc = VL_ENOMEM;
    else if (added)
        rc = HC_OWNER;
    else if (e->state == HC_READY)
        rc = HC_HIT;
    else {
        e->waiters |= 1ULL << (thread_id % HC_MAX_THREADS);
        rc = HC_WAIT;
    }
    pthread_mutex_unlock(&hc->mu);
    *out = e;
    return rc;
}

int hc_addr_list_parse(const char *text, struct hc_addr *out, unsigned cap)
{
    unsigned n = 0;
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ",");
        const char *a = p;
        if (len >= 2 && a[0] == '[' && a[len - 1] == ']') { /* curl's [v6] */
            a++;
            len -= 2;
        }
        if (n == cap || len == 0 || hc_addr_parse(a, len, &out[n]) < 0)
            return -1;
        n++;
        p += strcspn(p, ",");
        if (*p == '\0')
            return (int)n;
    }
}

int hc_addr_parse(const char *text, size_t len, struct hc_addr *a)
{
    char tmp[64];
    if (len >= sizeof(tmp))
        return -1;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET6, tmp, &a->a.v6) == 1)
        a->family = AF_INET6;
    else if (inet_pton(AF_INET, tmp, &a->a.v4) == 1)
        a->family = AF_INET;
    else
        return -1;
    return 0;
}

socklen_t hc_addr_sockaddr(const struct hc_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        s6->sin6_addr = a->a.v6;
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    s4->sin_addr = a->a.v4;
    return sizeof(*s4);
}

void hostcache_finish(struct hostcache *hc, struct hc_entry *e, int err,
                      const struct hc_addr *addrs, unsigned naddr, uint64_t lookup_us)
{
    pthread_mutex_lock(&hc->mu);
    e->naddr = naddr < HC_MAX_ADDRS ? naddr : HC_MAX_ADDRS;
    memcpy(e->addr, addrs, e->naddr * sizeof(*addrs));
    e->lookup_us = lookup_us;
    e->err = err;
    __atomic_store_n(&e->state, HC_READY, __ATOMIC_RELEASE);
    uint64_t waiters = e->waiters;
    e->waiters = 0;
    pthread_mutex_unlock(&hc->mu);
    for (unsigned t = 0; waiters; t++, waiters >>= 1)
        if (waiters & 1)
            hc->wake(hc->wake_arg, t);
}

int hostcache_preset(struct hostcache *hc, const char *host, uint16_t port, const char *addrs)
{
    char key[300];
    struct hc_addr a[HC_MAX_ADDRS];
    bool added = false;
    size_t n = preset_key(key, sizeof(key), host, strlen(host), port);
    int na = hc_addr_list_parse(addrs, a, HC_MAX_ADDRS);
    if (!n || na <= 0)
        return VL_EUSAGE;
    pthread_mutex_lock(&hc->mu);
    struct hc_entry *e = find_or_add(hc, key, n, &added);
    hc->npresets += added;
    pthread_mutex_unlock(&hc->mu);
    if (!e)
        return VL_ENOMEM;
    if (added) /* the first --resolve for a host and port counts, as before */
        hostcache_finish(hc, e, 0, a, (unsigned)na, 0);
    return 0;
}
