/* test_present.c: the pure presentation helpers: -w formats (writeout.c), --sweep levels
 * (sweep.c's parser), the progress line (progress.c's formatter), --bind lists (bindaddr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "bindaddr.h"
#include "err.h"
#include "progress.h"
#include "sweep.h"
#include "writeout.h"

static const struct writeout_vars vars = {
    .url = "https://img.test/600/92c952",
    .url_len = 27,
    .http_code = 200,
    .size = 1988,
    .attempts = 2,
    .redirects = 1,
    .error = "",
    .time_dns = 0.001,
    .time_connect = 0.002,
    .time_tls = 0.0035,
    .time_ttfb = 0.004,
    .time_total = 0.0051,
};

static void test_writeout_vars(void **state)
{
    (void)state;
    char buf[512];
    size_t n = writeout_format(buf, sizeof(buf),
                               "%{url} %{http_code} %{size} %{attempts} %{num_redirects} "
                               "%{time_dns} %{time_connect} %{time_tls} %{time_ttfb} "
                               "%{time_total}\\n",
                               &vars);
    assert_string_equal(buf, "https://img.test/600/92c952 200 1988 2 1 0.001000 0.002000 "
                             "0.003500 0.004000 0.005100\n");
    assert_int_equal(n, strlen(buf));
}

static void test_writeout_aliases_escapes(void **state)
{
    (void)state;
    char buf[256];
    writeout_format(buf, sizeof(buf),
                    "%{time_namelookup}|%{time_appconnect}|%{time_starttransfer}|100%%|\\t|\\\\|"
                    "%{nope}|%{url",
                    &vars);
    assert_string_equal(buf, "0.001000|0.003500|0.004000|100%|\t|\\|%{nope}|%{url");
}

static void test_writeout_truncates(void **state)
{
    (void)state;
    char buf[8];
    size_t n = writeout_format(buf, sizeof(buf), "%{url}", &vars);
    assert_int_equal(n, 7);
    assert_string_equal(buf, "https:/");
    struct writeout_vars v = vars;
    v.http_code = 0;
    v.error = "conn_refused";
    writeout_format(buf, sizeof(buf), "%{http_code}", &v);
    assert_string_equal(buf, "000");
}

/* A hostile list cannot drive the terminal through %{url}: controls (C1 too) are shown as \xNN,
 * and a password as ***. */
static void test_writeout_escapes_url(void **state)
{
    (void)state;
    char buf[256];
    struct writeout_vars v = vars;
    v.url = "http://u:pw@h/\x1b]0;owned\x07\xc2\x9b";
    v.url_len = strlen(v.url);
    writeout_format(buf, sizeof(buf), "%{url}\\n", &v);
    assert_string_equal(buf, "http://u:***@h/\\x1b]0;owned\\x07\\xc2\\x9b\n");
}

static void test_sweep_levels(void **state)
{
    (void)state;
    struct sweep_level l[SWEEP_MAX];
    char err[256];
    assert_int_equal(sweep_parse("1x1,1x10,2x16,2x64,2x256", 2, l, SWEEP_MAX, err, sizeof(err)), 5);
    assert_int_equal(l[4].threads, 2);
    assert_int_equal(l[4].conns, 256);
    assert_string_equal(l[4].label, "2x256");
    /* The lab's totals: 1 stays on one thread; 1000 spreads over the 2 CPUs. */
    assert_int_equal(sweep_parse("1,10,100,1000,5", 2, l, SWEEP_MAX, err, sizeof(err)), 5);
    assert_int_equal(l[0].threads, 1);
    assert_int_equal(l[0].conns, 1);
    assert_int_equal(l[3].threads, 2);
    assert_int_equal(l[3].conns, 500);
    assert_int_equal(l[4].conns, 3); /* 5 over 2 threads, rounded up */
    assert_string_equal(l[3].label, "1000");
}

static void test_sweep_rejects(void **state)
{
    (void)state;
    struct sweep_level l[2];
    char err[256];
    const char *bad[] = {"", "0", "2x0", "0x4", "x4", "2x", "1,,2", "65x1", "a", "2x64y", "1,2,3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sweep_parse(bad[i], 2, l, 2, err, sizeof(err)), VL_EUSAGE);
    assert_non_null(strstr(err, "--sweep '1,2,3'"));
}

static void test_progress_line(void **state)
{
    (void)state;
    char buf[256];
    progress_format(buf, sizeof(buf), 3118, 2, 6 << 20, 5000, 0.5);
    assert_string_equal(buf,
                        "3120/5000  3118 ok  2 failed  6240 req/s  6144.0 KB  0.5 s  ETA 0.3 s");
    progress_format(buf, sizeof(buf), 10, 0, 2048, 0, 1.0);
    assert_string_equal(buf, "10 done  10 ok  0 failed  10 req/s  2048 B  1.0 s");
}

static void test_bind_lists(void **state)
{
    (void)state;
    struct bindaddr_set set;
    char err[256];
    assert_int_equal(bindaddr_parse("127.0.0.2-127.0.0.20", &set, err, sizeof(err)), 0);
    assert_int_equal(set.n, 19);
    struct sockaddr_in *last = (struct sockaddr_in *)&set.v[18];
    assert_int_equal(ntohl(last->sin_addr.s_addr), 0x7f000014);
    bindaddr_free(&set);
    assert_int_equal(bindaddr_parse("127.0.0.1,::1", &set, err, sizeof(err)), 0);
    assert_int_equal(set.n, 2);
    assert_int_equal(set.v[1].ss_family, AF_INET6);
    bindaddr_free(&set);
    const char *bad[] = {"", "x", "127.0.0.9-127.0.0.2", "10.0.0.0-10.2.0.0", "1.2.3.4-::1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(bindaddr_parse(bad[i], &set, err, sizeof(err)), VL_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writeout_vars),      cmocka_unit_test(test_writeout_aliases_escapes),
        cmocka_unit_test(test_writeout_truncates), cmocka_unit_test(test_writeout_escapes_url),
        cmocka_unit_test(test_sweep_levels),       cmocka_unit_test(test_sweep_rejects),
        cmocka_unit_test(test_progress_line),      cmocka_unit_test(test_bind_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
