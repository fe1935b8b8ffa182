# shellcheck shell=bash
# The fault servers and the helpers of the files that use them (t_faults.sh, t_integrity.sh);
# sourced after lib.sh, never run. Sourcing starts tools/faultserver.py (HTTP, HTTPS, a TLS port
# that never answers the handshake, a TLS port that sends a fatal alert), tools/faultdns.py and a
# small index server on 127.0.0.1 at the world's port base + 200 (the next block of 10 if taken),
# sets H and S to the HTTP and HTTPS base URLs, and stops them by pid when the file ends. Where
# the machine has an IPv6 loopback, the fault server listens on [::1] at the same ports too, and
# H6 and S6 are its base URLs there (else they are empty).


HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/../../tools
FDIR=$WORK/faults
FS_PID=""
# The fault server also listens on [::1] if this machine has an IPv6 loopback.
F_IPV6=()
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null &&
    F_IPV6=(--ipv6)
FD_PID=""
IX_PID=""

# --- servers -----------------------------------------------------------------------------------

stop_servers() {
    stop_pid "$FS_PID"
    stop_pid "$FD_PID"
    stop_pid "$IX_PID"
    FS_PID="" FD_PID="" IX_PID=""
}
trap 'stop_servers; verdict_missing' EXIT

# wait_pidfile FILE PID: up to 10 s for PID (our child) to write FILE, its sign of readiness.
wait_pidfile() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_servers BASE: the three servers on BASE..BASE+5; returns 1 (all stopped) if one fails.
start_servers() {
    local b=$1 c=$WORLD_DIR/certs
    F_HTTP=$b F_HTTPS=$((b + 1)) F_STALL=$((b + 2)) F_ALERT=$((b + 3)) F_DNS=$((b + 4))
    F_INDEX=$((b + 5))
    rm -f "$FDIR"/*.pid
    python3 "$TOOLS/faultserver.py" --http-port "$F_HTTP" --https-port "$F_HTTPS" \
        --cert "$c/server.pem" --key "$c/server.key" --tls-stall-port "$F_STALL" \
        --tls-alert-port "$F_ALERT" "${F_IPV6[@]}" --pidfile "$FDIR/fs.pid" \
        </dev/null 2>>"$FDIR/fs.log" &
    FS_PID=$!
    python3 "$TOOLS/faultdns.py" --port "$F_DNS" --stats "$FDIR/dns-stats.json" \
        --pidfile "$FDIR/fd.pid" </dev/null 2>>"$FDIR/fd.log" &
    FD_PID=$!
    # A static file server for indexes; it writes its pid file once bound.
    python3 -c '
import functools, http.server, os, sys
port, root, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
s = http.server.ThreadingHTTPServer(("127.0.0.1", port), h)
with open(pidfile + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(pidfile + ".tmp", pidfile)
s.serve_forever()
' "$F_INDEX" "$FDIR/www" "$FDIR/ix.pid" </dev/null 2>>"$FDIR/ix.log" &
    IX_PID=$!
    wait_pidfile "$FDIR/fs.pid" "$FS_PID" && wait_pidfile "$FDIR/fd.pid" "$FD_PID" &&
        wait_pidfile "$FDIR/ix.pid" "$IX_PID" && return 0
    stop_servers
    return 1
}

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

rm -rf "$FDIR"
mkdir -p "$FDIR/www"
base=$((HTTPS_PORT - 43 + 200))
started=0
for ((try = 0; try < 5; try++, base += 10)); do
    busy=0
    for ((p = base; p < base + 6; p++)); do
        port_busy "$p" && busy=1
    done
    ((busy)) && continue
    start_servers "$base" && started=1 && break
done
if ((!started)); then
    begin fault_servers_start
    fail "$CASE" "the fault servers did not start: $(tail -n 3 "$FDIR"/*.log | tr '\n' ' ')"
    exit 0
fi
H=http://127.0.0.1:$F_HTTP
# shellcheck disable=SC2034 # S, H6 and S6 are used by the t_*.sh files
S=https://127.0.0.1:$F_HTTPS
H6="" S6=""
# shellcheck disable=SC2034
if ((${#F_IPV6[@]})); then
    H6="http://[::1]:$F_HTTP"
    S6="https://[::1]:$F_HTTPS"
fi

# --- helpers -----------------------------------------------------------------------------------

# fs GET-PATH: the fault server's answer (its /stats and /stats/reset).
fs() {
    curl -s --noproxy "*" --max-time 5 "$H$1"
}

# urls URL...: write the URL list $CASE_DIR/urls.
urls() {
    printf '%s\n' "$@" >"$CASE_DIR/urls"
}

# fetch ARGS...: run_volley on $CASE_DIR/urls with --json and a manifest; the fault server's
# counters are cleared first, so assert_requests sees this run only.
fetch() {
    fs /stats/reset >/dev/null
    run_volley --json --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls" "$@"
}

# assert_manifest URL OUTCOME ATTEMPTS ...: the manifest has exactly one line per URL given and
# no other. OUTCOME is "ok" or the failure tag; ATTEMPTS is N or LO-HI. Every line has all the
# fields; an ok line with a path names a file of the line's byte count, a failed one has no path.
assert_manifest() {
    local msg
    msg=$(python3 - "$CASE_DIR/manifest" "$@" 2>&1 <<'EOF'
import json, os, sys
path, spec = sys.argv[1], sys.argv[2:]
try:
    lines = [json.loads(l) for l in open(path)]
except (OSError, ValueError) as e:
    sys.exit("manifest unreadable: %s" % e)
keys = {"url", "status", "bytes", "attempts", "ms", "ok", "error", "path"}
for l in lines:
    if not keys <= set(l):
        sys.exit("manifest line lacks %s: %r" % (sorted(keys - set(l)), l))
want = {spec[i]: (spec[i + 1], spec[i + 2]) for i in range(0, len(spec), 3)}
got = [l["url"] for l in lines]
extra = sorted(set(got) - set(want))
if extra or len(got) != len(set(got)):
    sys.exit("manifest urls %r, want one line each for %r" % (got, sorted(want)))
for url, (outcome, attempts) in want.items():
    m = [l for l in lines if l["url"] == url]
    if not m:
        sys.exit("no manifest line for %s" % url)
    l = m[0]
    is_ok = outcome == "ok"
    if l["ok"] is not is_ok or l["error"] != (None if is_ok else outcome):
        sys.exit("%s: ok %r error %r, want %s" % (url, l["ok"], l["error"], outcome))
    lo, _, hi = attempts.partition("-")
    if not int(lo) <= l["attempts"] <= int(hi or lo):
        sys.exit("%s: attempts %r, want %s" % (url, l["attempts"], attempts))
    if is_ok and l["path"] is not None:
        if not os.path.isfile(l["path"]) or os.path.getsize(l["path"]) != l["bytes"]:
            sys.exit("%s: saved file %r is not %d bytes" % (url, l["path"], l["bytes"]))
    if not is_ok and l["path"] is not None:
        sys.exit("%s failed but has path %r" % (url, l["path"]))
EOF
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

# assert_requests TARGET N ...: the fault server saw each TARGET exactly N times in this run.
assert_requests() {
    local msg
    fs /stats >"$CASE_DIR/stats"
    msg=$(python3 - "$CASE_DIR/stats" "$@" 2>&1 <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))["requests"]
except (OSError, ValueError, KeyError) as e:
    sys.exit("fault server /stats unreadable: %s" % e)
a = sys.argv[2:]
for target, n in zip(a[::2], a[1::2]):
    if r.get(target, 0) != int(n):
        sys.exit("server saw %s %d times, want %s" % (target, r.get(target, 0), n))
EOF
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

# assert_connections_at_least KIND N: the fault server accepted N or more KIND connections.
assert_connections_at_least() {
    local n
    n=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["connections"][sys.argv[1]])' \
        "$1" <"$CASE_DIR/stats" 2>/dev/null)
    [[ -n $n ]] && ((n >= $2)) && return 0
    fail "$CASE" "server accepted ${n:-?} $1 connections, want at least $2"
}

# assert_conns PYTHON [FILE]: the fault server's connection records of this run (its /stats "conns",
# in order: kind, requests, max_in_flight, after_close, client_closed, sni, targets) satisfy PYTHON,
# a boolean expression over the list c (it may span lines); e.g. 'c[0]["requests"] == 5'. With
# FILE, the records are read from that copy of a /stats answer instead.
assert_conns() {
    local msg stats=${2:-$CASE_DIR/stats}
    [[ -n ${2:-} ]] || fs /stats >"$stats"
    msg=$(python3 - "$stats" "$1" 2>&1 <<'EOF'
import json, sys
try:
    c = json.load(open(sys.argv[1]))["conns"]
except (OSError, ValueError, KeyError) as e:
    sys.exit("fault server /stats unreadable: %s" % e)
if not eval("(%s)" % sys.argv[2], {"c": c}):
    seen = ["%s: %d requests, at most %d in flight, %d after close%s%s" % (
        r["kind"], r["requests"], r["max_in_flight"], r["after_close"],
        {None: "", True: ", closed by the client", False: ", left open by the client"}[
            r["client_closed"]], ", SNI %r" % r["sni"] if r["sni"] else "") for r in c]
    sys.exit(("connections %s do not satisfy %s" % (seen, " ".join(sys.argv[2].split())))[:400])
EOF
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

assert_no_part() {
    local p
    p=$(find "$OUT" -name '*.part' | head -n 3)
    [[ -z $p ]] && return 0
    fail "$CASE" "partial files left: $(echo "$p" | tr '\n' ' ')"
}

# assert_bodies: every file under $OUT holds what the fault server sent for its path:
# .../ok/N[/...], .../chunked/N and .../eof*/N the N-byte pattern (byte i = i % 251),
# .../chunksize/HEX that of HEX bytes, .../flaky/KEY/... "ok KEY", .../extra/200 "AAA"
# (.../extra/204 nothing), .../late/MS "late", .../fold "folded", .../tecl "xyz",
# .../redirect-slow/0/MS "done".
assert_bodies() {
    local msg
    msg=$(python3 - "$OUT" 2>&1 <<'EOF'
import os, sys
top = sys.argv[1]
for d, _, names in os.walk(top):
    for n in names:
        p = os.path.join(d, n)
        parts = os.path.relpath(p, top).split(os.sep)
        at = [i for i in range(len(parts) - 1)
              if parts[i] in ("ok", "chunked", "eof", "eof10", "eofcut")
              and parts[i + 1].isdigit()]
        if at:
            want = bytes(i % 251 for i in range(int(parts[at[-1] + 1])))
        elif len(parts) >= 2 and parts[-2] == "chunksize":
            want = bytes(i % 251 for i in range(int(parts[-1], 16)))
        elif parts[-1].startswith("tecl"):
            want = b"xyz"
        elif parts[-3:-1] == ["redirect-slow", "0"]:
            want = b"done"
        elif "flaky" in parts[:-3]:
            want = b"ok " + parts[parts.index("flaky") + 1].encode()
        elif parts[-2:] in (["extra", "200"], ["extra", "204"]):
            want = b"AAA" if parts[-1] == "200" else b""
        elif parts[-2] == "late" or parts[-1] == "late":
            want = b"late"
        elif "fold" in parts[-2:] or parts[-1].startswith("len?"):
            want = b"folded"
        else:
            sys.exit("unexpected file %s" % p)
        with open(p, "rb") as f:
            if f.read() != want:
                sys.exit("%s does not hold the bytes the server sent" % p)
EOF
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

# assert_json KEY=N ...: the --json summary's top-level KEY is N, for each pair.
assert_json() {
    local code="" kv k v
    for kv in "$@"; do
        k=${kv%%=*} v=${kv#*=}
        code+="assert get('$k') == $v, '$k %r, want $v' % get('$k')"$'\n'
    done
    json_check "$code"
}

# assert_failures TAG=N ...: the summary's nonzero failure counts are exactly these.
assert_failures() {
    local want="" kv
    for kv in "$@"; do
        want+="'${kv%%=*}': ${kv#*=}, "
    done
    json_check "want = {$want}
assert failures() == want, 'failures %r, want %r' % (failures(), want)"
}

assert_slower_than_ms() {
    ((RUN_MS >= $1)) && return 0
    fail "$CASE" "took ${RUN_MS} ms, want at least $1 ms"
}

# assert_stderr_lines N: stderr is exactly N lines, each "volley: ...".
assert_stderr_lines() {
    local n bad
    n=$(awk 'END {print NR}' "$CASE_DIR/stderr")
    bad=$(grep -cv '^volley: ' "$CASE_DIR/stderr")
    [[ $n == "$1" && $bad == 0 ]] && return 0
    fail "$CASE" "stderr has $n lines ($bad not starting 'volley: '), want $1 'volley: ' lines"
}
# --- background runs ------------------------------------------------------------------------

# start_bg ARGS...: volley in the background under the watchdog (lib.sh; the timeout passes a
# signal on once, in --foreground mode), outputs as run_volley; stop it with a signal and wait_bg.
start_bg() {
    printf '%q ' "$VOLLEY" "$@" >"$CASE_DIR/cmd"
    echo >>"$CASE_DIR/cmd"
    BG_T0=$(date +%s%N)
    timeout --foreground -k 5 "$VOLLEY_BUDGET" "$VOLLEY" "$@" </dev/null >"$CASE_DIR/stdout" \
        2>"$CASE_DIR/stderr" &
    VOLLEY_PID=$!
}

# assert_stopped RC: volley exited RC after the signal. (The timeout that bounds it passes the
# signal on and kills volley 5 s later: exit 137.)
assert_stopped() {
    if [[ $RC == 137 ]]; then
        fail "$CASE" "still running 5 s after the signal (then killed), want exit $1"
        return 1
    fi
    assert_exit "$1"
}

# wait_bg: wait for the volley start_bg started; sets RC and RUN_MS. Returns 1 (the case failed)
# if the watchdog had to stop it.
wait_bg() {
    wait "$VOLLEY_PID"
    RC=$?
    VOLLEY_PID=""
    RUN_MS=$((($(date +%s%N) - BG_T0) / 1000000))
    echo "$RC" >"$CASE_DIR/rc"
    watched "$RC" "$RUN_MS"
}

# until_bg CONDITION: poll up to 15 s (volley still running) for the bash CONDITION, which is
# given in single quotes to be evaluated on each poll.
until_bg() {
    local i
    for ((i = 0; i < 300; i++)); do
        eval "$1" && return 0
        kill -0 "$VOLLEY_PID" 2>/dev/null || break
        sleep 0.05
    done
    fail "$CASE" "volley $(kill -0 "$VOLLEY_PID" 2>/dev/null && echo "never got to" ||
        echo "ended before") '$1'"
    kill -KILL "$VOLLEY_PID" 2>/dev/null
    wait_bg
    return 1
}

# ok_paths MANIFEST: the path of each ok line, in order.
ok_paths() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["ok"]:
        print(m["path"])
' "$1"
}

# bodies_open: how many bodies the volley started by start_bg is writing under $OUT: files it
# has open there that have no name yet (O_TMPFILE, "(deleted)") or a hidden .part name.
bodies_open() {
    local pid
    pid=$(pgrep -P "$VOLLEY_PID" | head -n 1)
    [[ -n $pid ]] || pid=$VOLLEY_PID
    find "/proc/$pid/fd" \( -lname "$OUT/*(deleted)" -o -lname "$OUT/*.part" \) 2>/dev/null |
        wc -l
}

manifest_lines() {
    awk 'END {print NR}' "$CASE_DIR/manifest" 2>/dev/null || echo 0
}
