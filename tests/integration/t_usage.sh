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

t_options_agree() {
    begin usage_options_agree
    # --help, the man page's OPTIONS and the README name the same options: all three come from,
    # or are checked against, the one table in cli.c.
    local top msg
    top=$(cd "$(dirname "$0")/../.." && pwd)
    run_volley --help
    assert_exit 0 || return
    msg=$(python3 - "$CASE_DIR/stdout" "$top/volley.1" "$top/README.md" 2>&1 <<'EOF2'
import re, sys
helptext, man, readme = (open(p).read() for p in sys.argv[1:4])
opts = set(re.findall(r"^  (?:-\w, |    )--([a-z-]+)", helptext, re.M))
if len(opts) < 30:
    sys.exit("only %d options in --help" % len(opts))
sec = man[man.index(".SH OPTIONS"):man.index(".SH OUTPUT")].split("\n")
heads = [sec[i + 1].replace("\\-", "-") for i, l in enumerate(sec) if l == ".TP"]
manopts = {m.group(1) for h in heads for m in [re.search(r"--([a-z-]+)", h)] if m}
missing = sorted(opts - manopts)
extra = sorted(manopts - opts)
lost = sorted(o for o in opts if "--" + o not in readme)
if missing or extra or lost:
    sys.exit("not in the man page: %s; only in the man page: %s; not in README: %s"
             % (missing, extra, lost))
EOF2
    ) && pass || fail "$CASE" "$msg"
}

t_missing_cacert_named
t_options_agree
t_help
t_version
