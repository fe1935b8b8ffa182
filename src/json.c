/* json.c: the only user of jsmn. jsmn tokenizes; this file then checks the token stream against
 * the RFC 8259 grammar (jsmn, even in strict mode, accepts missing, leading and trailing commas
 * and loose primitives). Two readers sit on that: index_from_json takes one string from each
 * element of an index array, json_read_object the named members of one object (a manifest
 * line). */
#include "json.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Static: jsmn's symbols stay private to this file. Parent links make a closing bracket cost
 * O(depth); without them jsmn scans back over every earlier token, quadratic for a flat array of
 * objects. Strict: primitives only where a value may stand, and they must be delimited. */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>

#include "err.h"
#include "index.h"
#include "text.h"

#define NONE ((size_t)-1)

/* RFC 8259 section 9 lets a parser limit nesting. jsmn finds the bracket a ']' closes by climbing
 * from the last token, which costs the current depth: unbounded depth would be quadratic. */
#define JSON_MAX_DEPTH 128

struct doc {
    const char *buf;
    size_t len;
    char open;         /* '[' or '{': what the document must be */
    bool escape_bytes; /* a lone \uDC80..\uDCFF stands for one byte (surrogateescape) */
    jsmntok_t *t;      /* owned */
    int n;
    char *err;
    size_t errlen;
    char *scratch; /* decoded escapes, owned */
    size_t scratch_cap;
};

/* Where the walk over the tokens is: the innermost open container or key, and the first byte
 * not yet accounted for. */
struct walk {
    int top;
    size_t cur;
};

__attribute__((format(printf, 2, 3))) static int fail(struct doc *d, const char *fmt, ...)
{
    va_list ap;

    if (d->err && d->errlen) {
        va_start(ap, fmt);
        vsnprintf(d->err, d->errlen, fmt, ap);
        va_end(ap);
    }
    return VL_EINDEX;
}

static int malformed(struct doc *d, size_t at)
{
    return fail(d, "malformed JSON at byte %zu", at);
}

/* RFC 8259 section 2: insignificant whitespace. */
static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *b, size_t i, size_t end)
{
    while (i < end && is_ws(b[i]))
        i++;
    return i;
}

static int is_container(const jsmntok_t *k)
{
    return k->type == JSMN_ARRAY || k->type == JSMN_OBJECT;
}

/* A key is a string directly inside an object; its value is its only child token. */
static int is_key(const struct doc *d, int i)
{
    int p = d->t[i].parent;

    return d->t[i].type == JSMN_STRING && p >= 0 && d->t[p].type == JSMN_OBJECT;
}

/* jsmn's string tokens exclude the quotes. */
static size_t outer_start(const jsmntok_t *k)
{
    return (size_t)k->start - (k->type == JSMN_STRING);
}

static size_t outer_end(const jsmntok_t *k)
{
    return (size_t)k->end + (k->type == JSMN_STRING);
}

/* Scan brackets outside strings; jsmn reports any other defect later. */
static int check_depth(struct doc *d)
{
    const char *b = d->buf;
    int depth = 0, in_str = 0;

    for (size_t i = 0; i < d->len; i++) {
        if (in_str) {
            if (b[i] == '\\')
                i++;
            else if (b[i] == '"')
                in_str = 0;
        } else if (b[i] == '"') {
            in_str = 1;
        } else if (b[i] == '[' || b[i] == '{') {
            if (++depth > JSON_MAX_DEPTH)
                return fail(d, "nesting deeper than %d at byte %zu", JSON_MAX_DEPTH, i);
        } else if (b[i] == ']' || b[i] == '}') {
            depth--;
        }
    }
    return 0;
}

static int check_input(struct doc *d)
{
    const char *z;
    size_t i;

    if (d->len > INT_MAX)
        return fail(d, "index too large (%zu bytes)", d->len);
    i = skip_ws(d->buf, 0, d->len);
    if (i == d->len)
        return fail(d, "empty index");
    /* jsmn stops at a NUL as if the input ended there. */
    z = memchr(d->buf, '\0', d->len);
    if (z)
        return fail(d, "malformed JSON at byte %zu: NUL byte", (size_t)(z - d->buf));
    if (d->buf[i] != d->open)
        return fail(d, d->open == '[' ? "index is not a JSON array" : "not a JSON object");
    return check_depth(d);
}

