/*
 * delayproxy: a TCP proxy on loopback that gives every connection through it a network's round
 * trip, for volley's latency world (tests/integration/t_latency.sh, tools/bench.sh).
 *
 *   delayproxy -l [ADDR:]PORT -t [ADDR:]PORT [--rtt MS | --delay-up MS --delay-down MS]
 *              [--rate-kbps N] [--window KB] [--pidfile FILE] [-v]
 *
 * Both addresses must be loopback (127.0.0.0/8, default 127.0.0.1). MS may have decimals.
 *
 * The model. Each direction of a connection is a FIFO of (release time, bytes): what is read
 * from one side at time t may be written to the other at t + delay (delay-up towards the target,
 * delay-down back; --rtt R is R/2 each way). Nothing sleeps: one epoll loop, a min-heap of the
 * next release time of each direction, epoll_pwait2's nanosecond timeout.
 *
 * The kernel completes the client's TCP handshake with the proxy at once, and no user-space
 * proxy can delay a SYN-ACK; so the round trip the handshake should cost is charged to the
 * client's first bytes instead. With RTT = up + down and the accept at time 0:
 *   - the connection to the target starts at `up` (when the SYN would reach the server);
 *   - nothing the client sends reaches the target before 2 x up + down, which is when bytes
 *     sent as soon as a real connect completed (at RTT) would arrive (RTT + up);
 *   - later bytes take `up`, answers `down`, as on the real path.
 * So a client sees what a real network gives for everything after connect: plain HTTP's first
 * byte at 2 RTT, TLS 1.3 done at 2 RTT and its first byte at 3 RTT, every later exchange on a
 * kept-alive connection 1 RTT. Only connect itself reads ~0 (curl's time_connect, volley's
 * %{time_connect}). A refused target reaches the client as a reset at RTT.
 *
 * Ordering and closes: bytes, a FIN and a reset travel in one FIFO per direction, in order. A
 * FIN is forwarded as shutdown(SHUT_WR) after the delay; a reset (a read or write error on one
 * side) is forwarded after the delay as a reset (SO_LINGER 0, close); bytes still on their way
 * towards a side that reset are dropped, as the network would.
 *
 * Bandwidth (--rate-kbps N, kilobits per second, per direction and connection): bytes are
 * serialised on an emulated link: a read of n bytes enters it when the link is free, leaves it
 * n x 8 / N ms later, then takes the delay. Memory: a direction holds at most --window KB
 * (default 256) read but not yet written; past that it stops reading its source, whose sender
 * then blocks in its own kernel buffers. So one connection carries at most WINDOW per one-way
 * delay in each direction (real TCP's bound, its window per RTT, is about half that).
 *
 * Not modelled: loss, reordering, slow start, congestion, a connect that hangs (the client's
 * always succeeds at once).
 *
 * Runs: up to (open-file hard limit - 32) / 2 connections at once (the soft limit is raised to
 * the hard one); past that it stops accepting until one ends. The pidfile is written once it
 * listens. SIGTERM or SIGINT: every connection is reset, the pidfile removed, exit 0. Prints
 * nothing unless something fails; -v prints a line per connection when it ends.
 *
 * Measured on 2 CPUs shared with nginx, the client and other users (medians; noisy; README "The
 * latency world" has the commands). At RTT 0 one proxy process carries about 50,000 small
 * requests a second (h2load --h1 -c 10: 49-56k through it, 94-103k direct), adds about 40 us to
 * a request's round trip (volley -t 1 -k 1, 5,000 requests in turn: 0.40 s against 0.20 s) and
 * spends 14 us of CPU per request; two processes sharing the port (SO_REUSEPORT) were slower
 * here, so it has one thread. At RTT 20/50/100 ms curl's first byte over plain HTTP came at
 * 40.8/100.9/200.7 ms (2 RTT), over TLS 1.3 at 63.8/154.6/304.0 ms (3 RTT, plus the ~4 ms of TLS
 * CPU it costs direct), and a request on a kept-alive connection took 20.8/51.0/101.2 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ULL
#define READ_MAX (64 * 1024)
#define ACCEPT_BUDGET 64
#define MAX_EVENTS 256
#define BACKLOG 4096
#define FD_RESERVE 32
#define MAX_DELAY_MS 60000.0

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

static volatile sig_atomic_t stop_flag;

enum mark { MARK_DATA, MARK_FIN, MARK_RST };
enum side_state { SIDE_NONE, SIDE_CONNECTING, SIDE_OPEN, SIDE_CLOSED };
enum timer_kind { TIMER_RELEASE, TIMER_CONNECT };

/* Bytes (or a FIN or reset) read from one side, to be written to the other at `release`. */
struct chunk {
    struct chunk *next;
    uint64_t release; /* CLOCK_MONOTONIC ns */
    uint32_t len;
    uint32_t off; /* bytes already written */
    enum mark mark;
    char data[];
};

