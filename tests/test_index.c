/* test_index.c: url_list, index_from_lines and index_from_json (src/index.c, src/json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "index.h"
#include "guard.h"

#define ERR_LEN 256

static int json_n(const char *s, size_t len, const char *field, struct url_list *l, char *err)
{
    struct guard g;
    const char *p;
    int rc;

    assert_int_equal(guard_init(&g, len), 0);
    p = guard_put(&g, s, len);
    assert_non_null(p);
    rc = index_from_json(p, len, field, l, NULL, err, ERR_LEN);
    guard_fini(&g);
    return rc;
}

static int json(const char *s, const char *field, struct url_list *l, char *err)
{
    return json_n(s, strlen(s), field, l, err);
}

/* Expect VL_EINDEX with exactly this message and an untouched (empty) list. */
static void expect_fail(const char *s, size_t len, const char *msg)
{
    struct url_list l;
    char err[ERR_LEN];

    url_list_init(&l);
    err[0] = '\0';
    if (json_n(s, len, "url", &l, err) != VL_EINDEX || strcmp(err, msg) != 0)
        print_message("input: %.*s\n", (int)len, s);
    assert_int_equal(json_n(s, len, "url", &l, err), VL_EINDEX);
    assert_string_equal(err, msg);
    assert_int_equal(l.n, 0);
    url_list_free(&l);
}

static const char placeholder[] =
    "[\n"
    "  {\"albumId\":1,\"id\":1,\"title\":\"accusamus \\\"beatae\\\"\","
    "\"url\":\"https:\\/\\/img.test\\/600\\/92c952\","
    "\"thumbnailUrl\":\"https://img.test/150/92c952\"},\n"
    "  {\"albumId\":1,\"id\":2,\"title\":\"reprehenderit\",\"url\":\"https://img.test/600/771796\","
    "\"thumbnailUrl\":\"https:\\/\\/img.test\\/150\\/771796\"},\n"
    "  {\"albumId\": 2, \"id\": 3, \"title\": \"officia\", \"url\": "
    "\"https://img.test/600/24f355\","
    " \"thumbnailUrl\": \"https://img.test/150/24f355\"}\n"
    "]\n";

static void test_placeholder_url(void **state)
{
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(placeholder, "url", &l, err), 0);
    assert_string_equal(err, "");
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0], "https://img.test/600/92c952");
    assert_string_equal(l.v[1], "https://img.test/600/771796");
    assert_string_equal(l.v[2], "https://img.test/600/24f355");
    url_list_free(&l);
}

static void test_placeholder_other_fields(void **state)
{
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(placeholder, "thumbnailUrl", &l, err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0], "https://img.test/150/92c952");
    assert_string_equal(l.v[1], "https://img.test/150/771796");
    assert_string_equal(l.v[2], "https://img.test/150/24f355");
    /* Appends after what is already there; escaped quotes decoded. */
    assert_int_equal(json(placeholder, "title", &l, err), 0);
    assert_int_equal(l.n, 6);
    assert_string_equal(l.v[0], "https://img.test/150/92c952");
    assert_string_equal(l.v[3], "accusamus \"beatae\"");
    assert_string_equal(l.v[5], "officia");
    /* Numbers are not taken: every element skipped. */
    assert_int_equal(json(placeholder, "id", &l, err), VL_EINDEX);
    assert_string_equal(err, "no element has field \"id\"");
    assert_int_equal(l.n, 6);
    url_list_free(&l);
}

static void test_nested_url_not_taken(void **state)
{
    static const char s[] =
        "[{\"meta\":{\"url\":\"http://bad/1\"},"
        "\"links\":[{\"url\":\"http://bad/2\"},\"url\"],"
        "\"url\":\"http://good/1\"},"
        "{\"meta\":{\"url\":\"http://bad/3\"},\"x\":[\"url\",\"http://bad/4\"]},"
        "[\"http://bad/5\",{\"url\":\"http://bad/6\"}],"
        "{\"url\":{\"url\":\"http://bad/7\"}},"
        "{\"a\":{\"b\":{\"c\":[[[{}]]]}},\"url\":\"http://good/2\",\"z\":[]}]";
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(s, "url", &l, err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "http://good/1");
    assert_string_equal(l.v[1], "http://good/2");
    url_list_free(&l);
}

