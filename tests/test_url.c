/* test_url.c: url_parse, url_authority and url_resolve (RFC 3986 section 5.4 examples). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "url.h"
#include "guard.h"

/* A guarded copy of s[0..len): reading s[len] faults (tests/guard.h). */
static char *guarded(struct guard *g, const char *s, size_t len)
{
    char *p;

    assert_int_equal(guard_init(g, len), 0);
    p = guard_put(g, s, len);
    assert_non_null(p);
    return p;
}

/* url_parse on a guarded copy of s. The views are checked to lie inside the copy (or be the
 * static root) and are then moved to point into s, since the copy is unmapped on return. */
static int parse_guarded(const char *s, size_t len, struct url *u)
{
    struct guard g;
    char *p = guarded(&g, s, len);
    int rc = url_parse(p, len, u);

    if (rc == 0) {
        assert_true(u->host >= p && u->host + u->host_len <= p + len);
        assert_true(u->host_len > 0);
        u->host = s + (u->host - p);
        if (u->path >= p && u->path < p + len) {
            assert_true(u->path + u->path_len <= p + len);
            u->path = s + (u->path - p);
        } else {
            assert_int_equal(u->path_len, 1);
            assert_memory_equal(u->path, "/", 1);
        }
    }
    guard_fini(&g);
    return rc;
}

struct good {
    const char *in;
    enum url_scheme scheme;
    const char *host;
    uint16_t port;
    bool ipv6;
    const char *path;
    bool needs_slash;
};

static const struct good goods[] = {
    {"http://example.com/", URL_HTTP, "example.com", 80, false, "/", false},
    {"HTTPS://Example.COM", URL_HTTPS, "Example.COM", 443, false, "/", false},
    {"hTTp://h", URL_HTTP, "h", 80, false, "/", false},
    {"http://h:8080/a/b?x=1#frag", URL_HTTP, "h", 8080, false, "/a/b?x=1", false},
    {"https://h:/p", URL_HTTPS, "h", 443, false, "/p", false},
    {"http://h:", URL_HTTP, "h", 80, false, "/", false},
    {"https://h:80/", URL_HTTPS, "h", 80, false, "/", false},
    {"http://h:1/", URL_HTTP, "h", 1, false, "/", false},
    {"http://h:0080/", URL_HTTP, "h", 80, false, "/", false},
    {"http://127.0.0.1:65535/x", URL_HTTP, "127.0.0.1", 65535, false, "/x", false},
    {"http://a_b-c.d.e/", URL_HTTP, "a_b-c.d.e", 80, false, "/", false},
    {"http://[::1]/", URL_HTTP, "::1", 80, true, "/", false},
    {"http://[::1]", URL_HTTP, "::1", 80, true, "/", false},
    {"http://[::1]:/", URL_HTTP, "::1", 80, true, "/", false},
    {"https://[2001:db8::1]:8443/p?q", URL_HTTPS, "2001:db8::1", 8443, true, "/p?q", false},
    {"http://[::ffff:192.0.2.1]/", URL_HTTP, "::ffff:192.0.2.1", 80, true, "/", false},
    {"http://[1:2:3:4:5:6:7:8]/", URL_HTTP, "1:2:3:4:5:6:7:8", 80, true, "/", false},
    {"http://[0000:0000:0000:0000:0000:ffff:255.255.255.255]/", URL_HTTP,
     "0000:0000:0000:0000:0000:ffff:255.255.255.255", 80, true, "/", false},
    {"http://h?q=1", URL_HTTP, "h", 80, false, "?q=1", true},
    {"http://h:81?q=1#f", URL_HTTP, "h", 81, false, "?q=1", true},
    {"http://h#f", URL_HTTP, "h", 80, false, "/", false},
    {"http://h/#f", URL_HTTP, "h", 80, false, "/", false},
    {"http://h/p?a/b?c", URL_HTTP, "h", 80, false, "/p?a/b?c", false},
    {"http://h/a%20b/%zz", URL_HTTP, "h", 80, false, "/a%20b/%zz", false},
    {"http://h/~a!$&'()*+,;=:@[]{}|^`\"<>", URL_HTTP, "h", 80, false, "/~a!$&'()*+,;=:@[]{}|^`\"<>",
     false},
    {"http://h//a/../b", URL_HTTP, "h", 80, false, "//a/../b", false},
};

