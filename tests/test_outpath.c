/* test_outpath.c: outpath_build keeps every saved file under DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "outpath.h"
#include "guard.h"

/* An output buffer of exactly cap bytes, 'Z'-filled, ending at a PROT_NONE page (tests/guard.h):
 * writing out[cap] faults. */
static char *guard_buf(struct guard *g, size_t cap)
{
    static char fill[4096];
    char *p;

    assert_true(cap <= sizeof(fill));
    memset(fill, 'Z', cap);
    assert_int_equal(guard_init(g, cap), 0);
    p = guard_put(g, fill, cap);
    assert_non_null(p);
    return p;
}

static struct url must_parse(const char *s)
{
    struct url u;

    if (url_parse(s, strlen(s), &u) != 0)
        print_message("url_parse rejected %s\n", s);
    assert_int_equal(url_parse(s, strlen(s), &u), 0);
    return u;
}

/* Build into a guarded buffer of exactly cap bytes. */
static int build_guarded(const char *dir, const struct url *u, size_t cap, char *copy,
                         size_t copy_cap)
{
    struct guard g;
    char *out = guard_buf(&g, cap);
    int rc = outpath_build(dir, u, out, cap);

    if (rc >= 0) {
        assert_true((size_t)rc < cap);
        assert_int_equal(out[rc], '\0');
        assert_true((size_t)rc < copy_cap);
        memcpy(copy, out, (size_t)rc + 1);
    }
    guard_fini(&g);
    return rc;
}

struct good {
    const char *dir, *url, *want;
};

static const struct good goods[] = {
    {"out", "http://img.test/600/92c952", "out/img.test/600/92c952"},
    {"out/", "http://img.test/600/92c952", "out/img.test/600/92c952"},
    {"out///", "http://img.test/600/92c952", "out/img.test/600/92c952"},
    {"/var/tmp/o", "https://h/a", "/var/tmp/o/h/a"},
    {"/", "http://h/a", "/h/a"},
    {"", "http://h/a", "h/a"},
    {"out", "http://h/", "out/h/index.html"},
    {"out", "http://h", "out/h/index.html"},
    {"out", "http://h#frag", "out/h/index.html"},
    {"out", "http://h/a/", "out/h/a/index.html"},
    {"out", "http://h/a/b/", "out/h/a/b/index.html"},
    {"out", "http://h/photos?x=1", "out/h/photos?x=1"},
    {"out", "http://h/a/photos?x=1&y=2#f", "out/h/a/photos?x=1&y=2"},
    {"out", "http://h/p?a=/b/c", "out/h/p?a=%2Fb%2Fc"},
    {"out", "http://h/p?../../etc", "out/h/p?..%2F..%2Fetc"},
    {"out", "http://h/?x", "out/h/index.html?x"},
    {"out", "http://h/d/?x", "out/h/d/index.html?x"},
    {"out", "http://h?x=/", "out/h/index.html?x=%2F"},
    {"out", "http://h/p?%00", "out/h/p?%00"},
    {"out", "http://h//a///b", "out/h/a/b"},
    {"out", "http://h//", "out/h/index.html"},
    {"out", "http://h/a//", "out/h/a/index.html"},
    /* The origin folder: the authority, lowercased, with the port unless it is the default. */
    {"out", "http://H.Example.COM:8080/A/B", "out/h.example.com:8080/A/B"},
    {"out", "http://h:80/a", "out/h/a"},
    {"out", "https://h:443/a", "out/h/a"},
    {"out", "https://h/a", "out/h/a"},
    {"out", "http://h:443/a", "out/h:443/a"},
    {"out", "https://h:80/a", "out/h:80/a"},
    {"out", "http://h:8001/x", "out/h:8001/x"},
    {"out", "http://h:8002/x", "out/h:8002/x"},
    {"out", "http://[::1]:8080/x", "out/[::1]:8080/x"},
    {"out", "http://[2001:DB8::1]/x", "out/[2001:db8::1]/x"},
    {"out", "http://127.0.0.1/x", "out/127.0.0.1/x"},
    {"out", "https://127.0.0.1:18443/x", "out/127.0.0.1:18443/x"},
    {"out", "http://h/a%20b", "out/h/a b"},
    {"out", "http://h/%C3%A9t%c3%a9", "out/h/\xc3\xa9t\xc3\xa9"},
    {"out", "http://h/a/b%3Fc", "out/h/a/b?c"},
    {"out", "http://h/%25", "out/h/%"},
    {"out", "http://h/%2e%2e%2e", "out/h/..."},
    {"out", "http://h/...", "out/h/..."},
    {"out", "http://h/.hidden/..x/x..", "out/h/.hidden/..x/x.."},
    {"out", "http://h/a/index.html", "out/h/a/index.html"},
};

