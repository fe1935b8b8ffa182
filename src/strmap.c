/* strmap.c: string-keyed open-addressing table (FNV-1a 64, linear probing, at most half full). */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

static uint64_t hash_of(const char *s)
{
    return text_hash(TEXT_HASH_INIT, s, strlen(s), false);
}

void strmap_init(struct strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void strmap_fini(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->v[i].key);
        free(m->v[i].str);
    }
    free(m->v);
    memset(m, 0, sizeof(*m));
}

/* key's entry, or the empty slot where it would go. */
static struct strmap_entry *slot(struct strmap_entry *v, size_t cap, const char *key, uint64_t h)
{
    size_t k = h & (cap - 1);
    while (v[k].key && (v[k].hash != h || strcmp(v[k].key, key) != 0))
        k = (k + 1) & (cap - 1);
    return &v[k];
}

const struct strmap_entry *strmap_find(const struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    const struct strmap_entry *e = slot(m->v, m->cap, key, hash_of(key));
    return e->key ? e : NULL;
}

static bool grow(struct strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct strmap_entry *v = calloc(cap, sizeof(*v));
    if (!v)
        return false;
    for (size_t i = 0; i < m->cap; i++)
        if (m->v[i].key)
            *slot(v, cap, m->v[i].key, m->v[i].hash) = m->v[i];
    free(m->v);
    m->v = v;
    m->cap = cap;
    return true;
}

struct strmap_entry *strmap_put(struct strmap *m, const char *key, bool *added)
{
    if (2 * (m->n + 1) > m->cap && !grow(m))
        return NULL;
    uint64_t h = hash_of(key);
    struct strmap_entry *e = slot(m->v, m->cap, key, h);
    *added = !e->key;
    if (e->key)
        return e;
    if (!(e->key = strdup(key)))
        return NULL;
    e->hash = h;
    m->n++;
    return e;
}
