#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# shellcheck disable=SC2016 # until_bg's conditions are expanded when evaluated
# Every saved byte is the origin's and every manifest line is true: hostile framing (bytes no
# request asked for, folded headers), origins sharing a host name, several runs sharing one -o,
# crashes mid-run, torn and unwritable manifests, hostile URLs and lists.
# The fault servers are started by faults.sh (on 127.0.0.1, stopped by pid when the file ends).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

# assert_excess N: the --json summary counts N connections dropped for unrequested bytes.
assert_excess() {
    json_check "n = get('conns', 'discarded_excess')
assert n == $1, 'discarded_excess %r, want $1' % n"
}

# --- framing: bytes no request asked for -------------------------------------------------------

t_excess() {
    begin integrity_excess_after_200
    # A second response glued behind the first on a kept-alive connection with nothing else in
    # flight: never taken as the next URL's body. One connection (-k 1), so before the fix
    # every later URL was saved with the previous one's bytes ("EVIL" first).
    urls "$H/extra/200" "$H/ok/10" "$H/ok/20" "$H/ok/30"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 0 && assert_manifest "$H/extra/200" ok 1 "$H/ok/10" ok 1 "$H/ok/20" ok 1 \
        "$H/ok/30" ok 1 && assert_bodies && assert_file_count "$OUT" 4 && assert_excess 1 &&
        assert_requests /extra/200 1 /ok/10 1 /ok/20 1 /ok/30 1 && pass

    begin integrity_excess_after_204_304
    # The same behind responses that never have a body (RFC 9110 sections 15.3.5, 15.4.5).
    urls "$H/extra/204" "$H/ok/10" "$H/extra/304" "$H/ok/20"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/extra/204" ok 1 "$H/ok/10" ok 1 \
        "$H/extra/304" http_status 1 "$H/ok/20" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 3 && assert_excess 2 && pass

    begin integrity_excess_over_tls
    urls "$S/extra/200" "$S/ok/1000" "$S/ok/2000"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$S/extra/200" ok 1 "$S/ok/1000" ok 1 "$S/ok/2000" ok 1 &&
        assert_bodies && assert_file_count "$OUT" 3 && assert_excess 1 && pass

    begin integrity_excess_while_idle
    # Bytes that arrive on an idle connection (no request outstanding): the connection is
    # dropped, and the next URL (due 500 ms later with --rate 2) gets a fresh one.
    urls "$H/late/200" "$H/ok/10"
    fetch -t 1 -k 1 --rate 2 -o "$OUT"
    assert_exit 0 && assert_manifest "$H/late/200" ok 1 "$H/ok/10" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 2 && assert_excess 1 && pass

    begin integrity_pipeline_unharmed
    # Pipelined responses are accounted for by the requests in flight: nothing is dropped.
    local list=() i
    for ((i = 1; i <= 40; i++)); do
        list+=("$H/ok/$((i * 97))")
    done
    urls "${list[@]}"
    fetch -t 1 -k 1 --pipeline 8 -o "$OUT"
    assert_exit 0 && assert_bodies && assert_file_count "$OUT" 40 && assert_excess 0 &&
        json_check "assert get('conns', 'opened') == 1, get('conns', 'opened')" && pass
}

t_fold() {
    begin integrity_obs_fold
    # A header folded over lines (obs-fold) is unfolded, not refused (RFC 9112 section 5.2),
    # also when the folded field is the Content-Length that frames the body.
    urls "$H/fold/a" "$H/fold/len" "$S/fold/len?tls"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$H/fold/a" ok 1 "$H/fold/len" ok 1 "$S/fold/len?tls" ok 1 &&
        assert_bodies && assert_file_count "$OUT" 3 && pass
}

t_status_range() {
    begin integrity_status_out_of_range
    # 600 and 999 are no HTTP statuses: failed at once, never retried like a 5xx.
    urls "$H/status/600" "$H/status/999" "$H/status/599"
    fetch -t 1 -k 1 --retries 2
    assert_exit 1 && assert_manifest "$H/status/600" http_status 1 "$H/status/999" http_status 1 \
        "$H/status/599" http_status 3 && assert_requests /status/600 1 /status/999 1 \
        /status/599 3 && pass
}

t_excess
t_fold
t_status_range

exit 0
