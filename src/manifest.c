/* manifest.c: the per-URL record (JSON lines) and --resume's reading of it. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

int manifest_open(const char *path)
{
    if (strcmp(path, "-") == 0)
        return dup(STDOUT_FILENO);
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* JSON string escape into out; returns bytes written or -1 if it does not fit. */
static int escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        const char *e = tmp;
        size_t len = 1;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            len = 2;
        } else if (c < 0x20) {
            len = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
        } else {
            tmp[0] = (char)c;
        }
        if (n + len >= cap)
            return -1;
        memcpy(out + n, e, len);
        n += len;
    }
    out[n] = '\0';
    return (int)n;
}

int manifest_write(int fd, const struct manifest_rec *r)
{
    char url[4096 * 2], path[4096 * 2], line[20000];
    if (escape(url, sizeof(url), r->url) < 0 ||
        escape(path, sizeof(path), r->path ? r->path : "") < 0)
        return -1;
    int n = snprintf(line, sizeof(line),
                     "{\"url\":\"%s\",\"status\":%d,\"bytes\":%llu,\"attempts\":%u,\"ms\":%llu,"
                     "\"ok\":%s,\"error\":%s%s%s,\"path\":%s%s%s}\n",
                     url, r->status, (unsigned long long)r->bytes, r->attempts,
                     (unsigned long long)r->ms, r->err ? "false" : "true", r->err ? "\"" : "",
                     r->err ? err_tag(r->err) : "null", r->err ? "\"" : "", r->path ? "\"" : "",
                     r->path ? path : "null", r->path ? "\"" : "");
    if (n < 0 || (size_t)n >= sizeof(line))
        return -1;
    return write(fd, line, (size_t)n) == n ? 0 : -1;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int set_add(struct manifest_done *d, const char *url, size_t len)
{
    if (2 * (d->n + 1) > d->cap) {
        struct manifest_done g = {calloc(d->cap ? d->cap * 2 : 1024, sizeof(char *)),
                                  d->cap ? d->cap * 2 : 1024, 0};
        if (!g.urls)
            return VL_ENOMEM;
        for (size_t i = 0; i < d->cap; i++)
            if (d->urls[i])
                for (size_t k = hash(d->urls[i]) & (g.cap - 1);; k = (k + 1) & (g.cap - 1))
                    if (!g.urls[k]) {
                        g.urls[k] = d->urls[i];
                        g.n++;
                        break;
                    }
        free(d->urls);
        *d = g;
    }
    char *u = strndup(url, len);
    if (!u)
        return VL_ENOMEM;
    for (size_t k = hash(u) & (d->cap - 1);; k = (k + 1) & (d->cap - 1)) {
        if (!d->urls[k]) {
            d->urls[k] = u;
            d->n++;
            return 0;
        }
        if (strcmp(d->urls[k], u) == 0) {
            free(u);
            return 0;
        }
    }
}

bool manifest_has(const struct manifest_done *d, const char *url)
{
    if (!d->cap)
        return false;
    for (size_t k = hash(url) & (d->cap - 1); d->urls[k]; k = (k + 1) & (d->cap - 1))
        if (strcmp(d->urls[k], url) == 0)
            return true;
    return false;
}

/* Copy the JSON string value of "key" in line (our own writer's escapes only). */
static int field(const char *line, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    size_t n = 0;
    for (; *p && *p != '"' && n + 1 < cap; p++) {
        if (*p == '\\' && p[1])
            p++; /* \" and \\ ; control escapes never occur in URLs volley accepted */
        out[n++] = *p;
    }
    out[n] = '\0';
    return *p == '"' ? (int)n : -1;
}

/* An ok line whose file is still there, whole. */
static bool line_done(const char *line, char *url, size_t cap)
{
    char path[8192];
    const char *b = strstr(line, "\"bytes\":");
    struct stat st;
    if (!strstr(line, "\"ok\":true") || !b || field(line, "path", path, sizeof(path)) < 0 ||
        field(line, "url", url, cap) < 0 || stat(path, &st) < 0)
        return false;
    return (unsigned long long)st.st_size == strtoull(b + 8, NULL, 10);
}

int manifest_load(const char *path, struct manifest_done *d)
{
    memset(d, 0, sizeof(*d));
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : VL_EIO;
    char *line = NULL, url[8192];
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0)
        if (line_done(line, url, sizeof(url)))
            rc = set_add(d, url, strlen(url));
    free(line);
    fclose(f);
    return rc;
}

void manifest_done_free(struct manifest_done *d)
{
    for (size_t i = 0; i < d->cap; i++)
        free(d->urls[i]);
    free(d->urls);
    memset(d, 0, sizeof(*d));
}