static void test_parse_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        struct url u;
        int rc = parse_guarded(g->in, strlen(g->in), &u);
        if (rc != 0)
            print_message("good URL rejected: %s\n", g->in);
        assert_int_equal(rc, 0);
        assert_int_equal(u.scheme, g->scheme);
        assert_int_equal(u.host_len, strlen(g->host));
        assert_memory_equal(u.host, g->host, u.host_len);
        assert_int_equal(u.port, g->port);
        assert_int_equal(u.ipv6, g->ipv6);
        assert_int_equal(u.path_len, strlen(g->path));
        assert_memory_equal(u.path, g->path, u.path_len);
        assert_int_equal(u.path_needs_slash, g->needs_slash);
        /* The views point into the input (zero-copy) unless the path is the static root. */
        assert_true(u.host > g->in && u.host < g->in + strlen(g->in));
        if (strcmp(g->path, "/") != 0)
            assert_true(u.path > g->in && u.path < g->in + strlen(g->in));
    }
}

static const char *const bads[] = {
    "",
    "h",
    "ftp://x/",
    "file:///etc/passwd",
    "httpx://h/",
    "htt://h/",
    "https+x://h/",
    "mailto:a@b",
    "http:/x",
    "http:x",
    "http?//h/", /* the scheme must end in ':' (found by fuzz_url) */
    "http///h/x",
    "https#//h/",
    "http:",
    "http",
    "//h/p",
    "/p",
    "http//h/",
    "http:///p",
    "http://",
    "http://?q",
    "http://#f",
    "http://:80/",
    "http://h:99999/",
    "http://h:65536/",
    "http://h:123456789012345678901234567890/",
    "http://h:0/",
    "http://h:8a/",
    "http://h:-1/",
    "http://h:+80/",
    "http://h:80:81/",
    "http://u@h/",
    "http://u:p@h/",
    "http://@h/",
    "http://h@/",
    "http://[::1/",
    "http://[::1",
    "http://[zz::1]/",
    "http://[]/",
    "http://[::1]x/",
    "http://[::1]]/",
    "http://[[::1]]/",
    "http://[1.2.3.4]/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://[fe80::1%25eth0]/",
    "http://[fe80::1%eth0]/",
    "http://[v1.x]/",
    "http://[0000:0000:0000:0000:0000:ffff:255.255.255.2550]/",
    "http://::1/",
    "http://h%41/",
    "http://h!/",
    "http://h~/",
    "http://h/a b",
    " http://h/",
    "http://h/ ",
    "http ://h/",
    "http://h/a\r\nX: y",
    "http://h/a\nb",
    "http://h/a\tb",
    "http://h/\x80",
    "http://h\xc3\xa9/",
    "http://h/\x7f",
    "http://h/\x01",
    "http://h/#a b",
    "http:\\\\h\\",
    "http://h\\p",
    "http://h/a\\b",
    "http://h/?a\\b",
};

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        struct url u;
        int rc = parse_guarded(bads[i], strlen(bads[i]), &u);
        if (rc != -1)
            print_message("bad URL #%zu accepted\n", i);
        assert_int_equal(rc, -1);
    }
}

/* Embedded NUL: the length, not a terminator, bounds the input. */
static void test_parse_nul(void **state)
{
    static const char a[] = "http://h/a\0b";
    static const char b[] = "http://h\0/";
    struct url u;

    (void)state;
    assert_int_equal(parse_guarded(a, sizeof(a) - 1, &u), -1);
    assert_int_equal(parse_guarded(b, sizeof(b) - 1, &u), -1);
    /* Stopping before the NUL is fine. */
    assert_int_equal(parse_guarded(a, 10, &u), 0);
    assert_int_equal(u.path_len, 2);
    assert_memory_equal(u.path, "/a", 2);
}

/* Every byte value in the path: only printable ASCII other than '\\' is accepted. */
static void test_parse_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        char in[] = "http://h/aXb";
        struct url u;
        bool ok = c > 0x20 && c < 0x7f && c != '\\';
        in[10] = (char)c;
        assert_int_equal(parse_guarded(in, sizeof(in) - 1, &u), ok ? 0 : -1);
    }
}