static int part_error(struct doc *d, const jsmn_parser *p)
{
    size_t at;

    if (p->toknext == 0 || d->t[0].end < 0)
        return fail(d, "truncated JSON");
    at = skip_ws(d->buf, (size_t)d->t[0].end, d->len);
    return fail(d, "malformed JSON at byte %zu: data after the array", at);
}

/* Every token covers at least one byte, so len + 1 tokens always suffice: grow up to that. */
static int tokenize(struct doc *d)
{
    size_t most = d->len + 1, cap = d->len / 8 + 16;
    jsmn_parser p;
    int r;

    jsmn_init(&p);
    for (cap = cap < most ? cap : most;; cap = cap < most / 2 ? cap * 2 : most) {
        jsmntok_t *t;

        if (cap > SIZE_MAX / sizeof(*t))
            return VL_ENOMEM;
        t = realloc(d->t, cap * sizeof(*t));
        if (!t)
            return VL_ENOMEM;
        d->t = t;
        /* On NOMEM jsmn leaves pos at the token it could not store: parsing resumes there. */
        r = jsmn_parse(&p, d->buf, d->len, d->t, (unsigned)cap);
        if (r != JSMN_ERROR_NOMEM || cap == most)
            break;
    }
    if (r == JSMN_ERROR_INVAL || r == JSMN_ERROR_NOMEM)
        return malformed(d, p.pos);
    if (r == JSMN_ERROR_PART)
        return part_error(d, &p);
    d->n = (int)p.toknext;
    return 0;
}

/* Between two tokens only whitespace and, where sep is set, exactly one sep (RFC 8259 section 2).
 * Returns the offset of the first byte breaking that, or NONE. */
static size_t gap_bad(const char *b, size_t from, size_t to, char sep)
{
    size_t i = skip_ws(b, from, to);

    if (sep) {
        if (i == to || b[i] != sep)
            return i;
        i = skip_ws(b, i + 1, to);
    }
    return i == to ? NONE : i;
}

