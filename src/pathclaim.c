/* pathclaim.c: output paths and their owners, in a strmap behind one mutex. */
#include "pathclaim.h"

#include <stdbool.h>

#include "err.h"

int pathclaims_init(struct pathclaims *pc)
{
    strmap_init(&pc->map);
    return pthread_mutex_init(&pc->lock, NULL) == 0 ? 0 : VL_ESYS;
}

void pathclaims_fini(struct pathclaims *pc)
{
    strmap_fini(&pc->map);
    pthread_mutex_destroy(&pc->lock);
}

int pathclaims_claim(struct pathclaims *pc, const char *path, uint64_t owner)
{
    bool added;
    pthread_mutex_lock(&pc->lock);
    struct strmap_entry *e = strmap_put(&pc->map, path, &added);
    int rc = !e ? VL_ENOMEM : added || e->num == owner ? 0 : VL_EPATH_CONFLICT;
    if (e && added)
        e->num = owner;
    pthread_mutex_unlock(&pc->lock);
    return rc;
}
