#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# --json: one JSON object on stdout whose counts match what happened.
. "$(dirname "$0")/lib.sh"

t_full() {
    begin json_full_job
    local before after
    before=$(dns_count img.volley.test)
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" --json -o "$OUT" "$INDEX_URL"
    sleep 0.2 # dnsmasq's log is written asynchronously
    after=$(dns_count img.volley.test)
    echo "     dnsmasq saw $((after - before)) queries for img.volley.test" >"$CASE_DIR/info"
    assert_exit 0 && assert_saved "$FIXTURE/600" "$IMG_DIR/600" &&
        json_check '
assert get("version") == 1, "version %r" % get("version")
assert get("urls") == 5000, "urls %r" % get("urls")
assert get("ok") == 5000 and get("failed") == 0, "ok %r failed %r" % (get("ok"), get("failed"))
assert failures() == {}, "failures %r" % failures()
photos = fx_bytes("600")
# Body bytes of the photos, perhaps plus the index (1.1 MB); not wire bytes with headers.
assert photos <= get("bytes") <= photos + 1200000, "bytes %r, photos %d" % (get("bytes"), photos)
w = get("wall_s")
assert 0 < w < 120, "wall_s %r" % w
assert abs(get("rps") * w - 5000) <= 500, "rps %r * wall_s %r is not about 5000" % (get("rps"), w)
lat = [get("latency_ms", k) for k in ("p50", "p90", "p99", "max")]
assert 0 <= lat[0] <= lat[1] <= lat[2] <= lat[3] <= w * 1000 + 1, "latency_ms %r" % lat
opened = get("conns", "opened")
# Keep-alive: at most one connection per slot, plus one for the index.
assert 1 <= opened <= 2 * 8 + 2, "conns.opened %r for -t 2 -k 8" % opened
tls = get("tls", "full") + get("tls", "resumed")
assert tls == opened, "tls full+resumed %r != conns.opened %r (all HTTPS)" % (tls, opened)
assert get("dns", "lookups") >= 1, "dns.lookups %r with --dns-server" % get("dns", "lookups")
' && {
        ((after > before)) || fail "$CASE" "dnsmasq saw no query for img.volley.test: --dns-server ignored?"
    } && pass
}

t_failures() {
    begin json_failure_tags
    local refused
    refused=$(free_port)
    {
        url_list "$IMG_BASE" 3
        url_list "https://untrusted.volley.test:$UNTRUSTED_PORT" 2 3
        url_list "https://img.volley.test:$WRONGNAME_PORT" 2 5
        echo "https://nope.invalid:$HTTPS_PORT/600/$(photo_names 1 7)"
        echo "https://img.volley.test:$refused/600/$(photo_names 1 8)"
        echo "$IMG_BASE/600/no-such-photo"
    } >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_file_count "$OUT" 3 && assert_failure_lines 7 && json_check '
assert get("urls") == 10 and get("ok") == 3 and get("failed") == 7, \
    "urls/ok/failed %r/%r/%r" % (get("urls"), get("ok"), get("failed"))
want = {"tls_verify": 2, "tls_hostname": 2, "dns_notfound": 1, "conn_refused": 1, "http_status": 1}
assert failures() == want, "failures %r, want %r" % (failures(), want)
' && pass
}

t_resolve_no_dns() {
    begin json_resolve_no_lookups
    run_volley -t 2 -k 4 --cacert "$CA" --json -n 100 -o "$OUT" \
        --resolve "api.volley.test:$HTTPS_PORT:127.0.0.1" \
        --resolve "img.volley.test:$HTTPS_PORT:127.0.0.1" "$INDEX_URL"
    assert_exit 0 && json_check '
assert get("ok") == 100, "ok %r" % get("ok")
assert get("dns", "lookups") == 0, "dns.lookups %r with --resolve for every host" % get("dns", "lookups")
' && pass
}

# conns NAME PORT N WANT: N photos from PORT with one slot open exactly WANT connections.
conns() {
    begin "$1"
    url_list "https://img.volley.test:$2" "$3" >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_file_count "$OUT" "$3" && json_check "
assert get('ok') == $3, 'ok %r' % get('ok')
assert get('conns', 'opened') == $4, 'conns.opened %r, want $4' % get('conns', 'opened')
assert get('tls', 'full') + get('tls', 'resumed') == $4, 'tls %r' % get('tls')
" && pass
}

t_full
t_failures
t_resolve_no_dns
# One slot, keep-alive: one connection for 30 requests.
conns json_keepalive_reuse "$HTTPS_PORT" 30 1
# The server hangs up after every third response: 30 requests need 10 connections.
conns json_reconnect_after_close "$CLOSE_PORT" 30 10
