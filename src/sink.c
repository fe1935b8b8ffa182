/* sink.c: body output: counted, kept in memory, or written to a file beneath -o (outdir.c) that
 * appears under its name only when whole. */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

int sink_open(struct sink *s, enum sink_kind kind, struct outdir *dir, const char *path,
              uint64_t limit, bool checksum)
{
    s->kind = kind;
    s->dir = dir;
    s->mem = NULL;
    s->mem_cap = 0;
    s->bytes = 0;
    s->limit = limit;
    s->digest = NULL;
    s->sha256[0] = '\0';
    if (kind != SINK_FILE)
        return 0;
    if (checksum && !(s->digest = digest_new()))
        return VL_ENOMEM;
    int rc = outdir_create(dir, path, &s->file);
    if (rc < 0) {
        digest_free(s->digest);
        s->digest = NULL;
    }
    return rc;
}

static int mem_write(struct sink *s, const char *p, size_t n)
{
    if (s->bytes + n + 1 > s->mem_cap) {
        size_t cap = s->mem_cap ? s->mem_cap : 64 * 1024;
        while (cap < s->bytes + n + 1)
            cap *= 2;
        char *m = realloc(s->mem, cap);
        if (!m)
            return VL_ENOMEM;
        s->mem = m;
        s->mem_cap = cap;
    }
    memcpy(s->mem + s->bytes, p, n);
    return 0;
}

static int file_write(struct sink *s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(s->file.fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return VL_EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sink_write(struct sink *s, const char *p, size_t n)
{
    if (s->bytes + n > s->limit)
        return VL_EBODY_SIZE;
    int rc = 0;
    if (s->kind == SINK_MEMORY)
        rc = mem_write(s, p, n);
    else if (s->kind == SINK_FILE)
        rc = file_write(s, p, n);
    if (rc == 0 && s->digest)
        digest_update(s->digest, p, n);
    if (rc == 0)
        s->bytes += n;
    return rc;
}

int sink_commit(struct sink *s)
{
    if (s->kind != SINK_FILE)
        return 0;
    int rc = outdir_commit(s->dir, &s->file);
    if (rc == 0 && s->digest) {
        digest_end(s->digest, s->sha256);
        s->digest = NULL;
    }
    return rc;
}

void sink_abort(struct sink *s)
{
    if (s->kind == SINK_FILE)
        outdir_abort(s->dir, &s->file);
    digest_free(s->digest);
    s->digest = NULL;
    free(s->mem);
    s->mem = NULL;
}

char *sink_take(struct sink *s, size_t *len)
{
    char *m = s->mem;
    if (!m)
        m = calloc(1, 1);
    else
        m[s->bytes] = '\0';
    *len = s->bytes;
    s->mem = NULL;
    return m;
}
