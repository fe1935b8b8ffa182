#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# The main job: fetch the index, then every photo, and save each body byte for byte.
. "$(dirname "$0")/lib.sh"

# full_job NAME ARGS...: fetch the whole index with ARGS; all 5,000 photos saved, nothing else.
full_job() {
    begin "$1"
    shift
    run_volley "$@" -o "$OUT"
    assert_exit 0 && assert_saved "$FIXTURE/600" "$IMG_DIR/600" &&
        assert_summary 5000 0 && assert_failure_lines 0 && pass
}

full_job fetch_t1_k1 -t 1 -k 1 "${WORLD_ARGS[@]}" "$INDEX_URL"
full_job fetch_t2_k8 -t 2 -k 8 "${WORLD_ARGS[@]}" "$INDEX_URL"
full_job fetch_t2_k64 -t 2 -k 64 "${WORLD_ARGS[@]}" "$INDEX_URL"
# Plain HTTP: the index and the photos on the plain port.
IMG_DIR=img.volley.test:$HTTP_PORT full_job fetch_http -t 2 -k 8 --dns-server "$DNS_SERVER" \
    "$INDEX_URL_HTTP"
# --resolve instead of DNS: without it the system resolver would not know volley.test.
full_job fetch_resolve -t 2 -k 8 --cacert "$CA" \
    --resolve "api.volley.test:$HTTPS_PORT:127.0.0.1" \
    --resolve "img.volley.test:$HTTPS_PORT:127.0.0.1" "$INDEX_URL"
# The index framed with Transfer-Encoding: chunked (world_chunked_index checks that it is).
full_job fetch_chunked_index -t 2 -k 8 "${WORLD_ARGS[@]}" "$INDEX_URL_CHUNKED"
# A URL list instead of an index, from a file and from stdin.
full_job fetch_list_file -t 2 -k 8 "${WORLD_ARGS[@]}" -i "$URLS_FILE"
full_job fetch_list_stdin -t 2 -k 8 "${WORLD_ARGS[@]}" -i - <"$URLS_FILE"

t_field() {
    begin fetch_field_thumbnail
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" --field thumbnailUrl -o "$OUT" "$INDEX_URL"
    assert_exit 0 && assert_saved "$FIXTURE/150" "$IMG_DIR/150" &&
        assert_summary 5000 0 && pass
}

t_limit() {
    begin fetch_limit_n10
    fixture_subset "$CASE_DIR/want" 10
    run_volley -t 2 -k 4 "${WORLD_ARGS[@]}" -n 10 -o "$OUT" "$INDEX_URL"
    # -n takes the first 10 entries of the index.
    assert_exit 0 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_summary 10 0 && pass
}

t_no_outdir() {
    begin fetch_no_outdir
    # Without -o the bodies are counted, not written: the working directory stays empty.
    RUN_CWD=$OUT
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -n 200 "$INDEX_URL"
    assert_exit 0 && assert_no_files "$OUT" && assert_summary 200 0 && pass
}

t_ip_literal() {
    begin fetch_ip_literal
    fixture_subset "$CASE_DIR/want" 20
    url_list "http://127.0.0.1:$HTTP_PORT" 20 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "127.0.0.1:$HTTP_PORT/600" && assert_summary 20 0 && pass
}

t_quiet() {
    begin fetch_quiet
    # -q drops the per-URL failure lines, not the summary or the exit status.
    fixture_subset "$CASE_DIR/want" 3
    url_list "$IMG_BASE" 3 >"$CASE_DIR/urls"
    url_list "https://untrusted.volley.test:$UNTRUSTED_PORT" 2 3 >>"$CASE_DIR/urls"
    run_volley -q -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_failure_lines 0 && assert_summary 3 2 &&
        assert_saved "$CASE_DIR/want" "$IMG_DIR/600" && pass
}

t_field
t_limit
t_no_outdir
t_ip_literal
t_quiet
