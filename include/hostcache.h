/* Host name -> addresses, shared by all reactor threads, so each name is looked up once per run.
 * The first thread to ask owns the lookup; others register as waiters and are woken when it
 * completes. A finished entry is immutable and may be read without the lock. */
#ifndef VOLLEY_HOSTCACHE_H
#define VOLLEY_HOSTCACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define HC_MAX_ADDRS 8
#define HC_MAX_THREADS 64

enum hc_state { HC_RESOLVING, HC_READY };

struct hc_addr {
    int family; /* AF_INET or AF_INET6 */
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } a;
};

struct hc_entry {
    struct hc_entry *next; /* bucket chain */
    enum hc_state state;
    int err; /* 0 or VL_EDNS* when READY */
    uint32_t naddr;
    struct hc_addr addr[HC_MAX_ADDRS];
    uint64_t waiters;   /* bit per thread id waiting on this entry */
    uint64_t lookup_us; /* how long the lookup took */
    char name[];
};

/* Called (outside the lock) for each waiting thread when an entry becomes ready. */
typedef void (*hostcache_wake_cb)(void *arg, unsigned thread_id);

struct hostcache {
    pthread_mutex_t mu;
    struct hc_entry **buckets;
    size_t nbuckets, count;
    size_t npresets; /* --resolve entries: lookups try "host/port" first when any exist */
    hostcache_wake_cb wake;
    void *wake_arg;
};

enum hc_result { HC_HIT, HC_WAIT, HC_OWNER };

/* Whether e's lookup has finished; then its err and addresses may be read. */
static inline bool hc_ready(const struct hc_entry *e)
{
    return __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == HC_READY;
}

int hostcache_init(struct hostcache *hc, hostcache_wake_cb wake, void *wake_arg);
void hostcache_fini(struct hostcache *hc);
/* Find or create the entry for host (len bytes) on port: a --resolve entry for that host and
 * port if there is one, else the host name's. HC_HIT: *out is ready. HC_WAIT: another thread
 * resolves it and thread_id will be woken. HC_OWNER: the caller must resolve it and call
 * hostcache_finish. Returns VL_ENOMEM on allocation failure. */
int hostcache_get(struct hostcache *hc, const char *host, size_t len, uint16_t port,
                  unsigned thread_id, struct hc_entry **out);
/* Parse an IPv4 or IPv6 literal (len bytes, no brackets) into a. Returns 0, or -1 if text is
 * not one. */
int hc_addr_parse(const char *text, size_t len, struct hc_addr *a);
/* a as a socket address on port, in *ss; returns its length. */
/* "A[,B...]" (curl's --resolve list; an IPv6 address may be in brackets) into at most cap
 * addresses. Returns how many, or -1 for anything else. */
int hc_addr_list_parse(const char *text, struct hc_addr *out, unsigned cap);
socklen_t hc_addr_sockaddr(const struct hc_addr *a, uint16_t port, struct sockaddr_storage *ss);
/* Publish the owner's result (err, or naddr addresses, kept up to HC_MAX_ADDRS) and wake the
 * waiters. The only writer of an entry. */
void hostcache_finish(struct hostcache *hc, struct hc_entry *e, int err,
                      const struct hc_addr *addrs, unsigned naddr, uint64_t lookup_us);
/* --resolve HOST:PORT:ADDRS: a ready entry that hostcache_get gives for that host on that port
 * only (ADDRS as hc_addr_list_parse takes it). Before the threads start. Returns 0, VL_EUSAGE
 * for ADDRS that are no such list, or VL_ENOMEM. */
int hostcache_preset(struct hostcache *hc, const char *host, uint16_t port, const char *addrs);

#endif
