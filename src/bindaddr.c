/* bindaddr.c: parse --bind and bind sockets to source addresses in turn. */
#include "bindaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define RANGE_MAX 65536

static int add(struct bindaddr_set *set, const struct sockaddr_storage *ss)
{
    struct sockaddr_storage *v = realloc(set->v, (set->n + 1) * sizeof(*v));
    if (!v)
        return VL_ENOMEM;
    set->v = v;
    set->v[set->n++] = *ss;
    return 0;
}

static int parse_one(const char *s, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        return 0;
    }
    return -1;
}

static int parse_range(const char *lo_s, const char *hi_s, struct bindaddr_set *set)
{
    struct in_addr lo, hi;
    if (inet_pton(AF_INET, lo_s, &lo) != 1 || inet_pton(AF_INET, hi_s, &hi) != 1)
        return -1;
    uint32_t a = ntohl(lo.s_addr), b = ntohl(hi.s_addr);
    if (b < a || b - a >= RANGE_MAX)
        return -1;
    for (uint64_t x = a; x <= b; x++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl((uint32_t)x);
        if (add(set, &ss) < 0)
            return -1;
    }
    return 0;
}

int bindaddr_parse(const char *spec, struct bindaddr_set *set, char *err, size_t errlen)
{
    char buf[1024];
    memset(set, 0, sizeof(*set));
    if (strlen(spec) >= sizeof(buf))
        goto bad;
    strcpy(buf, spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-');
        struct sockaddr_storage ss;
        if (dash) {
            *dash = '\0';
            if (parse_range(tok, dash + 1, set) < 0)
                goto bad;
        } else if (parse_one(tok, &ss) < 0 || add(set, &ss) < 0) {
            goto bad;
        }
    }
    if (set->n)
        return 0;
bad:
    bindaddr_free(set);
    snprintf(err, errlen,
             "--bind '%s': expected addresses A[,B...] or an IPv4 range A-B (at most %d), e.g. "
             "127.0.0.2-127.0.0.20",
             spec, RANGE_MAX);
    return VL_EUSAGE;
}

void bindaddr_free(struct bindaddr_set *set)
{
    free(set->v);
    set->v = NULL;
    set->n = 0;
}

int bindaddr_apply(const struct bindaddr_set *set, int fd, int family, size_t *cursor)
{
    if (!set || set->n == 0)
        return 0;
    for (size_t tries = 0; tries < set->n; tries++) {
        const struct sockaddr_storage *ss = &set->v[(*cursor)++ % set->n];
        if (ss->ss_family != family)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        socklen_t len =
            family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        if (bind(fd, (const struct sockaddr *)ss, len) < 0)
            return err_from_errno(errno);
        return 0;
    }
    return 0;
}
