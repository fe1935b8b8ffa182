#!/usr/bin/env bash
# Run volley's integration tests against a local world (tools/world.sh) on loopback.
#
#   VOLLEY=/path/to/volley tests/integration/run.sh [GROUP...]
#
# GROUP picks test files by name (e.g. "tls" runs t_tls.sh); default all t_*.sh. Work files,
# including each case's stdout/stderr/cmd, are kept under tests/integration/work/ for inspection
# until the next run, which starts by removing everything there but the world's folder (its
# certificates and fixture are a cache; world.sh rebuilds what is stale and truncates its logs).
# Prints one line per case and ends with "integration: N passed, M failed"; exit status is 0 only
# if every case passed. WORLD_PORT_BASE moves the world's ports (default 18400).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$HERE/work
WORLD=$WORK/world
RESULTS=$WORK/results

if [[ -z ${VOLLEY:-} ]]; then
    echo "integration: set VOLLEY to the volley binary" >&2
    exit 2
fi
if ! VOLLEY=$(realpath "$VOLLEY" 2>/dev/null) || [[ ! -x $VOLLEY || ! -f $VOLLEY ]]; then
    echo "integration: VOLLEY is not an executable file: ${VOLLEY:-}" >&2
    exit 2
fi

files=()
if (($# == 0)); then
    files=("$HERE"/t_*.sh)
else
    for g in "$@"; do
        [[ -f $HERE/t_$g.sh ]] || {
            echo "integration: no $HERE/t_$g.sh" >&2
            exit 2
        }
        files+=("$HERE/t_$g.sh")
    done
fi

# Every run starts from a clean work area: nothing an earlier run (or an earlier, broken build)
# left there can pass or fail a case of this one. Only the world's cache persists.
mkdir -p "$WORK"
find "$WORK" -mindepth 1 -maxdepth 1 ! -name world -exec rm -rf {} +
: >"$RESULTS"

stop_world() {
    "$ROOT/tools/world.sh" stop "$WORLD" || true
}
# On INT/TERM stop the running test file (our child; it stops its volley), then the world.
child=""
on_signal() {
    [[ -n $child ]] && kill -TERM "$child" 2>/dev/null
    [[ -n $child ]] && wait "$child"
    exit 130
}
trap stop_world EXIT
trap on_signal INT TERM

if ! "$ROOT/tools/world.sh" start "$WORLD"; then
    echo "integration: 0 passed, 1 failed (the world did not start)"
    exit 1
fi

export VOLLEY WORK RESULTS
export WORLD_ENV=$WORLD/world.env
echo "integration: volley = $VOLLEY"

start=$SECONDS
for t in "${files[@]}"; do
    name=$(basename "$t")
    echo "--- $name"
    # Each file runs in its own shell with no stdin, and gets 10 minutes at most.
    timeout -k 5 600 bash "$t" </dev/null &
    child=$!
    wait "$child"
    rc=$?
    child=""
    if ((rc != 0)); then
        echo "FAIL $name: the script exited with status $rc"
        echo "FAIL $name: the script exited with status $rc" >>"$RESULTS"
    fi
done

passed=$(grep -c '^PASS ' "$RESULTS")
failed=$(grep -c '^FAIL ' "$RESULTS")
if ((failed > 0)); then
    echo "failed cases:"
    grep '^FAIL ' "$RESULTS" | sed 's/^FAIL /  /'
fi
echo "integration: took $((SECONDS - start)) s, work files in $WORK"
echo "integration: $passed passed, $failed failed"
((failed == 0 && passed > 0))
