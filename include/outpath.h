/* Where a saved body goes: DIR/<host>/<path>, never outside DIR. Pure. */
#ifndef VOLLEY_OUTPATH_H
#define VOLLEY_OUTPATH_H

#include <stddef.h>
#include "url.h"

/* Build "dir/host/path" for u into out (NUL-terminated). The path is percent-decoded segment by
 * segment; a segment that decodes to "." or "..", or contains '/', '\0' or a control byte after
 * decoding, makes the URL unsafe. Empty segments ("a//b") are dropped. A path ending in '/' (or
 * the root) saves as "index.html". The query, if any, stays in the last segment verbatim
 * ("photos?x=1") with any '/' in it written as "%2F". The host is lowercased.
 * Returns the length, or -1 (unsafe) or -2 (does not fit in cap, or a segment over 255 bytes). */
int outpath_build(const char *dir, const struct url *u, char *out, size_t cap);

#endif
