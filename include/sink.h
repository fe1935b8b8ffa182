/* Where a response body goes: discarded (counted), kept in memory (the index), or saved to a
 * file that appears only when complete (temporary name in the same folder, then rename). */
#ifndef VOLLEY_SINK_H
#define VOLLEY_SINK_H

#include <stddef.h>
#include <stdint.h>

enum sink_kind { SINK_DISCARD, SINK_MEMORY, SINK_FILE };

struct sink {
    enum sink_kind kind;
    int fd;    /* SINK_FILE */
    char *mem; /* SINK_MEMORY: owned until sink_take */
    size_t mem_cap;
    uint64_t bytes;
    uint64_t limit;   /* --max-size */
    const char *path; /* SINK_FILE: final name, borrowed until commit or abort */
    char *tmp;        /* SINK_FILE: temporary name, owned */
};

/* Start a body. For SINK_FILE, path is the file to save (borrowed: it must outlive the body);
 * tag must be unique in the run (thread and sequence) and names the temporary file. Returns 0,
 * VL_EIO or VL_ENOMEM. */
int sink_open(struct sink *s, enum sink_kind kind, const char *path, uint64_t limit, uint64_t tag);
/* Returns 0, VL_EBODY_SIZE, VL_EIO or VL_ENOMEM. */
int sink_write(struct sink *s, const char *p, size_t n);
/* The body is complete: rename into place. Returns 0 or VL_EIO (the temporary file is gone). */
int sink_commit(struct sink *s);
/* The body failed: remove the temporary file, free memory. Harmless after commit. */
void sink_abort(struct sink *s);
/* SINK_MEMORY: hand the buffer (NUL-terminated, *len bytes) to the caller, who frees it. */
char *sink_take(struct sink *s, size_t *len);

#endif
