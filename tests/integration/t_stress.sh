#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# Stress modes: --hold (plain, idle, ping), churn with --requests-per-conn 1, --dns-only, one
# DNS lookup per host, --rate, the open-files clamp and --strict, and a server that runs out of
# connections. Each case is small and bounded; the JSON counts must agree with each other and,
# where one can look from outside (the kernel's socket list, dnsmasq's query log), with what happened.
. "$(dirname "$0")/lib.sh"

# A label no other run has used, for names whose queries are counted in dnsmasq's log.
TAG=s$$r$RANDOM

# A sanitizer build keeps shadow memory and redzones per allocation: its memory per connection
# says nothing about volley's, so its bound is ten times looser.
RSS_PER_CONN_MAX=100
grep -aqE '__(a|t|m)san_init' "$VOLLEY" && RSS_PER_CONN_MAX=1000

# tcp_established_to PORT: the TCP connections to 127.0.0.1:PORT this machine has established
# (client side: the remote port is PORT). ss asks the kernel over netlink; /proc/net/tcp, the
# fallback, is read in pieces and may list a socket twice while other sockets come and go.
tcp_established_to() {
    if command -v ss >/dev/null; then
        ss -Htn state established "( dport = :$1 )" | wc -l
        return
    fi
    awk -v p="$(printf '%04X' "$1")" \
        'NR > 1 && $4 == "01" && substr($3, index($3, ":") + 1) == p { n++ } END { print n + 0 }' \
        /proc/net/tcp
}

# a_queries PATTERN: dnsmasq's logged A queries for names matching PATTERN (an ERE).
a_queries() {
    grep -Ec "query\[A\] $1 from" "$DNS_LOG" || true
}

# wait_a_queries PATTERN WANT: poll dnsmasq's log (written asynchronously) for up to 2 s until it
# holds WANT A queries for PATTERN; print the count seen last.
wait_a_queries() {
    local i n
    for ((i = 0; i < 20; i++)); do
        n=$(a_queries "$1")
        ((n >= $2)) && break
        sleep 0.1
    done
    sleep 0.2 # and a moment more, so that extra queries would show
    a_queries "$1"
}

# --- hold --------------------------------------------------------------------------------------

# hold_case NAME T K: -t T -k K --hold 2; all T x K connections up and held at once.
hold_case() {
    begin "$1"
    local t=$2 k=$3 n=$(($2 * $3))
    # Sample the connections volley holds from outside, in the middle of the 2 s hold.
    (
        sleep 1.2
        tcp_established_to "$HTTPS_PORT" >"$CASE_DIR/sampled"
    ) &
    local sampler=$!
    run_volley -t "$t" -k "$k" --hold 2 "${WORLD_ARGS[@]}" --json -i "$URLS_FILE"
    wait "$sampler"
    local sampled
    sampled=$(cat "$CASE_DIR/sampled")
    assert_exit 0 && json_check "N = $n; RSS_PER_CONN_MAX = $RSS_PER_CONN_MAX"'
c = get("conns")
assert get("urls") == N and get("ok") == N and get("failed") == 0, \
    "urls/ok/failed %r/%r/%r, want %d/%d/0" % (get("urls"), get("ok"), get("failed"), N, N)
assert c["attempted"] == N, "conns.attempted %r, want %d" % (c["attempted"], N)
assert c["established"] + c["failed"] == c["attempted"], "established %r + failed %r != attempted %r" % (
    c["established"], c["failed"], c["attempted"])
assert c["established"] == N and c["failed"] == 0, "conns %r" % c
assert c["peak"] == c["established"], "peak %r != established %r" % (c["peak"], c["established"])
assert c["server_closed_during_hold"] == 0, "server_closed_during_hold %r" % c["server_closed_during_hold"]
assert c["failed_by_reason"] == {}, "failed_by_reason %r" % c["failed_by_reason"]
assert 0 < get("rss_per_conn_kb") < RSS_PER_CONN_MAX, "rss_per_conn_kb %r, want 0 < x < %d" % (
    get("rss_per_conn_kb"), RSS_PER_CONN_MAX)
assert get("rss_kb") > get("rss_base_kb") > 0, "rss_kb %r rss_base_kb %r" % (get("rss_kb"), get("rss_base_kb"))
assert all(v == 0 for v in get("client_limits").values()), "client_limits %r" % get("client_limits")
assert get("tls", "full") + get("tls", "resumed") == N, "tls %r" % get("tls")
assert 2.0 <= get("wall_s") < 10, "wall_s %r for --hold 2" % get("wall_s")
' && {
        ((sampled == n)) ||
            fail "$CASE" "the kernel listed $sampled connections to :$HTTPS_PORT 1.2 s into the hold, want $n"
    } && pass
}

