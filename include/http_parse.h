/* HTTP/1.1 response parsing (RFC 9112): pure, incremental, zero-copy, allocation-free.
 * Results are views into the caller's buffer and live until it is moved or overwritten. */
#ifndef VOLLEY_HTTP_PARSE_H
#define VOLLEY_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#define HTTP_MAX_HEAD (64 * 1024) /* a larger header block is an error (VL_EHEADER_SIZE) */

struct http_header {
    const char *name;
    size_t name_len;
    const char *value; /* leading/trailing whitespace trimmed; spans any obs-fold raw */
    size_t value_len;
};

struct http_response {
    int minor_version; /* 0 or 1 */
    int status;        /* 100..999 */
    const char *reason;
    size_t reason_len;
    struct http_header *headers; /* caller-owned array */
    size_t num_headers;          /* capacity in, count out */
    bool obs_fold;               /* out: a value goes on over several lines (see http_unfold) */
};

#define HTTP_PARSE_TOO_MANY (-3)

/* Parse a complete response head (status line, headers, blank line) at buf.
 * Returns the head's length in bytes (>0), -2 if buf holds only part of a head, -1 if malformed,
 * or HTTP_PARSE_TOO_MANY for a whole, well-formed head with more fields than capacity (the
 * first capacity ones are filled). Accepts bare LF as line end. */
int http_parse_head(const char *buf, size_t len, struct http_response *resp);

/* A line that starts with whitespace continues the previous field (obs-fold, RFC 9112 section
 * 5.2): the field's value view then spans the fold's raw CRLF and whitespace. Before the values
 * are interpreted, a head with obs_fold set must go through http_unfold: it rewrites each fold's
 * CR and LF in place as spaces (len is the head's length as returned), so every view reads as
 * one line. */
void http_unfold(char *head, size_t len);

/* Case-insensitive lookup; returns the first header named `name`, or NULL. */
const struct http_header *http_find_header(const struct http_response *resp, const char *name);

enum http_framing {
    HTTP_BODY_NONE,    /* 1xx, 204, 304, response to HEAD */
    HTTP_BODY_LENGTH,  /* Content-Length */
    HTTP_BODY_CHUNKED, /* Transfer-Encoding ending in chunked */
    HTTP_BODY_CLOSE,   /* delimited by the server closing */
};

struct http_meta {
    enum http_framing framing;
    uint64_t length;      /* valid for HTTP_BODY_LENGTH */
    bool keep_alive;      /* connection may be reused after this response */
    const char *location; /* Location header value, or NULL */
    size_t location_len;
    uint32_t retry_after; /* seconds from Retry-After (delta form), 0 if absent */
};

/* What a final response means for a GET that saves 2xx bodies and follows redirects. */
enum http_class { HTTP_SAVE, HTTP_REDIRECT, HTTP_ERROR_STATUS };

/* A redirect (301, 302, 303, 307, 308 with a Location), a success (2xx), or an error status. */
enum http_class http_classify(int status, const struct http_meta *meta);

/* Derive framing and connection reuse from a parsed head (RFC 9112 section 6.3).
 * head_request: the request was HEAD. Returns 0, or -1 on conflicting/invalid framing
 * (several differing Content-Length, a non-numeric one, Transfer-Encoding not ending in chunked
 * on a response that would need it is treated as close-delimited). */
int http_response_meta(const struct http_response *resp, bool head_request, struct http_meta *meta);

/* Body decoder: zero-filled or http_body_init'ed state, fed any split of the input. */
struct http_body {
    enum http_framing framing;
    uint64_t remaining; /* LENGTH: bytes left; CHUNKED: bytes left in the current chunk */
    int state;          /* private to the chunked state machine */
    uint32_t line_len;  /* private: bytes of the current size/trailer line, bounded */
    bool done;
};

void http_body_init(struct http_body *b, enum http_framing framing, uint64_t length);

/* Decode from buf. Sets *data and *data_len to the next run of body bytes found (a view into buf,
 * possibly empty) and returns how many input bytes were consumed (>= 0); call again with the rest.
 * Returns -1 on malformed chunked framing (bad hex, size over 2^62, missing CRLF, a size line or
 * trailer line over 4 KiB). Sets b->done once the message is complete; bytes after the end are
 * not consumed (they belong to the next pipelined response). For HTTP_BODY_CLOSE the caller
 * ends the body on EOF with http_body_eof. */
ssize_t http_body_feed(struct http_body *b, const char *buf, size_t len, const char **data,
                       size_t *data_len);

/* The peer closed. Returns 0 if that ends the message properly (close-delimited, or already
 * done), -1 if the body was cut short. */
int http_body_eof(struct http_body *b);

#endif
