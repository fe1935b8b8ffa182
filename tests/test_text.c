/* test_text.c: terminal and JSON escaping, UTF-8 checks and password redaction (src/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

#define L(s) s, sizeof(s) - 1

static char out[512];

/* put(s, n) into out, NUL-terminated. */
static const char *written(void (*put)(struct buf_writer *, const char *, size_t), const char *s,
                           size_t n)
{
    struct buf_writer w = {out, sizeof(out), 0, true};
    put(&w, s, n);
    assert_true(w.ok);
    out[w.len] = '\0';
    return out;
}

static const char *human(const char *s, size_t n)
{
    return written(text_put_human, s, n);
}

static const char *json(const char *s, size_t n)
{
    return written(text_put_json, s, n);
}

static const char *url(const char *s, enum text_style style)
{
    struct buf_writer w = {out, sizeof(out), 0, true};
    text_put_url(&w, s, strlen(s), style);
    assert_true(w.ok);
    out[w.len] = '\0';
    return out;
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_len((const unsigned char *)L("a")), 1);
    assert_int_equal(text_utf8_len((const unsigned char *)L("\xc3\xa9")), 2);
    assert_int_equal(text_utf8_len((const unsigned char *)L("\xe2\x82\xac")), 3);
    assert_int_equal(text_utf8_len((const unsigned char *)L("\xf0\x9f\x98\x80")), 4);
    assert_int_equal(text_utf8_len((const unsigned char *)L("\xf4\x8f\xbf\xbf")), 4);
    /* Not UTF-8: a lone continuation, overlong forms, a surrogate, past U+10FFFF, cut short. */
    const char *bad[] = {"\x80",
                         "\xc0\xaf",
                         "\xc1\xbf",
                         "\xe0\x80\xaf",
                         "\xed\xa0\x80",
                         "\xf0\x8f\xbf\xbf",
                         "\xf4\x90\x80\x80",
                         "\xf5\x80\x80\x80",
                         "\xe9",
                         "\xc3",
                         "\xe2\x82",
                         "\xc3\x28"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(text_utf8_len((const unsigned char *)bad[i], strlen(bad[i])), 0);
    assert_int_equal(text_utf8_len((const unsigned char *)"", 0), 0);
}

static void test_human(void **state)
{
    (void)state;
    assert_string_equal(human(L("http://h/caf\xc3\xa9")), "http://h/caf\xc3\xa9");
    assert_string_equal(human(L("a\x1b[2Jb\x07")), "a\\x1b[2Jb\\x07");
    assert_string_equal(human(L("line\nforged\r\x7f")), "line\\x0aforged\\x0d\\x7f");
    /* C1: a raw CSI byte (0x9b) and the same control in UTF-8 (C2 9B); U+00A0 is no control. */
    assert_string_equal(human(L("x\x9b"
                                "31my\xc2\x9bz\xc2\xa0")),
                        "x\\x9b31my\\xc2\\x9bz\xc2\xa0");
    assert_string_equal(human(L("caf\xe9")), "caf\\xe9");
    assert_string_equal(human(L("nul\0x")), "nul\\x00x");
}

static void test_json(void **state)
{
    (void)state;
    assert_string_equal(json(L("a\"b\\c")), "a\\\"b\\\\c");
    assert_string_equal(json(L("\n\t\x01\x7f")), "\\u000a\\u0009\\u0001\\u007f");
    assert_string_equal(json(L("caf\xc3\xa9")), "caf\xc3\xa9");
    /* Bytes that are not UTF-8 become lone low surrogates, one per byte (surrogateescape). */
    assert_string_equal(json(L("caf\xe9")), "caf\\udce9");
    assert_string_equal(json(L("\xed\xa0\x80")), "\\udced\\udca0\\udc80");
    assert_string_equal(json(L("\xc2\x85")), "\\u0085");
    assert_string_equal(json(L("\0")), "\\u0000");
}

static void test_redaction(void **state)
{
    (void)state;
    assert_string_equal(url("https://user:secret@h/x", TEXT_HUMAN), "https://user:***@h/x");
    assert_string_equal(url("http://u:p:q@h:80/a@b", TEXT_JSON), "http://u:***@h:80/a@b");
    assert_string_equal(url("http://a:b@c@h/", TEXT_HUMAN), "http://a:***@h/");
    /* No password: nothing hidden. An '@' after the authority is not userinfo. */
    assert_string_equal(url("http://user@h/x", TEXT_HUMAN), "http://user@h/x");
    assert_string_equal(url("http://h/x?u=a:b@c", TEXT_HUMAN), "http://h/x?u=a:b@c");
    assert_string_equal(url("not a url a:b@c", TEXT_HUMAN), "not a url a:b@c");
    assert_string_equal(url("http://u:\x1b@h/", TEXT_HUMAN), "http://u:***@h/");
    assert_string_equal(url("http://u\x1b:p@h/", TEXT_HUMAN), "http://u\\x1b:***@h/");
}

static void test_bounded(void **state)
{
    char small[8];
    struct buf_writer w = {small, sizeof(small), 0, true};

    (void)state;
    text_put_json(&w, L("\x01\x02"));
    assert_false(w.ok); /* 12 bytes do not fit in 7 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_len), cmocka_unit_test(test_human),
        cmocka_unit_test(test_json),     cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