t_hold() {
    hold_case stress_hold 2 50
}

# More threads than CPUs: threads start unevenly, so one that is ahead must still take no more
# URLs than it has connections (or it would close held ones to make room).
t_hold_threads() {
    hold_case stress_hold_8_threads 8 10
}

t_hold_idle() {
    begin stress_hold_idle
    run_volley -t 2 -k 20 --hold 1 --hold-idle "${WORLD_ARGS[@]}" --json -i "$URLS_FILE"
    assert_exit 0 && json_check '
c = get("conns")
assert c["attempted"] == 40 and c["established"] == 40 and c["failed"] == 0, "conns %r" % c
assert c["peak"] == 40, "peak %r" % c["peak"]
assert get("tls", "full") + get("tls", "resumed") == 40, "tls %r: handshakes must complete" % get("tls")
assert get("bytes") == 0, "bytes %r: --hold-idle sends no request" % get("bytes")
assert get("pings") == {"ok": 0, "failed": 0}, "pings %r" % get("pings")
assert 1.0 <= get("wall_s") < 10, "wall_s %r for --hold 1" % get("wall_s")
' && pass
}

t_hold_ping() {
    begin stress_hold_ping
    run_volley -t 2 -k 10 --hold 2 --hold-ping 0.5 "${WORLD_ARGS[@]}" --json -i "$URLS_FILE"
    # 20 connections, a request every 0.5 s for 2 s: 3 or 4 pings each.
    assert_exit 0 && json_check '
c = get("conns")
assert c["attempted"] == 20 and c["established"] == 20 and c["failed"] == 0, "conns %r" % c
p = get("pings")
assert p["failed"] == 0, "pings %r" % p
assert 20 * 3 <= p["ok"] <= 20 * 4, "pings.ok %r, want 60..80 (20 conns, every 0.5 s for 2 s)" % p["ok"]
assert c["server_closed_during_hold"] == 0, "server_closed_during_hold %r" % c["server_closed_during_hold"]
' && pass
}

# --- churn -------------------------------------------------------------------------------------

t_churn() {
    begin stress_churn
    fixture_subset "$CASE_DIR/want" 300
    url_list "$IMG_BASE" 300 >"$CASE_DIR/urls"
    run_volley -t 2 -k 8 --requests-per-conn 1 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" && json_check '
assert get("ok") == 300 and get("failed") == 0, "ok %r failed %r" % (get("ok"), get("failed"))
c = get("conns")
assert c["opened"] == get("ok"), "conns.opened %r != ok %r: one connection per request" % (c["opened"], get("ok"))
assert c["reused_requests"] == 0, "reused_requests %r" % c["reused_requests"]
t = get("tls")
assert t["full"] + t["resumed"] == c["opened"], "tls %r != opened %r" % (t, c["opened"])
assert t["resumed"] > 0, "tls %r: no session was resumed" % t
assert c["peak"] <= 16, "peak %r > -t 2 x -k 8" % c["peak"]
' && pass
}

# --- DNS ---------------------------------------------------------------------------------------