/* Every prefix of every good URL, against the guard page: no overread, views stay in bounds
 * (checked in parse_guarded), and a prefix shorter than "http://x" never parses. */
static void test_parse_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        size_t len = strlen(goods[i].in);
        for (size_t n = 0; n <= len; n++) {
            struct url u;
            int rc = parse_guarded(goods[i].in, n, &u);
            assert_true(rc == 0 || rc == -1);
            if (n < strlen("http://x"))
                assert_int_equal(rc, -1);
        }
    }
}

static struct url must_parse(const char *s)
{
    struct url u;

    assert_int_equal(url_parse(s, strlen(s), &u), 0);
    return u;
}

static void test_authority(void **state)
{
    static const struct {
        const char *in, *want;
    } t[] = {
        {"http://h/", "h"},
        {"http://H.Example:8080/", "H.Example:8080"},
        {"https://h:443/", "h"},
        {"https://h:80/", "h:80"},
        {"http://h:443/", "h:443"},
        {"http://[::1]:8080/", "[::1]:8080"},
        {"https://[2001:db8::1]/", "[2001:db8::1]"},
        {"http://h:65535", "h:65535"},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct url u = must_parse(t[i].in);
        int want = (int)strlen(t[i].want);
        assert_int_equal(url_authority(&u, out, sizeof(out)), want);
        assert_string_equal(out, t[i].want);
        /* Exactly enough room, then one byte short (the NUL counts). */
        memset(out, 'Z', sizeof(out));
        assert_int_equal(url_authority(&u, out, (size_t)want + 1), want);
        assert_string_equal(out, t[i].want);
        memset(out, 'Z', sizeof(out));
        assert_int_equal(url_authority(&u, out, (size_t)want), -1);
        assert_int_equal(out[want], 'Z');
        assert_int_equal(url_authority(&u, out, 0), -1);
    }
}

struct res {
    const char *ref;
    const char *want; /* NULL: rejected */
};

/* Resolve ref against base; the result must re-parse, and fit exactly in len + 1 bytes. */
static void check_resolve(const struct url *base, const struct res *r)
{
    char out[512];
    struct guard g;
    size_t len = strlen(r->ref);
    char *ref = guarded(&g, r->ref, len);
    int rc = url_resolve(base, ref, len, out, sizeof(out));

    if (r->want == NULL ? rc != -1 : rc < 0 || strcmp(out, r->want) != 0)
        print_message("resolve \"%s\" gave %d \"%s\"\n", r->ref, rc, rc < 0 ? "" : out);
    if (r->want == NULL) {
        assert_int_equal(rc, -1);
    } else {
        struct url u;
        assert_int_equal(rc, (int)strlen(r->want));
        assert_string_equal(out, r->want);
        assert_int_equal(url_parse(out, (size_t)rc, &u), 0);
        memset(out, 'Z', sizeof(out));
        assert_int_equal(url_resolve(base, ref, len, out, (size_t)rc + 1), rc);
        assert_string_equal(out, r->want);
        memset(out, 'Z', sizeof(out));
        assert_int_equal(url_resolve(base, ref, len, out, (size_t)rc), -1);
        assert_int_equal(out[rc], 'Z');
    }
    guard_fini(&g);
}

/* RFC 3986 section 5.4.1, with "//g" giving "http://g/" (we always write a path) and the
 * non-http "g:h" rejected. */
static const struct res normal[] = {
    {"g:h", NULL},
    {"g", "http://a/b/c/g"},
    {"./g", "http://a/b/c/g"},
    {"g/", "http://a/b/c/g/"},
    {"/g", "http://a/g"},
    {"//g", "http://g/"},
    {"?y", "http://a/b/c/d;p?y"},
    {"g?y", "http://a/b/c/g?y"},
    {"#s", "http://a/b/c/d;p?q"},
    {"g#s", "http://a/b/c/g"},
    {"g?y#s", "http://a/b/c/g?y"},
    {";x", "http://a/b/c/;x"},
    {"g;x", "http://a/b/c/g;x"},
    {"g;x?y#s", "http://a/b/c/g;x?y"},
    {"", "http://a/b/c/d;p?q"},
    {".", "http://a/b/c/"},
    {"./", "http://a/b/c/"},
    {"..", "http://a/b/"},
    {"../", "http://a/b/"},
    {"../g", "http://a/b/g"},
    {"../..", "http://a/"},
    {"../../", "http://a/"},
    {"../../g", "http://a/g"},
};