static size_t digits(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number_ok(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-'), j;

    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        i = digits(s, i, n);
    else
        return 0;
    if (i < n && s[i] == '.') {
        j = digits(s, i + 1, n);
        if (j == i + 1)
            return 0;
        i = j;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        i += i < n && (s[i] == '+' || s[i] == '-');
        j = digits(s, i, n);
        if (j == i)
            return 0;
        i = j;
    }
    return i == n;
}

static int primitive_ok(const char *s, size_t n)
{
    static const char *const lit[] = {"true", "false", "null"};

    for (size_t i = 0; i < sizeof(lit) / sizeof(lit[0]); i++)
        if (n == strlen(lit[i]) && memcmp(s, lit[i], n) == 0)
            return 1;
    return number_ok(s, n);
}

/* jsmn checks escapes but lets raw control characters into strings (RFC 8259 section 7). */
static size_t token_bad(const struct doc *d, const jsmntok_t *k)
{
    if (k->type == JSMN_PRIMITIVE)
        return primitive_ok(d->buf + k->start, (size_t)(k->end - k->start)) ? NONE
                                                                            : (size_t)k->start;
    if (k->type == JSMN_STRING)
        for (int i = k->start; i < k->end; i++)
            if ((unsigned char)d->buf[i] < 0x20)
                return (size_t)i;
    return NONE;
}

/* Containers hold anything, objects hold keys, a key holds exactly one value. */
static int parent_ok(const struct doc *d, int p, int i)
{
    switch (d->t[p].type) {
    case JSMN_ARRAY:
        return 1;
    case JSMN_OBJECT:
        return d->t[i].type == JSMN_STRING;
    case JSMN_STRING:
        return is_key(d, p) && i == p + 1;
    default:
        return 0;
    }
}

static char separator(const struct doc *d, int p, int i)
{
    if (d->t[p].type == JSMN_STRING)
        return ':';
    return i == p + 1 ? 0 : ',';
}

/* Pop finished containers and keys until p is innermost; a container must close right after its
 * last member (no trailing comma) and a key must have had its value. */
static int close_until(struct doc *d, struct walk *w, int p)
{
    while (w->top != p) {
        const jsmntok_t *k;
        size_t bad;

        if (w->top < 0)
            return malformed(d, w->cur);
        k = &d->t[w->top];
        if (is_container(k)) {
            bad = gap_bad(d->buf, w->cur, (size_t)k->end - 1, 0);
            if (bad != NONE)
                return malformed(d, bad);
            w->cur = (size_t)k->end;
        } else if (k->size != 1) {
            return malformed(d, w->cur);
        }
        w->top = k->parent;
    }
    return 0;
}

/* One token, in document order: its place in the tree, the bytes before it, its own bytes. */
static int check_token(struct doc *d, struct walk *w, int i)
{
    const jsmntok_t *k = &d->t[i];
    size_t at = outer_start(k), bad;
    int rc;

    if (k->parent < 0 && i > 0)
        return fail(d, "malformed JSON at byte %zu: data after the array", at);
    if (k->parent >= 0 && !parent_ok(d, k->parent, i))
        return malformed(d, at);
    rc = close_until(d, w, k->parent);
    if (rc < 0)
        return rc;
    bad = gap_bad(d->buf, w->cur, at, k->parent < 0 ? 0 : separator(d, k->parent, i));
    if (bad == NONE)
        bad = token_bad(d, k);
    if (bad != NONE)
        return malformed(d, bad);
    w->cur = is_container(k) ? (size_t)k->start + 1 : outer_end(k);
    if (is_container(k) || is_key(d, i))
        w->top = i;
    return 0;
}

static int check_syntax(struct doc *d)
{
    struct walk w = {-1, 0};
    size_t bad;
    int rc;

    for (int i = 0; i < d->n; i++) {
        rc = check_token(d, &w, i);
        if (rc < 0)
            return rc;
    }
    rc = close_until(d, &w, -1);
    if (rc < 0)
        return rc;
    bad = gap_bad(d->buf, w.cur, d->len, 0);
    if (bad != NONE)
        return fail(d, "malformed JSON at byte %zu: data after the array", bad);
    return 0;
}

static int hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int x = text_hex_digit((unsigned char)s[i]);
        if (x < 0)
            return -1;
        *v = *v << 4 | (uint32_t)x;
    }
    return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX at b[i], with a following low surrogate when XXXX is a high one (RFC 8259 section 7).
 * Returns the escape's length in bytes (6 or 12) or VL_EINDEX. */
