/* err.c: text, tags and classes for volley's error codes. */
#include "err.h"

#include <errno.h>

struct err_info {
    const char *tag;
    enum err_kind kind;
    const char *text;
};

/* Indexed by -code. */
static const struct err_info table[] = {
    [0] = {"ok", ERRK_NONE, "ok"},
    [-VL_ENOMEM] = {"nomem", ERRK_CLIENT, "out of memory"},
    [-VL_EUSAGE] = {"usage", ERRK_USAGE, "bad usage"},
    [-VL_EURL] = {"bad_url", ERRK_USAGE, "invalid URL"},
    [-VL_EINDEX] = {"bad_index", ERRK_HTTP, "malformed index"},
    [-VL_EDNS_NOTFOUND] = {"dns_notfound", ERRK_DNS, "DNS: host not found"},
    [-VL_EDNS] = {"dns_error", ERRK_DNS, "DNS: lookup failed"},
    [-VL_ECONNREFUSED] = {"conn_refused", ERRK_CONNECT, "connect: connection refused"},
    [-VL_ECONNECT] = {"conn_failed", ERRK_CONNECT, "connect: failed"},
    [-VL_ERESET] = {"conn_reset", ERRK_CONNECT, "connection reset by peer"},
    [-VL_ECLOSED] = {"conn_closed", ERRK_HTTP,
                     "connection closed before the response was complete"},
    [-VL_ETLS] = {"tls_error", ERRK_TLS, "TLS: handshake or record failure"},
    [-VL_ETLS_VERIFY] = {"tls_verify", ERRK_TLS, "TLS: certificate not trusted"},
    [-VL_ETLS_HOSTNAME] = {"tls_hostname", ERRK_TLS,
                           "TLS: certificate does not match the host name"},
    [-VL_ETIMEOUT_DNS] = {"timeout_dns", ERRK_TIMEOUT, "timeout: DNS lookup"},
    [-VL_ETIMEOUT_CONNECT] = {"timeout_connect", ERRK_TIMEOUT, "timeout: connect"},
    [-VL_ETIMEOUT_TLS] = {"timeout_tls", ERRK_TIMEOUT, "timeout: TLS handshake"},
    [-VL_ETIMEOUT_TTFB] = {"timeout_ttfb", ERRK_TIMEOUT, "timeout: waiting for the first byte"},
    [-VL_ETIMEOUT] = {"timeout", ERRK_TIMEOUT, "timeout: whole request"},
    [-VL_EHTTP] = {"bad_response", ERRK_HTTP, "malformed HTTP response"},
    [-VL_EHEADER_SIZE] = {"header_too_big", ERRK_HTTP, "response header block over 64 KiB"},
    [-VL_EBODY_SIZE] = {"body_too_big", ERRK_HTTP, "response body over --max-size"},
    [-VL_ESTATUS] = {"http_status", ERRK_HTTP, "HTTP error status"},
    [-VL_EREDIRECT_LOOP] = {"too_many_redirects", ERRK_HTTP, "too many redirects (max 5)"},
    [-VL_EREDIRECT] = {"bad_redirect", ERRK_HTTP, "redirect with an unusable Location"},
    [-VL_EPATH] = {"unsafe_path", ERRK_USAGE, "output path would leave the -o directory"},
    [-VL_EIO] = {"io_error", ERRK_IO, "local file write failed"},
    [-VL_ECLIENT_FILES] = {"client_files", ERRK_CLIENT,
                           "client limit: too many open files (raise ulimit -n or lower -k)"},
    [-VL_EINTR] = {"interrupted", ERRK_CLIENT, "interrupted by a signal"},
    [-VL_ESYS] = {"system_error", ERRK_CLIENT, "system call failed"},
    [-VL_ECLIENT_PORTS] = {"client_ports", ERRK_CLIENT,
                           "client limit: no ephemeral port left (use --bind with more source "
                           "addresses)"},
    [-VL_ECLIENT_BUFS] = {"client_buffers", ERRK_CLIENT,
                          "client limit: kernel socket buffers exhausted"},
    [-VL_EEXCESS] = {"excess_data", ERRK_HTTP,
                     "the server sent bytes that no request asked for; connection dropped"},
    [-VL_EPATH_CONFLICT] = {"path_conflict", ERRK_USAGE,
                            "another URL of this run saves to the same file"},
    [-VL_ESYMLINK] = {"unsafe_symlink", ERRK_USAGE,
                      "a symbolic link below the -o directory is in the way (not followed)"},
    [-VL_EURL_LONG] = {"url_too_long", ERRK_USAGE, "URL longer than 8,000 bytes"},
    [-VL_ETLS_TOO_BIG] = {"tls_too_big", ERRK_TLS,
                          "TLS: a handshake message over 16 KB (a certificate chain too long for "
                          "mbedTLS)"},
};

static const struct err_info *lookup(int code)
{
    if (code > 0 || code < VL_ERR_MIN)
        return &table[-VL_ESYS];
    return &table[-code];
}

const char *err_str(int code)
{
    return lookup(code)->text;
}

const char *err_tag(int code)
{
    return lookup(code)->tag;
}

enum err_kind err_kind(int code)
{
    return lookup(code)->kind;
}

int err_from_errno(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return VL_ECONNREFUSED;
    case ECONNRESET:
    case EPIPE:
        return VL_ERESET;
    case EMFILE:
    case ENFILE:
        return VL_ECLIENT_FILES;
    case EADDRNOTAVAIL:
        return VL_ECLIENT_PORTS;
    case ENOBUFS:
    case ENOMEM:
        return VL_ECLIENT_BUFS;
    case ETIMEDOUT:
        return VL_ETIMEOUT_CONNECT;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
        return VL_ECONNECT;
    default:
        return VL_ESYS;
    }
}
