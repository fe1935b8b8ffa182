#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# Bad usage and setup exit 2 with a message and fetch nothing; -h and -V exit 0.
. "$(dirname "$0")/lib.sh"

# usage NAME ARGS...: volley ARGS exits 2, says why on stderr, and saves nothing.
usage() {
    begin "$1"
    shift
    run_volley "$@" -o "$OUT"
    assert_exit 2 && {
        [[ -s $CASE_DIR/stderr ]] || fail "$CASE" "nothing on stderr"
    } && assert_no_files && pass
}

usage usage_threads_zero -t 0 "${WORLD_ARGS[@]}" "$INDEX_URL"
usage usage_threads_not_a_number -t abc "${WORLD_ARGS[@]}" "$INDEX_URL"
usage usage_slots_zero -k 0 "${WORLD_ARGS[@]}" "$INDEX_URL"
usage usage_unknown_option --no-such-option "${WORLD_ARGS[@]}" "$INDEX_URL"
usage usage_missing_value "${WORLD_ARGS[@]}" "$INDEX_URL" -t
usage usage_missing_cacert --cacert "$WORK/no-such-ca.pem" --dns-server "$DNS_SERVER" "$INDEX_URL"
usage usage_missing_list_file "${WORLD_ARGS[@]}" -i "$WORK/no-such-list.txt"
usage usage_bad_dns_server --cacert "$CA" --dns-server not-an-address "$INDEX_URL"
usage usage_bad_resolve --cacert "$CA" --resolve api.volley.test "$INDEX_URL"

t_missing_cacert_named() {
    begin usage_missing_cacert_says_which
    run_volley --cacert "$WORK/no-such-ca.pem" "$INDEX_URL"
    assert_exit 2 && assert_stderr_has "no-such-ca.pem" && pass
}

t_help() {
    begin usage_help
    run_volley -h
    assert_exit 0 && assert_output_has "--cacert" && assert_output_has "--dns-server" && pass
}

t_version() {
    begin usage_version
    run_volley -V
    assert_exit 0 && {
        grep -Eqi 'volley.*[0-9]+\.[0-9]+' "$CASE_DIR/stdout" "$CASE_DIR/stderr" ||
            fail "$CASE" "no 'volley <version>' in the output"
    } && pass
}

t_missing_cacert_named
t_help
t_version
