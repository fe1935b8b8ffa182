/* --checksum sha256: a body's SHA-256, computed while it streams to its file (no second read),
 * and of a whole file for --resume --verify. The only user of mbedTLS's hash outside TLS. */
#ifndef VOLLEY_DIGEST_H
#define VOLLEY_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN 32
#define DIGEST_HEX (2 * DIGEST_LEN + 1)

struct digest;

/* A new running SHA-256, or NULL when out of memory. */
struct digest *digest_new(void);
void digest_update(struct digest *d, const void *p, size_t n);
/* The digest of everything given, as lowercase hex (NUL-terminated); frees d. */
void digest_end(struct digest *d, char hex[DIGEST_HEX]);
/* Free d without a result. NULL is fine. */
void digest_free(struct digest *d);
/* The SHA-256 of the file at path, as hex. Returns 0, or -1 with errno set. */
int digest_file(const char *path, char hex[DIGEST_HEX]);

#endif
