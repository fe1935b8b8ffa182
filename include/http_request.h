/* Serialise one HTTP/1.1 GET into a caller's buffer (RFC 9112 section 3). Pure. */
#ifndef VOLLEY_HTTP_REQUEST_H
#define VOLLEY_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "url.h"

/* Append a GET for u to buf at *len (capacity cap), advancing *len. close asks the server to
 * close after answering. Returns 0, or -1 if it does not fit (buf and *len unchanged). */
int http_request_write(char *buf, size_t *len, size_t cap, const struct url *u, bool close);

#endif
