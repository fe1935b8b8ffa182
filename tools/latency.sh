#!/usr/bin/env bash
# The latency world: delay proxies (tools/delayproxy.c) in front of a running world's nginx.
#
#   tools/latency.sh start DIR RTT_MS [ADDR]   one proxy for the world's HTTPS port and one for
#                                              its HTTP port, each adding RTT_MS, listening on
#                                              ADDR (default 127.0.0.2) at the same port numbers
#   tools/latency.sh stop DIR                  stop them, by the pids in DIR's pid files
#
# DIR is a world started by tools/world.sh (its world.env names the ports; world.sh stop also
# stops these proxies). A client goes through them by resolving the world's names to ADDR:
#   volley --resolve api.volley.test:$HTTPS_PORT:127.0.0.2 --resolve img.volley.test:$HTTPS_PORT:127.0.0.2 ...
# Names, ports and certificates stay the world's, so the index's URLs work unchanged; and since
# nginx listens on 127.0.0.1 only, the same port numbers on ADDR are free.
#
# Environment: DELAYPROXY (default build/default/delayproxy; `make tools` builds it),
# DELAYPROXY_ARGS (more options for both proxies, e.g. "--rate-kbps 10000"). Every wait is
# bounded; a proxy that does not listen within 5 s is stopped and its log shown.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DELAYPROXY=${DELAYPROXY:-$ROOT/build/default/delayproxy}

die() {
    echo "latency: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start DIR RTT_MS [ADDR] | stop DIR" >&2
    exit 2
}

alive() {
    kill -0 "$1" 2>/dev/null && [[ $(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' \
        "/proc/$1/stat" 2>/dev/null) != [ZX] ]]
}

# The pid in PIDFILE if that process is alive and is a delayproxy of DIR (a stale pid file may
# name a pid the kernel has given to an unrelated process since).
our_pid() {
    local pid cmd
    [[ -f $1 ]] || return 1
    pid=$(tr -dc '0-9' <"$1")
    [[ -n $pid ]] && alive "$pid" || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *delayproxy* && $cmd == *"$DIR/"* ]] || return 1
    echo "$pid"
}

# TERM, then KILL after 5 s.
stop_one() {
    local pidfile=$1 pid i
    if pid=$(our_pid "$pidfile"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$pidfile"
}

stop_all() {
    stop_one "$DIR/delayproxy-https.pid"
    stop_one "$DIR/delayproxy-http.pid"
}

# start_one NAME PORT: a proxy ADDR:PORT -> 127.0.0.1:PORT; wait for its pid file (written once
# it listens), 5 s at most.
start_one() {
    local port=$2 pidfile=$DIR/delayproxy-$1.pid log=$DIR/delayproxy-$1.log pid i
    # shellcheck disable=SC2086 # DELAYPROXY_ARGS is a list of options
    "$DELAYPROXY" --listen "$ADDR:$port" --target "127.0.0.1:$port" --rtt "$RTT" \
        --pidfile "$pidfile" ${DELAYPROXY_ARGS:-} </dev/null >"$log" 2>&1 &
    pid=$!
    for ((i = 0; i < 50; i++)); do
        [[ -f $pidfile ]] && return 0
        alive "$pid" || break
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    tail -n 3 "$log" >&2
    return 1
}

main() {
    local cmd=${1:-}
    [[ $cmd == start && ($# == 3 || $# == 4) || $cmd == stop && $# == 2 ]] || usage
    [[ -d $2 ]] || {
        [[ $cmd == stop ]] && return 0
        die "no world directory $2"
    }
    DIR=$(cd "$2" && pwd)
    stop_all
    [[ $cmd == stop ]] && return 0
    RTT=$3
    ADDR=${4:-127.0.0.2}
    [[ -x $DELAYPROXY ]] || die "no $DELAYPROXY; run make tools"
    [[ -f $DIR/world.env ]] || die "no world in $DIR (tools/world.sh start $DIR)"
    # shellcheck source=/dev/null
    . "$DIR/world.env"
    if ! start_one https "$HTTPS_PORT" || ! start_one http "$HTTP_PORT"; then
        stop_all
        die "a delay proxy did not start on $ADDR (logs: $DIR/delayproxy-*.log)"
    fi
}

main "$@"
