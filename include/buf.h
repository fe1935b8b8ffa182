/* A bounded writer into a caller's array: it appends while the bytes fit and remembers the first
 * time they did not, so a writer checks once at the end instead of after every piece. */
#ifndef VOLLEY_BUF_H
#define VOLLEY_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf_writer {
    char *out; /* borrowed */
    size_t cap;
    size_t len;
    bool ok; /* false once something did not fit; later puts are ignored */
};

/* Append n bytes, keeping one byte of cap free for a terminating NUL. */
void buf_put(struct buf_writer *w, const char *s, size_t n);

#define BUF_PUT_LIT(w, s) buf_put(w, s, sizeof(s) - 1)

#endif
