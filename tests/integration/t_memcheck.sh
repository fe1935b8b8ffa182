#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass defaults to the current case
# valgrind memcheck over whole runs: no invalid read or write, no use of uninitialised memory,
# no definite or indirect leak, on the success path, the failure paths and the stress modes.
# A sanitizer build skips these: AddressSanitizer checks the same things there (and valgrind
# cannot run it).
. "$(dirname "$0")/lib.sh"

VG_RC=99

sanitized() {
    ldd "$VOLLEY" 2>/dev/null | grep -qE 'lib(asan|tsan|ubsan)'
}

# memcheck ARGS...: run volley under valgrind; RC is volley's status, or 99 for a memory error.
memcheck() {
    printf '%q ' valgrind "$VOLLEY" "$@" >"$CASE_DIR/cmd"
    timeout -k 5 300 valgrind -q --error-exitcode=$VG_RC --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        "$VOLLEY" "$@" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
    RC=$?
    echo "$RC" >"$CASE_DIR/rc"
}

assert_clean() {
    if [[ $RC == "$VG_RC" ]] || grep -q '^==[0-9]*== ' "$CASE_DIR/stderr"; then
        fail "$CASE" "memcheck: $(grep -m 3 '^==[0-9]*== ' "$CASE_DIR/stderr" | tr '\n' ' ')"
        return 1
    fi
}

skip_if_sanitized() {
    if sanitized; then
        pass "$CASE" # the sanitizer build runs every other test under ASan/TSan instead
        return 0
    fi
    if ! command -v valgrind >/dev/null; then
        fail "$CASE" "valgrind is not installed (make deps installs it)"
        return 0
    fi
    return 1
}

t_full_job() {
    begin memcheck_full_job_saved
    skip_if_sanitized && return
    memcheck -t 2 -k 8 -n 300 "${WORLD_ARGS[@]}" -o "$OUT" --manifest "$CASE_DIR/manifest" \
        "$INDEX_URL"
    assert_clean && assert_exit 0 && assert_summary 300 0 && pass
}

t_failures() {
    begin memcheck_failure_paths
    skip_if_sanitized && return
    {
        url_list "$IMG_BASE" 20
        echo "https://untrusted.volley.test:$UNTRUSTED_PORT/photos"
        echo "https://api.volley.test:$WRONGNAME_PORT/photos"
        echo "$IMG_BASE/no/such/photo"
        echo "https://nope.invalid/x"
        echo "ftp://bad.example/x"
        url_list "https://img.volley.test:$CLOSE_PORT" 20
    } >"$CASE_DIR/urls"
    memcheck -t 2 -k 4 --retries 0 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_clean && assert_exit 1 && assert_summary 40 5 && pass
}

t_modes() {
    begin memcheck_hold_and_dns_only
    skip_if_sanitized && return
    memcheck -t 2 -k 20 --hold 0.5 --hold-ping 0.2 "${WORLD_ARGS[@]}" -i "$URLS_FILE"
    assert_clean && assert_exit 0 || return
    seq -f "m%g.volley.test" 1 200 >"$CASE_DIR/names"
    memcheck --dns-only -t 2 -k 16 --dns-server "$DNS_SERVER" -i "$CASE_DIR/names"
    assert_clean && assert_exit 0 && assert_summary 200 0 && pass
}

t_full_job
t_failures
t_modes
