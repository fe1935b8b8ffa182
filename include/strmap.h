/* A map from strings to a number and an optional string: open addressing, owned copies of the
 * keys, never shrinks. Not thread-safe (callers lock). */
#ifndef VOLLEY_STRMAP_H
#define VOLLEY_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_entry {
    char *key; /* owned; NULL for an empty slot */
    char *str; /* owned by the map once set (freed by strmap_fini), or NULL */
    uint64_t num;
    uint64_t hash;
};

struct strmap {
    struct strmap_entry *v;
    size_t cap, n;
};

void strmap_init(struct strmap *m);
void strmap_fini(struct strmap *m);
/* The entry for key, or NULL. */
const struct strmap_entry *strmap_find(const struct strmap *m, const char *key);
/* The entry for key; a new one (key copied, str NULL, num 0) when *added. NULL when out of
 * memory. The pointer is valid until the next strmap_put. */
struct strmap_entry *strmap_put(struct strmap *m, const char *key, bool *added);

#endif
