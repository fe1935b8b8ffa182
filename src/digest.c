/* digest.c: SHA-256 with mbedTLS, hex out. */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

struct digest {
    mbedtls_sha256_context ctx;
};

struct digest *digest_new(void)
{
    struct digest *d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    mbedtls_sha256_init(&d->ctx);
    mbedtls_sha256_starts(&d->ctx, 0); /* 0: SHA-256, not SHA-224; cannot fail in software */
    return d;
}

void digest_update(struct digest *d, const void *p, size_t n)
{
    mbedtls_sha256_update(&d->ctx, p, n);
}

void digest_end(struct digest *d, char hex[DIGEST_HEX])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char sum[DIGEST_LEN];
    mbedtls_sha256_finish(&d->ctx, sum);
    for (int i = 0; i < DIGEST_LEN; i++) {
        hex[2 * i] = digits[sum[i] >> 4];
        hex[2 * i + 1] = digits[sum[i] & 15];
    }
    hex[2 * DIGEST_LEN] = '\0';
    digest_free(d);
}

void digest_free(struct digest *d)
{
    if (!d)
        return;
    mbedtls_sha256_free(&d->ctx);
    free(d);
}

int digest_file(const char *path, char hex[DIGEST_HEX])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct digest *d = digest_new();
    char buf[64 * 1024];
    ssize_t n = d ? 1 : -1;
    int e = d ? 0 : ENOMEM;
    while (n > 0) {
        n = read(fd, buf, sizeof(buf));
        if (n > 0)
            digest_update(d, buf, (size_t)n);
        else if (n < 0 && errno == EINTR)
            n = 1;
        else if (n < 0)
            e = errno;
    }
    close(fd);
    if (n < 0) {
        digest_free(d);
        errno = e;
        return -1;
    }
    digest_end(d, hex);
    return 0;
}
