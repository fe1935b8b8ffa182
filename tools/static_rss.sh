#!/usr/bin/env bash
# Size and peak memory of every volley binary that is built: ./volley (glibc, dynamic), and the
# static musl builds ./volley-static, ./volley-static-aarch64 and ./volley-static-armhf (the last
# two under qemu-user), on the demo job (-t 2 -k 16) and on -t 1 -k 4, against a local world.
# The figures of README's "Static binaries" table come from this.
#
#   tools/static_rss.sh [RUNS]     RUNS runs of each, medians (default 5)
#
# Peak RSS is the kernel's (tools/peakrss.py: wait4's ru_maxrss); under qemu that is the whole
# qemu process, so the guest's own pages are given beside it, sampled (see tools/peakrss.py).
# The world lives in build/rss-world on WORLD_PORT_BASE (default 18600) and is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${1:-5}
DIR=build/rss-world
export WORLD_PORT_BASE=${WORLD_PORT_BASE:-18600}

trap 'tools/world.sh stop "$DIR" >/dev/null' EXIT
tools/world.sh start "$DIR" >/dev/null
# shellcheck source=/dev/null
. "$DIR/world.env"

printf '%-28s %10s  %-44s %s\n' binary "stripped" "demo job (-t 2 -k 16)" "-t 1 -k 4"
row() {
    local name=$1 file=$2 guest=()
    shift 2
    [[ -x $file ]] || return 0
    [[ $1 == qemu-* ]] && guest=(--guest)
    local a b
    a=$(tools/peakrss.py "${guest[@]}" --runs "$RUNS" -- "$@" -t 2 -k 16 --cacert "$CA" \
        --dns-server "$DNS_SERVER" "$INDEX_URL" | sed 's/  (.*//')
    b=$(tools/peakrss.py "${guest[@]}" --runs "$RUNS" -- "$@" -t 1 -k 4 --cacert "$CA" \
        --dns-server "$DNS_SERVER" "$INDEX_URL" | sed 's/  (.*//')
    # Stripped bytes (./volley is built with -g; the static ones are stripped already).
    strip --strip-all -o "$DIR/stripped" "$file" 2>/dev/null || cp "$file" "$DIR/stripped"
    printf '%-28s %10s  %-44s %s\n' "$name" "$(stat -c %s "$DIR/stripped")" "$a" "$b"
}
row "x86-64 glibc, dynamic" volley ./volley
row "x86-64 musl, static" volley-static ./volley-static
row "aarch64 musl, qemu-aarch64" volley-static-aarch64 qemu-aarch64 ./volley-static-aarch64
row "armhf musl, qemu-arm" volley-static-armhf qemu-arm ./volley-static-armhf
