/* outdir.c: files beneath -o: anonymous until whole, folders walked without following links. */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "outpath.h"
#include "timer.h"

#define TMP_PREFIX ".volley-"
#define TMP_SUFFIX ".part"

static uint64_t random64(void)
{
    uint64_t r;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
        return r;
    return timer_now_us() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid(); /* unique enough */
}

/* Give fd (an O_TMPFILE file) the name `name` in dirfd. Fails with EEXIST if the name is taken.
 * /proc/self/fd works for any user; AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. */
static int link_into(int fd, int dirfd, const char *name)
{
    char proc[32];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    return linkat(fd, "", dirfd, name, AT_EMPTY_PATH);
}

static void new_tmp_name(char *buf, size_t len)
{
    snprintf(buf, len, TMP_PREFIX "%d-%016llx" TMP_SUFFIX, (int)getpid(),
             (unsigned long long)random64());
}

/* A hidden file of this process's own in dirfd, held under an exclusive flock so that
 * outdir_sweep never takes it for a leftover. Returns the fd, or -1 with errno set. */
static int create_named(int dirfd, char *tmp, size_t tmplen)
{
    for (int tries = 0; tries < 4; tries++) {
        new_tmp_name(tmp, tmplen);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return -1;
        struct stat st;
        /* A sweep may have locked and removed it between the open and the lock: start again. */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
            return fd;
        close(fd);
    }
    errno = EEXIST;
    return -1;
}

/* Whether an O_TMPFILE file can be made and linked in dirfd. */
static bool tmpfile_works(int dirfd)
{
    int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    char name[48];
    new_tmp_name(name, sizeof(name));
    bool ok = link_into(fd, dirfd, name) == 0;
    if (ok)
        unlinkat(dirfd, name, 0);
    close(fd);
    return ok;
}

