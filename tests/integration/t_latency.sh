#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass defaults to the current case
# The latency world: volley through delay proxies (tools/delayproxy.c via tools/latency.sh) in
# front of the world's nginx, and the proxy's own behaviour. Bounds on time are lower bounds
# (a loaded machine can only add time), with generous upper bounds that catch only a hang.
. "$(dirname "$0")/lib.sh"

trap 'latency_stop >/dev/null 2>&1; verdict_missing' EXIT

# (a) The main job, cut to 300 photos, at RTT 50 ms: every file byte for byte. 32 connections
# with one request each in flight cannot do 300 requests in under ceil(300 / 32) round trips.
t_fetch_rtt50() {
    begin latency_fetch_rtt50
    latency_start 50 || return
    fixture_subset "$CASE_DIR/want" 300
    run_volley -t 2 -k 16 "${LATENCY_ARGS[@]}" -n 300 -o "$OUT" "$INDEX_URL"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_summary 300 0 && assert_failure_lines 0 || return
    ((RUN_MS >= 500)) || fail "$CASE" "took $RUN_MS ms, want at least 10 round trips of 50 ms"
    pass
}

# check_phases FILE MIN_TLS_MS MIN_TTFB_MS: the -w line in FILE ("time_tls time_ttfb", seconds)
# shows at least those times, and a first byte within 3 s of the bound.
check_phases() {
    local tls ttfb
    read -r tls ttfb <"$1" || {
        fail "$CASE" "no -w line in $1"
        return 1
    }
    awk -v tls="$tls" -v ttfb="$ttfb" -v a="$2" -v b="$3" \
        'BEGIN { exit !(tls * 1000 >= a && ttfb * 1000 >= b && ttfb * 1000 < b + 3000) }' &&
        return 0
    fail "$CASE" "time_tls ${tls}s, time_ttfb ${ttfb}s: want >= $2 ms and $3..$(($3 + 3000)) ms"
}

# (b) The delay is real, at RTT 100 ms. The kernel completes the client's TCP handshake with the
# proxy at once (connect reads ~0), so the proxy charges that round trip to the first bytes:
# plain HTTP's first byte comes after 2 RTT; over TLS the handshake ends after at least 2 RTT
# (3 with TLS 1.2) and the first byte one RTT later.
t_delay_real() {
    begin latency_delay_real
    latency_start 100 || return
    local name
    name=$(photo_names 1)
    run_volley -t 1 -k 1 "${LATENCY_ARGS[@]}" -w '%{time_tls} %{time_ttfb}\n' \
        -i - <<<"http://img.volley.test:$HTTP_PORT/600/$name"
    assert_exit 0 && assert_summary 1 0 || return
    cp "$CASE_DIR/stdout" "$CASE_DIR/http.w"
    run_volley -t 1 -k 1 "${LATENCY_ARGS[@]}" -w '%{time_tls} %{time_ttfb}\n' \
        -i - <<<"$IMG_BASE/600/$name"
    assert_exit 0 && assert_summary 1 0 && check_phases "$CASE_DIR/http.w" 0 200 &&
        check_phases "$CASE_DIR/stdout" 200 300 && pass
}

# (c) 2,000 connections at once through the proxy (plain HTTP), each with a request answered.
t_hold_2000() {
    begin latency_hold_2000
    latency_start 50 || return
    sed "s#^$IMG_BASE/#http://img.volley.test:$HTTP_PORT/#" "$URLS_FILE" >"$CASE_DIR/urls"
    run_volley -t 2 -k 1000 --hold 2 --json "${LATENCY_ARGS[@]}" -i "$CASE_DIR/urls"
    assert_exit 0 && json_check '
c = get("conns")
assert c["attempted"] == 2000 and c["established"] == 2000 and c["failed"] == 0, "conns %r" % c
assert c["peak"] == 2000, "peak %r" % c["peak"]
assert get("ok") == 2000 and get("failed") == 0, "ok %r failed %r" % (get("ok"), get("failed"))
assert c["server_closed_during_hold"] == 0, "closed during the hold: %r" % c' && pass
}

