#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# shellcheck disable=SC2016 # until_bg's conditions are expanded when evaluated
# Faults volley must survive and name: resets, early closes, malformed and oversized responses,
# stalls at every phase (DNS, connect, TLS, first byte, body), error statuses and Retry-After,
# redirect loops, servers closing keep-alive connections, hostile indexes and paths, and signals
# mid-run (no partial file ever remains; --resume finishes the job byte for byte).
#
# The fault servers are started by faults.sh (on 127.0.0.1, stopped by pid when the file ends).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

# --- broken connections ------------------------------------------------------------------------

t_reset() {
    begin fault_reset_mid_body
    # 50,000 of 100,000 body bytes, then RST: retried 3 times (backoff 100-200, 200-400,
    # 400-800 ms), then conn_reset. The good URL beside it is saved whole.
    urls "$H/reset/50000" "$H/ok/100000"
    fetch -t 1 -k 2 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/reset/50000" conn_reset 4 "$H/ok/100000" ok 1 &&
        assert_requests /reset/50000 4 /ok/100000 1 && assert_no_part && assert_bodies &&
        assert_file_count "$OUT" 1 && assert_failed_url "$H/reset/50000" "reset" &&
        assert_failure_lines 1 && assert_slower_than_ms 700 && assert_faster_than 5 &&
        assert_json ok=1 failed=1 retries=3 && assert_failures conn_reset=1 && pass
}

t_short() {
    begin fault_short_body
    # Content-Length 5100, 5000 bytes, then a clean close: conn_closed after 1 retry.
    urls "$H/short/5000" "$H/chunked/70000"
    fetch -t 1 -k 2 --retries 1 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/short/5000" conn_closed 2 "$H/chunked/70000" ok 1 &&
        assert_requests /short/5000 2 && assert_no_part && assert_bodies &&
        assert_file_count "$OUT" 1 && assert_failed_url "$H/short/5000" "closed" &&
        assert_failures conn_closed=1 && pass
}

t_tls_reset_short() {
    begin fault_tls_reset_and_short
    # The same over TLS: a RST under a TLS record, and close_notify before the body is complete.
    urls "$S/reset/100000" "$S/short/5000" "$S/chunked/70000" "$S/ok/300000"
    fetch -t 1 -k 4 --retries 1 --cacert "$CA" -o "$OUT"
    assert_exit 1 && assert_manifest "$S/reset/100000" conn_reset 2 "$S/short/5000" conn_closed 2 \
        "$S/chunked/70000" ok 1 "$S/ok/300000" ok 1 && assert_no_part && assert_bodies &&
        assert_file_count "$OUT" 2 && assert_failure_lines 2 &&
        assert_failures conn_reset=1 conn_closed=1 && pass
}

t_refused() {
    begin fault_conn_refused
    local port
    port=$(free_port)
    urls "http://127.0.0.1:$port/ok/10"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_manifest "http://127.0.0.1:$port/ok/10" conn_refused 4 &&
        assert_no_files && assert_failed_url "http://127.0.0.1:$port/ok/10" "refused" &&
        assert_slower_than_ms 700 && assert_faster_than 5 &&
        assert_failures conn_refused=1 && assert_json retries=3 &&
        pass
}

# --- malformed responses: never retried --------------------------------------------------------

# malformed NAME PATH TAG: one URL that fails with TAG at once, with no retry and no file.
malformed() {
    begin "$1"
    urls "$H$2"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_manifest "$H$2" "$3" 1 && assert_requests "$2" 1 && assert_no_files &&
        assert_failure_lines 1 && assert_faster_than 5 &&
        assert_failures "$3=1" && assert_json retries=0 &&
        pass
}

# --- timeouts ----------------------------------------------------------------------------------

t_nohead() {
    begin fault_nohead_ttfb
    # No response byte ever: timeout_ttfb after 2 s, retried once.
    urls "$H/nohead"
    fetch -t 1 -k 1 --timeout 2 --retries 1
    assert_exit 1 && assert_manifest "$H/nohead" timeout_ttfb 2 && assert_requests /nohead 2 &&
        assert_failed_url "$H/nohead" "first byte" && assert_slower_than_ms 4000 &&
        assert_faster_than 8 && pass
}

