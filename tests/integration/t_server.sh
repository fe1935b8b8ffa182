#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# Server behaviour volley must cope with: closed keep-alive connections, redirects, error
# statuses, bodies over --max-size, a server too slow for --timeout.
. "$(dirname "$0")/lib.sh"

t_close_after_3() {
    begin server_closes_after_3
    # Every third response on this port says Connection: close and the server hangs up.
    fixture_subset "$CASE_DIR/want" 1500
    url_list "https://img.volley.test:$CLOSE_PORT" 1500 >"$CASE_DIR/urls"
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "img.volley.test:$CLOSE_PORT/600" &&
        assert_summary 1500 0 && pass
}

t_connection_close() {
    begin server_connection_close
    # Every response says Connection: close.
    fixture_subset "$CASE_DIR/want" 100
    url_list "$IMG_BASE/close" 100 >"$CASE_DIR/urls"
    run_volley -t 2 -k 4 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "$IMG_DIR/close/600" &&
        assert_summary 100 0 && pass
}

# redirected NAME URL: the index behind URL (one or more redirects) is followed; all photos saved.
redirected() {
    begin "$1"
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -o "$OUT" "$2"
    assert_exit 0 && assert_saved "$FIXTURE/600" "$IMG_DIR/600" && assert_summary 5000 0 &&
        pass
}

redirected redirect_301_absolute "$INDEX_URL_REDIRECT"
redirected redirect_302_relative "$INDEX_URL_REDIRECT_REL"
redirected redirect_two_hops "$INDEX_URL_REDIRECT_2HOP"

t_redirect_loop() {
    begin redirect_loop
    fixture_subset "$CASE_DIR/want" 1
    url_list "$IMG_BASE" 1 >"$CASE_DIR/urls"
    echo "$IMG_BASE/loop" >>"$CASE_DIR/urls"
    run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    # Six responses on one connection take milliseconds; the run must not wait for a timer.
    assert_exit 1 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_failed_url "$IMG_BASE/loop" "redirect" && assert_failure_lines 1 &&
        assert_summary 1 1 && assert_faster_than 10 && pass
}

t_not_found() {
    begin http_404
    fixture_subset "$CASE_DIR/want" 2
    url_list "$IMG_BASE" 2 >"$CASE_DIR/urls"
    echo "$IMG_BASE/600/no-such-photo" >>"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_failed_url "$IMG_BASE/600/no-such-photo" "404" && assert_failure_lines 1 &&
        assert_summary 2 1 && pass
}

t_max_size() {
    # URL lists, not the index: --max-size limits every body, and the index is 1.1 MB.
    begin max_size_refuses
    # The photos are 1.8-2.0 KB: every one is over 1000 bytes, and no partial file may remain.
    url_list "$IMG_BASE" 20 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 "${WORLD_ARGS[@]}" --max-size 1000 -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_failure_lines 20 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "max-size" && assert_summary 0 20 && pass

    begin max_size_allows
    # The thumbnails are under 1.1 KB: --max-size 1100 lets all of them through.
    fixture_subset "$CASE_DIR/want" 20 0 150
    url_list "$IMG_BASE" 20 0 150 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 "${WORLD_ARGS[@]}" --max-size 1100 -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "$IMG_DIR/150" && pass
}

t_timeout() {
    begin timeout_slow_server
    # /slow/ sends 50 bytes a second: a 1.9 KB photo needs ~40 s, --timeout 1 must cut it short.
    url_list "$IMG_BASE/slow" 2 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" --timeout 1 -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_faster_than 10 && assert_no_files && assert_failure_lines 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "timeout" && pass
}

t_close_after_3
t_connection_close
t_redirect_loop
t_not_found
t_max_size
t_timeout
