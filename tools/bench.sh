#!/usr/bin/env bash
# make bench: volley against curl -Z, h2load and the threading lab's Python, on a local world.
#
#   tools/bench.sh                 REPEAT rounds (default 3); medians of each setting
#   BENCH_QUICK=1 tools/bench.sh   one round, fewer settings (for development)
#
# Not a test: it measures. Every run is bounded (BENCH_TIMEOUT, default 120 s) and checked
# (volley's JSON ok count, every curl transfer's status code, h2load's "succeeded" count, the
# lab's error count, the files written); a run that fails is marked FAIL in the table, never
# counted. Every tool is measured the same way, from outside: wall time around the process,
# client CPU (user+sys) and peak RSS from the kernel's rusage. requests/s = URLs / wall.
#
# In each round the tools alternate (the order rotates from round to round), so a slow spell of
# the machine hits all of them. The table, the target checks (PASS/FAIL) and the raw runs go to
# results/bench-<timestamp>.{csv,json}.
#
# The saving runs (volley -o, curl -o) write to a tmpfs (/dev/shm) when there is one: on a
# virtual disk, creating 5,000 small files can cost seconds of kernel time that vary twofold from
# run to run, which would measure the disk rather than the clients. BENCH_SAVE_DIR overrides it.
#
# The latency world (last; BENCH_LATENCY=0 skips it, BENCH_LATENCY=only runs nothing else): the
# same full job through delay proxies (tools/latency.sh, tools/delayproxy.c) at each RTT of
# BENCH_LATENCY_RTTS (default "20 50 100" ms), BENCH_LATENCY_REPEAT rounds (default 1): volley at
# its defaults and fixed settings, curl -Z (the index, then the list) at its default and at
# --parallel-max 200, the lab's Python with 100 threads. One table: wall seconds and failed URLs
# per RTT. About 3 minutes a round; every run bounded by BENCH_TIMEOUT.
#
# Environment: REPEAT, BENCH_QUICK, BENCH_TIMEOUT, VOLLEY (the binary, default ./volley),
# DELAYPROXY (default build/default/delayproxy), BENCH_WORLD (default build/bench-world),
# WORLD_PORT_BASE (default 20400, apart from the tests' 18400 and the demo's 18500),
# BENCH_RESULTS (default results/), BENCH_SAVE_DIR, BENCH_LATENCY, BENCH_LATENCY_RTTS,
# BENCH_LATENCY_REPEAT.
# Exit status: 0 every run verified and every target met; 1 every run verified, some target
# missed; 2 a run failed, or setup failed (missing peer tool not installable, world down).
set -uo pipefail
export LC_ALL=C
# Every client talks to loopback only: no proxy may sit in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY='*' no_proxy='*'

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAG=bench
# shellcheck source=tools/peers.sh
. "$ROOT/tools/peers.sh"
VOLLEY=${VOLLEY:-$ROOT/volley}
DIR=${BENCH_WORLD:-$ROOT/build/bench-world}
RESULTS=${BENCH_RESULTS:-$ROOT/results}
WORK=$ROOT/build/bench-work
QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
    REPEAT=${REPEAT:-1}
else
    REPEAT=${REPEAT:-3}
fi
RUN_TIMEOUT=${BENCH_TIMEOUT:-120}
export WORLD_PORT_BASE=${WORLD_PORT_BASE:-20400}
LATENCY=${BENCH_LATENCY:-1}
LAT_RTTS=${BENCH_LATENCY_RTTS:-20 50 100}
LAT_REPEAT=${BENCH_LATENCY_REPEAT:-1}
LAT_ADDR=127.0.0.2
export DELAYPROXY=${DELAYPROXY:-$ROOT/build/default/delayproxy}

die() {
    echo "bench: $*" >&2
    exit 2
}