/* A heap entry, embedded in its owner. */
struct timer {
    uint64_t due;
    size_t pos; /* index in the heap + 1; 0 when not queued */
    enum timer_kind kind;
};

struct pair;

/* One socket; epoll_data.ptr points here. The listener's has no pair. */
struct side {
    struct pair *pair;
    int fd;
    enum side_state state;
    uint32_t mask;   /* registered epoll interest; 0 = not registered */
    bool reset_seen; /* the connect's SO_ERROR was a reset: EOF on it means reset */
};

/* One direction: read from src, held, written to dst. */
struct dir {
    struct pair *pair;
    struct side *src;
    struct side *dst;
    struct chunk *head;
    struct chunk *tail;
    size_t queued; /* data bytes read, not yet written */
    uint64_t delay;
    uint64_t hold_until; /* nothing is released before this (the handshake's round trip) */
    uint64_t link_free;  /* --rate-kbps: when the emulated link is free again */
    uint64_t bytes;
    struct timer timer;
    bool eof;     /* src sent FIN or reset: read no more */
    bool blocked; /* dst's buffer is full: wait for EPOLLOUT */
    bool done;    /* FIN forwarded */
};

struct pair {
    struct side client;
    struct side server;
    struct dir up; /* client to server */
    struct dir down;
    struct timer connect;
    struct pair *prev;
    struct pair *next; /* live list, or the dead list once killed */
    uint64_t id;
    uint64_t born;
    unsigned client_port;
    const char *end; /* how it ended, for -v */
    bool dead;
};

struct config {
    struct sockaddr_in listen;
    struct sockaddr_in target;
    uint64_t delay_up; /* ns */
    uint64_t delay_down;
    uint64_t rate_kbps; /* 0 = no cap */
    size_t window;
    const char *pidfile;
    bool verbose;
};

