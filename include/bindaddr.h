/* --bind: source addresses for outgoing connections, used in turn. With
 * IP_BIND_ADDRESS_NO_PORT the kernel still picks the port at connect time, per destination, so
 * each source address adds a full ephemeral port range towards one server address and port. */
#ifndef VOLLEY_BINDADDR_H
#define VOLLEY_BINDADDR_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct bindaddr_set {
    struct sockaddr_storage *v; /* owned */
    size_t n;
};

/* Parse "A[,B...]" (IPv4 or IPv6) or an IPv4 range "A-B" (at most 65536 addresses).
 * Returns 0, or VL_EUSAGE with a message in err. */
int bindaddr_parse(const char *spec, struct bindaddr_set *set, char *err, size_t errlen);
void bindaddr_free(struct bindaddr_set *set);
/* Bind fd (of family) to the next address of that family after *cursor; no-op when the set
 * has none. Returns 0 or a VL_E* code (VL_ECLIENT_PORTS when the address space is used up). */
int bindaddr_apply(const struct bindaddr_set *set, int fd, int family, size_t *cursor);

#endif
