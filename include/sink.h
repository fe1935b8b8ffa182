/* Where a response body goes: discarded (counted), kept in memory (the index), or saved to a
 * file that appears only when complete (see outdir.h). */
#ifndef VOLLEY_SINK_H
#define VOLLEY_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "outdir.h"

enum sink_kind { SINK_DISCARD, SINK_MEMORY, SINK_FILE };

struct sink {
    enum sink_kind kind;
    struct outdir *dir;  /* SINK_FILE: borrowed */
    struct outfile file; /* SINK_FILE */
    char *mem;           /* SINK_MEMORY: owned until sink_take */
    size_t mem_cap;
    uint64_t bytes;
    uint64_t limit;          /* --max-size */
    struct digest *digest;   /* SINK_FILE with --checksum: running over the body, owned */
    char sha256[DIGEST_HEX]; /* after a commit with a digest: its hex, else "" */
};

/* Start a body. For SINK_FILE, path (from outpath_build with dir's -o) names the file, created
 * beneath dir (outdir_create); with checksum its SHA-256 is computed as it is written. Returns
 * 0, VL_ESYMLINK, VL_EIO or VL_ENOMEM. */
int sink_open(struct sink *s, enum sink_kind kind, struct outdir *dir, const char *path,
              uint64_t limit, bool checksum);
/* Returns 0, VL_EBODY_SIZE, VL_EIO or VL_ENOMEM. */
int sink_write(struct sink *s, const char *p, size_t n);
/* The body is complete: put the file in place (and end its digest in s->sha256). Returns 0 or
 * VL_EIO (nothing is left behind). */
int sink_commit(struct sink *s);
/* The body failed: remove the temporary file, free memory. Harmless after commit. */
void sink_abort(struct sink *s);
/* SINK_MEMORY: hand the buffer (NUL-terminated, *len bytes) to the caller, who frees it. */
char *sink_take(struct sink *s, size_t *len);

#endif