struct proxy {
    struct config cfg;
    int ep;
    struct side listener;
    bool accept_paused;
    struct timer **heap;
    size_t heap_len;
    size_t heap_cap;
    struct pair *live;
    struct pair *dead;
    size_t nlive;
    size_t max_pairs;
    size_t read_max;
    uint64_t next_id;
    uint64_t now; /* CLOCK_MONOTONIC ns, read once per loop turn */
    bool no_pwait2;
    char *scratch;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- the heap of release times and connect starts ----------------------------------------- */

static void heap_put(struct proxy *px, size_t i, struct timer *t)
{
    px->heap[i] = t;
    t->pos = i + 1;
}

static void heap_up(struct proxy *px, size_t i)
{
    struct timer *t = px->heap[i];
    while (i > 0 && px->heap[(i - 1) / 2]->due > t->due) {
        heap_put(px, i, px->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_put(px, i, t);
}

static void heap_down(struct proxy *px, size_t i)
{
    struct timer *t = px->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= px->heap_len)
            break;
        if (c + 1 < px->heap_len && px->heap[c + 1]->due < px->heap[c]->due)
            c++;
        if (px->heap[c]->due >= t->due)
            break;
        heap_put(px, i, px->heap[c]);
        i = c;
    }
    heap_put(px, i, t);
}

/* The heap holds at most three timers per pair, sized for max_pairs at start: never grows. */
static void heap_set(struct proxy *px, struct timer *t, uint64_t due)
{
    t->due = due;
    if (!t->pos)
        heap_put(px, px->heap_len++, t);
    heap_up(px, t->pos - 1);
    heap_down(px, t->pos - 1);
}

static void heap_del(struct proxy *px, struct timer *t)
{
    size_t i = t->pos - 1;
    if (!t->pos)
        return;
    t->pos = 0;
    if (i == --px->heap_len)
        return;
    struct timer *m = px->heap[px->heap_len];
    heap_put(px, i, m);
    heap_up(px, i);
    heap_down(px, m->pos - 1);
}

/* --- sides and pairs ------------------------------------------------------------------------ */

static struct dir *dir_from(struct side *s)
{
    return s == &s->pair->client ? &s->pair->up : &s->pair->down;
}

static struct dir *dir_to(struct side *s)
{
    return s == &s->pair->client ? &s->pair->down : &s->pair->up;
}

/* Register what the side waits for; a side that waits for nothing leaves epoll, so that a
 * socket already shut down both ways cannot wake the loop with EPOLLHUP over and over. */
static void side_update(struct proxy *px, struct side *s)
{
    struct dir *out = dir_from(s), *in = dir_to(s);
    uint32_t want = 0;
    if (s->state == SIDE_CONNECTING || (s->state == SIDE_OPEN && in->blocked))
        want |= EPOLLOUT;
    if (s->state == SIDE_OPEN && !out->eof && out->queued < px->cfg.window)
        want |= EPOLLIN;
    if (want == s->mask)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = s};
    int op = !s->mask ? EPOLL_CTL_ADD : want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    if (epoll_ctl(px->ep, op, s->fd, &ev) == 0)
        s->mask = want;
}

static void listener_update(struct proxy *px)
{
    bool want = !px->accept_paused && px->nlive < px->max_pairs;
    struct epoll_event ev = {.events = want ? EPOLLIN : 0, .data.ptr = &px->listener};
    if (want != (px->listener.mask != 0) &&
        epoll_ctl(px->ep, EPOLL_CTL_MOD, px->listener.fd, &ev) == 0)
        px->listener.mask = ev.events;
}

static void side_close(struct side *s, bool reset)
{
    if (s->fd < 0)
        return;
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(s->fd); /* also leaves epoll: the fd is never duplicated */
    s->fd = -1;
    s->state = SIDE_CLOSED;
    s->mask = 0;
}

static void pair_log(struct proxy *px, struct pair *p)
{
    double ms = (double)(px->now - p->born) / NS_PER_MS;
    fprintf(stderr,
            "delayproxy: conn %llu from port %u: %llu B up, %llu B down, %.1f ms, ended by %s\n",
            (unsigned long long)p->id, p->client_port, (unsigned long long)p->up.bytes,
            (unsigned long long)p->down.bytes, ms, p->end);
}

/* End a pair now: close both sockets (resetting them if `reset`), drop its timers, and leave
 * its memory to pair_reap at the end of the loop turn, since events of this turn may still
 * name it. Every function that may end a pair checks p->dead after calling anything. */
static void pair_kill(struct proxy *px, struct pair *p, bool reset, const char *why)
{
    if (p->dead)
        return;
    p->dead = true;
    p->end = why;
    side_close(&p->client, reset);
    side_close(&p->server, reset);
    heap_del(px, &p->up.timer);
    heap_del(px, &p->down.timer);
    heap_del(px, &p->connect);
    if (px->cfg.verbose)
        pair_log(px, p);
    if (p->prev)
        p->prev->next = p->next;
    else
        px->live = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->next = px->dead;
    px->dead = p;
    px->nlive--;
    px->accept_paused = false;
    listener_update(px);
}

