/* How the end of one URL is told (stderr line, -w line, manifest line). */
#ifndef VOLLEY_RESULT_H
#define VOLLEY_RESULT_H

#include <stdint.h>
#include <stdio.h>

#include "conn.h"

/* "volley: URL: text" on out. A URL from an index may hold any byte: control bytes are shown
 * as \xNN so a hostile index cannot forge lines of its own on a terminal or in a log. */
void result_line(FILE *out, const char *url, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The -w line for j (fmt as writeout_format), on stdout. */
void result_write_out(const char *fmt, const char *url, const struct job *j, int err, uint64_t us);
/* The --manifest line for j on fd; the saved path is derived from dir and j's URL. */
void result_manifest(int fd, const char *dir, const char *url, const struct job *j, int err,
                     uint64_t us);

#endif
