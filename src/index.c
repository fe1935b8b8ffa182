/* index.c: the job list. An arena of NUL-terminated URLs plus a pointer array into it, filled
 * from a one-URL-a-line list here or from a JSON index in json.c. */
#include "index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define URL_LIST_MIN_V 64
#define URL_LIST_MIN_ARENA 4096

void url_list_init(struct url_list *l)
{
    memset(l, 0, sizeof(*l));
}

void url_list_free(struct url_list *l)
{
    free(l->v);
    free(l->arena);
    url_list_init(l);
}

/* Doubling growth so n adds cost O(n) copying in total; just `need` near SIZE_MAX. */
static size_t grow_cap(size_t cap, size_t need, size_t min)
{
    size_t c = cap ? cap : min;

    while (c < need) {
        if (c > SIZE_MAX / 2)
            return need;
        c *= 2;
    }
    return c;
}

static int reserve_v(struct url_list *l)
{
    size_t cap;
    char **v;

    if (l->n < l->cap)
        return 0;
    cap = grow_cap(l->cap, l->n + 1, URL_LIST_MIN_V);
    if (cap > SIZE_MAX / sizeof(*v))
        return VL_ENOMEM;
    v = realloc(l->v, cap * sizeof(*v));
    if (!v)
        return VL_ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

/* The arena moves as it grows. A fresh block is allocated and v[] rebased while the old block is
 * still live: offsets computed against a freed (realloc'ed) pointer would be undefined behaviour.
 */
static int reserve_arena(struct url_list *l, size_t extra)
{
    size_t cap;
    char *a;

    if (extra > SIZE_MAX - l->arena_len)
        return VL_ENOMEM;
    if (l->arena_len + extra <= l->arena_cap)
        return 0;
    cap = grow_cap(l->arena_cap, l->arena_len + extra, URL_LIST_MIN_ARENA);
    a = malloc(cap);
    if (!a)
        return VL_ENOMEM;
    if (l->arena_len)
        memcpy(a, l->arena, l->arena_len);
    for (size_t i = 0; i < l->n; i++)
        l->v[i] = a + (size_t)(l->v[i] - l->arena);
    free(l->arena);
    l->arena = a;
    l->arena_cap = cap;
    return 0;
}

int url_list_add(struct url_list *l, const char *s, size_t len)
{
    char *dst;

    if (reserve_v(l) < 0 || len == SIZE_MAX || reserve_arena(l, len + 1) < 0)
        return VL_ENOMEM;
    dst = l->arena + l->arena_len;
    if (len)
        memcpy(dst, s, len);
    dst[len] = '\0';
    l->arena_len += len + 1;
    l->v[l->n++] = dst;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int index_from_lines(const char *buf, size_t len, struct url_list *out)
{
    size_t n0 = out->n, a0 = out->arena_len;
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t b = pos, e = end;

        pos = nl ? end + 1 : len;
        /* Trimming also drops the CR of a CRLF line ending. */
        while (b < e && is_blank(buf[b]))
            b++;
        while (e > b && is_blank(buf[e - 1]))
            e--;
        if (b == e || buf[b] == '#')
            continue;
        if (url_list_add(out, buf + b, e - b) < 0) {
            /* Entries are appended at the arena's end: cutting back drops this call's adds. */
            out->n = n0;
            out->arena_len = a0;
            return VL_ENOMEM;
        }
    }
    return 0;
}
