#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# Certificate checks: an untrusted CA and a wrong host name are refused, per URL, with a reason;
# verification is on by default; --insecure turns it off.
. "$(dirname "$0")/lib.sh"

UNTRUSTED_BASE=https://untrusted.volley.test:$UNTRUSTED_PORT
WRONGNAME_BASE=https://img.volley.test:$WRONGNAME_PORT

# refused NAME BASE REASON: 5 photos from BASE all fail with REASON; nothing is saved.
refused() {
    begin "$1"
    url_list "$2" 5 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_failure_lines 5 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "$3" &&
        assert_failed_url "$(tail -n 1 "$CASE_DIR/urls")" "$3" && assert_summary 0 5 && pass
}

refused tls_untrusted_ca "$UNTRUSTED_BASE" "certificate not trusted"
refused tls_wrong_host_name "$WRONGNAME_BASE" "does not match the host name"

t_mixed() {
    begin tls_mixed_good_and_bad
    fixture_subset "$CASE_DIR/want" 3
    url_list "$IMG_BASE" 3 >"$CASE_DIR/urls"
    url_list "$UNTRUSTED_BASE" 2 3 >>"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_failure_lines 2 && assert_failed_url "$(tail -n 1 "$CASE_DIR/urls")" "not trusted" &&
        assert_summary 3 2 && pass
}

t_default_verifies() {
    begin tls_verify_by_default
    # No --cacert: the system's CAs do not include the test CA, so nothing may be fetched.
    url_list "$IMG_BASE" 5 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 --dns-server "$DNS_SERVER" -i "$CASE_DIR/urls" -o "$OUT"
    if [[ $RC != 1 && $RC != 2 ]]; then
        fail "$CASE" "exit status $RC, want 1 (or 2 if no system CA store)"
        return
    fi
    assert_no_files && pass
}

t_insecure() {
    begin tls_insecure
    fixture_subset "$CASE_DIR/want" 20
    url_list "$UNTRUSTED_BASE" 20 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 --insecure --dns-server "$DNS_SERVER" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "untrusted.volley.test:$UNTRUSTED_PORT/600" &&
        assert_summary 20 0 && pass
}

t_mixed
t_default_verifies
t_insecure
