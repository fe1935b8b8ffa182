/* How the end of one URL is told (stderr line, -w line, manifest line). */
#ifndef VOLLEY_RESULT_H
#define VOLLEY_RESULT_H

#include <stdint.h>
#include <stdio.h>

#include "job.h"
#include "progress.h"
#include "stats.h"

/* Where the end of a URL is told: what the run and its source ask for. */
struct result_ctx {
    int manifest_fd;       /* -1 without --manifest */
    const char *write_out; /* -w, or NULL */
    FILE *errout;          /* failure lines (and -v lines), or NULL when quiet */
    bool verbose;          /* -v: a line for every URL that ends */
};

/* A URL ended (err 0: fetched whole): its manifest line, -w line and stderr line as asked, its
 * figures in st (a manifest line that cannot be written is counted there), and the thread's
 * progress counters. The one place a URL's end is recorded. */
void result_record(const struct result_ctx *rc, struct stats *st, struct progress_counters *p,
                   const struct job *j, int err, uint64_t us);

/* "volley: URL: text" on out, in one write. A URL from an index may hold any byte: it is shown
 * as text_put_url(TEXT_HUMAN) writes it (controls as \xNN, no password), at most 2 KB of it, so
 * a hostile index cannot forge lines of its own on a terminal or in a log. */
void result_line(FILE *out, const char *url, size_t url_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The -w line for j (fmt as writeout_format), on stdout. */
void result_write_out(const char *fmt, const char *url, size_t url_len, const struct job *j,
                      int err, uint64_t us);
/* The --manifest line for j, the list's url, on fd; j->path is the saved file. Returns 0, or -1
 * with errno set when the line could not be written. */
int result_manifest(int fd, const char *url, size_t url_len, const struct job *j, int err,
                    uint64_t us);

#endif