t_dns_only() {
    begin stress_dns_only
    local i
    for ((i = 1; i <= 500; i++)); do
        echo "n$i.$TAG.volley.test"
    done >"$CASE_DIR/names"
    # dnsmasq answers NXDOMAIN for *.invalid (--local=/invalid/).
    for ((i = 1; i <= 20; i++)); do
        echo "x$i.$TAG.invalid"
    done >>"$CASE_DIR/names"
    run_volley -t 2 -k 32 --dns-only --dns-server "$DNS_SERVER" --json -i "$CASE_DIR/names"
    local a aaaa
    a=$(wait_a_queries "[nx][0-9]+\.$TAG\.(volley\.test|invalid)" 520)
    aaaa=$(grep -Ec "query\[AAAA\] [nx][0-9]+\.$TAG\." "$DNS_LOG" || true)
    assert_exit 0 && json_check '
d = get("dns")
assert d["lookups"] == 520, "dns.lookups %r, want 520" % d["lookups"]
assert sum(d["rcodes"].values()) == d["answered"], "rcodes %r do not add up to answered %r" % (
    d["rcodes"], d["answered"])
assert d["answered"] + d["timeouts"] == d["lookups"], "answered %r + timeouts %r != lookups %r" % (
    d["answered"], d["timeouts"], d["lookups"])
assert d["timeouts"] == 0 and d["retries"] == 0, "timeouts %r retries %r on dnsmasq" % (d["timeouts"], d["retries"])
assert d["rcodes"] == {"NOERROR": 500, "NXDOMAIN": 20}, "rcodes %r" % d["rcodes"]
assert d["queries"] == 520, "dns.queries %r, want 520 (one A query each)" % d["queries"]
assert d["qps"] > 0, "qps %r" % d["qps"]
l = d["latency_ms"]
assert 0 <= l["p50"] <= l["p90"] <= l["p99"] <= l["p99.9"] <= l["max"], "latency_ms %r" % l
assert get("conns", "opened") == 0, "conns.opened %r: --dns-only connects nowhere" % get("conns", "opened")
' && {
        [[ $a == 520 && $aaaa == 0 ]] ||
            fail "$CASE" "dnsmasq logged $a A and $aaaa AAAA queries for the 520 names, want 520 and 0"
    } && pass
}

t_fetch_dns_per_host() {
    begin stress_fetch_one_lookup_per_host
    # 40 URLs on 40 distinct host names, all served by the plain HTTP port.
    local name i=0
    for name in $(photo_names 40); do
        i=$((i + 1))
        printf 'http://h%03d.%s.volley.test:%s/150/%s\n' "$i" "$TAG" "$HTTP_PORT" "$name"
    done >"$CASE_DIR/urls"
    run_volley -t 2 -k 8 --dns-server "$DNS_SERVER" --json -i "$CASE_DIR/urls" -o "$OUT"
    local a distinct
    a=$(wait_a_queries "h[0-9]{3}\.$TAG\.volley\.test" 40)
    distinct=$(grep -Eo "query\[A\] h[0-9]{3}\.$TAG\.volley\.test " "$DNS_LOG" | sort -u | wc -l)
    assert_exit 0 && assert_file_count "$OUT" 40 && json_check '
assert get("ok") == 40 and get("failed") == 0, "ok %r failed %r" % (get("ok"), get("failed"))
assert get("dns", "lookups") == 40, "dns.lookups %r, want 40 (one per host)" % get("dns", "lookups")
' && {
        [[ $a == 40 && $distinct == 40 ]] ||
            fail "$CASE" "dnsmasq logged $a A queries for $distinct of the 40 host names, want 40 for 40"
    } && pass
}

# --- fixed rate --------------------------------------------------------------------------------

t_rate() {
    begin stress_rate_500
    run_volley -t 2 -k 16 --rate 500 --duration 2 "${WORLD_ARGS[@]}" --json -i "$URLS_FILE"
    assert_exit 0 && json_check '
r = get("rate")
assert r["target"] == 500, "rate.target %r" % r["target"]
assert abs(r["achieved"] - 500) <= 50, "rate.achieved %r, want within 10%% of 500" % r["achieved"]
assert get("failed") == 0, "failed %r" % get("failed")
assert 900 <= get("ok") <= 1100, "ok %r, want about 1000 (500/s for 2 s)" % get("ok")
assert 2.0 <= get("wall_s") < 4, "wall_s %r for --duration 2" % get("wall_s")
l = get("latency_ms")
assert 0 <= l["p50"] <= l["p99"] <= l["max"], "latency_ms %r" % l
' && pass
}