[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive number, not '$REPEAT'"
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "BENCH_TIMEOUT must be whole seconds, not '$RUN_TIMEOUT'"
[[ -x $VOLLEY ]] || die "no $VOLLEY; run make first"
[[ $LATENCY =~ ^(0|1|only)$ ]] || die "BENCH_LATENCY must be 0, 1 or only, not '$LATENCY'"
[[ $LAT_REPEAT =~ ^[1-9][0-9]*$ ]] || die "BENCH_LATENCY_REPEAT must be a positive number"
for r in $LAT_RTTS; do
    [[ $r =~ ^[0-9]+$ ]] || die "BENCH_LATENCY_RTTS must be whole milliseconds, not '$r'"
done
[[ $LATENCY == 0 || -x $DELAYPROXY ]] || die "no $DELAYPROXY; run make tools (or BENCH_LATENCY=0)"

# --- peer tools ------------------------------------------------------------------------------

# The Python that runs the lab: Debian's /usr/bin/python3 with its python3-requests, the one
# apt-get installs, so that the figures are reproducible; else the first python3 on PATH that
# has requests (a pyenv or venv).
PY=""
pick_python() {
    local p
    for p in /usr/bin/python3 python3; do
        if command -v "$p" >/dev/null && "$p" -c 'import requests' 2>/dev/null; then
            PY=$p
            return 0
        fi
    done
    return 1
}

# Print the Debian packages of the peer tools that are missing.
missing_peers() {
    command -v curl >/dev/null || echo curl
    command -v h2load >/dev/null || echo nghttp2-client
    pick_python || echo python3-requests
    [[ -x /usr/bin/time ]] || echo time
    command -v timeout >/dev/null || echo coreutils
}

# Install what is missing with apt-get when root; otherwise say what to install and stop: a
# benchmark that quietly leaves a tool out would print a table that looks complete.

# curl -Z and --parallel-max came in curl 7.66.0.
check_curl() {
    local v major minor
    v=$(curl --version | awk 'NR == 1 {print $2}')
    IFS=. read -r major minor _ <<<"$v"
    ((major > 7 || (major == 7 && minor >= 66))) || die "curl $v has no -Z (needs 7.66 or later)"
}

# --- the world -------------------------------------------------------------------------------

SAVE_BASE=""

# shellcheck disable=SC2317 # called by the EXIT trap that peers.sh sets
cleanup() {
    [[ -n $SAVE_BASE ]] && rm -rf "$SAVE_BASE"
    "$ROOT/tools/world.sh" stop "$DIR"
}


# Inputs every tool gets from the same URL list: curl configs (discard and save), h2load's
# list (h2load resolves with the system resolver and checks no certificate, so it gets the
# address), and the figures a run is checked against.
prepare_inputs() {
    rm -rf "$WORK"
    mkdir -p "$WORK" || die "cannot create $WORK"
    N=$(grep -c '^https://' "$URLS_FILE")
    local n_index
    n_index=$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' \
        "$FIXTURE/photos") || die "cannot read the index $FIXTURE/photos"
    [[ $N -gt 0 && $N == "$n_index" ]] || die "$URLS_FILE has $N URLs, the index $n_index"
    EXPECT_BYTES=$(sed 's#^https://[^/]*/##' "$URLS_FILE" | (cd "$FIXTURE" && xargs stat -c %s) |
        awk '{s += $1} END {print s}')
    awk '{printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0}' "$URLS_FILE" >"$WORK/curl-null.cfg"
    if [[ -n ${BENCH_SAVE_DIR:-} ]]; then
        SAVE_BASE=$BENCH_SAVE_DIR/volley-bench.$$
    elif [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs && -w /dev/shm ]]; then
        SAVE_BASE=/dev/shm/volley-bench.$$
    else
        SAVE_BASE=$WORK/save
    fi
    mkdir -p "$SAVE_BASE" || die "cannot create $SAVE_BASE"
    SAVE_FS=$(stat -f -c %T "$SAVE_BASE")
    awk -v d="$SAVE_BASE/out-curl" '{p = $0; sub("^https://", "", p); sub(":[0-9]+/", "/", p)
        printf "url = \"%s\"\noutput = \"%s/%s\"\n", $0, d, p}' "$URLS_FILE" >"$WORK/curl-save.cfg"
    sed "s#^https://img\.volley\.test:$HTTPS_PORT/#https://127.0.0.1:$HTTPS_PORT/#" "$URLS_FILE" \
        >"$WORK/h2load-urls.txt"
    grep -q volley.test "$WORK/h2load-urls.txt" && die "URLs in $URLS_FILE are not all on img"
    RUNS=$WORK/runs.tsv
    MAIN_RUNS=$RUNS
    LAT_RUNS=$WORK/latency-runs.tsv
    local f
    for f in "$RUNS" "$LAT_RUNS"; do
        printf '%s\t' id tool setting round status wall_s user_s sys_s rss_kb requests conns >"$f"
        printf 'extra\n' >>"$f"
    done
}

