/* linefeed.c: a reader thread and a bounded ring of URL lines between it and the reactors. */
#include "linefeed.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "err.h"
#include "index.h"

#define READ_CHUNK (64 * 1024)

struct feed_line {
    char *s;
    size_t len;
    size_t idx;
};

struct linefeed {
    struct linefeed_opts o;
    pthread_mutex_t lock;
    pthread_cond_t room; /* the reader waits for a free place in the ring */
    pthread_t thread;
    int stopfd; /* eventfd: wakes a reader blocked in poll */
    /* under lock */
    struct feed_line *ring;
    size_t head, count;
    size_t pushed, handed; /* URLs kept (after --shard), URLs taken */
    uint64_t waiting;      /* threads told to wait, one bit each */
    bool done, stopping;
    int err;
    /* the reader's own */
    struct line_splitter split;
    size_t lines; /* URL lines read, before --shard */
};

static void wake_all(struct linefeed *f, uint64_t mask)
{
    for (unsigned i = 0; mask; i++, mask >>= 1)
        if (mask & 1)
            f->o.wake(f->o.arg, i);
}

/* The list ended (or failed): whoever waits learns it. */
static void finish(struct linefeed *f, int err)
{
    pthread_mutex_lock(&f->lock);
    f->done = true;
    f->err = err;
    uint64_t mask = f->waiting;
    f->waiting = 0;
    pthread_mutex_unlock(&f->lock);
    wake_all(f, mask);
}

/* line_cb: keep the line if it is this shard's and -n allows; waits while the ring is full.
 * Returns 1 to stop reading (the limit is reached, or the feed is being freed). */
static int push(void *arg, const char *s, size_t n)
{
    struct linefeed *f = arg;
    size_t i = f->lines++;
    if (f->o.shard_n && i % f->o.shard_n != f->o.shard_k)
        return 0;
    char *copy = malloc(n + 1);
    if (!copy)
        return VL_ENOMEM;
    memcpy(copy, s, n);
    copy[n] = '\0';
    pthread_mutex_lock(&f->lock);
    while (f->count == f->o.waiting && !f->stopping)
        pthread_cond_wait(&f->room, &f->lock);
    if (f->stopping) {
        pthread_mutex_unlock(&f->lock);
        free(copy);
        return 1;
    }
    f->ring[(f->head + f->count++) % f->o.waiting] = (struct feed_line){copy, n, f->pushed++};
    uint64_t mask = f->waiting;
    f->waiting = 0;
    bool full = f->o.limit >= 0 && f->pushed >= (size_t)f->o.limit;
    pthread_mutex_unlock(&f->lock);
    wake_all(f, mask);
    return full ? 1 : 0;
}

/* Read one chunk: 1 more to come, 0 the end, or -errno. */
static int read_chunk(struct linefeed *f, char *buf)
{
    struct pollfd p[2] = {{.fd = f->o.fd, .events = POLLIN}, {.fd = f->stopfd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0)
        return errno == EINTR ? 1 : -errno;
    if (p[1].revents)
        return 0;
    ssize_t n = read(f->o.fd, buf, READ_CHUNK);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -errno;
    if (n == 0)
        return line_splitter_end(&f->split, push, f) < 0 ? -ENOMEM : 0;
    int rc = line_splitter_feed(&f->split, buf, (size_t)n, push, f);
    return rc < 0 ? -ENOMEM : rc == 1 ? 0 : 1;
}

static void *reader(void *arg)
{
    struct linefeed *f = arg;
    char *buf = malloc(READ_CHUNK);
    int rc = buf ? 1 : -ENOMEM;
    if (f->o.limit == 0)
        rc = 0;
    while (rc > 0)
        rc = read_chunk(f, buf);
    free(buf);
    finish(f, rc < 0 ? -rc : 0);
    return NULL;
}

struct linefeed *linefeed_new(const struct linefeed_opts *o)
{
    struct linefeed *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->o = *o;
    f->ring = calloc(o->waiting, sizeof(*f->ring));
    f->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!f->ring || f->stopfd < 0)
        goto fail;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->room, NULL);
    if (pthread_create(&f->thread, NULL, reader, f) == 0)
        return f;
    pthread_cond_destroy(&f->room);
    pthread_mutex_destroy(&f->lock);
fail:
    if (f->stopfd >= 0)
        close(f->stopfd);
    free(f->ring);
    free(f);
    return NULL;
}

enum source_rc linefeed_next(struct linefeed *f, unsigned worker, struct source_item *it)
{
    enum source_rc rc = SOURCE_ITEM;
    pthread_mutex_lock(&f->lock);
    if (f->count) {
        struct feed_line *l = &f->ring[f->head];
        *it = (struct source_item){l->idx, l->s, l->len, l->s};
        f->head = (f->head + 1) % f->o.waiting;
        f->count--;
        f->handed++;
        pthread_cond_signal(&f->room);
    } else if (f->done) {
        rc = SOURCE_END;
    } else {
        f->waiting |= 1ULL << (worker % 64);
        rc = SOURCE_WAIT;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

size_t linefeed_handed(struct linefeed *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->handed;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int linefeed_error(struct linefeed *f)
{
    pthread_mutex_lock(&f->lock);
    int e = f->err;
    pthread_mutex_unlock(&f->lock);
    return e;
}

void linefeed_free(struct linefeed *f)
{
    if (!f)
        return;
    uint64_t one = 1;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_broadcast(&f->room);
    pthread_mutex_unlock(&f->lock);
    /* Wakes a reader blocked in poll; one that is not sees `stopping` first. */
    ssize_t w = write(f->stopfd, &one, sizeof(one));
    (void)w;
    pthread_join(f->thread, NULL);
    for (size_t i = 0; i < f->count; i++)
        free(f->ring[(f->head + i) % f->o.waiting].s);
    close(f->stopfd);
    pthread_cond_destroy(&f->room);
    pthread_mutex_destroy(&f->lock);
    free(f->ring);
    free(f);
}