static void test_good(void **state)
{
    char out[512];

    (void)state;
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        struct url u = must_parse(goods[i].url);
        size_t want = strlen(goods[i].want);
        int rc = build_guarded(goods[i].dir, &u, sizeof(out), out, sizeof(out));
        if (rc < 0 || strcmp(out, goods[i].want) != 0)
            print_message("%s -> %d \"%s\"\n", goods[i].url, rc, rc < 0 ? "" : out);
        assert_int_equal(rc, (int)want);
        assert_string_equal(out, goods[i].want);
        /* Every smaller cap fails with -2 and never writes past the buffer (guard page). */
        for (size_t cap = 0; cap <= want; cap++)
            assert_int_equal(build_guarded(goods[i].dir, &u, cap, out, sizeof(out)), -2);
        assert_int_equal(build_guarded(goods[i].dir, &u, want + 1, out, sizeof(out)), (int)want);
        assert_string_equal(out, goods[i].want);
    }
}

static const char *const hostile[] = {
    "http://h/../etc/passwd",
    "http://h/..",
    "http://h/.",
    "http://h/a/..",
    "http://h/a/.",
    "http://h/a/../../x",
    "http://h/a/./b",
    "http://h/./a",
    "http://h/%2e%2e/x",
    "http://h/%2E%2e/x",
    "http://h/.%2E/x",
    "http://h/%2e/x",
    "http://h/a/%2e",
    "http://h/a/%2e%2e?x",
    "http://h/..?x=1",
    "http://h/a/%2f/b",
    "http://h/a%2fb",
    "http://h/a%2Fb",
    "http://h/%2F..%2F..%2Fetc",
    "http://h/a%5cb",
    "http://h/%5C..",
    "http://h/%00",
    "http://h/a%00b",
    "http://h/a/%00/b",
    "http://h/%0a",
    "http://h/%0D%0A",
    "http://h/%1f",
    "http://h/%7f",
    "http://h/%09",
    "http://h/%zz",
    "http://h/%",
    "http://h/a%",
    "http://h/a%2",
    "http://h/a%2g",
    "http://h/%%32%65",
    "http://h/ok/%zz/x",
    "http://../x",
    "http://./x",
    "http://../",
};

static void test_hostile(void **state)
{
    char out[512];

    (void)state;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct url u = must_parse(hostile[i]);
        int rc = build_guarded("out", &u, sizeof(out), out, sizeof(out));
        if (rc != -1)
            print_message("%s -> %d\n", hostile[i], rc);
        assert_int_equal(rc, -1);
        /* Unsafe beats too small: the answer does not depend on cap. */
        assert_int_equal(build_guarded("out", &u, 0, out, sizeof(out)), -1);
        assert_int_equal(build_guarded("out", &u, 8, out, sizeof(out)), -1);
    }
}