# --- one measured run ------------------------------------------------------------------------

# verify_KIND OUT ERR RC: print "ok|FAIL reason<TAB>conns<TAB>extra" for a finished run.
verify_volley() {
    local out=$1 rc=$3 ok urls conns
    read -r ok urls conns failed < <("$PY" -c '
import json, sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    print(d["ok"], d["urls"], d["conns"]["opened"], d["failed"])
except Exception:
    print("? ? - ?")
' "$out")
    if [[ $rc != 0 ]]; then
        printf 'FAIL exit %s (ok %s)\t%s\tfailed=%s' "$rc" "${ok:-?}" "${conns:--}" "$failed"
    elif [[ $ok != "$N" || $urls != "$N" ]]; then
        printf 'FAIL ok %s of %s\t%s\tfailed=%s' "${ok:-?}" "${urls:-?}" "${conns:--}" "$failed"
    else
        printf 'ok\t%s\tfailed=0' "$conns"
    fi
}

verify_curl() {
    local out=$1 rc=$3 n200 conns
    n200=$(awk '$1 == 200' "$out" | wc -l)
    conns=$(awk '{c += $2} END {print c + 0}' "$out")
    if [[ $rc != 0 ]]; then
        printf 'FAIL exit %s (%s x 200)\t%s\tfailed=%s' "$rc" "$n200" "$conns" "$((N - n200))"
    elif [[ $n200 != "$N" ]]; then
        printf 'FAIL %s x 200 of %s\t%s\tfailed=%s' "$n200" "$N" "$conns" "$((N - n200))"
    else
        printf 'ok\t%s\tfailed=0' "$conns"
    fi
}

verify_h2load() {
    local out=$1 rc=$3 ok codes
    ok=$(sed -nE 's/^requests: .* ([0-9]+) succeeded.*/\1/p' "$out")
    codes=$(sed -nE 's/^status codes: ([0-9]+) 2xx.*/\1/p' "$out")
    if [[ $rc != 0 ]]; then
        printf 'FAIL exit %s (%s succeeded)\t%s\t' "$rc" "${ok:-?}" "$H2_CONNS"
    elif [[ $ok != "$N" || $codes != "$N" ]]; then
        printf 'FAIL %s succeeded, %s 2xx of %s\t%s\t' "${ok:-?}" "${codes:-?}" "$N" "$H2_CONNS"
    else
        printf 'ok\t%s\t' "$H2_CONNS"
    fi
}

verify_lab() {
    local out=$1 rc=$3 line tv errs
    line=$(grep -m 1 '^Fetched ' "$out")
    tv=$(grep -o '"thread_version_s": [0-9.]*' "$out" | awk '{print $2}')
    errs=$(awk '/^Fetched / {print $4}' <<<"$line")
    if [[ $rc != 0 ]]; then
        printf 'FAIL exit %s (%s)\t-\tfailed=%s' "$rc" "${line:-no result}" "${errs:-?}"
    elif [[ $line != "Fetched $N with 0 errors" ]]; then
        printf 'FAIL %s\t-\tfailed=%s' "${line:-no result}" "${errs:-?}"
    else
        # One new connection per photo (requests.get), plus the index.
        printf 'ok\t%s\tthread_version_s=%s,failed=0' "$((N + 1))" "$tv"
    fi
}

# The files a saving run wrote: N of them, EXPECT_BYTES in all, no temporary names left.
verify_saved() {
    local dir=$1 files bytes
    files=$(find "$dir" -type f 2>/dev/null | wc -l)
    bytes=$(find "$dir" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}')
    [[ $files == "$N" && $bytes == "$EXPECT_BYTES" ]] && return 0
    echo "saved $files files, $bytes bytes (want $N, $EXPECT_BYTES)"
    return 1
}

RUN_NO=0
FAILED_RUNS=0

# run ID TOOL SETTING KIND [SAVE_DIR] -- CMD...: run CMD once, bounded, measured and checked;
# append one line to RUNS. KIND is volley, curl, h2load or lab. SAVE_DIR, if given, is emptied
# before the run and its files checked after it.
#
# Wall, user and sys come from bash's `time` (rusage of the waited-for children, to the
# millisecond; GNU time prints only hundredths, too coarse for clients that spend 0.1 s), peak
# RSS from GNU time (wait4 of its own child, so the figure is the client's, not inherited from a
# big parent). Both wrappers and timeout(1) add about 3 ms of CPU to every tool alike.
run() {
    local id=$1 tool=$2 setting=$3 kind=$4 save="" rc verdict status conns extra
    local wall="-" user="-" sys="-" rss="-" TIMEFORMAT='%3R %3U %3S'
    shift 4
    if [[ $1 != -- ]]; then
        save=$1
        shift
    fi
    shift
    RUN_NO=$((RUN_NO + 1))
    local out=$WORK/run$RUN_NO.out err=$WORK/run$RUN_NO.err tf=$WORK/run$RUN_NO.rss
    local tt=$WORK/run$RUN_NO.time
    [[ -n $save ]] && rm -rf "$save"
    {
        time /usr/bin/time -f '%M' -o "$tf" \
            timeout -k 5 "$RUN_TIMEOUT" "$@" >"$out" 2>"$err"
    } 2>"$tt"
    rc=$?
    read -r wall user sys <"$tt"
    # GNU time puts "Command exited with non-zero status N" before the figure on a failure.
    rss=$(tail -n 1 "$tf" 2>/dev/null)
    [[ $rss =~ ^[0-9]+$ ]] || rss="-"
    verdict=$("verify_$kind" "$out" "$err" "$rc")
    IFS=$'\t' read -r status conns extra <<<"$verdict"
    if [[ $rc == 124 || $rc == 137 ]]; then
        status="FAIL timeout ${RUN_TIMEOUT}s"
    elif ((rc > 128)); then
        status="FAIL killed by signal $((rc - 128))"
    fi
    if [[ $status == ok && -n $save ]]; then
        status=$(verify_saved "$save") && status=ok || status="FAIL $status"
    fi
    [[ $status == ok ]] || FAILED_RUNS=$((FAILED_RUNS + 1))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$tool" "$setting" \
        "$ROUND" "$status" "${wall:--}" "${user:--}" "${sys:--}" "$rss" "$N" "${conns:--}" \
        "${extra:--}" >>"$RUNS"
    printf '  %-10s %-52s %8s s  %s\n' "$tool" "$setting" "${wall:--}" "$status" >&2
    if [[ $status != ok ]]; then
        echo "    (stdout $out, stderr $err)" >&2
        head -n 3 "$err" | cut -c1-160 | sed 's/^/    /' >&2
    fi
    [[ -n $save ]] && rm -rf "$save"
    return 0
}

# --- the cases -------------------------------------------------------------------------------

VARGS=()

volley_full() { # volley_full T K [PIPELINE]: the whole job, index included, certificates verified
    local id="volley.full.t$1k$2" setting="full job -t $1 -k $2" extra=()
    if [[ ${3:-1} != 1 ]]; then
        id+="p$3"
        setting+=" --pipeline $3"
        extra=(--pipeline "$3")
    fi
    run "$id" volley "$setting" volley -- \
        "$VOLLEY" -t "$1" -k "$2" "${extra[@]}" "${VARGS[@]}" "$INDEX_URL"
}

volley_default() {
    run volley.full.default volley "full job, default -t/-k" volley -- \
        "$VOLLEY" "${VARGS[@]}" "$INDEX_URL"
}

volley_list() { # volley_list T K PIPELINE: the URL list, no index
    local id="volley.list.t$1k$2" setting="-i urls -t $1 -k $2" extra=()
    if [[ $3 != 1 ]]; then
        id+="p$3"
        setting+=" --pipeline $3"
        extra=(--pipeline "$3")
    fi
    run "$id" volley "$setting" volley -- \
        "$VOLLEY" -t "$1" -k "$2" "${extra[@]}" "${VARGS[@]}" -i "$URLS_FILE"
}

curl_null() { # curl_null P: every body to /dev/null
    run "curl.null.p$1" curl "-Z --parallel-max $1, -o /dev/null" curl -- \
        curl -sS --no-progress-meter -Z --parallel-max "$1" --cacert "$CA" \
        --resolve "img.volley.test:$HTTPS_PORT:127.0.0.1" -w '%{http_code} %{num_connects}\n' \
        -K "$WORK/curl-null.cfg"
}

# h2load gives every client the list from its first URL (h2load(1), -i), so -c 10 fetches the
# first N/10 URLs ten times over: the same number of requests, all of them from nginx's cache as
# every other tool's are.
h2load_run() { # h2load_run C [M]
    local id="h2load.c$1" setting="--h1 -c $1 -t 2" m=${2:-1}
    if [[ $m != 1 ]]; then
        id+="m$m"
        setting+=" -m $m"
    fi
    H2_CONNS=$1
    run "$id" h2load "$setting" h2load -- \
        h2load --h1 -i "$WORK/h2load-urls.txt" -n "$N" -c "$1" -t 2 -m "$m"
}

lab_run() { # lab_run THREADS
    run "lab.t$1" python-lab "thread_version, $1 threads (requests)" lab -- \
        "$PY" "$ROOT/tools/lab_threads.py" --json --threads "$1" --cacert "$CA" "$INDEX_URL"
}

curl_save() { # curl_save P: every body to DIR/<host>/<path>, as volley -o lays them out
    run "curl.save.p$1" curl "-Z --parallel-max $1, --create-dirs -o" curl \
        "$SAVE_BASE/out-curl" -- curl -sS --no-progress-meter -Z --parallel-max "$1" \
        --create-dirs --cacert "$CA" --resolve "img.volley.test:$HTTPS_PORT:127.0.0.1" \
        -w '%{http_code} %{num_connects}\n' -K "$WORK/curl-save.cfg"
}

volley_save() { # volley_save T K [PIPELINE]: the full job, every body to DIR/<host>/<path>
    local id="volley.save.t$1k$2" setting="full job -o DIR -t $1 -k $2" extra=()
    if [[ ${3:-1} != 1 ]]; then
        id+="p$3"
        setting+=" --pipeline $3"
        extra=(--pipeline "$3")
    fi
    run "$id" volley "$setting" volley \
        "$SAVE_BASE/out-volley" -- "$VOLLEY" -t "$1" -k "$2" "${extra[@]}" \
        -o "$SAVE_BASE/out-volley" "${VARGS[@]}" "$INDEX_URL"
}

volley_save_sum() { # volley_save_sum T K: volley_save with --checksum sha256 and a manifest
    rm -f "$SAVE_BASE/sum.jsonl"
    run "volley.savesum.t$1k$2" volley "full job -o DIR --checksum sha256 -t $1 -k $2" volley \
        "$SAVE_BASE/out-volley" -- "$VOLLEY" -t "$1" -k "$2" -o "$SAVE_BASE/out-volley" \
        --manifest "$SAVE_BASE/sum.jsonl" --checksum sha256 "${VARGS[@]}" "$INDEX_URL"
}

# One round's cases, tools interleaved. Each entry is a command line for eval-free dispatch.
build_cases() {
    CASES=()
    if [[ $QUICK == 1 ]]; then
        CASES+=("volley_full 2 16" "curl_null 10" "h2load_run 10" "volley_list 2 5 1")
        CASES+=("curl_null 100" "h2load_run 10 8" "volley_list 2 5 8" "lab_run 10")
        CASES+=("volley_full 2 4" "curl_null 1000" "volley_full 2 256" "volley_list 2 500 1")
        CASES+=("curl_save 10" "volley_save 2 16" "curl_save 100" "volley_save 2 4")
        CASES+=("volley_full 2 4 8" "volley_save 2 4 8" "volley_save_sum 2 16")
        return
    fi
    CASES+=("volley_full 2 16" "curl_null 10" "h2load_run 10" "volley_list 2 5 1")
    CASES+=("curl_null 1" "h2load_run 10 8" "volley_list 2 5 8" "volley_default")
    CASES+=("curl_null 100" "h2load_run 100" "volley_full 1 1" "lab_run 10")
    CASES+=("volley_full 1 4" "curl_null 1000" "volley_full 1 16" "h2load_run 1000")
    CASES+=("volley_full 1 64" "volley_full 2 1" "volley_full 1 256" "volley_full 2 4")
    CASES+=("volley_full 2 64" "curl_save 1" "volley_full 2 256" "curl_save 10")
    CASES+=("volley_save 2 16" "volley_list 2 500 1" "curl_save 100" "volley_save 1 4")
    CASES+=("curl_save 1000" "volley_save 2 4" "volley_save 2 64")
    CASES+=("volley_full 1 4 8" "volley_full 2 4 8" "volley_save 1 4 8" "volley_save 2 4 8")
    CASES+=("volley_save_sum 2 16")
}

# Round R runs the cases rotated by R-1 places.
run_round() {
    local n=${#CASES[@]} i c
    for ((i = 0; i < n; i++)); do
        c=${CASES[$(((i + ROUND - 1) % n))]}
        # shellcheck disable=SC2086 # a case is a function name and its numeric arguments
        $c
    done
}

# --- the latency world -----------------------------------------------------------------------

LAT_VARGS=()

# lat_volley ID SETTING [OPTIONS...]: the full job through the delay proxies.
lat_volley() {
    local id=$1 setting=$2
    shift 2
    run "lat.$RTT.$id" volley "$setting" volley -- "$VOLLEY" "$@" "${LAT_VARGS[@]}" "$INDEX_URL"
}

# lat_curl [P]: the index (discarded: curl cannot read it), then the URL list with -Z, as a user
# of curl would run the job; no P = curl's default of 50 transfers at once.
lat_curl() {
    local id=curl.default setting="-Z (default: 50 at once), index then list" par=()
    if [[ -n ${1:-} ]]; then
        id=curl.p$1
        setting="-Z --parallel-max $1, index then list"
        par=(--parallel-max "$1")
    fi
    # shellcheck disable=SC2016 # expanded by the inner bash
    run "lat.$RTT.$id" curl "$setting" curl -- bash -c \
        'curl -sSf -o /dev/null --cacert "$1" --resolve "$2" "$3" && shift 3 && exec curl "$@"' \
        _ "$CA" "api.volley.test:$HTTPS_PORT:$LAT_ADDR" "$INDEX_URL" \
        -sS --no-progress-meter -Z "${par[@]}" --cacert "$CA" \
        --resolve "img.volley.test:$HTTPS_PORT:$LAT_ADDR" -w '%{http_code} %{num_connects}\n' \
        -K "$WORK/curl-null.cfg"
}

lat_case() {
    case $1 in
    default) lat_volley volley.default "full job, no flags (adaptive)" ;;
    k25) lat_volley volley.fixed.t2k25 "full job -t 2 -k 25" -t 2 -k 25 ;;
    k25p8) lat_volley volley.fixed.t2k25p8 "full job -t 2 -k 25 --pipeline 8" -t 2 -k 25 --pipeline 8 ;;
    k64p8) lat_volley volley.fixed.t2k64p8 "full job -t 2 -k 64 --pipeline 8" -t 2 -k 64 --pipeline 8 ;;
    k250) lat_volley volley.fixed.t2k250 "full job -t 2 -k 250" -t 2 -k 250 ;;
    k250p8) lat_volley volley.fixed.t2k250p8 "full job -t 2 -k 250 --pipeline 8" -t 2 -k 250 \
        --pipeline 8 ;;
    curl) lat_curl ;;
    curl200) lat_curl 200 ;;
    lab100)
        run "lat.$RTT.lab.t100" python-lab "thread_version, 100 threads (requests)" lab -- \
            "$PY" "$ROOT/tools/lab_threads.py" --json --threads 100 --cacert "$CA" \
            --connect-addr "$LAT_ADDR" "$INDEX_URL"
        ;;
    esac
}

