/* Retry policy (curl's --retry semantics, aria2c's backoff): what can heal and how long to wait.
 * Pure. */
#ifndef VOLLEY_RETRY_H
#define VOLLEY_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#define RETRY_BASE_MS 200
#define RETRY_MAX_MS 10000
#define RETRY_AFTER_MAX_MS 60000

/* Whether a failure with code err (and HTTP status, for VL_ESTATUS) may heal: connect failures,
 * resets, early closes, every timeout but DNS's, 5xx, 408 and 429. Never other 4xx, TLS
 * verification, malformed responses or DNS answers. */
bool retry_allowed(int err, int status);

/* The wait before try number attempts + 1: the server's Retry-After (seconds, capped at 60 s)
 * when it sent one, else RETRY_BASE_MS doubling per attempt up to RETRY_MAX_MS, with jitter:
 * a value in [d/2, d] chosen by rnd (any 64-bit random number). */
uint64_t retry_delay_ms(unsigned attempts, uint32_t retry_after_s, uint64_t rnd);

#endif