/* Struct url values url_parse would never produce: outpath does not rely on it. */
static void test_hostile_struct(void **state)
{
    static const struct {
        const char *host, *path;
    } t[] = {
        {"a/b", "/x"},  {"..", "/x"},    {".", "/x"},     {"", "/x"},     {"a\\b", "/x"},
        {"h\n", "/x"},  {"h", "/a\nb"},  {"h", "/a\tb"},  {"h", "/a\\b"}, {"h", "/x?a\r\n"},
        {"h", "/../x"}, {"h", "?a\x01"}, {"h", "/a\x7f"},
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct url u = {URL_HTTP, t[i].host, strlen(t[i].host), 80,
                        false,    t[i].path, strlen(t[i].path), t[i].path[0] == '?'};
        int rc = outpath_build("out", &u, out, sizeof(out));
        if (rc != -1)
            print_message("case %zu -> %d\n", i, rc);
        assert_int_equal(rc, -1);
    }
    /* A host with embedded NUL. */
    struct url u = {URL_HTTP, "h\0x", 3, 80, false, "/a", 2, false};
    assert_int_equal(outpath_build("out", &u, out, sizeof(out)), -1);
}

/* NAME_MAX: a 255-byte name is fine, 256 is -2, counted after decoding and with the query. */
static void test_long_names(void **state)
{
    static const struct {
        const char *url, *want; /* formats taking (n, "aaa...") */
        int n;
    } t[] = {
        {"http://h/%.*s", "out/h/%.*s", 255},
        {"http://h/%.*s", NULL, 256},
        {"http://h/%.*s/x", "out/h/%.*s/x", 255},
        {"http://h/%.*s/x", NULL, 256},
        {"http://h/x/%.*s/", NULL, 256},
        {"http://h/%.*s?q", "out/h/%.*s?q", 253},
        {"http://h/%.*s?q", NULL, 254},
        {"http://h/%.*s?/", "out/h/%.*s?%%2F", 251}, /* "?%2F" is 4 bytes */
        {"http://h/%.*s?/", NULL, 252},
        {"http://h/?%.*s", "out/h/index.html?%.*s", 244}, /* "index.html?" is 11 */
        {"http://h/?%.*s", NULL, 245},
        {"http://%.*s/x", "out/%.*s/x", 255},
        {"http://%.*s/x", NULL, 256},
    };
    char seg[300], url[1024], want[1024], out[1024];

    (void)state;
    memset(seg, 'a', sizeof(seg));
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        snprintf(url, sizeof(url), t[i].url, t[i].n, seg);
        struct url u = must_parse(url);
        int rc = outpath_build("out", &u, out, sizeof(out));
        if (t[i].want == NULL) {
            if (rc != -2)
                print_message("case %zu -> %d\n", i, rc);
            assert_int_equal(rc, -2);
            continue;
        }
        snprintf(want, sizeof(want), t[i].want, t[i].n, seg);
        if (rc < 0)
            print_message("case %zu -> %d\n", i, rc);
        assert_int_equal(rc, (int)strlen(want));
        assert_string_equal(out, want);
    }
}

/* Escapes count as one byte: 255 "%41" decode to 255 'A' (fine), 256 do not fit. */
static void test_long_escaped(void **state)
{
    char url[1024], want[512], out[1024];
    size_t n = 0;

    (void)state;
    n += (size_t)snprintf(url, sizeof(url), "http://h/");
    for (int i = 0; i < 255; i++)
        n += (size_t)snprintf(url + n, sizeof(url) - n, "%%41");
    snprintf(want, sizeof(want), "out/h/%0255d", 0);
    memset(want + 6, 'A', 255);
    struct url u = must_parse(url);
    assert_int_equal(outpath_build("out", &u, out, sizeof(out)), 6 + 255);
    assert_string_equal(out, want);
    snprintf(url + n, sizeof(url) - n, "%%41");
    u = must_parse(url);
    assert_int_equal(outpath_build("out", &u, out, sizeof(out)), -2);
    /* Too long and unsafe later: unsafe wins. */
    snprintf(url + n, sizeof(url) - n, "%%41/..");
    u = must_parse(url);
    assert_int_equal(outpath_build("out", &u, out, sizeof(out)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),           cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_hostile_struct), cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_long_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
