/* sink.c: body output. Files are written under a temporary name and renamed when complete, so a
 * saved path is either whole or absent. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

/* mkdir -p for the parent folders of path. */
static int make_parents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static int open_tmp(struct sink *s)
{
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    s->fd = open(s->tmp, flags, 0644);
    /* Creating folders only on ENOENT keeps the common case at one system call. */
    if (s->fd < 0 && errno == ENOENT && make_parents(s->tmp) == 0)
        s->fd = open(s->tmp, flags, 0644);
    return s->fd < 0 ? VL_EIO : 0;
}

int sink_open(struct sink *s, enum sink_kind kind, const char *path, uint64_t limit, uint64_t tag)
{
    s->kind = kind;
    s->fd = -1;
    s->mem = NULL;
    s->mem_cap = 0;
    s->bytes = 0;
    s->limit = limit;
    s->path = path;
    s->tmp = NULL;
    if (kind != SINK_FILE)
        return 0;
    size_t tcap = strlen(path) + 40;
    s->tmp = malloc(tcap);
    if (!s->tmp)
        return VL_ENOMEM;
    /* A short hidden name in the same folder: rename stays atomic, and the final name may use
     * the whole 255 bytes a file system allows. */
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path) : 0;
    snprintf(s->tmp, tcap, "%.*s%s.volley-%llx.part", dlen, path, slash ? "/" : "",
             (unsigned long long)tag);
    return open_tmp(s);
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
        ssize_t w = write(s->fd, p, n);
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
    if (rc == 0)
        s->bytes += n;
    return rc;
}

int sink_commit(struct sink *s)
{
    if (s->kind != SINK_FILE)
        return 0;
    int rc = close(s->fd);
    s->fd = -1;
    if (rc == 0 && rename(s->tmp, s->path) == 0) {
        sink_abort(s); /* frees the names; the file is in place */
        return 0;
    }
    unlink(s->tmp);
    sink_abort(s);
    return VL_EIO;
}

void sink_abort(struct sink *s)
{
    if (s->kind == SINK_FILE && s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
        unlink(s->tmp);
    }
    free(s->tmp);
    free(s->mem);
    s->path = NULL;
    s->tmp = s->mem = NULL;
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