static void test_escapes(void **state)
{
    static const char s[] = "[\"\\u00e9\\ud83d\\ude00 \\\"\\\\\\/\\b\\f\\n\\r\\t \\u20AC\","
                            "{\"url\":\"http://x.test/caf\\u00E9?q=\\uD834\\uDD1E\"}]";
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(s, "url", &l, err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "\xc3\xa9\xf0\x9f\x98\x80 \"\\/\b\f\n\r\t \xe2\x82\xac");
    assert_string_equal(l.v[1], "http://x.test/caf\xc3\xa9?q=\xf0\x9d\x84\x9e");
    url_list_free(&l);
}

static void test_escape_errors(void **state)
{
    (void)state;
#define F(s, msg) expect_fail(s, sizeof(s) - 1, msg)
    F("[\"\\ud83d\"]", "lone surrogate \\uD83D at byte 2");
    F("[\"ab\\ude00x\"]", "lone surrogate \\uDE00 at byte 4");
    F("[\"\\ud83d\\u0041\"]", "lone surrogate \\uD83D at byte 2");
    F("[\"\\ud83d\\ud83d\"]", "lone surrogate \\uD83D at byte 2");
    F("[\"\\ud83dxxxxxx\"]", "lone surrogate \\uD83D at byte 2");
    F("[\"a\\u0000b\"]", "\\u0000 at byte 3: NUL in a string");
    /* Keys of elements are decoded too, to compare them. */
    F("[{\"u\\udc00rl\":\"x\"}]", "lone surrogate \\uDC00 at byte 4");
    /* jsmn rejects bad escapes itself, at the string's first byte. */
    F("[\"\\x\"]", "malformed JSON at byte 1");
    F("[\"\\u12\"]", "malformed JSON at byte 1");
    F("[\"\\u12g4\"]", "malformed JSON at byte 1");
#undef F
}

static void test_strings_and_mixed(void **state)
{
    static const char s[] = " [ \"http://a/1\" , 1, null, true, [\"http://no\"], \"\", "
                            "{\"url\":\"http://b/2\"}, \"http://c/3\" ] ";
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(s, "url", &l, err), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[0], "http://a/1");
    assert_string_equal(l.v[1], ""); /* not validated here: fails as its own job */
    assert_string_equal(l.v[2], "http://b/2");
    assert_string_equal(l.v[3], "http://c/3");
    url_list_free(&l);
}

static void test_missing_field(void **state)
{
    static const char some[] = "[{\"id\":1},{\"url\":\"http://a/1\"},{},{\"URL\":\"http://no\"}]";
    static const char none[] = "[{\"id\":1},{\"URL\":\"http://a/1\"},{\"Url\":\"x\"},{}]";
    static const char typed[] = "[{\"url\":1},{\"url\":{\"u\":\"x\"}},{\"url\":[\"x\"]},"
                                "{\"url\":null}]";
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(some, "url", &l, err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "http://a/1");
    assert_int_equal(json(none, "url", &l, err), VL_EINDEX);
    assert_string_equal(err, "no element has field \"url\"");
    assert_int_equal(json(typed, "url", &l, err), VL_EINDEX);
    assert_string_equal(err, "no element has field \"url\"");
    assert_int_equal(json("[1,2,[]]", "url", &l, err), VL_EINDEX);
    assert_string_equal(err, "no element has field \"url\"");
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "http://a/1");
    url_list_free(&l);
}

static void test_key_match(void **state)
{
    /* Escaped key equals "url"; the first of duplicate keys decides, even if not a string. */
    static const char s[] =
        "[{\"u\\u0072l\":\"http://a/1\"},{\"url\":\"http://b/2\",\"url\":\"x\"},"
        "{\"url\":3,\"url\":\"http://no\"},{\"url \":\"no\",\"ur\":\"no\"}]";
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json(s, "url", &l, err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "http://a/1");
    assert_string_equal(l.v[1], "http://b/2");
    url_list_free(&l);
}

static void test_empty_array(void **state)
{
    static const char *const ok[] = {"[]", "[ ]", " \r\n\t[\n]\n ", "[]\n"};
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(json(ok[i], "url", &l, err), 0);
        assert_int_equal(l.n, 0);
    }
    url_list_free(&l);
}

static void test_not_array(void **state)
{
    (void)state;
#define F(s, msg) expect_fail(s, sizeof(s) - 1, msg)
    F("{\"url\":\"http://a/1\"}", "index is not a JSON array");
    F("\"http://a/1\"", "index is not a JSON array");
    F("42", "index is not a JSON array");
    F("null", "index is not a JSON array");
    F(" x[]", "index is not a JSON array");
    F("", "empty index");
    F(" \n\t ", "empty index");
#undef F
}

