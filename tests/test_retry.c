/* test_retry.c: the retry policy (src/retry.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "retry.h"

static void test_what_heals(void **state)
{
    (void)state;
    const int heal[] = {VL_ECONNREFUSED,     VL_ECONNECT,     VL_ERESET,        VL_ECLOSED,
                        VL_ETIMEOUT_CONNECT, VL_ETIMEOUT_TLS, VL_ETIMEOUT_TTFB, VL_ETIMEOUT};
    for (size_t i = 0; i < sizeof(heal) / sizeof(heal[0]); i++)
        assert_true(retry_allowed(heal[i], 0));
    const int never[] = {VL_ETLS_VERIFY, VL_ETLS_HOSTNAME, VL_EHTTP,          VL_EHEADER_SIZE,
                         VL_EBODY_SIZE,  VL_EDNS_NOTFOUND, VL_EDNS,           VL_ETIMEOUT_DNS,
                         VL_EURL,        VL_EPATH,         VL_EREDIRECT_LOOP, VL_EIO};
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        assert_false(retry_allowed(never[i], 0));
}

static void test_statuses(void **state)
{
    (void)state;
    assert_true(retry_allowed(VL_ESTATUS, 500));
    assert_true(retry_allowed(VL_ESTATUS, 503));
    assert_true(retry_allowed(VL_ESTATUS, 599));
    assert_true(retry_allowed(VL_ESTATUS, 408));
    assert_true(retry_allowed(VL_ESTATUS, 429));
    assert_false(retry_allowed(VL_ESTATUS, 404));
    assert_false(retry_allowed(VL_ESTATUS, 403));
    assert_false(retry_allowed(VL_ESTATUS, 400));
    assert_false(retry_allowed(VL_ESTATUS, 410));
    /* Outside 100..599 a code is no HTTP status at all (RFC 9110 section 15): never retried. */
    assert_false(retry_allowed(VL_ESTATUS, 600));
    assert_false(retry_allowed(VL_ESTATUS, 999));
    assert_true(retry_allowed(VL_EEXCESS, 0));
}

static void test_backoff_doubles_with_jitter(void **state)
{
    (void)state;
    /* Try 1 failed: 200 ms with jitter in [100, 200]; then 400, 800, ... capped at 10 s. */
    assert_int_equal(retry_delay_ms(1, 0, 0), 100);
    assert_int_equal(retry_delay_ms(1, 0, 100), 200);
    assert_int_equal(retry_delay_ms(1, 0, 101), 100); /* rnd wraps within the jitter range */
    assert_int_equal(retry_delay_ms(2, 0, 200), 400);
    assert_int_equal(retry_delay_ms(3, 0, 400), 800);
    assert_int_equal(retry_delay_ms(7, 0, 5000), RETRY_MAX_MS);
    assert_int_equal(retry_delay_ms(100, 0, 0), RETRY_MAX_MS / 2);
    for (uint64_t r = 0; r < 1000; r++) {
        uint64_t d = retry_delay_ms(4, 0, r * 2654435761u);
        assert_true(d >= 800 && d <= 1600);
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    assert_int_equal(retry_delay_ms(1, 1, 12345), 1000);
    assert_int_equal(retry_delay_ms(5, 30, 0), 30000);
    assert_int_equal(retry_delay_ms(1, 3600, 0), RETRY_AFTER_MAX_MS);
    assert_int_equal(retry_delay_ms(1, UINT32_MAX, 0), RETRY_AFTER_MAX_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_heals),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_backoff_doubles_with_jitter),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