static int read_u(struct doc *d, size_t i, size_t end, uint32_t *cp)
{
    const char *b = d->buf;
    uint32_t lo;

    if (end - i < 6 || hex4(b + i + 2, cp) < 0)
        return fail(d, "bad \\u escape at byte %zu", i);
    if (*cp == 0)
        return fail(d, "\\u0000 at byte %zu: NUL in a string", i);
    if (d->escape_bytes && *cp >= 0xDC80 && *cp <= 0xDCFF)
        return 6; /* one raw byte, see text_put_json */
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return fail(d, "lone surrogate \\u%04X at byte %zu", (unsigned)*cp, i);
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return 6;
    if (end - i < 12 || b[i + 6] != '\\' || b[i + 7] != 'u' || hex4(b + i + 8, &lo) < 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
        return fail(d, "lone surrogate \\u%04X at byte %zu", (unsigned)*cp, i);
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    return 12;
}

/* Decode string token k into d->scratch; escapes never expand, so the raw length suffices.
 * Returns 0 or a VL_E* code; *olen is the decoded length. */
static int unescape(struct doc *d, const jsmntok_t *k, size_t *olen)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    size_t i = (size_t)k->start, end = (size_t)k->end, n = 0;
    const char *b = d->buf, *m;

    if (end - i > d->scratch_cap) {
        char *s = realloc(d->scratch, end - i);

        if (!s)
            return VL_ENOMEM;
        d->scratch = s;
        d->scratch_cap = end - i;
    }
    while (i < end) {
        uint32_t cp = 0;
        int used;

        if (b[i] != '\\') {
            d->scratch[n++] = b[i++];
            continue;
        }
        if (i + 1 < end && b[i + 1] == 'u') {
            used = read_u(d, i, end, &cp);
            if (used < 0)
                return used;
            if (cp >= 0xDC80 && cp <= 0xDCFF) /* read_u allows it only with escape_bytes */
                d->scratch[n++] = (char)(cp - 0xDC00);
            else
                n += utf8_put(d->scratch + n, cp);
            i += (size_t)used;
            continue;
        }
        m = i + 1 < end && b[i + 1] ? strchr(from, b[i + 1]) : NULL;
        if (!m)
            return fail(d, "bad escape at byte %zu", i);
        d->scratch[n++] = to[m - from];
        i += 2;
    }
    *olen = n;
    return 0;
}

/* String token k's text, decoded: a view into the document when it has no escapes, else into
 * d->scratch (valid until the next decode). Returns 0 or the unescape error. */
static int decoded(struct doc *d, const jsmntok_t *k, const char **s, size_t *n)
{
    *s = d->buf + k->start;
    *n = (size_t)(k->end - k->start);
    if (!memchr(*s, '\\', *n))
        return 0;
    int rc = unescape(d, k, n);
    *s = d->scratch;
    return rc < 0 ? rc : 0;
}

/* Key k decoded equals field, exactly (byte for byte, case-sensitive). */
static int key_is(struct doc *d, const jsmntok_t *k, const char *field, size_t flen, int *eq)
{
    const char *s;
    size_t n;
    int rc = decoded(d, k, &s, &n);
    *eq = rc == 0 && n == flen && memcmp(s, field, n) == 0;
    return rc;
}

static int take(struct doc *d, const jsmntok_t *k, struct url_list *out)
{
    const char *s;
    size_t n;
    int rc = decoded(d, k, &s, &n);
    return rc < 0 ? rc : url_list_add(out, s, n);
}

/* Index just past token i's subtree: tokens are in document order and a descendant starts
 * before its ancestor ends. */
static int skip(const struct doc *d, int i)
{
    int j = i + 1;

    if (is_container(&d->t[i]))
        while (j < d->n && d->t[j].start < d->t[i].end)
            j++;
    return j;
}

/* Where element e keeps its URL: *val the string token to take (e itself if a string, else the
 * value of e's own first `field` key when that is a string), or -1 with *why saying why not
 * (the field is absent, or holds no string). Deeper keys are not looked at. */
enum miss { MISS_NONE, MISS_FIELD, MISS_NOT_STRING };

static int find_field(struct doc *d, int e, const char *field, size_t flen, int *val,
                      enum miss *why)
{
    const jsmntok_t *el = &d->t[e];
    int q = e + 1, eq, rc;

    *val = el->type == JSMN_STRING ? e : -1;
    *why = el->type == JSMN_STRING   ? MISS_NONE
           : el->type == JSMN_OBJECT ? MISS_FIELD
                                     : MISS_NOT_STRING;
    if (el->type != JSMN_OBJECT)
        return 0;
    for (int m = 0; m < el->size; m++) {
        rc = key_is(d, &d->t[q], field, flen, &eq);
        if (rc < 0)
            return rc;
        if (eq) {
            *val = d->t[q + 1].type == JSMN_STRING ? q + 1 : -1;
            *why = *val >= 0 ? MISS_NONE : MISS_NOT_STRING;
            return 0;
        }
        q = skip(d, q + 1);
    }
    return 0;
}

static int extract(struct doc *d, const char *field, struct url_list *out,
                   struct index_skipped *skipped)
{
    size_t flen = strlen(field), taken = 0;
    int e = 1, val, rc;
    enum miss why;