static void test_malformed(void **state)
{
    (void)state;
#define F(s, msg) expect_fail(s, sizeof(s) - 1, msg)
    /* Trailing, leading, doubled and missing commas: jsmn takes them, RFC 8259 does not. */
    F("[\"a\",]", "malformed JSON at byte 4");
    F("[\"a\" , ]", "malformed JSON at byte 5");
    F("[{\"url\":\"a\",}]", "malformed JSON at byte 11");
    F("[,\"a\"]", "malformed JSON at byte 1");
    F("[\"a\",,\"b\"]", "malformed JSON at byte 5");
    F("[\"a\" \"b\"]", "malformed JSON at byte 5");
    F("[true false]", "malformed JSON at byte 6");
    F("[{\"a\":1 \"b\":2}]", "malformed JSON at byte 8");
    /* Colons and keys out of place. */
    F("[1:2]", "malformed JSON at byte 1"); /* strict jsmn reads "1:2" as one primitive */
    F("[\"a\":\"b\"]", "malformed JSON at byte 5");
    F("[{\"a\"}]", "malformed JSON at byte 5");
    F("[{\"a\" \"b\"}]", "malformed JSON at byte 5");
    F("[{\"a\"::1}]", "malformed JSON at byte 6");
    F("[{\"a\" 1}]", "malformed JSON at byte 6");
    F("[{1:2}]", "malformed JSON at byte 2");
    F("[{\"a\":1,[2]}]", "malformed JSON at byte 8");
    /* Primitives RFC 8259 section 6 does not allow. */
    F("[tru]", "malformed JSON at byte 1");
    F("[nulll]", "malformed JSON at byte 1");
    F("[01]", "malformed JSON at byte 1");
    F("[1.]", "malformed JSON at byte 1");
    F("[-]", "malformed JSON at byte 1");
    F("[1e+]", "malformed JSON at byte 1");
    F("[+1]", "malformed JSON at byte 1");
    F("[\"a\", 1, .5]", "malformed JSON at byte 9");
    /* Raw control byte and NUL. */
    F("[\"a\x01\"]", "malformed JSON at byte 3");
    F("[\"a\tb\"]", "malformed JSON at byte 3");
    F("[\"a\"]\0", "malformed JSON at byte 5: NUL byte");
    F("[\"a\0b\"]", "malformed JSON at byte 3: NUL byte");
    /* Brackets and data after the array. */
    F("[}", "malformed JSON at byte 1");
    F("[\"a\"]]", "malformed JSON at byte 5");
    F("[] []", "malformed JSON at byte 3: data after the array");
    F("[]\"x\"", "malformed JSON at byte 2: data after the array");
    F("[] 1", "malformed JSON at byte 3: data after the array");
    F("[] \"x", "malformed JSON at byte 3: data after the array");
    F("[]x", "malformed JSON at byte 2");
#undef F
    /* Well-formed numbers and literals are accepted (and skipped). */
    {
        static const char s[] = "[0,-0,1.5,-2e10,3E-2,4.0e+1,true,false,null,\"http://a/\"]";
        struct url_list l;
        char err[ERR_LEN];

        url_list_init(&l);
        assert_int_equal(json(s, "url", &l, err), 0);
        assert_int_equal(l.n, 1);
        url_list_free(&l);
    }
}

static void test_truncated_prefixes(void **state)
{
    static const char s[] =
        "[{\"id\":1,\"url\":\"http:\\/\\/a.test\\/1\",\"t\":[1,{\"url\":\"x\"}],\"n\":null},"
        " \"http://b.test/\\u00e9\", {\"url\":\"https://c.test/\\ud83d\\ude00\"},"
        "{\"x\":true,\"url\":-1.5e3}]\n";
    size_t len = sizeof(s) - 1, full = len - 1; /* the prefix ending at the last ']' */
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    for (size_t k = 0; k <= len; k++) {
        int rc;

        url_list_init(&l);
        assert_int_equal(url_list_add(&l, "keep", 4), 0);
        rc = json_n(s, k, "url", &l, err);
        if (k >= full) {
            assert_int_equal(rc, 0);
            assert_int_equal(l.n, 4);
            assert_string_equal(l.v[1], "http://a.test/1");
            assert_string_equal(l.v[2], "http://b.test/\xc3\xa9");
            assert_string_equal(l.v[3], "https://c.test/\xf0\x9f\x98\x80");
        } else {
            assert_int_equal(rc, VL_EINDEX);
            assert_string_equal(err, k == 0 ? "empty index" : "truncated JSON");
            assert_int_equal(l.n, 1);
        }
        assert_string_equal(l.v[0], "keep");
        url_list_free(&l);
    }
}

