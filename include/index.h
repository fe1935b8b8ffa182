/* The job list: URLs from a JSON index (via json.c) or from a one-URL-a-line list. */
#ifndef VOLLEY_INDEX_H
#define VOLLEY_INDEX_H

#include <stdbool.h>
#include <stddef.h>

/* The longest URL volley sends: about what servers accept in a request line. A longer one
 * fails on its own as url_too_long. */
#define URL_MAX 8000

/* An owned list of URL strings stored in one arena, each NUL-terminated and of a known length
 * (a URL from a list may hold a NUL byte: it then fails as bad_url, whole). */
struct url_list {
    char **v;    /* v[i] points into arena */
    size_t *len; /* len[i] bytes at v[i] */
    size_t n;
    size_t cap;
    char *arena; /* owned */
    size_t arena_len, arena_cap;
};

void url_list_init(struct url_list *l);
void url_list_free(struct url_list *l);
/* Append a copy of s[0..len). Returns 0 or VL_ENOMEM. */
int url_list_add(struct url_list *l, const char *s, size_t len);

/* A one-URL-a-line list read as it arrives: LF or CRLF line ends, surrounding blanks trimmed,
 * blank lines and lines starting with '#' skipped. A line keeps at most LIST_LINE_MAX bytes
 * (a longer one is passed on cut, untrimmed: it fails as too long either way), so any input,
 * even one endless line, takes bounded memory. URLs are not validated here: a bad one fails as
 * its own job. Zero-initialise (it is large: 64 KiB). */
#define LIST_LINE_MAX (64 * 1024)

struct line_splitter {
    char line[LIST_LINE_MAX];
    size_t len;
    bool cut; /* the line has more bytes than were kept */
};

/* Called with each URL line; a nonzero return stops the splitter and is returned. */
typedef int (*line_cb)(void *arg, const char *s, size_t n);

/* Feed the next n bytes of the list. Returns 0 or what a callback returned. */
int line_splitter_feed(struct line_splitter *ls, const char *p, size_t n, line_cb cb, void *arg);
/* The input ended: a last line without a newline is a line too. */
int line_splitter_end(struct line_splitter *ls, line_cb cb, void *arg);

/* Append the URL lines of buf (as line_splitter). Returns 0 or VL_ENOMEM. */
int index_from_lines(const char *buf, size_t len, struct url_list *out);

/* What a JSON index held that is no URL: elements without the field, and elements whose field
 * (or which themselves) are neither a string nor an object. */
struct index_skipped {
    size_t no_field, not_string;
};

/* Append the string value of `field` from each element of a top-level JSON array of objects
 * (elements that are plain strings are taken as URLs themselves; other elements are skipped and
 * counted in *skipped, which may be NULL). A leading UTF-8 byte order mark is ignored. JSON
 * escapes are decoded (\" \\ \/ \b \f \n \r \t \uXXXX incl. surrogate pairs, to UTF-8).
 * Returns 0, VL_ENOMEM, or VL_EINDEX with a reason in err (e.g. "not a JSON array", "malformed
 * JSON at byte 123", "truncated JSON", "no element has field \"url\""). Lives in json.c. */
int index_from_json(const char *buf, size_t len, const char *field, struct url_list *out,
                    struct index_skipped *skipped, char *err, size_t errlen);

#endif
