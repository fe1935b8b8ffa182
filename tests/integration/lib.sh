# shellcheck shell=bash
# Helpers for tests/integration/t_*.sh; sourced, never run. run.sh exports VOLLEY (the binary),
# WORK (scratch space), RESULTS (one PASS/FAIL line per case) and WORLD_ENV (tools/world.sh's
# world.env, which defines CA, FIXTURE, the ports and the index URLs).
#
# A case:   begin NAME; run_volley ARGS...; assert_exit 0 && assert_... && pass
# Every assert records the failure itself and returns 1, so a chain stops at the first one. A case
# that reaches neither pass nor fail is recorded as failed when the next case begins or the file
# ends, so a test cannot pass by saying nothing.

# shellcheck source=/dev/null
. "$WORLD_ENV"
LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

CASE=""
CASE_DONE=1
CASE_DIR=""
OUT=""
RC=""
RUN_CWD=""
T0=0
# Where the photos of $IMG_BASE are saved under -o: the origin folder names the port.
# shellcheck disable=SC2034 # used by the t_*.sh files
IMG_DIR=img.volley.test:$HTTPS_PORT
# The options every fetch from the world needs: trust the test CA, ask the test DNS server.
# shellcheck disable=SC2034 # used by the t_*.sh files
WORLD_ARGS=(--cacert "$CA" --dns-server "$DNS_SERVER")

# --- case bookkeeping --------------------------------------------------------------------------

record() {
    echo "$1" >>"$RESULTS"
}

verdict_missing() {
    local why="no verdict (test script bug)"
    [[ -n $INTERRUPTED ]] && why="interrupted"
    if [[ -n $CASE && $CASE_DONE == 0 ]]; then
        CASE_DONE=1
        record "FAIL $CASE: $why"
        echo "FAIL $CASE: $why" >&2
    fi
}
trap verdict_missing EXIT
# run.sh stops a file with TERM: pass it on to the volley being waited for (our own child).
VOLLEY_PID=""
INTERRUPTED=""
trap 'INTERRUPTED=1; [[ -n $VOLLEY_PID ]] && kill -TERM "$VOLLEY_PID" 2>/dev/null; exit 143' TERM INT

# begin NAME: a new case with a fresh, empty output directory $OUT.
begin() {
    verdict_missing
    CASE=$1
    CASE_DONE=0
    CASE_DIR=$WORK/cases/$CASE
    OUT=$CASE_DIR/out
    RC=""
    RUN_CWD=""
    rm -rf "$CASE_DIR"
    mkdir -p "$OUT"
    T0=$(date +%s%N)
}

