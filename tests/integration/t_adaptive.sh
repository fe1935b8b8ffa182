#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass defaults to the current case
# Adaptive concurrency (no -k): per-origin budgets that grow with the round trip and shrink on
# 429, pauses shared by an origin, pipelines that find their depth, and origins that cannot
# hold each other up. Against the world's nginx (through delay proxies for the round trip) and
# tools/faultserver.py (its /limit resource answers 429 above N requests at once).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

trap 'latency_stop >/dev/null 2>&1; stop_servers; verdict_missing' EXIT

# numbered N TEMPLATE: the URL list of TEMPLATE with {} replaced by 0 .. N-1.
numbered() {
    local i
    for ((i = 0; i < $1; i++)); do echo "${2//\{\}/$i}"; done >"$CASE_DIR/urls"
}

# limit_check PYTHON: the fault server's /stats "limit" as lim, asserted on by PYTHON.
limit_check() {
    local msg
    msg=$(fs /stats | python3 -c '
import json, sys
lim = json.load(sys.stdin)["limit"]
try:
    exec(sys.argv[1], {"lim": lim})
except AssertionError as e:
    sys.exit("server: %s" % e)
' "$1" 2>&1) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

# (a) No flags at RTT 50 ms: the budget of the photo host grows past what the old fixed default
# (2 threads x 8 connections, no pipelining) could have in flight, pipelines reach 16, and
# every photo arrives whole.
t_grows_with_rtt() {
    begin adaptive_grows_rtt50
    latency_start 50 || return
    fixture_subset "$CASE_DIR/want" 300
    run_volley --json "${LATENCY_ARGS[@]}" -n 300 -o "$OUT" "$INDEX_URL"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" && json_check '
o = get("origins")
assert o["adaptive"] is True and o["total"] == 2, "origins %r" % o
img = o["busiest"][0]
assert img["origin"] == "https://img.volley.test:%d" % '"$HTTPS_PORT"', img
assert img["answered"] == 300 and img["decreases"] == 0, img
assert img["peak_target"] > 16, "in flight at most %r, no more than 16" % img["peak_target"]
assert img["pipeline"] == 16 and not img["pipeline_off"], img
assert 1 <= img["peak_conns"] <= 64, img
assert img["min_ttfb_ms"] >= 50, img
assert get("ok") == 300 and get("failed") == 0, (get("ok"), get("failed"))' && pass
    latency_stop
}

# (b) A server that serves 3 requests at once and answers 429 above (volley starts with 8):
# volley settles at the limit (a probe of one above it now and then), with every URL fetched
# and its tries uncounted (the budget's cut is the backoff).
t_429_converges() {
    begin adaptive_429_converges
    numbered 200 "$H/limit/3/20/{}"
    fetch -t 1
    assert_exit 0 && assert_json ok=200 failed=0 && json_check '
img = get("origins", "busiest")[0]
assert img["decreases"] >= 1 and img["last_decrease"] == "429", img
assert img["target"] < 5, "settled at %r, more than a probe above the limit 3" % img
assert img["pipeline_off"] is True, img
assert get("retries") == 0, "retries %r" % get("retries")
assert get("origins", "requeues") >= 1, get("origins")' && limit_check '
assert lim["served"] == 200 and lim["peak"] == 3, lim
assert lim["rejected"] <= 40, "%d answers of 429 for 200 URLs" % lim["rejected"]' && pass
}

# (c) A server of 2 at once that adds Retry-After: 1. The whole origin waits: once the requests
# already on the wire have arrived (at most 16 deep x 20 ms), nothing comes until the second
# is over.
t_retry_after_pauses_origin() {
    begin adaptive_retry_after_pauses_origin
    numbered 120 "$H/limit/2/20/{}?retry=1"
    fetch -t 1
    assert_exit 0 && assert_json ok=120 failed=0 && limit_check '
ev = lim["events"]
late = [(t, [a for a, _ in ev if t + 400 < a < t + 900]) for t, c in ev if c == 429]
assert late, "no 429 at all: %r" % lim
bad = [(t, a) for t, a in late if a]
assert not bad, "requests within a pause: 429 at %.1f ms, then %r" % (bad[0][0], bad[0][1][:5])
assert lim["served"] == 120, lim' && pass
}

# (d) One thread, one origin that never answers and one that does, their URLs interleaved: the
# silent origin holds its 8 requests at most, the other is fetched whole before the first of them times
# out (with the old shared queue, the photos behind them waited for the timeouts).
t_fair_across_origins() {
    begin adaptive_fair_across_origins
    local i name
    : >"$CASE_DIR/urls"
    i=0
    for name in $(photo_names 60); do
        ((i++ % 15 == 0)) && echo "$H/nohead/$i" >>"$CASE_DIR/urls"
        echo "http://img.volley.test:$HTTP_PORT/600/$name" >>"$CASE_DIR/urls"
    done
    fetch -t 1 --timeout 2 --retries 0 "${WORLD_ARGS[@]}"
    assert_exit 1 && assert_json ok=60 failed=4 && python3 - "$CASE_DIR/manifest" <<'EOF' || {
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
silent = [i for i, l in enumerate(lines) if "/nohead/" in l["url"]]
fast = [i for i, l in enumerate(lines) if "/nohead/" not in l["url"]]
assert all(lines[i]["ok"] for i in fast), "a photo failed"
assert all(lines[i]["error"] in ("timeout", "timeout_ttfb") for i in silent), [lines[i] for i in silent][:1]
sys.exit(0 if max(fast) < min(silent) else 1)
EOF
        fail "$CASE" "a photo ended after a silent URL timed out"
        return
    }
    pass
}

# (e) Pipelines find their depth: 16 deep on a server 5 ms from its first byte (where a handful
# in flight would not keep the thread busy), and off for good on one that closes after every
# third response without saying so.
t_pipeline_auto() {
    begin adaptive_pipeline_auto
    numbered 300 "$H/limit/1000/5/{}"
    fetch -t 1
    assert_exit 0 && assert_json ok=300 failed=0 && json_check '
o = get("origins", "busiest")[0]
assert o["pipeline"] == 16 and not o["pipeline_off"], o' &&
        assert_conns "max(r['max_in_flight'] for r in c) == 16" || return
    pass
    begin adaptive_pipeline_falls_back
    numbered 300 "$H/closeafter/3/ok/100?{}"
    fetch -t 1
    assert_exit 0 && assert_json ok=300 failed=0 && json_check '
o = get("origins", "busiest")[0]
assert o["pipeline_off"] is True and o["answered"] == 300, o
assert get("retries") < 60, "%d retries" % get("retries")' && pass
}

# blackhole ADDR PORT: a listener on ADDR:PORT whose accept queue is full, so that the kernel
# drops every further SYN: a connect there neither succeeds nor fails (an address that never
# answers). Its pid is BLACKHOLE_PID; it ends after 60 s by itself.
blackhole() {
    python3 - "$1" "$2" "$CASE_DIR/blackhole.ready" <<'EOF' &
import socket, sys, time
addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.bind((addr, port))
ls.listen(0)
fill = []
for _ in range(4):  # past the queue: later clients hang, non-blocking
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex((addr, port))
    fill.append(c)
time.sleep(0.3)
open(ready, "w").close()
time.sleep(60)
EOF
    BLACKHOLE_PID=$!
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -e $CASE_DIR/blackhole.ready ]] && return 0
        sleep 0.1
    done
    return 1
}

# (f) A host with two addresses, the first of which never answers: the second is tried 250 ms
# later and wins, so every URL is fetched with no retry, long before the connect timeout (which
# the first address alone would have run into, failing the URL).
t_dead_first_address() {
    begin adaptive_dead_first_address
    blackhole 127.0.0.7 "$HTTP_PORT" || {
        fail "$CASE" "the blackhole listener did not start"
        return
    }
    url_list "http://img.volley.test:$HTTP_PORT" 5 >"$CASE_DIR/urls"
    run_volley -t 1 --json --retries 0 --connect-timeout 5 -i "$CASE_DIR/urls" \
        --resolve "img.volley.test:$HTTP_PORT:127.0.0.7,127.0.0.1"
    stop_pid "$BLACKHOLE_PID"
    assert_exit 0 && assert_json ok=5 failed=0 && json_check '
c = get("phases_ms", "connect")
assert c["max"] >= 240, "the first connect took %r ms, not the 250 ms step" % c["max"]
assert c["max"] < 4000, "the first connect took %r ms: no race" % c["max"]' && pass
}

t_grows_with_rtt
t_dead_first_address
t_429_converges
t_retry_after_pauses_origin
t_fair_across_origins
t_pipeline_auto