static char *placeholder_big(size_t n, size_t *len)
{
    size_t cap = n * 200 + 16, off = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    s[off++] = '[';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(s + off, cap - off,
                                "%s{\"albumId\":%zu,\"id\":%zu,\"title\":\"t %zu\","
                                "\"url\":\"https:\\/\\/img.test\\/600\\/%06zx\","
                                "\"thumbnailUrl\":\"https://img.test/150/%06zx\"}",
                                i ? ",\n" : "", i / 50 + 1, i + 1, i, i, i);
    s[off++] = ']';
    s[off] = '\0';
    *len = off;
    return s;
}

static void test_huge(void **state)
{
    size_t len;
    char *s = placeholder_big(20000, &len);
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(index_from_json(s, len, "url", &l, NULL, err, sizeof(err)), 0);
    assert_int_equal(l.n, 20000);
    assert_string_equal(l.v[0], "https://img.test/600/000000");
    assert_string_equal(l.v[12345], "https://img.test/600/003039");
    assert_string_equal(l.v[19999], "https://img.test/600/004e1f");
    assert_int_equal(index_from_json(s, len, "thumbnailUrl", &l, NULL, err, sizeof(err)), 0);
    assert_int_equal(l.n, 40000);
    assert_string_equal(l.v[0], "https://img.test/600/000000");
    assert_string_equal(l.v[20000 + 4095], "https://img.test/150/000fff");
    url_list_free(&l);
    free(s);
}