/* RFC 3986 section 5.4.2; "http:g" takes the non-strict (browser) reading. */
static const struct res abnormal[] = {
    {"../../../g", "http://a/g"},
    {"../../../../g", "http://a/g"},
    {"/./g", "http://a/g"},
    {"/../g", "http://a/g"},
    {"g.", "http://a/b/c/g."},
    {".g", "http://a/b/c/.g"},
    {"g..", "http://a/b/c/g.."},
    {"..g", "http://a/b/c/..g"},
    {"./../g", "http://a/b/g"},
    {"./g/.", "http://a/b/c/g/"},
    {"g/./h", "http://a/b/c/g/h"},
    {"g/../h", "http://a/b/c/h"},
    {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {"g;x=1/../y", "http://a/b/c/y"},
    {"g?y/./x", "http://a/b/c/g?y/./x"},
    {"g?y/../x", "http://a/b/c/g?y/../x"},
    {"g#s/./x", "http://a/b/c/g"},
    {"g#s/../x", "http://a/b/c/g"},
    {"http:g", "http://a/b/c/g"},
};

/* Our own additions: absolute and scheme-relative references, ports, rejections. */
static const struct res extra[] = {
    {"https://x:443/a/../b?q#f", "https://x/b?q"},
    {"HTTP://X:80/p", "http://X/p"},
    {"http://x:8080", "http://x:8080/"},
    {"https://x:80/", "https://x:80/"},
    {"http://a/../x", "http://a/x"},
    {"http://a/./x/..", "http://a/"},
    {"http://h?q", "http://h/?q"},
    {"//x:81/p", "http://x:81/p"},
    {"//[::1]:8080/p/../q", "http://[::1]:8080/q"},
    {"//h", "http://h/"},
    {"/", "http://a/"},
    {"/.", "http://a/"},
    {"/..", "http://a/"},
    {"/a/b/..", "http://a/a/"},
    {"/a//b/../c", "http://a/a//c"},
    {"..//x", "http://a/b//x"},
    {"%2e%2e/x", "http://a/b/c/%2e%2e/x"},
    {"https:g", NULL},
    {"ftp://x/", NULL},
    {"mailto:x@y", NULL},
    {"javascript:alert(1)", NULL},
    {"//", NULL},
    {"//:80/", NULL},
    {"//u@h/", NULL},
    {"//h:0/", NULL},
    {"//h:65536/", NULL},
    {"//[::1/", NULL},
    {"http:///x", NULL},
    {"a b", NULL},
    {"/a\r\nX: y", NULL},
    {"/\x80", NULL},
    {"/a\\b", NULL},
    {"\\\\evil/x", NULL},
    {"#a b", NULL},
};

static void test_resolve_rfc(void **state)
{
    struct url base = must_parse("http://a/b/c/d;p?q");

    (void)state;
    for (size_t i = 0; i < sizeof(normal) / sizeof(normal[0]); i++)
        check_resolve(&base, &normal[i]);
    for (size_t i = 0; i < sizeof(abnormal) / sizeof(abnormal[0]); i++)
        check_resolve(&base, &abnormal[i]);
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        check_resolve(&base, &extra[i]);
}

static void test_resolve_bases(void **state)
{
    static const struct {
        const char *base;
        struct res r;
    } t[] = {
        {"http://h?q", {"", "http://h/?q"}},
        {"http://h?q", {"x", "http://h/x"}},
        {"http://h?q", {"?r", "http://h/?r"}},
        {"http://h?q", {"../x", "http://h/x"}},
        {"http://h", {"x", "http://h/x"}},
        {"http://h", {"", "http://h/"}},
        {"http://h", {"#f", "http://h/"}},
        {"https://h:8443/a/b", {"c", "https://h:8443/a/c"}},
        {"https://h:8443/a/b", {"//g/x", "https://g/x"}},
        {"https://h:8443/a/b", {"http:c", NULL}},
        {"https://h:8443/a/b", {"https:c", "https://h:8443/a/c"}},
        {"https://h:8443/a/b", {"http://g/", "http://g/"}},
        {"http://[::1]:8080/a", {"/x", "http://[::1]:8080/x"}},
        {"http://[::1]:8080/a", {"//[2001:db8::2]/", "http://[2001:db8::2]/"}},
        /* RFC 3986 section 5.2.2: an empty reference keeps the base path as is. */
        {"http://a/b/../c/d", {"", "http://a/b/../c/d"}},
        {"http://a/b/../c/d", {"?x", "http://a/b/../c/d?x"}},
        {"http://a/b/../c/d", {"e", "http://a/c/e"}},
        {"http://a/b/c#frag", {"d", "http://a/b/d"}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct url base = must_parse(t[i].base);
        check_resolve(&base, &t[i].r);
    }
}

/* Every prefix of every RFC reference against the guard page: no overread, and any result
 * parses again. */
static void test_resolve_prefixes(void **state)
{
    struct url base = must_parse("http://a/b/c/d;p?q");
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(abnormal) / sizeof(abnormal[0]); i++) {
        const char *s = abnormal[i].ref;
        for (size_t n = 0; n <= strlen(s); n++) {
            struct guard g;
            struct url u;
            char *p = guarded(&g, s, n);
            int rc = url_resolve(&base, p, n, out, sizeof(out));
            if (rc >= 0)
                assert_int_equal(url_parse(out, (size_t)rc, &u), 0);
            guard_fini(&g);
        }
    }
}

/* RFC 3986 section 5.2.4's loop, literally, on NUL-terminated strings: the model that the
 * right-to-left implementation in url.c is checked against. */
static void model_remove_dots(const char *path, char *out)
{
    char buf[64];
    char *in = buf;
    size_t o = 0, k;

    snprintf(buf, sizeof(buf), "%s", path);
    while (*in != '\0') {
        bool pop = false;
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0 || strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            *++in = '/';
        } else if (strncmp(in, "/../", 4) == 0) {
            in += 3;
            pop = true;
        } else if (strcmp(in, "/..") == 0) {
            in += 2;
            *in = '/';
            pop = true;
        } else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            in += strlen(in);
        } else {
            for (k = *in == '/' ? 1 : 0; in[k] != '\0' && in[k] != '/'; k++)
                ;
            memcpy(out + o, in, k);
            o += k;
            in += k;
        }
        while (pop && o > 0 && out[o - 1] != '/')
            o--;
        if (pop && o > 0)
            o--;
    }
    out[o] = '\0';
}