# --- open files --------------------------------------------------------------------------------

# nofile_run ARGS...: run_volley under ulimit -n 256 (soft and hard). The limit needs a subshell,
# so RC is read back from the file run_volley writes, and a TERM is passed on by hand.
nofile_run() {
    (
        trap '[[ -n $VOLLEY_PID ]] && kill -TERM "$VOLLEY_PID" 2>/dev/null; exit 143' TERM
        ulimit -n 256 || exit 1
        run_volley "$@"
    ) &
    VOLLEY_PID=$!
    wait "$VOLLEY_PID"
    VOLLEY_PID=""
    RC=$(cat "$CASE_DIR/rc" 2>/dev/null || echo "none")
}

t_nofile_clamp() {
    begin stress_nofile_clamp
    url_list "$IMG_BASE" 1000 >"$CASE_DIR/urls"
    nofile_run -t 2 -k 500 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls"
    assert_exit 0 && assert_stderr_has "needs about" && assert_stderr_has "the limit is 256" &&
        assert_stderr_has "lowering -k to fit" && json_check '
assert get("ok") == 1000 and get("failed") == 0, "ok %r failed %r" % (get("ok"), get("failed"))
k = get("conns_per_thread")
assert 1 <= k < 500 and 2 * k < 256, "conns_per_thread %r under ulimit -n 256" % k
assert all(v == 0 for v in get("client_limits").values()), "client_limits %r" % get("client_limits")
' && {
        n=$(grep -c "needs about" "$CASE_DIR/stderr")
        [[ $n == 1 ]] || fail "$CASE" "the clamp message appears $n times, want once"
    } && pass
}

t_nofile_strict() {
    begin stress_nofile_strict
    url_list "$IMG_BASE" 1000 >"$CASE_DIR/urls"
    nofile_run --strict -t 2 -k 500 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 2 && assert_stderr_has "needs about" && assert_stdout_empty && assert_no_files && pass
}

# --- a server short of connections -------------------------------------------------------------

# Servers this file starts are its own children, stopped by pid: TERM, then KILL after 5 s.
LOW_NGINX_PID=""
FAULT_PID=""

stop_low_nginx() {
    stop_pid "$LOW_NGINX_PID"
    LOW_NGINX_PID=""
}

stop_fault() {
    stop_pid "$FAULT_PID"
    FAULT_PID=""
}
trap 'verdict_missing; stop_low_nginx; stop_fault' EXIT