elapsed() {
    local ms=$((($(date +%s%N) - T0) / 1000000))
    printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

# pass [NAME]: the current case (or NAME) passed. Ignored if the case already failed.
pass() {
    local name=${1:-$CASE}
    [[ $name == "$CASE" && $CASE_DONE == 1 ]] && return 0
    [[ $name == "$CASE" ]] && CASE_DONE=1
    record "PASS $name"
    echo "ok   $name ($(elapsed))"
}

# fail NAME MSG: NAME failed because of MSG. Always returns 1.
fail() {
    local name=$1 msg=$2
    if [[ $name == "$CASE" ]]; then
        [[ $CASE_DONE == 1 ]] && return 1
        CASE_DONE=1
    fi
    record "FAIL $name: $msg"
    echo "FAIL $name: $msg ($(elapsed))"
    if [[ -n $CASE_DIR && -s $CASE_DIR/stderr ]]; then
        echo "     stderr ($CASE_DIR/stderr):"
        head -n 5 "$CASE_DIR/stderr" | cut -c1-200 | sed 's/^/       /'
    fi
    return 1
}

# --- running volley ----------------------------------------------------------------------------

# The watchdog. Every volley a case starts (run_volley, start_bg, watched) gets VOLLEY_BUDGET
# seconds; then timeout(1) stops it (TERM, KILL 5 s later) and the case fails at once with
# "lost: no result after N s", so a run that loses track of a URL shows in half a minute, named,
# not as run.sh's 10-minute limit on the whole file. The bounds: the slowest run of the suite
# takes about 6 s (fault_dns: c-ares's own 2 + 4 s), sanitizer builds up to 3 times as long;
# until_bg polls 15 s, wait_pidfile 10 s, fs's curl 5 s; valgrind runs (t_memcheck) and tmux
# ones (t_present) keep their own longer limits. A case that needs more sets VOLLEY_BUDGET.
VOLLEY_BUDGET=${VOLLEY_BUDGET:-30}

# watched RC MS: if RC and MS (exit status, milliseconds) say the watchdog stopped a volley, fail
# the case ("lost: ...") and return 1; else return 0.
watched() {
    if [[ $1 == 124 || $1 == 137 ]] && (($2 >= VOLLEY_BUDGET * 1000)); then
        fail "$CASE" "lost: no result after $VOLLEY_BUDGET s (stopped by the watchdog; $CASE_DIR/cmd)"
        return 1
    fi
    return 0
}

# run_volley ARGS...: run the binary (in $RUN_CWD if set) under the watchdog; stdout, stderr and
# the exit code go to $CASE_DIR/{stdout,stderr} and $RC. Stdin is the caller's. Returns 0, or 1
# (the case failed) if the watchdog stopped it. It runs in the background and is waited for, so
# a TERM to this shell can reach it at once.
run_volley() {
    printf '%q ' "$VOLLEY" "$@" >"$CASE_DIR/cmd"
    echo >>"$CASE_DIR/cmd"
    local t
    t=$(date +%s%N)
    (cd "${RUN_CWD:-.}" && exec timeout -k 5 "$VOLLEY_BUDGET" "$VOLLEY" "$@") \
        <&0 >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr" &
    VOLLEY_PID=$!
    wait "$VOLLEY_PID"
    RC=$?
    VOLLEY_PID=""
    RUN_MS=$((($(date +%s%N) - t) / 1000000))
    echo "$RC" >"$CASE_DIR/rc"
    watched "$RC" "$RUN_MS"
}

# --- assertions --------------------------------------------------------------------------------

assert_exit() {
    [[ $RC == "$1" ]] && return 0
    local why="exit status $RC, want $1"
    [[ $RC == 124 || $RC == 137 ]] && ((RUN_MS >= VOLLEY_BUDGET * 1000)) &&
        why="$why (lost: stopped by the watchdog after $VOLLEY_BUDGET s)"
    ((RC > 128 && RC != 137)) && why="$why (signal $((RC - 128)))"
    fail "$CASE" "$why"
}

# assert_same_tree WANT GOT: the two directories hold the same files with the same bytes.
assert_same_tree() {
    local want=$1 got=$2 n
    [[ -d $got ]] || {
        fail "$CASE" "no directory $got"
        return 1
    }
    if ! diff -r -q "$want" "$got" >"$CASE_DIR/tree.diff" 2>&1; then
        n=$(wc -l <"$CASE_DIR/tree.diff")
        fail "$CASE" "$got differs from $want in $n places: $(head -n 2 "$CASE_DIR/tree.diff" | tr '\n' ' ')"
        return 1
    fi
}

# assert_only_paths DIR PATH...: DIR holds nothing outside the given relative paths.
assert_only_paths() {
    local dir=$1 extra
    shift
    extra=$(cd "$dir" && find . -mindepth 1 | sed 's|^\./||' | while read -r p; do
        ok=0
        for a in "$@"; do
            [[ $p == "$a" || $p == "$a"/* || $a == "$p"/* ]] && ok=1
        done
        [[ $ok == 1 ]] || echo "$p"
    done | head -n 3)
    [[ -z $extra ]] && return 0
    fail "$CASE" "unexpected in $dir: $(echo "$extra" | tr '\n' ' ')"
}

# assert_saved WANTDIR SUBPATH: $OUT/SUBPATH equals WANTDIR and $OUT holds nothing else.
assert_saved() {
    assert_same_tree "$1" "$OUT/$2" && assert_only_paths "$OUT" "$2"
}

assert_no_files() {
    local dir=${1:-$OUT} n
    n=$(find "$dir" -type f | wc -l)
    [[ $n == 0 ]] && return 0
    fail "$CASE" "$n files in $dir, want none (e.g. $(find "$dir" -type f | head -n 1))"
}

assert_file_count() {
    local dir=$1 want=$2 n
    n=$(find "$dir" -type f 2>/dev/null | wc -l)
    [[ $n == "$want" ]] && return 0
    fail "$CASE" "$n files in $dir, want $want"
}

# assert_summary OK FAILED: the human summary says "OK ok, FAILED failed" (stdout or stderr).
assert_summary() {
    local pat="(^|[^0-9])$1 ok, $2 failed"
    grep -Eq "$pat" "$CASE_DIR/stdout" "$CASE_DIR/stderr" && return 0
    fail "$CASE" "no '$1 ok, $2 failed' in the output (stdout: $(head -c 120 "$CASE_DIR/stdout" | tr '\n' ' '))"
}

assert_stderr_has() {
    grep -Fq -- "$1" "$CASE_DIR/stderr" && return 0
    fail "$CASE" "stderr lacks '$1'"
}

assert_output_has() {
    grep -Fqi -- "$1" "$CASE_DIR/stdout" "$CASE_DIR/stderr" && return 0
    fail "$CASE" "output lacks '$1'"
}

assert_stdout_empty() {
    [[ ! -s $CASE_DIR/stdout ]] && return 0
    fail "$CASE" "stdout not empty: $(head -c 100 "$CASE_DIR/stdout" | tr '\n' ' ')"
}

# assert_failed_url URL REASON: stderr has the line "volley: URL: ...REASON...".
assert_failed_url() {
    local line
    line=$(grep -F -- "volley: $1: " "$CASE_DIR/stderr" | head -n 1)
    [[ -n $line ]] || {
        fail "$CASE" "stderr has no 'volley: $1: <reason>' line"
        return 1
    }
    [[ $line == *"$2"* ]] && return 0
    fail "$CASE" "reason for $1 lacks '$2': $line"
}

# assert_failure_lines N: exactly N lines of stderr report a failed URL.
assert_failure_lines() {
    local n
    n=$(grep -Ec '^volley: [a-z]+://' "$CASE_DIR/stderr")
    [[ $n == "$1" ]] && return 0
    fail "$CASE" "$n 'volley: <url>: <reason>' lines on stderr, want $1"
}

assert_faster_than() {
    ((RUN_MS < $1 * 1000)) && return 0
    fail "$CASE" "took ${RUN_MS} ms, want under $1 s"
}

# json_check PYTHON: stdout is exactly one JSON object, bound to j; PYTHON holds asserts on it,
# with get("a", "b") (j["a"]["b"], failing if absent), failures() (the nonzero failure tags) and
# fx_bytes("600") (total size of a fixture directory).
json_check() {
    local msg
    msg=$(python3 - "$CASE_DIR/stdout" "$FIXTURE" "$1" 2>&1 <<'EOF'
import json, os, sys
path, fixture, code = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    with open(path) as f:
        j = json.load(f)
except ValueError as e:
    sys.exit("stdout is not one JSON value: %s" % e)
if not isinstance(j, dict):
    sys.exit("stdout is JSON but not an object")
def fx_bytes(sub):
    d = os.path.join(fixture, sub)
    return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
def get(*keys):
    v = j
    for k in keys:
        if not isinstance(v, dict) or k not in v:
            raise AssertionError("no key %s" % ".".join(keys))
        v = v[k]
    return v
def failures():
    return {k: v for k, v in get("failures").items() if v}
try:
    exec(code, {"j": j, "get": get, "fx_bytes": fx_bytes, "failures": failures})
except AssertionError as e:
    sys.exit("JSON check failed: %s" % (e or "assert"))
except Exception as e:
    sys.exit("JSON check error: %r" % e)
EOF
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

# --- inputs ------------------------------------------------------------------------------------

# photo_names N [SKIP]: the hex names of N photos of the index, in index order, after SKIP.
photo_names() {
    sed -n "$((${2:-0} + 1)),$((${2:-0} + $1))p" "$URLS_FILE" | sed 's|.*/||'
}

# url_list PREFIX N [SKIP] [DIR]: print N photo URLs PREFIX/DIR/<hex> (DIR default 600).
url_list() {
    local name
    for name in $(photo_names "$2" "${3:-0}"); do
        echo "$1/${4:-600}/$name"
    done
}

# fixture_subset DEST N [SKIP] [DIR]: copy those N fixture files to DEST, for tree comparisons.
fixture_subset() {
    mkdir -p "$1"
    photo_names "$2" "${3:-0}" | sed "s|^|$FIXTURE/${4:-600}/|" | xargs cp -t "$1"
}

# A TCP port on 127.0.0.1 with nothing listening (a connect gets RST: "connection refused").
# stop_pid PID: stop a server this test started, by its pid: TERM, then KILL after 5 s.
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# dns_count NAME: how many queries for NAME the world's dnsmasq has logged.
dns_count() {
    grep -c "query\[[A-Z]*\] $1 from" "$DNS_LOG" || true
}

# --- the latency world -------------------------------------------------------------------------

# The delay proxy (tools/delayproxy.c; make tools builds it, make test passes its path).
DELAYPROXY=${DELAYPROXY:-$LIB_ROOT/build/default/delayproxy}
export DELAYPROXY
LATENCY_ADDR=127.0.0.2
LATENCY_ARGS=()

# latency_start RTT_MS: delay proxies (tools/latency.sh) in front of the world's HTTPS and HTTP
# ports, on $LATENCY_ADDR at the same port numbers; LATENCY_ARGS then holds the options that send
# volley through them (the world's CA; both world names on both ports resolved to the proxies).
# Fails the current case if they do not start. latency_stop stops them.
latency_start() {
    local h p
    if ! "$LIB_ROOT/tools/latency.sh" start "$WORLD_DIR" "$1" "$LATENCY_ADDR" \
        >"$CASE_DIR/latency.log" 2>&1; then
        fail "$CASE" "delay proxies did not start: $(tail -n 1 "$CASE_DIR/latency.log")"
        return 1
    fi
    LATENCY_ARGS=(--cacert "$CA")
    for h in api img; do
        for p in "$HTTPS_PORT" "$HTTP_PORT"; do
            LATENCY_ARGS+=(--resolve "$h.volley.test:$p:$LATENCY_ADDR")
        done
    done
}

latency_stop() {
    "$LIB_ROOT/tools/latency.sh" stop "$WORLD_DIR" || true
}
