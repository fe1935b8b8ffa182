/* retry.c: which failures are worth another try, and the backoff before it. */
#include "retry.h"

#include "err.h"

bool retry_allowed(int err, int status)
{
    switch (err) {
    case VL_ECONNREFUSED:
    case VL_ECONNECT:
    case VL_ERESET:
    case VL_ECLOSED:
    case VL_EEXCESS:
    case VL_ETIMEOUT_CONNECT:
    case VL_ETIMEOUT_TLS:
    case VL_ETIMEOUT_TTFB:
    case VL_ETIMEOUT:
        return true;
    case VL_ESTATUS: /* RFC 9110 15.5.9 (408), 15.6 (5xx); RFC 6585 section 4 (429). A code
                      * over 599 is not HTTP (RFC 9110 section 15): nothing says it heals. */
        return (status >= 500 && status <= 599) || status == 408 || status == 429;
    default:
        return false;
    }
}

uint64_t retry_delay_ms(unsigned attempts, uint32_t retry_after_s, uint64_t rnd)
{
    if (retry_after_s)
        return (uint64_t)retry_after_s * 1000 < RETRY_AFTER_MAX_MS ? (uint64_t)retry_after_s * 1000
                                                                   : RETRY_AFTER_MAX_MS;
    unsigned shift = attempts == 0 ? 0 : attempts < 16 ? attempts - 1 : 15;
    uint64_t d = (uint64_t)RETRY_BASE_MS << shift;
    if (d > RETRY_MAX_MS)
        d = RETRY_MAX_MS;
    /* Jitter spreads the retries of many URLs that failed together (a server restart). */
    return d / 2 + rnd % (d / 2 + 1);
}
