/* JSON read with jsmn, strictly (RFC 8259): the members of one object, such as a manifest line.
 * (The index reader, index_from_json, is declared in index.h.) */
#ifndef VOLLEY_JSON_H
#define VOLLEY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_kind { JSON_STRING, JSON_NUMBER, JSON_BOOL, JSON_NULL, JSON_OTHER };

/* One member to look for: key in; the rest out. */
struct json_field {
    const char *key;
    bool found;
    enum json_kind kind;
    char *str; /* JSON_STRING: decoded, NUL-terminated (it may hold NUL too), owned */
    size_t len;
    uint64_t num; /* JSON_NUMBER: the value of a non-negative integer, else 0 */
    bool b;       /* JSON_BOOL */
};

/* Parse buf[0..len) as exactly one JSON object and fill each field whose key it has (the first
 * such member). Strings are decoded; a lone \uDC80..\uDCFF stands for the byte 0x80..0xFF
 * (surrogateescape, as text_put_json writes). Returns 0, VL_EINDEX (not one valid object) or
 * VL_ENOMEM; on failure nothing is left allocated. */
int json_read_object(const char *buf, size_t len, struct json_field *f, size_t nf);
/* Free the strings of fields filled by json_read_object. */
void json_fields_free(struct json_field *f, size_t nf);

#endif
