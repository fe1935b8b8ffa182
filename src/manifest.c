/* manifest.c: the per-URL record (JSON lines) and --resume's reading of it. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "err.h"
#include "json.h"
#include "text.h"
#include "url.h"

/* A line cut short (a crash, a full disk) must not swallow the next run's first line: end it
 * here, so the fragment stays a line of its own that no reader trusts. */
static void end_torn_line(int fd)
{
    struct stat st;
    char last;

    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n' && write(fd, "\n", 1) != 1)
        return; /* the first record's write will meet the same error and report it */
}

int manifest_open(const char *path)
{
    if (strcmp(path, "-") == 0)
        return dup(STDOUT_FILENO);
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EACCES) /* may write but not read: nothing to mend then */
        return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0)
        end_torn_line(fd);
    return fd;
}

static void put_printf(struct buf_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put_printf(struct buf_writer *w, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    buf_put(w, tmp, n < 0 ? 0 : (size_t)n);
}

/* "key":"text", or "key":null when s is NULL. */
static void put_string(struct buf_writer *w, const char *key, const char *s, size_t n, bool url)
{
    put_printf(w, ",\"%s\":", key);
    if (!s) {
        BUF_PUT_LIT(w, "null");
        return;
    }
    buf_put(w, "\"", 1);
    if (url)
        text_put_url(w, s, n, TEXT_JSON);
    else
        text_put_json(w, s, n);
    buf_put(w, "\"", 1);
}

int manifest_write(int fd, const struct manifest_rec *r)
{
    size_t plen = r->path ? strlen(r->path) : 0;
    size_t cap = TEXT_MAX_EXPANSION * (r->url_len + r->final_len + plen) + 512;
    char *line = malloc(cap);
    if (!line) {
        errno = ENOMEM;
        return -1;
    }
    struct buf_writer w = {line, cap, 0, true};
    BUF_PUT_LIT(&w, "{\"url\":\"");
    text_put_url(&w, r->url, r->url_len, TEXT_JSON);
    buf_put(&w, "\"", 1);
    put_string(&w, "final_url", r->final_url, r->final_len, true);
    put_printf(&w, ",\"status\":%d,\"bytes\":%llu,\"attempts\":%u,\"ms\":%llu,\"ok\":%s", r->status,
               (unsigned long long)r->bytes, r->attempts, (unsigned long long)r->ms,
               r->err ? "false" : "true");
    if (r->err)
        put_printf(&w, ",\"error\":\"%s\"", err_tag(r->err));
    else
        BUF_PUT_LIT(&w, ",\"error\":null");
    put_string(&w, "path", r->path, plen, false);
    if (r->sha256)
        put_printf(&w, ",\"sha256\":\"%s\"", r->sha256);
    BUF_PUT_LIT(&w, "}\n");
    ssize_t n = w.ok ? write(fd, line, w.len) : -1;
    int saved = errno;
    free(line);
    if (n == (ssize_t)w.len)
        return 0;
    errno = n >= 0 ? ENOSPC : saved; /* a short write to a file: the disk is full */
    return -1;
}

/* Add (or, for a URL seen before, replace: the latest line wins) an entry; takes path. */
static int set_add(struct manifest_done *d, const char *url, char *path, uint64_t owner)
{
    bool added;
    struct strmap_entry *e = strmap_put(&d->map, url, &added);
    if (!e) {
        free(path);
        return VL_ENOMEM;
    }
    free(e->str);
    e->str = path;
    e->num = owner;
    return 0;
}

const struct strmap_entry *manifest_find(const struct manifest_done *d, const char *url)
{
    return strmap_find(&d->map, url);
}

/* The identity (url_identity_hash) of the URL whose body the line's file holds. */
static uint64_t owner_of(const struct json_field *url, const struct json_field *final)
{
    const struct json_field *f = final->kind == JSON_STRING ? final : url;
    struct url u;
    return url_parse(f->str, f->len, &u) == 0 ? url_identity_hash(&u) : 0;
}

/* The file of an ok line is still what the line says: there, of its size, and with --verify of
 * its recorded digest. */
static bool still_there(const struct json_field *path, const struct json_field *bytes,
                        const struct json_field *sha, bool verify)
{
    struct stat st;
    char hex[DIGEST_HEX];
    if (path->kind != JSON_STRING || strlen(path->str) != path->len || bytes->kind != JSON_NUMBER ||
        stat(path->str, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != bytes->num)
        return false;
    return !verify || (sha->kind == JSON_STRING && digest_file(path->str, hex) == 0 &&
                       strcmp(hex, sha->str) == 0);
}

/* An ok line of a whole record (parsed as JSON, not searched) whose file is still there at its
 * recorded size: its URL goes into d. Anything else is not trusted and skipped. */
static int take_line(struct manifest_done *d, const char *line, size_t len, bool verify)
{
    enum { URL, FINAL, OK, BYTES, PATH, SHA, N };
    struct json_field f[N] = {
        [URL] = {.key = "url"},     [FINAL] = {.key = "final_url"}, [OK] = {.key = "ok"},
        [BYTES] = {.key = "bytes"}, [PATH] = {.key = "path"},       [SHA] = {.key = "sha256"}};
    int rc = 0;

    if (json_read_object(line, len, f, N) < 0)
        return 0;
    if (f[URL].kind == JSON_STRING && strlen(f[URL].str) == f[URL].len && f[OK].kind == JSON_BOOL &&
        f[OK].b && still_there(&f[PATH], &f[BYTES], &f[SHA], verify)) {
        rc = set_add(d, f[URL].str, f[PATH].str, owner_of(&f[URL], &f[FINAL]));
        f[PATH].str = NULL; /* moved into d */
    }
    json_fields_free(f, N);
    return rc;
}

int manifest_load(const char *path, bool verify, struct manifest_done *d)
{
    strmap_init(&d->map);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : VL_EIO;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    /* Only whole lines: a last one without its newline was cut short. */
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0)
        if (line[n - 1] == '\n')
            rc = take_line(d, line, (size_t)n - 1, verify);
    free(line);
    fclose(f);
    return rc;
}

void manifest_done_free(struct manifest_done *d)
{
    strmap_fini(&d->map);
}
