/* http_request.c: the request writer. One buffer, one write per request. */
#include "http_request.h"

#include <string.h>

#include "buf.h"
#include "version.h"

int http_request_write(char *buf, size_t *len, size_t cap, const struct url *u, bool close)
{
    char auth[300];
    int alen = url_authority(u, auth, sizeof(auth));
    if (alen < 0)
        return -1;
    struct buf_writer o = {buf, cap, *len, true};
    BUF_PUT_LIT(&o, "GET ");
    if (u->path_needs_slash)
        BUF_PUT_LIT(&o, "/");
    buf_put(&o, u->path, u->path_len);
    BUF_PUT_LIT(&o, " HTTP/1.1\r\nHost: ");
    buf_put(&o, auth, (size_t)alen);
    BUF_PUT_LIT(&o, "\r\nUser-Agent: volley/" VOLLEY_VERSION "\r\nAccept: */*\r\n");
    if (close)
        BUF_PUT_LIT(&o, "Connection: close\r\n");
    BUF_PUT_LIT(&o, "\r\n");
    if (!o.ok)
        return -1;
    *len = o.len;
    return 0;
}
