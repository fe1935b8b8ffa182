#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# DNS through --dns-server: names the server does not know fail as DNS failures, per URL.
. "$(dirname "$0")/lib.sh"

t_unknown_host() {
    begin dns_unknown_host
    # dnsmasq answers NXDOMAIN for *.invalid.
    local bad
    bad="https://nope.invalid:$HTTPS_PORT/600/$(photo_names 1)"
    fixture_subset "$CASE_DIR/want" 2
    {
        echo "$bad"
        url_list "$IMG_BASE" 2
    } >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_failed_url "$bad" "DNS" && assert_failure_lines 1 && assert_summary 2 1 && pass
}

t_unknown_host_json() {
    begin dns_unknown_host_json
    local bad
    bad="https://nope.invalid:$HTTPS_PORT/600/$(photo_names 1)"
    echo "$bad" >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && json_check '
f = failures()
assert get("failed") == 1 and f == {"dns_notfound": 1}, "failed %r failures %r" % (get("failed"), f)
' && pass
}

t_unknown_index_host() {
    begin dns_unknown_index_host
    # The index itself cannot be resolved: no job list, so nothing can be fetched.
    run_volley "${WORLD_ARGS[@]}" -o "$OUT" "https://nope.invalid:$HTTPS_PORT/photos"
    if [[ $RC != 1 && $RC != 2 ]]; then
        fail "$CASE" "exit status $RC, want 1 or 2"
        return
    fi
    assert_no_files && assert_output_has "DNS" && pass
}

t_unknown_host
t_unknown_host_json
t_unknown_index_host