static void dir_free(struct dir *d)
{
    while (d->head) {
        struct chunk *c = d->head;
        d->head = c->next;
        free(c);
    }
    d->tail = NULL;
    d->queued = 0;
}

static void pair_reap(struct proxy *px)
{
    while (px->dead) {
        struct pair *p = px->dead;
        px->dead = p->next;
        dir_free(&p->up);
        dir_free(&p->down);
        free(p);
    }
}

/* --- moving bytes --------------------------------------------------------------------------- */

static void side_reset(struct proxy *px, struct side *s);
static void dir_flush(struct proxy *px, struct dir *d);

/* When n bytes read now may reach the far side: after the emulated link (if capped), the
 * one-way delay and the handshake's hold, and never before what was read earlier. */
static uint64_t release_time(struct proxy *px, struct dir *d, size_t n)
{
    uint64_t t = px->now;
    if (px->cfg.rate_kbps && n) {
        uint64_t start = d->link_free > t ? d->link_free : t;
        d->link_free = start + n * 8000000ULL / px->cfg.rate_kbps;
        t = d->link_free;
    }
    t += d->delay;
    if (t < d->hold_until)
        t = d->hold_until;
    if (d->tail && t < d->tail->release)
        t = d->tail->release;
    return t;
}

static bool would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Write what the head chunk has left. True if all of it went; false if dst is full (now
 * `blocked`) or failed (then reset, and the chunk freed: the caller must not touch it). */
