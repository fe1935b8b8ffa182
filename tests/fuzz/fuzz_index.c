/* fuzz_index.c: libFuzzer target for the job-list extractors (index.h). Byte 0 picks the mode
 * (bit 0: lines, else bit 6: JSON round trip, else JSON), the JSON field name (bits 1-3) and the
 * error buffer size (bits 4-5); the rest is the index. In the round trip, each input line is
 * written as a JSON element (varied escapes, whitespace, decoy keys) and must come back. The list
 * starts with one entry so that a failed call must leave it as it was. Every call runs twice on
 * the same list: the second must append the same URLs again, which exercises the arena moving
 * under v[]. Each v[i] must point into the arena and be NUL-terminated there. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "index.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_index: invariant failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define FIRST "first-entry"

static const char *const fields[] = {"url", "href", "u", "", "a\"b", "\xc3\xa9"};
static const size_t errlens[] = {256, 1, 0, 17};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define NERRLENS (sizeof(errlens) / sizeof(errlens[0]))

/* Every entry lies in the used part of the arena, NUL-terminated there, entries in order. */
static void check_list(const struct url_list *l)
{
    const char *prev_end = l->arena;

    CHECK(l->n <= l->cap && l->arena_len <= l->arena_cap);
    CHECK(l->n == 0 || (l->v != NULL && l->arena != NULL));
    for (size_t i = 0; i < l->n; i++) {
        const char *s = l->v[i];
        const char *nul;

        CHECK(s >= prev_end && s < l->arena + l->arena_len);
        nul = memchr(s, '\0', (size_t)(l->arena + l->arena_len - s));
        CHECK(nul != NULL);
        prev_end = nul + 1;
    }
    CHECK(l->n == 0 || strcmp(l->v[0], FIRST) == 0);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* An independent reading of index.h's line rules; checks entry k onward against buf. */
static size_t check_lines(const char *buf, size_t len, const struct url_list *l, size_t k)
{
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len, b = pos, e = end;

        pos = end + 1;
        while (b < e && is_blank(buf[b]))
            b++;
        while (e > b && is_blank(buf[e - 1]))
            e--;
        if (b == e || buf[b] == '#')
            continue;
        CHECK(k < l->n);
        /* The copy keeps NUL bytes of the input; compare the bytes, then the terminator. */
        CHECK(memcmp(l->v[k], buf + b, e - b) == 0 && l->v[k][e - b] == '\0');
        k++;
    }
    return k;
}

static int run(bool json, const char *buf, size_t len, const char *field, struct url_list *l,
               char *err, size_t errlen)
{
    size_t n0 = l->n, a0 = l->arena_len;
    int rc;

    if (!json)
        return index_from_lines(buf, len, l);
    if (err != NULL)
        memset(err, 'x', errlen);
    rc = index_from_json(buf, len, field, l, NULL, err, errlen);
    CHECK(rc == 0 || rc == VL_EINDEX || rc == VL_ENOMEM);
    if (errlen > 0) {
        CHECK(memchr(err, '\0', errlen) != NULL);
        CHECK(rc != 0 || err[0] == '\0');
        CHECK(rc == 0 || errlen == 1 || err[0] != '\0');
    }
    if (rc != 0)
        CHECK(l->n == n0 && l->arena_len == a0);
    return rc;
}

/* JSON text being generated, with its choices drawn from a xorshift32 stream. */
struct gen {
    char *p;
    size_t n;
    uint32_t rng;
};

static uint32_t gen_rand(struct gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 17;
    g->rng ^= g->rng << 5;
    return g->rng;
}

static void gen_put(struct gen *g, const char *s)
{
    size_t k = strlen(s);

    memcpy(g->p + g->n, s, k);
    g->n += k;
}

/* Insignificant whitespace (RFC 8259 section 2), sometimes. */
static void gen_ws(struct gen *g)
{
    static const char *const ws[] = {"", "", " ", "\n", "\t", "\r\n  "};

    gen_put(g, ws[gen_rand(g) % 6]);
}

/* The code point of a well-formed UTF-8 sequence of 2 to 4 bytes at s, else 0. */
static uint32_t utf8_at(const unsigned char *s, size_t n, size_t *used)
{
    size_t k = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    uint32_t cp;

    if (k == 0 || s[0] > 0xf4 || n < k)
        return 0;
    cp = s[0] & (0xff >> (k + 1));
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *used = k;
    return cp;
}

static void gen_u(struct gen *g, uint32_t cp)
{
    char e[16];

    snprintf(e, sizeof(e), gen_rand(g) & 1 ? "\\u%04X" : "\\u%04x", (unsigned)cp);
    gen_put(g, e);
}

/* One byte, or a whole UTF-8 sequence as \u escapes (a surrogate pair above the BMP). */
static size_t gen_char(struct gen *g, const unsigned char *s, size_t n)
{
    static const char short_esc[] = "\"\\/\b\f\n\r\t", short_out[] = "\"\\/bfnrt";
    const char *e = s[0] != 0 ? strchr(short_esc, s[0]) : NULL;
    uint32_t r = gen_rand(g), cp;
    size_t used = 1;
    char c[3] = {(char)s[0], 0, 0};

    if (s[0] >= 0x80 && r % 2 == 0 && (cp = utf8_at(s, n, &used)) != 0) {
        if (cp >= 0x10000)
            gen_u(g, 0xd800 + ((cp - 0x10000) >> 10)), cp = 0xdc00 + ((cp - 0x10000) & 0x3ff);
        gen_u(g, cp);
    } else if (s[0] < 0x80 && (s[0] < 0x20 || r % 8 == 0) && (e == NULL || r % 3 == 0)) {
        gen_u(g, s[0]);
    } else if (e != NULL && (s[0] != '/' || r % 2 == 0)) {
        c[0] = '\\', c[1] = short_out[e - short_esc];
        gen_put(g, c);
    } else {
        gen_put(g, c);
    }
    return used;
}

