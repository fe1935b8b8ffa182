/* Which URL of the run saves to which file: the first URL to claim an output path owns it, and
 * another URL that maps to the same path (http://h/x and https://h/x, or two spellings that
 * decode alike) fails with VL_EPATH_CONFLICT instead of overwriting it. The same URL may claim
 * its path again (a duplicate line, --repeat). Shared by all threads; one lock. */
#ifndef VOLLEY_PATHCLAIM_H
#define VOLLEY_PATHCLAIM_H

#include <pthread.h>
#include <stdint.h>

#include "strmap.h"

struct pathclaims {
    pthread_mutex_t lock;
    struct strmap map; /* path -> owner (num) */
};

int pathclaims_init(struct pathclaims *pc);
void pathclaims_fini(struct pathclaims *pc);
/* Claim path for the URL whose url_identity_hash is owner. Returns 0 (a first claim, or the same
 * owner again), VL_EPATH_CONFLICT or VL_ENOMEM. */
int pathclaims_claim(struct pathclaims *pc, const char *path, uint64_t owner);

#endif