# Every case at each RTT, tools interleaved and rotated from round to round; runs go to LAT_RUNS.
latency_world() {
    local cases=(default curl k25 lab100 k25p8 curl200 k250 k64p8 k250p8) n=9 i
    LAT_VARGS=(--json -q --cacert "$CA" --resolve "api.volley.test:$HTTPS_PORT:$LAT_ADDR"
        --resolve "img.volley.test:$HTTPS_PORT:$LAT_ADDR")
    RUNS=$LAT_RUNS
    for RTT in $LAT_RTTS; do
        "$ROOT/tools/latency.sh" start "$DIR" "$RTT" "$LAT_ADDR" ||
            die "the delay proxies did not start (RTT $RTT ms)"
        for ((ROUND = 1; ROUND <= LAT_REPEAT; ROUND++)); do
            echo "bench: latency world, RTT $RTT ms, round $ROUND of $LAT_REPEAT" >&2
            for ((i = 0; i < n; i++)); do
                lat_case "${cases[$(((i + ROUND - 1) % n))]}"
            done
        done
    done
    "$ROOT/tools/latency.sh" stop "$DIR"
    RUNS=$MAIN_RUNS
}

versions_json() {
    "$PY" - "$VOLLEY" "$1" "$2" <<'EOF'
import hashlib, json, os, platform, subprocess, sys
def first(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).splitlines()[0].strip()
    except Exception as err:
        return f"unknown ({err})"
import requests
print(json.dumps({
    "volley": first([sys.argv[1], "-V"]),
    "curl": first(["curl", "--version"]),
    "h2load": first(["h2load", "--version"]),
    "python": platform.python_version(),
    "requests": requests.__version__,
    "nginx": first(["nginx", "-v"]),
    "kernel": platform.release(),
    "volley_sha256": hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest(),
    "cpus": os.cpu_count(),
    "save_fs": sys.argv[2],
    "loadavg_start": sys.argv[3].split()[:3],
    "loadavg_end": open("/proc/loadavg").read().split()[:3],
}))
EOF
}