    for (int m = 0; m < d->t[0].size && e < d->n; m++) {
        rc = find_field(d, e, field, flen, &val, &why);
        if (rc == 0 && val >= 0) {
            rc = take(d, &d->t[val], out);
            taken++;
        }
        skipped->no_field += why == MISS_FIELD;
        skipped->not_string += why == MISS_NOT_STRING;
        if (rc < 0)
            return rc;
        e = skip(d, e);
    }
    if (d->t[0].size > 0 && taken == 0)
        return fail(d, "no element has field \"%s\"", field);
    return 0;
}

/* Tokenize and check a whole document. */
static int parse(struct doc *d)
{
    int rc = check_input(d);

    if (rc == 0)
        rc = tokenize(d);
    if (rc == 0)
        rc = check_syntax(d);
    return rc;
}

int index_from_json(const char *buf, size_t len, const char *field, struct url_list *out,
                    struct index_skipped *skipped, char *err, size_t errlen)
{
    struct doc d = {.buf = buf, .len = len, .open = '[', .err = err, .errlen = errlen};
    struct index_skipped none;
    size_t n0 = out->n, a0 = out->arena_len;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!skipped)
        skipped = &none;
    memset(skipped, 0, sizeof(*skipped));
    /* A byte order mark is no JSON (RFC 8259 section 8.1 lets a parser ignore it). */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        d.buf += 3;
        d.len -= 3;
    }
    rc = parse(&d);
    if (rc == 0)
        rc = extract(&d, field, out, skipped);
    if (rc < 0) {
        /* url_list appends at the arena's end: cutting back drops this call's entries. */
        out->n = n0;
        out->arena_len = a0;
    }
    if (rc == VL_ENOMEM)
        fail(&d, "out of memory");
    free(d.t);
    free(d.scratch);
    return rc;
}

/* Member value token v into field f. */
static int fill_field(struct doc *d, int v, struct json_field *f)
{
    const jsmntok_t *k = &d->t[v];
    const char *s = d->buf + k->start;
    size_t n = (size_t)(k->end - k->start);

    f->found = true;
    if (k->type == JSMN_STRING) {
        int rc = decoded(d, k, &s, &n);
        if (rc < 0)
            return rc;
        if (!(f->str = malloc(n + 1)))
            return VL_ENOMEM;
        memcpy(f->str, s, n);
        f->str[n] = '\0';
        f->len = n;
        f->kind = JSON_STRING;
    } else if (k->type != JSMN_PRIMITIVE) {
        f->kind = JSON_OTHER;
    } else if (*s == 't' || *s == 'f') {
        f->kind = JSON_BOOL;
        f->b = *s == 't';
    } else if (*s == 'n') {
        f->kind = JSON_NULL;
    } else {
        char *end;
        f->kind = JSON_NUMBER;
        f->num = *s == '-' ? 0 : strtoull(s, &end, 10); /* number_ok checked the syntax */
    }
    return 0;
}

int json_read_object(const char *buf, size_t len, struct json_field *f, size_t nf)
{
    struct doc d = {.buf = buf, .len = len, .open = '{', .escape_bytes = true};
    int rc = parse(&d), q = 1;

    for (size_t i = 0; i < nf; i++)
        f[i] = (struct json_field){.key = f[i].key};
    for (int m = 0; rc == 0 && m < d.t[0].size; m++, q = skip(&d, q + 1))
        for (size_t i = 0; rc == 0 && i < nf; i++) {
            int eq;
            rc = key_is(&d, &d.t[q], f[i].key, strlen(f[i].key), &eq);
            if (rc == 0 && eq && !f[i].found)
                rc = fill_field(&d, q + 1, &f[i]);
        }
    free(d.t);
    free(d.scratch);
    if (rc < 0)
        json_fields_free(f, nf);
    return rc;
}

void json_fields_free(struct json_field *f, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        free(f[i].str);
        f[i].str = NULL;
    }
}
