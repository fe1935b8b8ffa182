/* err.c: text and tags for volley's error codes. */
#include "err.h"

#include <errno.h>

struct err_info {
    const char *tag;
    const char *text;
};

/* Indexed by -code. */
static const struct err_info table[] = {
    [0] = {"ok", "ok"},
    [-VL_ENOMEM] = {"nomem", "out of memory"},
    [-VL_EUSAGE] = {"usage", "bad usage"},
    [-VL_EURL] = {"bad_url", "invalid URL"},
    [-VL_EINDEX] = {"bad_index", "malformed index"},
    [-VL_EDNS_NOTFOUND] = {"dns_notfound", "DNS: host not found"},
    [-VL_EDNS] = {"dns_error", "DNS: lookup failed"},
    [-VL_ECONNREFUSED] = {"conn_refused", "connect: connection refused"},
    [-VL_ECONNECT] = {"conn_failed", "connect: failed"},
    [-VL_ERESET] = {"conn_reset", "connection reset by peer"},
    [-VL_ECLOSED] = {"conn_closed", "connection closed before the response was complete"},
    [-VL_ETLS] = {"tls_error", "TLS: handshake or record failure"},
    [-VL_ETLS_VERIFY] = {"tls_verify", "TLS: certificate not trusted"},
    [-VL_ETLS_HOSTNAME] = {"tls_hostname", "TLS: certificate does not match the host name"},
    [-VL_ETIMEOUT_DNS] = {"timeout_dns", "timeout: DNS lookup"},
    [-VL_ETIMEOUT_CONNECT] = {"timeout_connect", "timeout: connect"},
    [-VL_ETIMEOUT_TLS] = {"timeout_tls", "timeout: TLS handshake"},
    [-VL_ETIMEOUT_TTFB] = {"timeout_ttfb", "timeout: waiting for the first byte"},
    [-VL_ETIMEOUT] = {"timeout", "timeout: whole request"},
    [-VL_EHTTP] = {"bad_response", "malformed HTTP response"},
    [-VL_EHEADER_SIZE] = {"header_too_big", "response header block over 64 KiB"},
    [-VL_EBODY_SIZE] = {"body_too_big", "response body over --max-size"},
    [-VL_ESTATUS] = {"http_status", "HTTP error status"},
    [-VL_EREDIRECT_LOOP] = {"too_many_redirects", "too many redirects (max 5)"},
    [-VL_EREDIRECT] = {"bad_redirect", "redirect with an unusable Location"},
    [-VL_EPATH] = {"unsafe_path", "output path would leave the -o directory"},
    [-VL_EIO] = {"io_error", "local file write failed"},
    [-VL_ECLIENT_FILES] = {"client_files",
                           "client limit: too many open files (raise ulimit -n or lower -k)"},
    [-VL_EINTR] = {"interrupted", "interrupted by a signal"},
    [-VL_ESYS] = {"system_error", "system call failed"},
    [-VL_ECLIENT_PORTS] = {"client_ports",
                           "client limit: no ephemeral port left (use --bind with more source "
                           "addresses)"},
    [-VL_ECLIENT_BUFS] = {"client_buffers", "client limit: kernel socket buffers exhausted"},
    [-VL_EEXCESS] = {"excess_data",
                     "the server sent bytes that no request asked for; connection dropped"},
    [-VL_EPATH_CONFLICT] = {"path_conflict", "another URL of this run saves to the same file"},
    [-VL_ESYMLINK] = {"unsafe_symlink",
                      "a symbolic link below the -o directory is in the way (not followed)"},
    [-VL_EURL_LONG] = {"url_too_long", "URL longer than 8,000 bytes"},
    [-VL_ETLS_TOO_BIG] = {"tls_too_big",
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
