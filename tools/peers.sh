# tools/peers.sh: sourced by bench.sh and stress.sh. The caller defines die (print and exit 2),
# missing_peers (print the Debian packages of the peer tools that are missing), cleanup (its
# EXIT handler, which stops the world), TAG (its name in messages), ROOT and DIR (the world).
# shellcheck shell=bash

# Install the missing peer tools with apt-get (as root), or stop naming them: never skip one.
ensure_peers() {
    local missing
    missing=$(missing_peers | xargs)
    [[ -z $missing ]] && return 0
    [[ $(id -u) == 0 ]] || die "missing: $missing; install them (as root: apt-get install $missing)"
    echo "$TAG: installing: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! apt-get update -qq || ! apt-get install -y -qq --no-install-recommends $missing >&2; then
        die "apt-get could not install: $missing"
    fi
    missing=$(missing_peers | xargs)
    [[ -z $missing ]] || die "still missing after apt-get: $missing"
}

# Start the local world in DIR (stopped by cleanup on exit) and load its world.env.
start_world() {
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    "$ROOT/tools/world.sh" start "$DIR" || die "the world did not start"
    # shellcheck source=/dev/null
    . "$DIR/world.env"
}
