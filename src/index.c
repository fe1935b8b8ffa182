/* index.c: the job list. An arena of NUL-terminated URLs plus a pointer array into it, filled
 * from a one-URL-a-line list here or from a JSON index in json.c. */
#include "index.h"

#include <stdbool.h>
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
    free(l->len);
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
    size_t *len;

    if (l->n < l->cap)
        return 0;
    cap = grow_cap(l->cap, l->n + 1, URL_LIST_MIN_V);
    if (cap > SIZE_MAX / sizeof(*v))
        return VL_ENOMEM;
    v = realloc(l->v, cap * sizeof(*v));
    if (v)
        l->v = v;
    len = v ? realloc(l->len, cap * sizeof(*len)) : NULL;
    if (!len)
        return VL_ENOMEM;
    l->len = len;
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
    l->len[l->n] = len;
    l->v[l->n++] = dst;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The line collected so far is complete: trimmed (which also drops the CR of a CRLF), then
 * given to cb unless blank or a comment. */
static int emit(struct line_splitter *ls, line_cb cb, void *arg)
{
    size_t b = 0, e = ls->len;
    bool cut = ls->cut;

    ls->len = 0;
    ls->cut = false;
    if (cut) /* over LIST_LINE_MAX: passed on untrimmed, to fail as too long whatever its blanks */
        return cb(arg, ls->line, e);
    while (b < e && is_blank(ls->line[b]))
        b++;
    while (e > b && is_blank(ls->line[e - 1]))
        e--;
    if (b == e || ls->line[b] == '#')
        return 0;
    return cb(arg, ls->line + b, e - b);
}

int line_splitter_feed(struct line_splitter *ls, const char *p, size_t n, line_cb cb, void *arg)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n, room = sizeof(ls->line) - ls->len;
        /* Past LIST_LINE_MAX bytes the line can only fail as too long: keep no more of it. */
        memcpy(ls->line + ls->len, p, take < room ? take : room);
        ls->len += take < room ? take : room;
        ls->cut |= take > room;
        if (!nl)
            return 0;
        int rc = emit(ls, cb, arg);
        if (rc != 0)
            return rc;
        p = nl + 1;
        n -= take + 1;
    }
    return 0;
}

int line_splitter_end(struct line_splitter *ls, line_cb cb, void *arg)
{
    return ls->len ? emit(ls, cb, arg) : 0;
}

static int add_line(void *arg, const char *s, size_t n)
{
    return url_list_add(arg, s, n);
}

int index_from_lines(const char *buf, size_t len, struct url_list *out)
{
    size_t n0 = out->n, a0 = out->arena_len;
    struct line_splitter *ls = calloc(1, sizeof(*ls));
    int rc = ls ? line_splitter_feed(ls, buf, len, add_line, out) : VL_ENOMEM;

    if (rc == 0)
        rc = line_splitter_end(ls, add_line, out);
    free(ls);
    if (rc < 0) {
        /* Entries are appended at the arena's end: cutting back drops this call's adds. */
        out->n = n0;
        out->arena_len = a0;
    }
    return rc;
}
