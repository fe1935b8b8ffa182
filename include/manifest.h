/* --manifest: one JSON line per URL as results come in, each written with one write(2) on an
 * O_APPEND descriptor, so lines never interleave across threads and a killed run leaves every
 * finished line intact. --resume reads it back to skip URLs already saved whole. */
#ifndef VOLLEY_MANIFEST_H
#define VOLLEY_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct manifest_rec {
    const char *url;
    const char *path; /* saved file or NULL */
    int status;       /* last HTTP status, 0 if none */
    uint64_t bytes;
    unsigned attempts;
    uint64_t ms;
    int err; /* 0 or VL_E* */
};

/* Open (append, create) path. Returns the fd, or -1 with errno set. */
int manifest_open(const char *path);
/* Append one record. Returns 0 or -1 (the run goes on; the caller counts it). */
int manifest_write(int fd, const struct manifest_rec *r);

/* URLs a previous run finished: those whose latest line says ok, with a path that still exists
 * at that size. An open-addressing set, owned. */
struct manifest_done {
    char **urls;
    size_t cap, n;
};

/* Read path (missing file = empty set). Returns 0, or VL_ENOMEM / VL_EIO. */
int manifest_load(const char *path, struct manifest_done *d);
bool manifest_has(const struct manifest_done *d, const char *url);
void manifest_done_free(struct manifest_done *d);

#endif
