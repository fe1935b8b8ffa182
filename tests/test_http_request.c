/* test_http_request.c: the request writer (src/http_request.c), byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_request.h"
#include "url.h"
#include "version.h"

#define UA "User-Agent: volley/" VOLLEY_VERSION "\r\n"
#define TAIL UA "Accept: */*\r\n"

static struct url must_parse(const char *s)
{
    struct url u;

    assert_int_equal(url_parse(s, strlen(s), &u), 0);
    return u;
}

/* The whole request for each URL: the request line (origin-form: path and query as given, "/"
 * when there is no path, no fragment; RFC 9112 section 3.2.1), Host with the port only when it is
 * not the scheme's default and IPv6 literals in brackets (section 3.2), nothing else but the
 * User-Agent and Accept, and "Connection: close" only when asked for (section 9.6). */
static void test_bytes(void **state)
{
    static const struct {
        const char *url;
        bool close;
        const char *want;
    } t[] = {
        {"http://h/", false, "GET / HTTP/1.1\r\nHost: h\r\n" TAIL "\r\n"},
        {"http://h", false, "GET / HTTP/1.1\r\nHost: h\r\n" TAIL "\r\n"},
        {"http://h?q=1", false, "GET /?q=1 HTTP/1.1\r\nHost: h\r\n" TAIL "\r\n"},
        {"http://h:80/a%20b?x=%41&y#frag", false,
         "GET /a%20b?x=%41&y HTTP/1.1\r\nHost: h\r\n" TAIL "\r\n"},
        {"https://H.Example:443/p", false, "GET /p HTTP/1.1\r\nHost: H.Example\r\n" TAIL "\r\n"},
        {"https://h:80/p", false, "GET /p HTTP/1.1\r\nHost: h:80\r\n" TAIL "\r\n"},
        {"http://h:8080/p", false, "GET /p HTTP/1.1\r\nHost: h:8080\r\n" TAIL "\r\n"},
        {"http://[::1]:8080/v6", false, "GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\n" TAIL "\r\n"},
        {"https://[2001:db8::1]/", false, "GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n" TAIL "\r\n"},
        {"http://127.0.0.1:1/x", true,
         "GET /x HTTP/1.1\r\nHost: 127.0.0.1:1\r\n" TAIL "Connection: close\r\n\r\n"},
    };
    char buf[256];

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct url u = must_parse(t[i].url);
        size_t len = 0;
        assert_int_equal(http_request_write(buf, &len, sizeof(buf), &u, t[i].close), 0);
        if (len != strlen(t[i].want) || memcmp(buf, t[i].want, len) != 0)
            fail_msg("%s: wrote \"%.*s\", want \"%s\"", t[i].url, (int)len, buf, t[i].want);
    }
}

/* Requests are appended behind what the buffer holds (pipelining); one that does not fit leaves
 * *len and the bytes before it as they were. It fits with one byte to spare (struct buf_writer
 * keeps room for a NUL). */
static void test_append_and_fit(void **state)
{
    static const char want[] = "GET /b HTTP/1.1\r\nHost: h:81\r\n" TAIL "\r\n";
    struct url u = must_parse("http://h:81/b");
    char buf[256];
    size_t n = strlen(want), len = 3;

    (void)state;
    memcpy(buf, "XYZ", 3);
    assert_int_equal(http_request_write(buf, &len, sizeof(buf), &u, false), 0);
    assert_int_equal(len, 3 + n);
    assert_memory_equal(buf, "XYZ", 3);
    assert_memory_equal(buf + 3, want, n);

    len = 3;
    assert_int_equal(http_request_write(buf, &len, 3 + n, &u, false), -1);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "XYZ", 3);
    assert_int_equal(http_request_write(buf, &len, 3 + n + 1, &u, false), 0);
    assert_int_equal(len, 3 + n);
    assert_memory_equal(buf + 3, want, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_append_and_fit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