/* mkdir -p. */
static int make_dirs(const char *dir)
{
    char p[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(p))
        return n == 0 ? 0 : -1;
    memcpy(p, dir, n + 1);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        int rc = mkdir(p, 0755);
        *s = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* The root is writable: a probe file can be made (and, for O_TMPFILE, linked). */
static int probe(struct outdir *od)
{
    od->tmpfile = tmpfile_works(od->root);
    if (od->tmpfile)
        return 0;
    char tmp[48];
    int fd = create_named(od->root, tmp, sizeof(tmp));
    if (fd < 0)
        return -1;
    unlinkat(od->root, tmp, 0);
    close(fd);
    return 0;
}

void outdir_init(struct outdir *od)
{
    memset(od, 0, sizeof(*od));
    od->root = -1;
    for (int i = 0; i < OUTDIR_CACHE; i++)
        od->cache[i].fd = -1;
}

int outdir_open(struct outdir *od, const char *dir, char *err, size_t errlen)
{
    outdir_init(od);
    od->prefix = outpath_dir_len(dir);
    const char *name = dir[0] ? dir : ".";
    od->root = make_dirs(dir) == 0 ? open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (od->root >= 0 && probe(od) == 0)
        return 0;
    snprintf(err, errlen, "cannot write in %s: %s", name, strerror(errno));
    if (od->root >= 0)
        close(od->root);
    od->root = -1;
    return VL_EIO;
}

void outdir_close(struct outdir *od)
{
    for (int i = 0; i < OUTDIR_CACHE; i++) {
        if (od->cache[i].fd >= 0)
            close(od->cache[i].fd);
        free(od->cache[i].rel);
        od->cache[i].fd = -1;
        od->cache[i].rel = NULL;
    }
    if (od->root >= 0)
        close(od->root);
    od->root = -1;
}

/* Why opening name in dirfd as a folder failed. */
static int folder_error(int dirfd, const char *name)
{
    int e = errno;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return VL_ESYMLINK;
    return e == ENOMEM ? VL_ENOMEM : VL_EIO;
}

/* Open rel (len bytes, '/'-separated, relative to root) one folder at a time, creating what is
 * missing and following no symbolic link. Returns the fd or a VL_E* code. */
static int open_folder(int root, const char *rel, size_t len)
{
    char p[PATH_MAX];
    if (len >= sizeof(p))
        return VL_EIO;
    memcpy(p, rel, len);
    p[len] = '\0';
    int cur = root;
    for (char *c = p, *next; c; c = next) {
        next = strchr(c, '/');
        if (next)
            *next++ = '\0';
        int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int fd = openat(cur, c, flags);
        if (fd < 0 && errno == ENOENT && (mkdirat(cur, c, 0755) == 0 || errno == EEXIST))
            fd = openat(cur, c, flags);
        int rc = fd < 0 ? folder_error(cur, c) : 0;
        if (cur != root)
            close(cur);
        if (rc < 0)
            return rc;
        cur = fd;
    }
    return cur;
}

/* A cache slot to reuse: a free one, else the least recently used one no file holds. */
static int victim(const struct outdir *od)
{
    int best = -1;
    for (int i = 0; i < OUTDIR_CACHE; i++) {
        const struct outdir_folder *c = &od->cache[i];
        if (!c->rel)
            return i;
        if (c->refs == 0 && (best < 0 || c->last_use < od->cache[best].last_use))
            best = i;
    }
    return best;
}

/* Point f at the folder rel[0..len), from the cache or newly opened into it. */
static int hold_folder(struct outdir *od, const char *rel, size_t len, struct outfile *f)
{
    if (len == 0) {
        f->dirfd = od->root;
        return 0;
    }
    for (int i = 0; i < OUTDIR_CACHE; i++) {
        struct outdir_folder *c = &od->cache[i];
        if (c->rel && strlen(c->rel) == len && memcmp(c->rel, rel, len) == 0) {
            c->refs++;
            c->last_use = ++od->uses;
            f->dirfd = c->fd;
            f->slot = i;
            return 0;
        }
    }
    int fd = open_folder(od->root, rel, len);
    if (fd < 0)
        return fd;
    f->dirfd = fd;
    int i = victim(od);
    char *copy = i >= 0 ? strndup(rel, len) : NULL;
    if (!copy) {
        f->owned_dir = true; /* every slot is busy: this file keeps its own */
        return 0;
    }
    struct outdir_folder *c = &od->cache[i];
    if (c->fd >= 0)
        close(c->fd);
    free(c->rel);
    *c = (struct outdir_folder){copy, fd, 1, ++od->uses};
    f->slot = i;
    return 0;
}

static void release_folder(struct outdir *od, struct outfile *f)
{
    if (f->slot >= 0)
        od->cache[f->slot].refs--;
    else if (f->owned_dir)
        close(f->dirfd);
    f->slot = -1;
    f->owned_dir = false;
    f->dirfd = -1;
}

int outdir_create(struct outdir *od, const char *path, struct outfile *f)
{
    *f = (struct outfile){.fd = -1, .dirfd = -1, .slot = -1};
    const char *rel = path + od->prefix, *slash = strrchr(rel, '/');
    f->name = slash ? slash + 1 : rel;
    int rc = hold_folder(od, rel, slash ? (size_t)(slash - rel) : 0, f);
    if (rc < 0)
        return rc;
    if (od->tmpfile)
        f->fd = openat(f->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    /* Another file system below -o may lack O_TMPFILE: a named file, then. */
    if (f->fd < 0 && (!od->tmpfile || errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        f->fd = create_named(f->dirfd, f->tmp, sizeof(f->tmp));
    if (f->fd >= 0)
        return 0;
    rc = errno == ENOMEM ? VL_ENOMEM : VL_EIO;
    release_folder(od, f);
    return rc;
}

/* Link the anonymous file under its name, replacing what is there: a free name takes one
 * link, a taken one a hidden link renamed over it. */
static int place_tmpfile(struct outfile *f)
{
    if (link_into(f->fd, f->dirfd, f->name) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    new_tmp_name(f->tmp, sizeof(f->tmp));
    if (link_into(f->fd, f->dirfd, f->tmp) < 0)
        return -1;
    return renameat(f->dirfd, f->tmp, f->dirfd, f->name);
}

int outdir_commit(struct outdir *od, struct outfile *f)
{
    int rc = f->fd < 0 ? -1 : 0;
    if (rc == 0 && !f->tmp[0]) {
        rc = place_tmpfile(f);
    } else if (rc == 0) {
        rc = close(f->fd); /* close first: a file system may report a write error only here */
        f->fd = -1;
        if (rc == 0)
            rc = renameat(f->dirfd, f->tmp, f->dirfd, f->name);
    }
    if (rc == 0)
        f->tmp[0] = '\0'; /* in place: nothing for abort to remove */
    outdir_abort(od, f);
    return rc == 0 ? 0 : VL_EIO;
}

void outdir_abort(struct outdir *od, struct outfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->tmp[0] && f->dirfd >= 0)
        unlinkat(f->dirfd, f->tmp, 0);
    f->tmp[0] = '\0';
    if (f->dirfd >= 0)
        release_folder(od, f);
}

static bool is_leftover(const char *name)
{
    size_t n = strlen(name), p = strlen(TMP_PREFIX), s = strlen(TMP_SUFFIX);
    return n > p + s && memcmp(name, TMP_PREFIX, p) == 0 && strcmp(name + n - s, TMP_SUFFIX) == 0;
}

/* Remove the leftovers in the folder dfd (taken) and below it. */
static size_t sweep_folder(int dfd)
{
    DIR *d = fdopendir(dfd);
    size_t removed = 0;
    if (!d) {
        close(dfd);
        return 0;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
            removed += sweep_folder(sub);
            continue;
        }
        if (!is_leftover(e->d_name))
            continue;
        int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        /* Only a file no process holds: its writer is gone. */
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dfd, e->d_name, 0) == 0)
            removed++;
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
    return removed;
}

size_t outdir_sweep(const char *dir)
{
    int fd = open(dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? 0 : sweep_folder(fd);
}