static bool chunk_send(struct proxy *px, struct dir *d, struct chunk *c)
{
    ssize_t w = send(d->dst->fd, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (w < 0) {
        if (would_block())
            d->blocked = true;
        else
            side_reset(px, d->dst);
        return false;
    }
    c->off += (uint32_t)w;
    d->queued -= (size_t)w;
    if (c->off < c->len) {
        /* A short write means the socket buffer is full: EPOLLOUT says when it has room. */
        d->blocked = true;
        return false;
    }
    return true;
}

/* Write every chunk that is due, in order, while dst takes them; then wait for the next due
 * time (the heap) or for room in dst (EPOLLOUT) or for the connect to the target. */
static void dir_flush(struct proxy *px, struct dir *d)
{
    struct pair *p = d->pair;
    struct chunk *c;
    while ((c = d->head) && c->release <= px->now && !d->blocked && d->dst->state == SIDE_OPEN) {
        if (c->mark == MARK_RST) {
            pair_kill(px, p, true, "reset");
            return;
        }
        if (c->mark == MARK_FIN) {
            shutdown(d->dst->fd, SHUT_WR);
            d->done = true;
        } else if (!chunk_send(px, d, c)) {
            break;
        }
        d->head = c->next;
        if (!d->head)
            d->tail = NULL;
        free(c);
    }
    if (p->dead)
        return;
    if (d->head && d->head->release > px->now)
        heap_set(px, &d->timer, d->head->release);
    else
        heap_del(px, &d->timer);
    if (p->up.done && p->down.done && !p->up.head && !p->down.head) {
        pair_kill(px, p, false, "fin");
        return;
    }
    side_update(px, d->src);
    side_update(px, d->dst);
}

/* Queue n bytes (or a FIN or reset) read from d's source. Due at once with nothing ahead of it
 * (RTT 0, or after the hold), data goes straight from the read buffer: no copy. */
static void dir_push(struct proxy *px, struct dir *d, enum mark mark, const char *data, size_t n)
{
    uint64_t release = release_time(px, d, n);
    if (mark == MARK_DATA && !d->head && release <= px->now && !d->blocked &&
        d->dst->state == SIDE_OPEN) {
        ssize_t w = send(d->dst->fd, data, n, MSG_NOSIGNAL);
        if (w == (ssize_t)n)
            return;
        if (w < 0 && !would_block()) {
            side_reset(px, d->dst);
            return;
        }
        if (w > 0) {
            data += w;
            n -= (size_t)w;
        }
    }
    struct chunk *c = malloc(sizeof(*c) + n);
    if (!c) {
        pair_kill(px, d->pair, true, "out of memory");
        return;
    }
    *c = (struct chunk){.release = release, .len = (uint32_t)n, .mark = mark};
    if (n)
        memcpy(c->data, data, n);
    if (d->tail)
        d->tail->next = c;
    else
        d->head = c;
    d->tail = c;
    d->queued += n;
    if (d->head == c)
        dir_flush(px, d);
}

/* Drop everything on its way to a side: used when that side reset. */
static void dir_clear(struct proxy *px, struct dir *d)
{
    dir_free(d);
    d->blocked = false;
    d->done = true;
    heap_del(px, &d->timer);
}

/* A side failed (reset by its peer, or a connect refused). What it sent before still arrives,
 * then the reset, after the delay; what was on its way to it is lost. */
static void side_reset(struct proxy *px, struct side *s)
{
    struct dir *out = dir_from(s);
    if (s->state == SIDE_CLOSED)
        return;
    dir_clear(px, dir_to(s));
    out->eof = true;
    s->state = SIDE_CLOSED; /* the fd stays open (out of epoll) until the pair ends */
    if (s->mask) {
        epoll_ctl(px->ep, EPOLL_CTL_DEL, s->fd, NULL);
        s->mask = 0;
    }
    dir_push(px, out, MARK_RST, NULL, 0);
}

static void dir_read(struct proxy *px, struct dir *d)
{
    size_t room = px->cfg.window - d->queued;
    ssize_t n = recv(d->src->fd, px->scratch, room < px->read_max ? room : px->read_max, 0);
    if (n > 0) {
        d->bytes += (uint64_t)n;
        dir_push(px, d, MARK_DATA, px->scratch, (size_t)n);
    } else if (n == 0 && !d->src->reset_seen) {
        d->eof = true;
        dir_push(px, d, MARK_FIN, NULL, 0);
    } else if (n == 0 || !would_block()) {
        side_reset(px, d->src);
    }
    if (!d->pair->dead)
        side_update(px, d->src);
}

/* --- connections ---------------------------------------------------------------------------- */

static void on_connected(struct proxy *px, struct side *s)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err && err != ECONNRESET) {
        side_reset(px, s);
        return;
    }
    /* Connected, answered and reset before this turn: reading SO_ERROR took the error, so the
     * bytes still queued end in a plain EOF. Forward them, then the reset. */
    s->reset_seen = err == ECONNRESET;
    s->state = SIDE_OPEN;
    side_update(px, s);
    dir_flush(px, dir_to(s));
}

/* Connect to the target (at `up` after the accept, when the client's SYN would reach it). */
static void start_connect(struct proxy *px, struct pair *p)
{
    struct side *s = &p->server;
    int one = 1;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        s->state = SIDE_CONNECTING; /* so that side_reset has a side to end */
        side_reset(px, s);
        return;
    }
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s->state = SIDE_CONNECTING;
    if (connect(s->fd, (struct sockaddr *)&px->cfg.target, sizeof(px->cfg.target)) == 0) {
        on_connected(px, s);
        return;
    }
    if (errno != EINPROGRESS) {
        side_reset(px, s);
        return;
    }
    side_update(px, s);
}

static void dir_init(struct pair *p, struct dir *d, struct side *src, struct side *dst,
                     uint64_t delay)
{
    d->pair = p;
    d->src = src;
    d->dst = dst;
    d->delay = delay;
    d->timer.kind = TIMER_RELEASE;
}