main() {
    ensure_peers
    pick_python || die "no python3 with requests"
    check_curl
    # Other work on the machine skews every figure: the load average goes into the results.
    LOAD_START=$(cat /proc/loadavg)
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    start_world
    prepare_inputs
    # Measure one binary throughout, even if ./volley is rebuilt while the bench runs.
    cp "$VOLLEY" "$WORK/volley" || die "cannot copy $VOLLEY"
    "$WORK/volley" -V >/dev/null 2>&1 || die "$VOLLEY -V failed (being rebuilt? run make again)"
    VOLLEY=$WORK/volley
    VARGS=(--json -q --cacert "$CA" --dns-server "$DNS_SERVER")
    build_cases
    if [[ $LATENCY == only ]]; then
        echo "bench: $N URLs, the latency world only (RTT $LAT_RTTS ms)" >&2
    else
        echo "bench: $N URLs, $REPEAT round(s) of ${#CASES[@]} runs, timeout ${RUN_TIMEOUT}s" \
            "each; saving to $SAVE_BASE ($SAVE_FS)" >&2
    fi
    # Warm the server and the page cache once, unmeasured.
    timeout "$RUN_TIMEOUT" "$VOLLEY" -t 2 -k 16 "${VARGS[@]}" "$INDEX_URL" >/dev/null 2>&1 ||
        echo "bench: warm-up run of volley failed (measuring anyway)" >&2
    if [[ $LATENCY != only ]]; then
        for ((ROUND = 1; ROUND <= REPEAT; ROUND++)); do
            echo "bench: round $ROUND of $REPEAT" >&2
            run_round
        done
    fi
    [[ $LATENCY == 0 ]] || latency_world
    mkdir -p "$RESULTS" || die "cannot create $RESULTS"
    local stamp meta rc lat=()
    stamp=$(date +%Y%m%d-%H%M%S)
    meta=$(versions_json "$SAVE_FS" "$LOAD_START")
    [[ $LATENCY == 0 ]] || lat=(--latency-runs "$LAT_RUNS" --latency-repeat "$LAT_REPEAT")
    "$PY" "$ROOT/tools/bench_table.py" --runs "$RUNS" --urls "$N" --repeat "$REPEAT" \
        --quick "$QUICK" --meta "$meta" --out "$RESULTS/bench-$stamp" "${lat[@]}"
    rc=$?
    if ((FAILED_RUNS > 0)); then
        echo "bench: $FAILED_RUNS run(s) failed; see the FAIL rows" >&2
        return 2
    fi
    return "$rc"
}

main "$@"
