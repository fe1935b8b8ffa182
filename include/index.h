/* The job list: URLs from a JSON index (via json.c) or from a one-URL-a-line list. */
#ifndef VOLLEY_INDEX_H
#define VOLLEY_INDEX_H

#include <stddef.h>

/* An owned list of NUL-terminated URL strings stored in one arena. */
struct url_list {
    char **v; /* v[i] points into arena */
    size_t n;
    size_t cap;
    char *arena; /* owned */
    size_t arena_len, arena_cap;
};

void url_list_init(struct url_list *l);
void url_list_free(struct url_list *l);
/* Append a copy of s[0..len). Returns 0 or VL_ENOMEM. */
int url_list_add(struct url_list *l, const char *s, size_t len);

/* Append one URL per line of buf (LF or CRLF; blank lines and lines starting with '#' skipped;
 * surrounding spaces trimmed). Returns 0 or VL_ENOMEM. URLs are not validated here: a bad one
 * fails as its own job. */
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
