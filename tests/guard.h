/* guard.h: test helper that places input right before an inaccessible page, so a parser that
 * reads one byte past the end faults instead of passing by luck. Header-only, tests only. */
#ifndef VOLLEY_TESTS_GUARD_H
#define VOLLEY_TESTS_GUARD_H

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
    char *base;  /* start of the mapping */
    size_t size; /* usable bytes before the PROT_NONE page */
};

/* Map room for at least `cap` bytes followed by one PROT_NONE page. Returns 0, or -1 on failure. */
static inline int guard_init(struct guard *g, size_t cap)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (cap + page - 1) / page * page;
    void *p = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    g->base = NULL;
    g->size = 0;
    if (p == MAP_FAILED)
        return -1;
    if (mprotect((char *)p + size, page, PROT_NONE) != 0) {
        munmap(p, size + page);
        return -1;
    }
    g->base = p;
    g->size = size;
    return 0;
}

/* Copy len bytes so that they end exactly at the guard page; returns the copy, or NULL if len is
 * over the capacity. The copy stays valid until the next guard_put. */
static inline char *guard_put(struct guard *g, const void *src, size_t len)
{
    char *dst;

    if (len > g->size)
        return NULL;
    dst = g->base + g->size - len;
    if (len > 0)
        memcpy(dst, src, len);
    return dst;
}

static inline void guard_fini(struct guard *g)
{
    if (g->base != NULL)
        munmap(g->base, g->size + (size_t)sysconf(_SC_PAGESIZE));
    g->base = NULL;
    g->size = 0;
}

#endif
