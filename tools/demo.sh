#!/usr/bin/env bash
# make demo: volley's main job (the index, then its 5,000 photos) against a local world.
#
#   tools/demo.sh [EXTRA VOLLEY OPTIONS...]     e.g. tools/demo.sh --json
#
# The world lives in build/demo-world (DEMO_WORLD to move it) on WORLD_PORT_BASE (default 18500,
# so a demo can run beside the integration tests' world on 18400) and is stopped on exit. The
# exit status is volley's; 2 if the world did not start.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${DEMO_WORLD:-$ROOT/build/demo-world}
VOLLEY=${VOLLEY:-$ROOT/volley}
export WORLD_PORT_BASE=${WORLD_PORT_BASE:-18500}

if [[ ! -x $VOLLEY ]]; then
    echo "demo: no $VOLLEY; run make first" >&2
    exit 2
fi

trap '"$ROOT/tools/world.sh" stop "$DIR"' EXIT
trap 'exit 130' INT TERM
"$ROOT/tools/world.sh" start "$DIR" || exit 2
# shellcheck source=/dev/null
. "$DIR/world.env"

cmd=("$VOLLEY" -t 2 -k 16 --cacert "$CA" --dns-server "$DNS_SERVER" "$@" "$INDEX_URL")
echo "demo: ${cmd[*]}" >&2
"${cmd[@]}"
