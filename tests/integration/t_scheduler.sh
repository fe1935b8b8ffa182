#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# The worker's scheduling: one slow host does not hold up the others on a thread.
# The fault servers are started by faults.sh (on 127.0.0.1, stopped by pid when the file ends).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

t_session_wait() {
    begin scheduler_session_wait_no_head_of_line
    # Three URLs on a TLS port that never answers the handshake, then plain URLs on another
    # host. The second and third wait for the first's TLS session, but apart: the plain URLs go
    # out at once on the free slots instead of waiting for the stalled handshake to time out
    # (before, every job behind a session wait waited with it).
    local stall="https://127.0.0.1:$F_STALL" list=() i
    for i in a b c; do
        list+=("$stall/$i")
    done
    for ((i = 1; i <= 6; i++)); do
        list+=("$H/ok/$((i * 10))")
    done
    urls "${list[@]}"
    fetch -t 1 -k 4 --connect-timeout 1.5 --retries 0 --cacert "$CA" -w '%{url} %{errormsg}\n'
    assert_exit 1 && assert_manifest "$stall/a" timeout_tls 1 "$stall/b" timeout_tls 1 \
        "$stall/c" timeout_tls 1 "$H/ok/10" ok 1 "$H/ok/20" ok 1 "$H/ok/30" ok 1 \
        "$H/ok/40" ok 1 "$H/ok/50" ok 1 "$H/ok/60" ok 1 || return
    # -w lines come as URLs end: every plain URL before the first stalled one ends (1.5 s).
    local first
    first=$(head -n 6 "$CASE_DIR/stdout" | grep -c "^$H/ok/")
    ((first == 6)) && pass ||
        fail "$CASE" "only $first plain URLs ended before the stalled handshake: $(head -n 3 "$CASE_DIR/stdout" | tr '\n' ' ')"
}

t_session_wait

exit 0