t_slow() {
    begin fault_slow_head_timeout
    # The head trickles in a byte a second: bytes arrive, but the whole request is over 2 s.
    urls "$H/slow" "$H/ok/2000"
    fetch -t 1 -k 2 --timeout 2 --retries 0 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/slow" timeout 1 "$H/ok/2000" ok 1 &&
        assert_no_part && assert_bodies && assert_file_count "$OUT" 1 &&
        assert_slower_than_ms 2000 && assert_faster_than 5 && pass
}

t_endless() {
    begin fault_endless_timeout
    # A chunked body that never ends: the 2 s limit cuts it, and the partial file goes.
    urls "$H/endless"
    fetch -t 1 -k 1 --timeout 2 --retries 0 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/endless" timeout 1 && assert_no_files &&
        assert_slower_than_ms 2000 && assert_faster_than 5 && pass

    begin fault_endless_max_size
    # 1 KiB every 10 ms: over --max-size 100000 after ~1 s, long before --timeout 10.
    urls "$H/endless"
    fetch -t 1 -k 1 --timeout 10 --max-size 100000 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/endless" body_too_big 1 && assert_requests /endless 1 &&
        assert_no_files && assert_failed_url "$H/endless" "max-size" && assert_faster_than 5 && pass
}

t_tls_stall() {
    begin fault_tls_stall
    # TCP connects, the handshake never completes: timeout_tls after --connect-timeout 2, once
    # more after a retry. The good HTTPS URL beside it is unaffected.
    urls "https://127.0.0.1:$F_STALL/ok/10" "$S/ok/1000"
    fetch -t 1 -k 2 --cacert "$CA" --connect-timeout 2 --retries 1 -o "$OUT"
    assert_exit 1 && assert_manifest "https://127.0.0.1:$F_STALL/ok/10" timeout_tls 2 \
        "$S/ok/1000" ok 1 && assert_bodies && assert_file_count "$OUT" 1 &&
        assert_failed_url "https://127.0.0.1:$F_STALL/ok/10" "TLS handshake" &&
        assert_slower_than_ms 4000 && assert_faster_than 8 && pass
}

t_tls_alert() {
    begin fault_tls_alert
    urls "https://127.0.0.1:$F_ALERT/ok/10"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 1 && assert_manifest "https://127.0.0.1:$F_ALERT/ok/10" tls_error 1 &&
        assert_no_files && assert_failed_url "https://127.0.0.1:$F_ALERT/ok/10" "TLS" &&
        assert_faster_than 5 && pass
}

# --- statuses, Retry-After, redirects ----------------------------------------------------------