static void pair_new(struct proxy *px, int fd, unsigned port)
{
    struct pair *p = calloc(1, sizeof(*p));
    int one = 1;
    if (!p) {
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    p->client = (struct side){.pair = p, .fd = fd, .state = SIDE_OPEN};
    p->server = (struct side){.pair = p, .fd = -1, .state = SIDE_NONE};
    dir_init(p, &p->up, &p->client, &p->server, px->cfg.delay_up);
    dir_init(p, &p->down, &p->server, &p->client, px->cfg.delay_down);
    /* Bytes sent at once after a real connect (at RTT) would reach the server at RTT + up. */
    p->up.hold_until = px->now + 2 * px->cfg.delay_up + px->cfg.delay_down;
    p->connect.kind = TIMER_CONNECT;
    p->id = ++px->next_id;
    p->born = px->now;
    p->client_port = port;
    p->next = px->live;
    if (px->live)
        px->live->prev = p;
    px->live = p;
    px->nlive++;
    side_update(px, &p->client);
    if (px->cfg.delay_up)
        heap_set(px, &p->connect, px->now + px->cfg.delay_up);
    else
        start_connect(px, p);
}

static void on_accept(struct proxy *px)
{
    for (int i = 0; i < ACCEPT_BUDGET && px->nlive < px->max_pairs; i++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        int fd =
            accept4(px->listener.fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            pair_new(px, fd, ntohs(sa.sin_port));
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Level-triggered: a listener that cannot accept would wake the loop forever.
             * Wait for a connection to end. */
            px->accept_paused = true;
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        /* ECONNABORTED and the like: that one connection is gone; take the next. */
    }
    listener_update(px);
}

/* EPOLLERR and EPOLLHUP count as readable and writable: the read or write says what failed. */
static void on_event(struct proxy *px, struct side *s, uint32_t ev)
{
    struct pair *p = s->pair;
    if (!p) {
        on_accept(px);
        return;
    }
    if (p->dead || s->state == SIDE_CLOSED)
        return;
    if (ev & (EPOLLERR | EPOLLHUP))
        ev |= EPOLLIN | EPOLLOUT;
    if (s->state == SIDE_CONNECTING) {
        if (ev & EPOLLOUT)
            on_connected(px, s);
        return;
    }
    struct dir *in = dir_to(s);
    if ((ev & EPOLLOUT) && in->blocked) {
        in->blocked = false;
        dir_flush(px, in);
        if (p->dead || s->state != SIDE_OPEN)
            return;
    }
    if ((ev & EPOLLIN) && (s->mask & EPOLLIN))
        dir_read(px, dir_from(s));
}

static void fire_timers(struct proxy *px)
{
    /* Each timer either releases everything due or waits on EPOLLOUT; one that is re-armed is
     * due later than now, so the loop ends. */
    while (px->heap_len && px->heap[0]->due <= px->now) {
        struct timer *t = px->heap[0];
        heap_del(px, t);
        if (t->kind == TIMER_CONNECT)
            start_connect(px, container_of(t, struct pair, connect));
        else
            dir_flush(px, container_of(t, struct dir, timer));
    }
}

/* --- setup ---------------------------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int parse_ms(const char *s, uint64_t *ns)
{
    char *end;
    errno = 0;
    double ms = strtod(s, &end);
    if (errno || end == s || *end || !(ms >= 0 && ms <= MAX_DELAY_MS))
        return -1;
    *ns = (uint64_t)(ms * NS_PER_MS + 0.5);
    return 0;
}

/* "[ADDR:]PORT", ADDR on loopback (default 127.0.0.1): this tool never leaves the machine. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
    char host[64] = "127.0.0.1", *end;
    const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
    if (colon) {
        if ((size_t)(colon - s) >= sizeof(host))
            return -1;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
    }
    long v = strtol(port, &end, 10);
    *sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)v)};
    if (end == port || *end || v < 1 || v > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return -1;
    return (ntohl(sa->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: delayproxy -l [ADDR:]PORT -t [ADDR:]PORT [--rtt MS | --delay-up MS "
               "--delay-down MS]\n"
               "                  [--rate-kbps N] [--window KB] [--pidfile FILE] [-v]\n"
               "Forwards loopback TCP connections, holding each direction's bytes MS/2 (--rtt)\n"
               "or the given delays; see the header of tools/delayproxy.c for the model.\n");
}

static int bad(const char *opt, const char *arg, const char *why)
{
    fprintf(stderr, "delayproxy: %s %s: %s\n", opt, arg, why);
    return -1;
}

static int parse_opt(struct config *c, int opt, const char *arg, bool *rtt, bool *one_way)
{
    char *end;
    long v;
    switch (opt) {
    case 'l':
        return parse_addr(arg, &c->listen) ? bad("--listen", arg, "want [127.x.x.x:]PORT") : 0;
    case 't':
        return parse_addr(arg, &c->target) ? bad("--target", arg, "want [127.x.x.x:]PORT") : 0;
    case 'r':
        *rtt = true;
        if (parse_ms(arg, &c->delay_up))
            return bad("--rtt", arg, "want milliseconds, 0 to 60000");
        c->delay_up /= 2;
        c->delay_down = c->delay_up;
        return 0;
    case 'u':
    case 'd':
        *one_way = true;
        if (parse_ms(arg, opt == 'u' ? &c->delay_up : &c->delay_down))
            return bad(opt == 'u' ? "--delay-up" : "--delay-down", arg, "want ms, 0 to 60000");
        return 0;
    case 'b':
    case 'w':
        v = strtol(arg, &end, 10);
        if (end == arg || *end || v < (opt == 'b' ? 0 : 1) || v > 100000000)
            return bad(opt == 'b' ? "--rate-kbps" : "--window", arg, "want a positive number");
        if (opt == 'b')
            c->rate_kbps = (uint64_t)v;
        else
            c->window = (size_t)v * 1024;
        return 0;
    case 'p':
        c->pidfile = arg;
        return 0;
    case 'v':
        c->verbose = true;
        return 0;
    }
    return -1;
}

/* 0 to run, 1 after -h, -1 on bad usage (said on stderr). */
static int parse_args(int argc, char **argv, struct config *c)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"target", required_argument, NULL, 't'},
                                         {"rtt", required_argument, NULL, 'r'},
                                         {"delay-up", required_argument, NULL, 'u'},
                                         {"delay-down", required_argument, NULL, 'd'},
                                         {"rate-kbps", required_argument, NULL, 'b'},
                                         {"window", required_argument, NULL, 'w'},
                                         {"pidfile", required_argument, NULL, 'p'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool rtt = false, one_way = false;
    int opt;
    *c = (struct config){.window = 256 * 1024};
    while ((opt = getopt_long(argc, argv, "l:t:vh", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 1;
        }
        if (opt == '?' || parse_opt(c, opt, optarg, &rtt, &one_way))
            return -1;
    }
    if (rtt && one_way)
        return bad("--rtt", "with --delay-up/--delay-down", "give one or the other");
    if (optind != argc || !c->listen.sin_port || !c->target.sin_port) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Room for as many pairs as the hard open-file limit allows: two descriptors each. */
static void raise_nofile(struct proxy *px)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t n = rl.rlim_cur > 1000000 ? 1000000 : rl.rlim_cur;
    px->max_pairs = n > 2 * FD_RESERVE ? (size_t)(n - FD_RESERVE) / 2 : 16;
}

static int proxy_open(struct proxy *px, char err[128])
{
    int one = 1, fd;
    px->heap_cap = 3 * px->max_pairs;
    px->heap = calloc(px->heap_cap, sizeof(*px->heap));
    px->scratch = malloc(READ_MAX);
    px->ep = epoll_create1(EPOLL_CLOEXEC);
    px->listener.fd = fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!px->heap || !px->scratch || px->ep < 0 || fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&px->cfg.listen, sizeof(px->cfg.listen)) != 0 ||
        listen(fd, BACKLOG) != 0)
        goto fail;
    px->listener.state = SIDE_OPEN;
    px->listener.mask = EPOLLIN;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &px->listener};
    if (epoll_ctl(px->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        goto fail;
    /* Under a rate cap, read what the link carries in about 10 ms at a time, so that bytes
     * leave it in small steps rather than one 64 KiB lump. */
    px->read_max = READ_MAX;
    if (px->cfg.rate_kbps && px->cfg.rate_kbps * 1000 / 8 / 100 < READ_MAX)
        px->read_max = px->cfg.rate_kbps * 1000 / 8 / 100;
    if (px->read_max < 1448)
        px->read_max = 1448;
    return 0;
fail:
    snprintf(err, 128, "cannot listen on 127.x:%u: %s", ntohs(px->cfg.listen.sin_port),
             strerror(errno));
    return -1;
}

static int write_pidfile(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void proxy_close(struct proxy *px)
{
    px->now = mono_ns();
    while (px->live)
        pair_kill(px, px->live, true, "stop");
    pair_reap(px);
    if (px->listener.fd >= 0)
        close(px->listener.fd);
    if (px->ep >= 0)
        close(px->ep);
    free(px->heap);
    free(px->scratch);
}

/* epoll_pwait2 for its nanosecond timeout; where it is missing (kernels before 5.11,
 * valgrind), epoll_pwait with the timeout rounded up to a millisecond. */
static int wait_events(struct proxy *px, struct epoll_event *evs, const struct timespec *tp,
                       const sigset_t *waitmask)
{
    if (!px->no_pwait2) {
        int n = epoll_pwait2(px->ep, evs, MAX_EVENTS, tp, waitmask);
        if (n >= 0 || errno != ENOSYS)
            return n;
        px->no_pwait2 = true;
    }
    int ms = tp ? (int)(tp->tv_sec * 1000 + (tp->tv_nsec + 999999) / 1000000) : -1;
    return epoll_pwait(px->ep, evs, MAX_EVENTS, ms, waitmask);
}

/* The loop: wait for an event or the next release, handle, release, reap. The stop signals
 * are blocked except inside the wait, so a SIGTERM cannot slip in between check and wait. */
static int run(struct proxy *px, const sigset_t *waitmask)
{
    struct epoll_event evs[MAX_EVENTS];
    while (!stop_flag) {
        struct timespec ts, *tp = NULL;
        if (px->heap_len) {
            uint64_t now = mono_ns(), due = px->heap[0]->due;
            uint64_t left = due > now ? due - now : 0;
            ts = (struct timespec){.tv_sec = (time_t)(left / 1000000000ULL),
                                   .tv_nsec = (long)(left % 1000000000ULL)};
            tp = &ts;
        }
        int n = wait_events(px, evs, tp, waitmask);
        if (n < 0 && errno != EINTR) {
            perror("delayproxy: epoll_wait");
            return 1;
        }
        px->now = mono_ns();
        for (int i = 0; i < n; i++)
            on_event(px, evs[i].data.ptr, evs[i].events);
        fire_timers(px);
        pair_reap(px);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct proxy px = {.ep = -1, .listener = {.fd = -1}};
    char err[128];
    sigset_t block, waitmask;
    int rc = parse_args(argc, argv, &px.cfg);
    if (rc)
        return rc > 0 ? 0 : 2;
    raise_nofile(&px);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    if (proxy_open(&px, err) != 0) {
        fprintf(stderr, "delayproxy: %s\n", err);
        proxy_close(&px);
        return 1;
    }
    if (px.cfg.pidfile && write_pidfile(px.cfg.pidfile) != 0) {
        fprintf(stderr, "delayproxy: cannot write %s: %s\n", px.cfg.pidfile, strerror(errno));
        proxy_close(&px);
        return 1;
    }
    rc = run(&px, &waitmask);
    proxy_close(&px);
    if (px.cfg.pidfile)
        unlink(px.cfg.pidfile);
    return rc;
}
