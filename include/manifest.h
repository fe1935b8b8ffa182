/* --manifest: one JSON line per URL as results come in, each written with one write(2) on an
 * O_APPEND descriptor, so lines never interleave across threads and a killed run leaves every
 * finished line intact. --resume reads it back to skip URLs already saved whole. */
#ifndef VOLLEY_MANIFEST_H
#define VOLLEY_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

struct manifest_rec {
    const char *url; /* as listed; len bytes, any bytes */
    size_t url_len;
    const char *final_url; /* where a redirect led (the body's URL), or NULL */
    size_t final_len;
    const char *path; /* saved file or NULL */
    int status;       /* last HTTP status, 0 if none */
    uint64_t bytes;
    unsigned attempts;
    uint64_t ms;
    int err;            /* 0 or VL_E* */
    const char *sha256; /* --checksum: the saved file's SHA-256 in hex, or NULL */
};

/* Open (append, create) path, or standard output for "-". A last line left without its newline
 * (a crash, a full disk) is ended first, so that the next record starts a line of its own.
 * Returns the fd, or -1 with errno set. */
int manifest_open(const char *path);
/* Append one record as one JSON line in a single write(2), whatever the lengths: strings are
 * written by text_put_json (valid UTF-8; bytes that are not UTF-8 as \uDCXX), passwords in URLs
 * as "***". Returns 0, or -1 with errno set (ENOSPC for a short write). */
int manifest_write(int fd, const struct manifest_rec *r);

/* URLs a previous run finished: those with a whole line (newline-ended, one valid JSON object)
 * that says ok, with a path that still exists as a file of that size. Each entry's str is the
 * saved file, its num the url_identity_hash of the URL the body came from (final_url). */
struct manifest_done {
    struct strmap map; /* url -> path, owner */
};

/* Read path (missing file = empty set). With verify, a line counts only if it records a sha256
 * and the file still has that digest (the file is read once). Returns 0, or VL_ENOMEM /
 * VL_EIO. */
int manifest_load(const char *path, bool verify, struct manifest_done *d);
/* The entry for url, or NULL. */
const struct strmap_entry *manifest_find(const struct manifest_done *d, const char *url);
void manifest_done_free(struct manifest_done *d);

#endif