t_statuses() {
    begin fault_status_500_retried
    urls "$H/status/500"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/status/500" http_status 4 &&
        assert_requests /status/500 4 && assert_no_files &&
        assert_failed_url "$H/status/500" "500" && assert_faster_than 5 && pass

    begin fault_flaky_503_heals
    # Two 503s (Retry-After: 0), then 200 "ok f1": fetched on the third try, asked exactly 3 times.
    urls "$H/flaky/f1/2/503" "$S/flaky/f2/1/502"
    fetch -t 1 -k 2 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$H/flaky/f1/2/503" ok 3 "$S/flaky/f2/1/502" ok 2 &&
        assert_requests /flaky/f1/2/503 3 /flaky/f2/1/502 2 && assert_bodies &&
        assert_file_count "$OUT" 2 && assert_no_part &&
        assert_json ok=2 retries=3 &&
        pass

    begin fault_status_404_not_retried
    urls "$H/status/404" "$H/status/403" "$H/status/408"
    fetch -t 1 -k 3 --retries 1
    # 404 and 403 are final; 408 (Request Timeout) may heal and is retried.
    assert_exit 1 && assert_manifest "$H/status/404" http_status 1 "$H/status/403" http_status 1 \
        "$H/status/408" http_status 2 &&
        assert_requests /status/404 1 /status/403 1 /status/408 2 &&
        assert_failed_url "$H/status/404" "404" && pass

    begin fault_429_retry_after
    # Retry-After: 1 on every answer: the retry waits a whole second, not the 100-200 ms backoff.
    urls "$H/status/429?retry=1"
    fetch -t 1 -k 1 --retries 1
    assert_exit 1 && assert_manifest "$H/status/429?retry=1" http_status 2 &&
        assert_requests "/status/429?retry=1" 2 && assert_slower_than_ms 1000 &&
        assert_faster_than 4 && pass

    begin fault_retry_after_past_max_time
    # Retry-After: 5 would start the retry after --retry-max-time 2: no retry at all.
    urls "$H/status/503?retry=5"
    fetch -t 1 -k 1 --retry-max-time 2
    assert_exit 1 && assert_manifest "$H/status/503?retry=5" http_status 1 &&
        assert_requests "/status/503?retry=5" 1 && assert_faster_than 2 && pass

    begin fault_retry_max_time
    # --retries 10, but no retry may start over 1 s after the first try: with backoff in
    # [d/2, d] for d = 200, 400, 800 ms, the third retry may or may not fit, a fourth never.
    urls "$H/status/503"
    fetch -t 1 -k 1 --retries 10 --retry-max-time 1
    assert_exit 1 && assert_manifest "$H/status/503" http_status 3-4 && assert_faster_than 2 && pass
}

t_redirect_loop() {
    begin fault_redirect_loop
    # The first answer and 5 redirects followed, then too_many_redirects; never retried.
    urls "$H/redirect-loop/0" "$H/redirect/3"
    fetch -t 1 -k 2 -o "$OUT"
    assert_exit 1 &&
        assert_manifest "$H/redirect-loop/0" too_many_redirects 1 "$H/redirect/3" ok 1 &&
        assert_requests /redirect-loop/0 1 /redirect-loop/5 1 /redirect-loop/6 0 /redirect/0 1 &&
        assert_failed_url "$H/redirect-loop/0" "redirect" && assert_failure_lines 1 &&
        assert_faster_than 3 && pass
}

# --- keep-alive connections the server closes --------------------------------------------------

t_closeafter() {
    local i list=()
    begin fault_closeafter_http
    # The server hangs up after every 2nd response, without "Connection: close": a request
    # sent on such a connection is resent (uncounted); every URL is asked for exactly once.
    for ((i = 1; i <= 50; i++)); do
        list+=("$H/closeafter/2/ok/$((1000 + i))")
    done
    urls "${list[@]}"
    fetch -t 1 -k 1 -o "$OUT"
    local spec=() targets=()
    for u in "${list[@]}"; do
        spec+=("$u" ok 1)
        targets+=("${u#"$H"}" 1)
    done
    assert_exit 0 && assert_manifest "${spec[@]}" && assert_requests "${targets[@]}" &&
        assert_connections_at_least http 25 && assert_bodies && assert_file_count "$OUT" 50 &&
        assert_json ok=50 retries=0 &&
        pass

    begin fault_closeafter_https
    list=() spec=()
    for ((i = 1; i <= 60; i++)); do
        list+=("$S/closeafter/3/ok/$((2000 + i))")
        spec+=("${list[-1]}" ok 1)
    done
    urls "${list[@]}"
    fetch -t 2 -k 2 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "${spec[@]}" && assert_bodies && assert_file_count "$OUT" 60 &&
        assert_no_part && pass
}

t_idleclose() {
    local i list=() spec=() targets=()
    begin fault_idleclose
    # The server closes a connection idle for 100 ms; --rate 4 leaves 250 ms between requests,
    # so each finds its connection closed (or closing) and must still succeed, asked once.
    for ((i = 1; i <= 6; i++)); do
        list+=("$H/idleclose/100/ok/$((3000 + i))")
        spec+=("${list[-1]}" ok 1)
        targets+=("/idleclose/100/ok/$((3000 + i))" 1)
    done
    urls "${list[@]}"
    fetch -t 1 -k 1 --rate 4 -o "$OUT"
    assert_exit 0 && assert_manifest "${spec[@]}" && assert_requests "${targets[@]}" &&
        assert_connections_at_least http 4 && assert_bodies && assert_file_count "$OUT" 6 &&
        assert_faster_than 8 && pass
}