/* Every reference up to 7 bytes over {a . /} (except "//" ones, which carry a host), resolved
 * against a base with a three-segment path, matches the model. */
static void test_resolve_model(void **state)
{
    static const char alpha[] = "a./";
    struct url base = must_parse("http://h/x/y/z");
    char ref[8], merged[32], path[32], want[64], out[64];

    (void)state;
    for (size_t len = 1; len <= 7; len++) {
        size_t combos = 1;
        for (size_t i = 0; i < len; i++)
            combos *= 3;
        for (size_t c = 0; c < combos; c++) {
            size_t v = c;
            for (size_t i = 0; i < len; i++, v /= 3)
                ref[i] = alpha[v % 3];
            ref[len] = '\0';
            if (strncmp(ref, "//", 2) == 0)
                continue;
            snprintf(merged, sizeof(merged), "%s%s", ref[0] == '/' ? "" : "/x/y/", ref);
            model_remove_dots(merged, path);
            snprintf(want, sizeof(want), "http://h%s", path[0] != '\0' ? path : "/");
            int rc = url_resolve(&base, ref, len, out, sizeof(out));
            if (rc < 0 || strcmp(out, want) != 0)
                print_message("ref \"%s\": got \"%s\" want \"%s\"\n", ref, out, want);
            assert_int_equal(rc, (int)strlen(want));
            assert_string_equal(out, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),       cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_nul),        cmocka_unit_test(test_parse_every_byte),
        cmocka_unit_test(test_parse_prefixes),   cmocka_unit_test(test_authority),
        cmocka_unit_test(test_resolve_rfc),      cmocka_unit_test(test_resolve_bases),
        cmocka_unit_test(test_resolve_prefixes), cmocka_unit_test(test_resolve_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
