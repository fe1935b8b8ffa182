/* dial.c: racing connects to a host's addresses (RFC 8305 section 5, without the DNS part). */
#include "dial.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"

static void on_attempt(struct reactor *r, struct reactor_io *io, int events);
static void on_step(void *arg);

void dial_init(struct dial *d, struct reactor *r, const struct bindaddr_set *binds,
               size_t *bind_cursor, dial_done_cb done, void *arg)
{
    d->r = r;
    d->he = NULL;
    d->binds = binds;
    d->bind_cursor = bind_cursor;
    d->done = done;
    d->arg = arg;
    for (int i = 0; i < DIAL_MAX; i++)
        reactor_io_init(&d->att[i], -1, on_attempt, d);
    timer_init(&d->step, on_step, d);
}

static void drop(struct dial *d, struct reactor_io *io)
{
    if (io->fd < 0)
        return;
    reactor_watch(d->r, io, 0);
    close(io->fd);
    io->fd = -1;
}

static unsigned running(const struct dial *d)
{
    unsigned n = 0;
    for (int i = 0; i < DIAL_MAX; i++)
        n += d->att[i].fd >= 0;
    return n;
}

/* Start a connect to the next address that takes one, in io. Returns 0 when one is under way,
 * VL_ECONNECT (d->err says more) when no address is left, or a client limit (files, ports). */
static int launch(struct dial *d, struct reactor_io *io)
{
    for (; d->next < d->he->naddr; d->next++) {
        struct sockaddr_storage ss;
        const struct hc_addr *a = &d->he->addr[d->next];
        socklen_t len = hc_addr_sockaddr(a, d->port, &ss);
        int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return err_from_errno(errno); /* a client limit: no point trying other addresses */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        int rc = bindaddr_apply(d->binds, fd, a->family, d->bind_cursor);
        if (rc == 0 && (connect(fd, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS)) {
            reactor_io_init(io, fd, on_attempt, d);
            d->next++;
            if (reactor_watch(d->r, io, REACTOR_WRITE) == 0)
                return 0;
            rc = VL_ESYS;
        }
        d->err = rc < 0 ? rc : err_from_errno(errno);
        close(fd);
        io->fd = -1;
        if (err_is_client_limit(d->err))
            return d->err; /* ours, not this address's: the worker backs off and requeues */
    }
    return VL_ECONNECT;
}

/* Keep the race going after a change: a free place takes the next address, and the step timer
 * runs while an address is left. Returns 0, or why nothing is left running. */
static int advance(struct dial *d, struct reactor_io *freed)
{
    int rc = 0;
    if (freed && d->next < d->he->naddr)
        rc = launch(d, freed);
    if (rc < 0 && err_is_client_limit(rc)) {
        dial_cancel(d);
        return rc;
    }
    reactor_timer_cancel(d->r, &d->step);
    if (d->next < d->he->naddr)
        reactor_timer_in(d->r, &d->step, DIAL_STEP_MS);
    return running(d) ? 0 : d->err ? d->err : VL_ECONNECT;
}

int dial_start(struct dial *d, const struct hc_entry *he, uint16_t port)
{
    d->he = he;
    d->port = port;
    d->next = 0;
    d->err = 0;
    int rc = launch(d, &d->att[0]);
    if (rc < 0)
        return rc == VL_ECONNECT && d->err ? d->err : rc;
    rc = advance(d, NULL);
    return rc;
}

void dial_cancel(struct dial *d)
{
    reactor_timer_cancel(d->r, &d->step);
    for (int i = 0; i < DIAL_MAX; i++)
        drop(d, &d->att[i]);
}

/* DIAL_STEP_MS passed with no winner: one more address joins the race, in a free place. */
static void on_step(void *arg)
{
    struct dial *d = arg;
    for (int i = 0; i < DIAL_MAX; i++)
        if (d->att[i].fd < 0) {
            int rc = advance(d, &d->att[i]);
            if (rc < 0)
                d->done(d->arg, -1, rc);
            return;
        }
    /* Every place busy: the next address waits for one to fail. */
}

static void on_attempt(struct reactor *r, struct reactor_io *io, int events)
{
    struct dial *d = io->arg;
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    (void)r;
    (void)events;
    if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr == 0) { /* the winner: the others go, its socket is the caller's */
        int fd = io->fd;
        reactor_watch(d->r, io, 0);
        io->fd = -1;
        dial_cancel(d);
        d->done(d->arg, fd, 0);
        return;
    }
    drop(d, io);
    d->err = err_from_errno(soerr);
    int rc = advance(d, io);
    if (rc < 0)
        d->done(d->arg, -1, rc);
}