# (d) The proxy alone, against a Python peer, at RTT 40 ms and a 64 KiB window: 1 MB up in
# order (sha256) through the window, then a half-close each way; a FIN from the server while the
# client still sends; bytes then a reset, forwarded as bytes then a reset; a refused target seen
# as a reset after one RTT; SIGTERM ends it with status 0 and removes the pid file.
t_proxy_closes() {
    begin latency_proxy_closes
    [[ -x $DELAYPROXY ]] || {
        fail "$CASE" "no $DELAYPROXY (make tools)"
        return
    }
    python3 - "$DELAYPROXY" "$(free_port)" "$(free_port)" "$CASE_DIR" >"$CASE_DIR/stdout" \
        2>"$CASE_DIR/stderr" <<'EOF'
import hashlib, os, signal, socket, struct, subprocess, sys, threading, time
proxy, pport, rport, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
RTT = 0.040
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
srv.settimeout(10)
dead = socket.socket()  # bound, never listening: a connect to it is refused
dead.bind(("127.0.0.1", 0))

def serve():
    c, _ = srv.accept()  # 1: read all, answer the digest
    h = hashlib.sha256()
    while (d := c.recv(65536)):
        h.update(d)
    c.sendall(h.hexdigest().encode()); c.close()
    c, _ = srv.accept()  # 2: speak first, half-close, then read what comes until FIN
    c.sendall(b"hello"); c.shutdown(socket.SHUT_WR)
    heard.append(read_all(c)); c.close()
    second_done.set()
    c, _ = srv.accept()  # 3: bytes, then a reset
    c.sendall(b"bye")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()

def start(port, target, name):
    pidf = os.path.join(work, name + ".pid")
    p = subprocess.Popen([proxy, "-l", "127.0.0.2:%d" % port, "-t", "127.0.0.1:%d" % target,
                          "--rtt", "40", "--window", "64", "--pidfile", pidf])
    for _ in range(50):
        if os.path.exists(pidf):
            return p, pidf
        time.sleep(0.1)
    sys.exit("proxy %s did not write its pid file" % name)

def client(port):
    c = socket.create_connection(("127.0.0.2", port), timeout=10)
    return c, time.monotonic()

def read_all(c):
    out = b""
    while (d := c.recv(65536)):
        out += d
    return out

heard, second_done = [], threading.Event()
threading.Thread(target=serve, daemon=True).start()
p1, pid1 = start(pport, srv.getsockname()[1], "dp")
p2, pid2 = start(rport, dead.getsockname()[1], "dp-refused")
try:
    data = os.urandom(1 << 20)
    c, t0 = client(pport)
    c.sendall(data); c.shutdown(socket.SHUT_WR)
    got, dt = read_all(c).decode(), time.monotonic() - t0
    assert got == hashlib.sha256(data).hexdigest(), "1 MB arrived altered or out of order"
    assert dt >= 2 * RTT, "answer after %.3f s, want >= 2 RTT" % dt
    c, t0 = client(pport)
    assert read_all(c) == b"hello", "no hello then FIN"
    c.sendall(b"abc"); c.shutdown(socket.SHUT_WR)
    assert second_done.wait(5) and heard == [b"abc"], "after the server's FIN it heard %r" % heard
    c, t0 = client(pport)
    got = c.recv(100)
    assert got == b"bye", "got %r before the reset, want b'bye'" % got
    try:
        more = c.recv(100)
        sys.exit("after bye: %r, want a reset" % more)
    except ConnectionResetError:
        pass
    c, t0 = client(rport)
    try:
        more = c.recv(100)
        sys.exit("refused target: read %r, want a reset" % more)
    except ConnectionResetError:
        dt = time.monotonic() - t0
    assert dt >= RTT * 0.95, "refused target: reset after %.3f s, want >= 1 RTT" % dt
finally:
    for p in (p1, p2):
        p.send_signal(signal.SIGTERM)
for p, pidf in ((p1, pid1), (p2, pid2)):
    rc = p.wait(timeout=5)
    assert rc == 0, "exit status %r after SIGTERM, want 0" % rc
    assert not os.path.exists(pidf), "pid file left behind"
print("ok")
EOF
    RC=$?
    if [[ $RC == 0 ]]; then
        pass
    else
        fail "$CASE" "$(tail -n 1 "$CASE_DIR/stderr")"
    fi
}

t_fetch_rtt50
t_delay_real
t_hold_2000
t_proxy_closes
latency_stop >/dev/null 2>&1