t_resent() {
    begin fault_reset_on_reused_resent
    # The second request on a reused connection gets a RST before any response byte: resent
    # once on a new connection, not counted as an attempt or a retry.
    urls "$H/ok/10" "$H/flakyreset/r1/1"
    fetch -t 1 -k 1
    assert_exit 0 && assert_manifest "$H/ok/10" ok 1 "$H/flakyreset/r1/1" ok 1 &&
        assert_requests /flakyreset/r1/1 2 &&
        assert_json resent=1 retries=0 &&
        pass

    begin fault_reset_on_fresh_retried
    # The same RST on a fresh connection is an ordinary failed attempt: retried and counted.
    urls "$H/flakyreset/r2/1"
    fetch -t 1 -k 1
    assert_exit 0 && assert_manifest "$H/flakyreset/r2/1" ok 2 &&
        assert_requests /flakyreset/r2/1 2 &&
        assert_json resent=0 retries=1 &&
        pass
}

# --- DNS ---------------------------------------------------------------------------------------

t_dns() {
    begin fault_dns
    # One run, every DNS fault at once, through faultdns.py. c-ares waits 2 s, then 4 s, for
    # silent- and badid- (a wrong transaction id is no answer): timeout_dns, bounded under 10 s.
    # DNS failures are not retried by volley (c-ares already tried twice). trunc- answers TC=1
    # over UDP: c-ares asks again over TCP and the fetch succeeds.
    local p=$F_HTTP d="x$$"
    urls "http://ok-$d.test:$p/ok/10" "http://nx-$d.test:$p/ok/10" \
        "http://servfail-$d.test:$p/ok/10" "http://silent-$d.test:$p/ok/10" \
        "http://trunc-$d.test:$p/ok/11" "http://badid-$d.test:$p/ok/10"
    fetch -t 1 -k 8 --dns-server "127.0.0.1:$F_DNS" -o "$OUT"
    assert_exit 1 && assert_manifest "http://ok-$d.test:$p/ok/10" ok 1 \
        "http://nx-$d.test:$p/ok/10" dns_notfound 1 "http://servfail-$d.test:$p/ok/10" dns_error 1 \
        "http://silent-$d.test:$p/ok/10" timeout_dns 1 "http://trunc-$d.test:$p/ok/11" ok 1 \
        "http://badid-$d.test:$p/ok/10" timeout_dns 1 && assert_bodies &&
        assert_file_count "$OUT" 2 && assert_failure_lines 4 && assert_faster_than 10 &&
        assert_failures dns_notfound=1 dns_error=1 timeout_dns=2 && {
        python3 - "$FDIR/dns-stats.json" "trunc-$d.test" <<'EOF' ||
import json, sys
s = json.load(open(sys.argv[1])).get(sys.argv[2].lower(), {})
sys.exit(0 if s.get("A", {}).get("tcp", 0) >= 1 else 1)
EOF
            fail "$CASE" "faultdns.py saw no TCP query for trunc-$d.test"
    } && pass
}

# --- hostile inputs ----------------------------------------------------------------------------

