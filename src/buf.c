/* buf.c: the bounded writer shared by the URL, output path and request writers. */
#include "buf.h"

#include <string.h>

void buf_put(struct buf_writer *w, const char *s, size_t n)
{
    if (!w->ok || w->cap == 0 || n > w->cap - 1 - w->len) {
        w->ok = false;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}
