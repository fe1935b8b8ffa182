/* Where a saved body goes: DIR/<origin>/<path>, never outside DIR. Pure. */
#ifndef VOLLEY_OUTPATH_H
#define VOLLEY_OUTPATH_H

#include <stddef.h>
#include "url.h"

/* Build "dir/origin/path" for u into out (NUL-terminated). The origin folder is the URL's
 * authority as in a Host header, lowercased: "h", "h:8001", "[::1]", "[::1]:8443" (the port only
 * when it is not the scheme's default, so http://h/x and https://h/x share "h/x": a run that
 * fetches both fails the second with path_conflict, see pathclaim.h). The path is percent-decoded
 * segment by segment; a segment that decodes to "." or "..", or contains '/', '\0' or a control
 * byte after decoding, makes the URL unsafe. Empty segments ("a//b") are dropped. A path ending in
 * '/' (or the root) saves as "index.html". The query, if any, stays in the last segment verbatim
 * ("photos?x=1") with any '/' in it written as "%2F".
 * Returns the length, or -1 (unsafe) or -2 (does not fit in cap, or a segment over 255 bytes). */
int outpath_build(const char *dir, const struct url *u, char *out, size_t cap);

/* How many bytes of each path outpath_build(dir, ...) gives are "DIR/" (0 for an empty dir). */
size_t outpath_dir_len(const char *dir);

#endif
