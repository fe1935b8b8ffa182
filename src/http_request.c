/* http_request.c: the request writer. One buffer, one write per request. */
#include "http_request.h"

#include <string.h>

#include "version.h"

struct out {
    char *p, *end;
    bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->overflow || (size_t)(o->end - o->p) < n) {
        o->overflow = true;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

#define PUT_LIT(o, s) put(o, s, sizeof(s) - 1)

int http_request_write(char *buf, size_t *len, size_t cap, const struct url *u, bool close)
{
    char auth[300];
    int alen = url_authority(u, auth, sizeof(auth));
    if (alen < 0)
        return -1;
    struct out o = {buf + *len, buf + cap, false};
    PUT_LIT(&o, "GET ");
    if (u->path_needs_slash)
        PUT_LIT(&o, "/");
    put(&o, u->path, u->path_len);
    PUT_LIT(&o, " HTTP/1.1\r\nHost: ");
    put(&o, auth, (size_t)alen);
    PUT_LIT(&o, "\r\nUser-Agent: volley/" VOLLEY_VERSION "\r\nAccept: */*\r\n");
    if (close)
        PUT_LIT(&o, "Connection: close\r\n");
    PUT_LIT(&o, "\r\n");
    if (o.overflow)
        return -1;
    *len = (size_t)(o.p - buf);
    return 0;
}