/* Many tokens per byte: the token array grows (and jsmn resumes) several times. */
static void test_dense_tokens(void **state)
{
    size_t n = 30000, len = 0;
    char *s = malloc(n * 8 + 2);
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    assert_non_null(s);
    s[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(s + len, "%s%s", i ? "," : "", i % 3 ? "0" : "\"u\"");
    s[len++] = ']';
    url_list_init(&l);
    assert_int_equal(index_from_json(s, len, "url", &l, NULL, err, sizeof(err)), 0);
    assert_int_equal(l.n, n / 3);
    assert_string_equal(l.v[n / 3 - 1], "u");
    url_list_free(&l);
    free(s);
}

/* "[{"url":"http://a/1","d":" + depth brackets pairs + "}]". */
static char *nested(size_t depth, const char *pre, size_t *len)
{
    char *s = malloc(2 * depth + strlen(pre) + 3);

    assert_non_null(s);
    *len = (size_t)sprintf(s, "%s", pre);
    memset(s + *len, '[', depth);
    *len += depth;
    memset(s + *len, ']', depth);
    *len += depth;
    *len += (size_t)sprintf(s + *len, "}]");
    return s;
}

/* Nesting is capped at 128 (RFC 8259 section 9): jsmn's bracket matching costs the depth. */
static void test_nesting_limit(void **state)
{
    static const char pre[] = "[{\"url\":\"http://a/1\",\"d\":";
    struct url_list l;
    char err[ERR_LEN], want[ERR_LEN];
    size_t len;
    char *s;

    (void)state;
    url_list_init(&l);
    s = nested(126, pre, &len); /* 2 + 126 = 128 deep */
    assert_int_equal(index_from_json(s, len, "url", &l, NULL, err, sizeof(err)), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "http://a/1");
    /* One bracket short: truncated. */
    assert_int_equal(index_from_json(s, len - 3, "url", &l, NULL, err, sizeof(err)), VL_EINDEX);
    assert_string_equal(err, "truncated JSON");
    free(s);
    s = nested(127, pre, &len);
    assert_int_equal(index_from_json(s, len, "url", &l, NULL, err, sizeof(err)), VL_EINDEX);
    snprintf(want, sizeof(want), "nesting deeper than 128 at byte %zu", sizeof(pre) - 1 + 126);
    assert_string_equal(err, want);
    free(s);
    s = nested(1000000, pre, &len);
    assert_int_equal(index_from_json(s, len, "url", &l, NULL, err, sizeof(err)), VL_EINDEX);
    assert_string_equal(err, want);
    free(s);
    /* Brackets inside strings, after escaped quotes too, do not count. */
    {
        static const char head[] = "[{\"url\":\"http://a/\\\"[[\",\"d\":\"";
        static char buf[sizeof(head) + 256];

        s = buf;
        memcpy(s, head, sizeof(head) - 1);
        memset(s + sizeof(head) - 1, '[', 200);
        memcpy(s + sizeof(head) - 1 + 200, "\"}]", 3);
        len = sizeof(head) - 1 + 203;
    }
    assert_int_equal(index_from_json(s, len, "url", &l, NULL, err, sizeof(err)), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[1], "http://a/\"[[");
    url_list_free(&l);
}

static void test_err_optional(void **state)
{
    struct url_list l;

    (void)state;
    url_list_init(&l);
    assert_int_equal(index_from_json("{}", 2, "url", &l, NULL, NULL, 0), VL_EINDEX);
    assert_int_equal(index_from_json("[\"a\",]", 6, "url", &l, NULL, NULL, 0), VL_EINDEX);
    assert_int_equal(index_from_json("[\"a\"]", 5, "url", &l, NULL, NULL, 0), 0);
    assert_int_equal(l.n, 1);
    url_list_free(&l);
}

static void test_lines(void **state)
{
    static const char s[] = "http://a/1\r\n"
                            "# comment\r\n"
                            "\r\n"
                            "   http://b/2#frag  \r\n"
                            "\t\n"
                            "  # indented comment\n"
                            "\n"
                            "http://c/3 x\n"
                            "http://d/4";
    struct url_list l;

    (void)state;
    url_list_init(&l);
    assert_int_equal(index_from_lines(s, sizeof(s) - 1, &l), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[0], "http://a/1");
    assert_string_equal(l.v[1], "http://b/2#frag");
    assert_string_equal(l.v[2], "http://c/3 x"); /* not validated here */
    assert_string_equal(l.v[3], "http://d/4");
    /* Appends; empty and comment-only input add nothing. */
    assert_int_equal(index_from_lines("", 0, &l), 0);
    assert_int_equal(index_from_lines("#x\r\n\r\n  \n#", 10, &l), 0);
    assert_int_equal(l.n, 4);
    assert_int_equal(index_from_lines("\r\nhttp://e/5\r\n", 14, &l), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.v[4], "http://e/5");
    assert_string_equal(l.v[0], "http://a/1");
    url_list_free(&l);
}

/* The splitter fed the same list in every way it can arrive: whole, byte by byte, and cut at
 * every point; a NUL stays in its line (length kept), and a line over LIST_LINE_MAX is passed
 * on cut, untrimmed. */
struct got {
    char line[4][80];
    size_t len[4], n;
};

static int collect(void *arg, const char *s, size_t n)
{
    struct got *g = arg;
    if (g->n == 4 || n > sizeof(g->line[0]))
        return n > sizeof(g->line[0]) ? (int)n : -1;
    memcpy(g->line[g->n], s, n);
    g->len[g->n++] = n;
    return 0;
}

static void test_splitter_arrivals(void **state)
{
    static const char s[] = "  http://a/1\r\n#c\nhttp://b/\0x\n\n\thttp://c/3 \nhttp://d/4";
    size_t n = sizeof(s) - 1;

    (void)state;
    for (size_t cut = 0; cut <= n; cut++) {
        struct line_splitter *ls = calloc(1, sizeof(*ls));
        struct got g = {.n = 0};
        assert_int_equal(line_splitter_feed(ls, s, cut, collect, &g), 0);
        assert_int_equal(line_splitter_feed(ls, s + cut, n - cut, collect, &g), 0);
        assert_int_equal(line_splitter_end(ls, collect, &g), 0);
        assert_int_equal(g.n, 4);
        assert_int_equal(g.len[1], 11);
        assert_memory_equal(g.line[1], "http://b/\0x", 11);
        assert_memory_equal(g.line[0], "http://a/1", 10);
        assert_memory_equal(g.line[2], "http://c/3", 10);
        assert_memory_equal(g.line[3], "http://d/4", 10);
        free(ls);
    }
}

static int count_long(void *arg, const char *s, size_t n)
{
    size_t *seen = arg;
    *seen = n;
    return s[0] == ' ' ? 0 : -1; /* the cut line comes untrimmed */
}

static void test_splitter_long_line(void **state)
{
    struct line_splitter *ls = calloc(1, sizeof(*ls));
    char chunk[4096];
    size_t seen = 0;

    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    chunk[0] = ' ';
    assert_int_equal(line_splitter_feed(ls, chunk, sizeof(chunk), count_long, &seen), 0);
    chunk[0] = 'a';
    for (int i = 0; i < 40; i++) /* 160 KiB without a newline: memory stays LIST_LINE_MAX */
        assert_int_equal(line_splitter_feed(ls, chunk, sizeof(chunk), count_long, &seen), 0);
    assert_int_equal(seen, 0);
    assert_int_equal(line_splitter_feed(ls, "\n", 1, count_long, &seen), 0);
    assert_int_equal(seen, LIST_LINE_MAX);
    free(ls);
}

static void test_lines_guarded(void **state)
{
    static const char s[] = "http://a/1\nhttp://b/2  ";
    struct url_list l;
    struct guard g;

    (void)state;
    /* Every prefix, right against the guard page. */
    assert_int_equal(guard_init(&g, sizeof(s)), 0);
    for (size_t k = 0; k <= sizeof(s) - 1; k++) {
        const char *p = guard_put(&g, s, k);

        url_list_init(&l);
        assert_int_equal(index_from_lines(p, k, &l), 0);
        assert_int_equal(l.n, k == 0 ? 0 : k <= 11 ? 1 : 2);
        if (k > 0)
            assert_int_equal(strlen(l.v[0]), k < 10 ? k : 10);
        if (k > 0)
            assert_memory_equal(l.v[0], "http://a/1", k < 10 ? k : 10);
        if (k > 11) {
            size_t m = k - 11 < 10 ? k - 11 : 10; /* trailing spaces trimmed */

            assert_int_equal(strlen(l.v[1]), m);
            assert_memory_equal(l.v[1], "http://b/2", m);
        }
        url_list_free(&l);
    }
    guard_fini(&g);
}

/* Pointers stay valid and inside the arena across every growth. */
static void test_list_growth(void **state)
{
    enum { N = 100000 };
    struct url_list l;
    char tmp[96];

    (void)state;
    url_list_init(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.v);
    for (int i = 0; i < N; i++) {
        int len = snprintf(tmp, sizeof(tmp), "http://h%d.test/%0*d", i, i % 40, i);

        tmp[len] = 'X'; /* source need not be NUL-terminated */
        assert_int_equal(url_list_add(&l, tmp, (size_t)len), 0);
        assert_string_equal(l.v[0], "http://h0.test/0");
        assert_memory_equal(l.v[i], tmp, (size_t)len);
        assert_int_equal(l.v[i][len], '\0');
    }
    assert_int_equal(l.n, N);
    assert_true(l.cap >= l.n);
    assert_true(l.arena_len <= l.arena_cap);
    for (int i = 0; i < N; i++) {
        snprintf(tmp, sizeof(tmp), "http://h%d.test/%0*d", i, i % 40, i);
        assert_string_equal(l.v[i], tmp);
        assert_true(l.v[i] >= l.arena && l.v[i] < l.arena + l.arena_len);
    }
    assert_int_equal(url_list_add(&l, "", 0), 0);
    assert_string_equal(l.v[N], "");
    url_list_free(&l);
    assert_null(l.v);
    assert_null(l.arena);
    assert_int_equal(l.n, 0);
    /* Usable again after free. */
    assert_int_equal(url_list_add(&l, "abc", 2), 0);
    assert_string_equal(l.v[0], "ab");
    url_list_free(&l);
}

/* A failed parse leaves earlier entries and the list's count as they were. */
static void test_rollback(void **state)
{
    struct url_list l;
    char err[ERR_LEN];

    (void)state;
    url_list_init(&l);
    assert_int_equal(json("[\"http://a/1\",\"http://a/2\"]", "url", &l, err), 0);
    assert_int_equal(json("[\"http://b/1\",\"http://b/2\",\"\\ud800\"]", "url", &l, err),
                     VL_EINDEX);
    assert_string_equal(err, "lone surrogate \\uD800 at byte 28");
    assert_int_equal(l.n, 2);
    assert_int_equal(json("[\"http://c/1\"]", "url", &l, err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0], "http://a/1");
    assert_string_equal(l.v[1], "http://a/2");
    assert_string_equal(l.v[2], "http://c/1");
    url_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitter_arrivals),
        cmocka_unit_test(test_splitter_long_line),
        cmocka_unit_test(test_placeholder_url),
        cmocka_unit_test(test_placeholder_other_fields),
        cmocka_unit_test(test_nested_url_not_taken),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_escape_errors),
        cmocka_unit_test(test_strings_and_mixed),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_key_match),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_not_array),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_dense_tokens),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_err_optional),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_lines_guarded),
        cmocka_unit_test(test_list_growth),
        cmocka_unit_test(test_rollback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