# start_low_nginx DIR PORT: an nginx (our child, in the foreground) with one worker and only 64
# worker_connections, serving the fixture over HTTPS on PORT; wait up to 5 s for it to listen.
start_low_nginx() {
    local d=$1 port=$2 user="" i
    [[ $(id -u) == 0 ]] && user="user root root;"
    mkdir -p "$d/tmp"
    cat >"$d/nginx.conf" <<EOF
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    keepalive_timeout 60s;
    ssl_certificate $WORLD_DIR/certs/server.pem;
    ssl_certificate_key $WORLD_DIR/certs/server.key;
    server {
        listen 127.0.0.1:$port ssl;
        server_name img.volley.test;
        root $FIXTURE;
    }
}
EOF
    "$(command -v nginx || echo /usr/sbin/nginx)" -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" \
        -g 'daemon off;' </dev/null >"$d/nginx.out" 2>&1 &
    LOW_NGINX_PID=$!
    for ((i = 0; i < 50; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$LOW_NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# low_server NAME CHECK: hold 200 connections against the 64-connection nginx; CHECK (Python, as
# for json_check) judges the JSON.
low_server() {
    begin "$1"
    local port
    port=$(free_port)
    if ! start_low_nginx "$CASE_DIR/nginx" "$port"; then
        fail "$CASE" "the 64-connection nginx did not start: $(tail -n 2 "$CASE_DIR/nginx/nginx.out" "$CASE_DIR/nginx/error.log" 2>/dev/null | tr '\n' ' ')"
        stop_low_nginx
        return
    fi
    url_list "https://img.volley.test:$port" 200 >"$CASE_DIR/urls"
    run_volley -t 2 -k 100 --hold 2 "${WORLD_ARGS[@]}" --json -q -i "$CASE_DIR/urls"
    stop_low_nginx
    # nginx out of worker_connections either refuses new connections (volley: exit 1, failures)
    # or closes idle held ones to make room (exit 0, server_closed_during_hold): both are the
    # server's shortage, and which one happens depends on timing.
    { [[ $RC == 0 ]] || assert_exit 1; } && json_check "$2" && pass
}

# The server's shortage shows as server-side failures, never as client limits.
t_low_server_failures() {
    low_server stress_low_server_failures '
c = get("conns")
f = failures()
assert (get("failed") > 0 and c["established"] < 200) or c["server_closed_during_hold"] > 0, \
    "ok %r failed %r conns %r: want failures or server-side closes" % (get("ok"), get("failed"), c)
server = lambda t: t in ("conn_reset", "conn_closed") or t.startswith("tls")
assert all(server(t) for t in f), "failures %r, want only conn_reset/conn_closed/tls_*" % f
assert all(v == 0 for v in get("client_limits").values()), "client_limits %r" % get("client_limits")
'
}

# The connection counts account for the same failures, by reason.
t_low_server_conn_accounting() {
    low_server stress_low_server_conn_accounting '
c = get("conns")
r = c["failed_by_reason"]
assert c["failed"] > 0 or c["server_closed_during_hold"] > 0, "conns %r: no sign of the shortage" % c
assert sum(r.values()) == c["failed"], "conns.failed_by_reason %r does not add up to conns.failed %r" % (
    r, c["failed"])
'
}

# --- a connection reset after the handshake -----------------------------------------------------

# The first request for each /flakyreset/KEY/1 gets a TCP RST before any response byte: every
# connection is established (TLS done), then fails. The connection counts must not count it
# twice: established + failed == attempted.
t_hold_reset_after_handshake() {
    begin stress_hold_reset_after_handshake
    local port i
    port=$(free_port)
    python3 "$(dirname "$0")/../../tools/faultserver.py" --https-port "$port" \
        --cert "$WORLD_DIR/certs/server.pem" --key "$WORLD_DIR/certs/server.key" \
        --pidfile "$CASE_DIR/fault.pid" </dev/null >"$CASE_DIR/fault.out" 2>&1 &
    FAULT_PID=$!
    for ((i = 0; i < 50; i++)); do
        [[ -s $CASE_DIR/fault.pid ]] && break
        sleep 0.1
    done
    if [[ ! -s $CASE_DIR/fault.pid ]]; then
        fail "$CASE" "faultserver.py did not start: $(tail -n 2 "$CASE_DIR/fault.out" | tr '\n' ' ')"
        stop_fault
        return
    fi
    for ((i = 1; i <= 20; i++)); do
        echo "https://img.volley.test:$port/flakyreset/$TAG-$i/1"
    done >"$CASE_DIR/urls"
    run_volley -t 1 -k 20 --hold 1 --retries 0 "${WORLD_ARGS[@]}" --json -q -i "$CASE_DIR/urls"
    stop_fault
    assert_exit 1 && json_check '
c = get("conns")
assert get("failed") == 20 and failures() == {"conn_reset": 20}, "failed %r failures %r" % (
    get("failed"), failures())
assert get("tls", "full") + get("tls", "resumed") == 20, "tls %r: all 20 handshakes complete" % get("tls")
assert c["attempted"] == 20 and c["established"] == 20, "conns %r" % c
assert c["established"] + c["failed"] == c["attempted"], "established %r + failed %r != attempted %r" % (
    c["established"], c["failed"], c["attempted"])
' && pass
}

t_hold
t_hold_threads
t_hold_idle
t_hold_ping
t_churn
t_dns_only
t_fetch_dns_per_host
t_rate
t_nofile_clamp
t_nofile_strict
t_low_server_failures
t_low_server_conn_accounting
t_hold_reset_after_handshake