# The index server's files: a hostile index, a truncated one.
write_indexes() {
    python3 - "$FDIR/www" "$H" <<'EOF'
import json, os, sys
www, h = sys.argv[1], sys.argv[2]
up = "/%2e%2e" * 6
urls = [
    h + "/ok/10\r\nX-Evil: 1",              # CR LF in a URL: header injection
    h + "/ok/10 HTTP/1.1\r\nHost: evil",    # a request line smuggled in
    h + "/ok/10" + up + "/escape-1",         # encoded dot segments climbing out of -o
    h + "/ok/10" + "/.." * 6 + "/escape-2",  # plain dot segments
    h + "/ok/10/%2E%2E%2F%2E%2E%2Fescape-3",  # an encoded slash
    h + "/ok/10/a%00escape-4",              # an encoded NUL
    "ftp://127.0.0.1/escape-5",
    h + "/ok/11",
    h + "/ok/13/sub/f",
]
json.dump([{"url": u} for u in urls], open(os.path.join(www, "hostile.json"), "w"))
s = json.dumps([{"url": h + "/ok/%d" % i} for i in range(1, 50)])
open(os.path.join(www, "truncated.json"), "w").write(s[: len(s) // 2])
EOF
}

# deep_out: $OUT 7 folders below the case's own, so whatever the six ".." of hostile.json's URLs
# reach is inside it, which begin empties: an escape is found there and cannot outlive the case.
deep_out() {
    OUT=$CASE_DIR/1/2/3/4/5/6/out
    mkdir -p "$OUT"
}

t_hostile_index() {
    local ix="http://127.0.0.1:$F_INDEX"
    begin fault_hostile_index
    # URLs with CR LF are refused (bad_url), paths leaving -o fail unsafe_path, nothing lands
    # outside -o (looked for in the case's folder, see deep_out), and the two good URLs are saved.
    deep_out
    fs /stats/reset >/dev/null
    run_volley -t 1 -k 2 --json --manifest "$CASE_DIR/manifest" -o "$OUT" "$ix/hostile.json"
    local up="/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e" dots="/../../../../../.."
    local esc
    esc=$(find "$CASE_DIR" -name 'escape-*' | head -n 3)
    assert_exit 1 && assert_manifest "$H/ok/10"$'\r\n'"X-Evil: 1" bad_url 1 \
        "$H/ok/10 HTTP/1.1"$'\r\n'"Host: evil" bad_url 1 "$H/ok/10$up/escape-1" unsafe_path 1 \
        "$H/ok/10$dots/escape-2" unsafe_path 1 "$H/ok/10/%2E%2E%2F%2E%2E%2Fescape-3" unsafe_path 1 \
        "$H/ok/10/a%00escape-4" unsafe_path 1 "ftp://127.0.0.1/escape-5" bad_url 1 \
        "$H/ok/11" ok 1 "$H/ok/13/sub/f" ok 1 && assert_bodies && assert_file_count "$OUT" 2 &&
        assert_no_part && {
        [[ -z $esc ]] || fail "$CASE" "written outside -o: $esc"
    } && assert_failures bad_url=3 unsafe_path=4 && pass

    begin fault_hostile_url_one_stderr_line
    # A failed URL is one stderr line even when the URL holds CR or LF (a hostile index must
    # not be able to write its own lines into volley's log).
    deep_out
    run_volley -t 1 -k 2 --json -o "$OUT" "$ix/hostile.json"
    assert_exit 1 && assert_stderr_lines 7 && pass

    begin fault_list_crlf_and_junk
    # A list with CRLF line ends, a CR inside a line, spaces, a blank line and a comment.
    printf '%s\r\n' "$H/ok/10" "$H/ok/11" >"$CASE_DIR/urls"
    printf '%s\r%s\n' "$H/ok/12" "X-Evil: 1" >>"$CASE_DIR/urls"
    printf '%s\n' "$H/ok/13 junk" "  $H/ok/14  " "" "# a comment" >>"$CASE_DIR/urls"
    fs /stats/reset >/dev/null
    run_volley -t 1 -k 1 --json --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_manifest "$H/ok/10" ok 1 "$H/ok/11" ok 1 \
        "$H/ok/12"$'\r'"X-Evil: 1" bad_url 1 "$H/ok/13 junk" bad_url 1 "$H/ok/14" ok 1 &&
        assert_bodies && assert_file_count "$OUT" 3 && pass

    begin fault_index_truncated
    # Half a JSON array: a malformed index, nothing fetched from the URLs it did list.
    fs /stats/reset >/dev/null
    run_volley -t 1 -k 1 -o "$OUT" "$ix/truncated.json"
    assert_exit 1 && assert_no_files && assert_output_has "truncated" && assert_requests /ok/1 0 &&
        pass

    begin fault_index_not_json
    # 100 bytes of binary pattern served as the index.
    run_volley -t 1 -k 1 -o "$OUT" "$H/ok/100"
    assert_exit 1 && assert_no_files && assert_output_has "JSON" && pass
}

t_usage() {
    # (-t 0 and a missing --cacert file are covered by t_usage.sh.)
    begin fault_usage_conns_too_many
    urls "$H/ok/10"
    fs /stats/reset >/dev/null
    run_volley -k 100000 -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 2 && assert_stderr_has "-k" && assert_no_files && assert_requests /ok/10 0 && pass

    begin fault_usage_resume_needs_manifest
    urls "$H/ok/10"
    run_volley --resume -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 2 && assert_stderr_has "--manifest" && assert_no_files &&
        assert_requests /ok/10 0 && pass

    begin fault_usage_resume_needs_output
    urls "$H/ok/10"
    run_volley --resume --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls"
    assert_exit 2 && assert_stderr_has "-o" && assert_requests /ok/10 0 && pass
}

# --- signals -----------------------------------------------------------------------------------

# assert_manifest_files: every ok line names a file under $OUT holding the fixture's bytes; the
# files under $OUT are exactly those. Prints nothing; sets OK_LINES.
assert_manifest_files() {
    local msg
    msg=$(python3 - "$CASE_DIR/manifest" "$OUT" "$FIXTURE/600" 2>&1 <<'EOF'
import json, os, sys, filecmp
man, out, fx = sys.argv[1:4]
lines = [json.loads(l) for l in open(man)]
ok = [l for l in lines if l["ok"]]
files = set()
for d, _, names in os.walk(out):
    files |= {os.path.join(d, n) for n in names}
for l in ok:
    p = l["path"]
    if p not in files:
        sys.exit("manifest says %s is saved, but it is not there" % p)
    want = os.path.join(fx, os.path.basename(p))
    if os.path.getsize(p) != l["bytes"] or not filecmp.cmp(p, want, shallow=False):
        sys.exit("%s differs from the fixture" % p)
extra = files - {l["path"] for l in ok}
if extra:
    sys.exit("%d files without an ok manifest line, e.g. %s" % (len(extra), sorted(extra)[0]))
print(len(ok))
EOF
    ) && OK_LINES=$msg && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

# interrupt_world NAME SIGNAL RC: fetch the world's index, SIGNAL once 300 lines are in the
# manifest; volley exits RC with every saved file whole and vouched for by the manifest.
interrupt_world() {
    begin "$1"
    # --rate 2000 makes the 5,000 photos take 2.5 s, so the signal lands mid-run.
    start_bg -t 1 -k 2 --rate 2000 "${WORLD_ARGS[@]}" -o "$OUT" --manifest "$CASE_DIR/manifest" \
        "$INDEX_URL"
    until_bg '(($(manifest_lines) >= 300))' || return 1
    kill "-$2" "$VOLLEY_PID"
    wait_bg
    assert_stopped "$3" && assert_no_part && assert_manifest_files && {
        ((OK_LINES >= 300 && OK_LINES < 5000)) ||
            fail "$CASE" "$OK_LINES ok lines, want some but not all 5000"
    } && assert_output_has "$OK_LINES ok, 0 failed, $((5000 - OK_LINES)) not started" &&
        assert_faster_than 8 && pass
}

t_sigint_resume() {
    if ! interrupt_world fault_sigint_world INT 130; then
        begin fault_resume_after_sigint
        fail "$CASE" "not run: fault_sigint_world failed"
        return
    fi
    local first=$CASE_DIR ok1=$OK_LINES a b
    begin fault_resume_after_sigint
    # Continue in the same -o and manifest; a saved file truncated since and one deleted since
    # are fetched again, the rest skipped.
    OUT=$first/out
    ok_paths "$first/manifest" >"$CASE_DIR/ok_paths"
    a=$(head -n 1 "$CASE_DIR/ok_paths")
    b=$(tail -n 1 "$CASE_DIR/ok_paths")
    truncate -s 100 "$a"
    rm -f "$b"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -o "$OUT" --manifest "$first/manifest" --resume \
        --json "$INDEX_URL"
    assert_exit 0 && assert_saved "$FIXTURE/600" "$IMG_DIR/600" && assert_no_part &&
        assert_json skipped=$((ok1 - 2)) ok=$((5000 - ok1 + 2)) failed=0 && pass
}

t_sigterm() {
    interrupt_world fault_sigterm_world TERM 143
}

t_sigint_endless() {
    local list=("$H/endless" "$H/endless?b" "$H/ok/5000")
    begin fault_sigint_in_flight
    # Two endless bodies on the wire (their files open, not yet named) and /ok/5000 saved when SIGINT
    # comes: volley stops taking URLs, gives what is in flight a short grace, then cuts it; no
    # partial file stays.
    urls "${list[@]}"
    start_bg -t 1 -k 3 --timeout 30 -o "$OUT" --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls"
    until_bg '(($(manifest_lines) >= 1 && $(bodies_open) >= 2))' || return
    # Mid-body, the bodies exist only under their temporary names.
    find "$OUT" -name 'endless*' >"$CASE_DIR/midrun"
    kill -INT "$VOLLEY_PID"
    wait_bg
    [[ ! -s $CASE_DIR/midrun ]] ||
        fail "$CASE" "an unfinished body under its final name: $(head -n 1 "$CASE_DIR/midrun")"
    assert_stopped 130 && assert_no_part && assert_bodies &&
        assert_manifest "$H/endless" interrupted 1 "$H/endless?b" interrupted 1 "$H/ok/5000" ok 1 &&
        assert_faster_than 8 && pass

    begin fault_sigint_twice
    # A second SIGINT stops at once.
    urls "${list[@]}"
    start_bg -t 1 -k 3 --timeout 30 -o "$OUT" --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls"
    until_bg '(($(manifest_lines) >= 1 && $(bodies_open) >= 2))' || return
    local t ms
    t=$(date +%s%N)
    kill -INT "$VOLLEY_PID"
    sleep 0.1
    kill -INT "$VOLLEY_PID"
    wait_bg
    ms=$((($(date +%s%N) - t) / 1000000))
    assert_stopped 130 && assert_no_part && assert_bodies &&
        assert_manifest "$H/endless" interrupted 1 "$H/endless?b" interrupted 1 \
            "$H/ok/5000" ok 1 && {
        ((ms < 1500)) || fail "$CASE" "stopped $ms ms after the first SIGINT, want under 1.5 s"
    } && pass

    begin fault_sigint_thread0_done
    # -t 2 -k 1: one thread gets /ok/10 and is done at once, the other is stuck in /endless.
    # SIGINT must still stop the run (after the grace), whichever thread has work left.
    urls "$H/ok/10" "$H/endless"
    start_bg -t 2 -k 1 --timeout 30 -o "$OUT" --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls"
    until_bg '(($(manifest_lines) >= 1 && $(bodies_open) >= 1))' || return
    sleep 0.2
    kill -INT "$VOLLEY_PID"
    wait_bg
    assert_stopped 130 && assert_no_part && assert_bodies &&
        assert_manifest "$H/ok/10" ok 1 "$H/endless" interrupted 1 && assert_faster_than 8 && pass
}

t_reset
t_short
t_tls_reset_short
t_refused
malformed fault_badchunk /badchunk bad_response
malformed fault_hugechunk /hugechunk bad_response
malformed fault_garbage /garbage bad_response
malformed fault_bighead /bighead header_too_big
t_nohead
t_slow
t_endless
t_tls_stall
t_tls_alert
t_statuses
t_redirect_loop
t_closeafter
t_idleclose
t_resent
t_dns
write_indexes
t_hostile_index
t_usage
t_sigint_resume
t_sigterm
t_sigint_endless

exit 0