/* A JSON string holding s[0..n) with NUL bytes left out (no JSON string can carry one). */
static void gen_string(struct gen *g, const char *s, size_t n)
{
    gen_put(g, "\"");
    for (size_t i = 0; i < n;)
        i += s[i] == '\0' ? 1 : gen_char(g, (const unsigned char *)s + i, n - i);
    gen_put(g, "\"");
}

/* A value the extractor must not take: other keys, nested objects holding the field. */
static void gen_decoy(struct gen *g, const char *field)
{
    static const char *const v[] = {"1", "-0.5e+3", "true", "null", "[]", "[1,\"x\",{}]"};

    if (gen_rand(g) % 2) {
        gen_put(g, v[gen_rand(g) % 6]);
        return;
    }
    gen_put(g, "{");
    gen_string(g, field, strlen(field));
    gen_put(g, ":\"deeper\"}");
}

/* One array element holding s: the string itself, or an object with the field among others
 * (a later duplicate of the field must not win). */
static void gen_element(struct gen *g, const char *field, const char *s, size_t n)
{
    uint32_t r = gen_rand(g);

    gen_ws(g);
    if (r % 3 == 0) {
        gen_string(g, s, n);
        gen_ws(g);
        return;
    }
    gen_put(g, "{");
    if (r & 8) {
        gen_string(g, "id", 2), gen_put(g, ":"), gen_decoy(g, field), gen_put(g, ",");
    }
    gen_ws(g), gen_string(g, field, strlen(field)), gen_ws(g), gen_put(g, ":"), gen_ws(g);
    gen_string(g, s, n);
    if (r & 16) {
        gen_put(g, ","), gen_string(g, field, strlen(field)), gen_put(g, ":\"second\"");
    }
    gen_put(g, "}");
    gen_ws(g);
}

/* Each line of buf (NUL bytes dropped) encoded as a JSON element comes back from
 * index_from_json, in order, byte for byte. */
static void json_round_trip(const char *buf, size_t len, const char *field, uint32_t seed)
{
    struct gen g = {malloc(len * 12 + 256 * (len + 1) + 64), 0, seed | 1};
    struct url_list l;
    size_t pos = 0, k = 1, i;
    char err[256];

    CHECK(g.p != NULL);
    gen_put(&g, "[");
    while (pos <= len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        gen_element(&g, field, buf + pos, end - pos);
        gen_put(&g, end < len ? "," : "]");
        pos = end + 1;
    }
    url_list_init(&l);
    CHECK(url_list_add(&l, FIRST, strlen(FIRST)) == 0);
    if (index_from_json(g.p, g.n, field, &l, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_index: %s in %.*s\n", err, (int)g.n, g.p);
        CHECK(!"generated JSON rejected");
    }
    check_list(&l);
    for (pos = 0; pos <= len; pos = i + 1, k++) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len, j = 0;
        CHECK(k < l.n);
        for (i = pos; i < end; i++)
            if (buf[i] != '\0')
                CHECK(l.v[k][j++] == buf[i]);
        CHECK(l.v[k][j] == '\0');
    }
    CHECK(k == l.n);
    url_list_free(&l);
    free(g.p);
}

/* The second call's entries repeat the first call's, byte for byte. */
static void check_repeat(const struct url_list *l, size_t from, size_t count)
{
    for (size_t i = 0; i < count; i++)
        CHECK(strcmp(l->v[from + i], l->v[from + count + i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct url_list l;
    const char *buf, *field;
    size_t len, errlen, k;
    bool json;
    char *err;
    int rc1, rc2;

    if (size < 1)
        return 0;
    if ((data[0] & 0x41) == 0x40) {
        json_round_trip((const char *)data + 1, size - 1, fields[(data[0] >> 1) % NFIELDS],
                        0x6d2b79f5u ^ (uint32_t)size ^ (uint32_t)data[0] << 24);
        return 0;
    }
    json = (data[0] & 1) == 0;
    field = fields[(data[0] >> 1) % NFIELDS];
    errlen = errlens[(data[0] >> 4) % NERRLENS];
    buf = (const char *)data + 1;
    len = size - 1;
    err = errlen > 0 ? malloc(errlen) : NULL;
    CHECK(errlen == 0 || err != NULL);
    url_list_init(&l);
    CHECK(url_list_add(&l, FIRST, strlen(FIRST)) == 0);
    rc1 = run(json, buf, len, field, &l, err, errlen);
    check_list(&l);
    k = l.n - 1;
    rc2 = run(json, buf, len, field, &l, err, errlen);
    check_list(&l);
    CHECK(rc1 == rc2 && l.n == 1 + 2 * k);
    check_repeat(&l, 1, k);
    if (!json && rc1 == 0) {
        CHECK(check_lines(buf, len, &l, 1) == 1 + k);
        CHECK(check_lines(buf, len, &l, 1 + k) == l.n);
    }
    url_list_free(&l);
    CHECK(l.n == 0 && l.v == NULL && l.arena == NULL);
    free(err);
    return 0;
}
