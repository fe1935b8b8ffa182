/* Error codes and I/O status shared by every volley module. */
#ifndef VOLLEY_ERR_H
#define VOLLEY_ERR_H

/* Outcome of one nonblocking I/O step. The two wants stay apart: a TLS read may need to write. */
enum io_status { IO_OK, IO_WANT_READ, IO_WANT_WRITE, IO_EOF, IO_ERR };

/* 0 is success; every failure is a negative VL_E* code. A failed fetch records one of these. */
enum vl_err {
    VL_OK = 0,
    VL_ENOMEM = -1,
    VL_EUSAGE = -2,        /* bad option or argument */
    VL_EURL = -3,          /* URL rejected by the parser */
    VL_EINDEX = -4,        /* malformed index */
    VL_EDNS_NOTFOUND = -5, /* NXDOMAIN / no address */
    VL_EDNS = -6,          /* SERVFAIL, refused, bad answer */
    VL_ECONNREFUSED = -7,
    VL_ECONNECT = -8,       /* other connect failure (unreachable, ...) */
    VL_ERESET = -9,         /* connection reset by peer */
    VL_ECLOSED = -10,       /* peer closed before the response was complete */
    VL_ETLS = -11,          /* handshake or record failure */
    VL_ETLS_VERIFY = -12,   /* certificate chain not trusted */
    VL_ETLS_HOSTNAME = -13, /* certificate does not match the host name */
    VL_ETIMEOUT_DNS = -14,
    VL_ETIMEOUT_CONNECT = -15,
    VL_ETIMEOUT_TLS = -16,
    VL_ETIMEOUT_TTFB = -17,  /* no first response byte in time */
    VL_ETIMEOUT = -18,       /* whole request */
    VL_EHTTP = -19,          /* malformed response */
    VL_EHEADER_SIZE = -20,   /* header block over 64 KiB */
    VL_EBODY_SIZE = -21,     /* body over --max-size */
    VL_ESTATUS = -22,        /* non-2xx final status */
    VL_EREDIRECT_LOOP = -23, /* more than 5 redirects */
    VL_EREDIRECT = -24,      /* unusable Location */
    VL_EPATH = -25,          /* output path would leave -o DIR */
    VL_EIO = -26,            /* local write/rename failure */
    VL_ECLIENT_FILES = -27,  /* EMFILE/ENFILE: this client's open-file limit */
    VL_EINTR = -28,          /* stopped by a signal */
    VL_ESYS = -29,           /* other system call failure */
    VL_ECLIENT_PORTS = -30,  /* EADDRNOTAVAIL: no ephemeral port left for this destination */
    VL_ECLIENT_BUFS = -31,   /* ENOBUFS/ENOMEM from the kernel: socket buffers exhausted */
    VL_EEXCESS = -32,        /* bytes no request in flight accounts for: connection poisoned */
    VL_EPATH_CONFLICT = -33, /* another URL of the run saves to the same file */
    VL_ESYMLINK = -34,       /* a symbolic link below -o is in the output path */
    VL_EURL_LONG = -35,      /* a URL over URL_MAX bytes */
    VL_ETLS_TOO_BIG = -36,   /* a handshake message larger than mbedTLS's record buffer */
    VL_ERR_MIN = -36,
};

/* Human text for a code ("TLS: certificate not trusted"); never NULL. */
const char *err_str(int code);
/* Stable short tag for JSON and grouping ("tls_verify"); never NULL. */
const char *err_tag(int code);
/* Whether code is one of this client's own limits (files, ports, buffers), not the server's. */
static inline int err_is_client_limit(int code)
{
    return code == VL_ECLIENT_FILES || code == VL_ECLIENT_PORTS || code == VL_ECLIENT_BUFS;
}
/* Map an errno from connect/read/write to a volley code. */
int err_from_errno(int e);

#endif
