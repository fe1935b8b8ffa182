#!/usr/bin/env bash
# Build musl, the C library of the static builds, from Debian bookworm's `musl` source package
# with a cross compiler: Debian packages musl-gcc for the machine's own architecture only
# (musl-tools), not for others. The result is a static libc with its headers and start files, and
# the same musl-gcc wrapper musl-tools installs, which points the cross gcc at them.
#
#   tools/musl.sh TRIPLET PREFIX   e.g. tools/musl.sh aarch64-linux-gnu build/static/aarch64/musl:
#                                  PREFIX/bin/musl-gcc, lib/libc.a, include/ (VERSION, BUILD_KEY)
#
# Bookworm's 1.2.3 is the version of the machine's musl-tools, so the x86-64 build and the cross
# builds link one musl. The source comes through tools/debsrc.sh (apt's own tools, a private apt
# state under build/apt/bookworm, every file checked against the .dsc) and is kept in
# build/musl-src/. About a minute per target on two cores; nothing when PREFIX already holds it.
#
# Environment: MUSL_SUITE (default bookworm), V=1 shows the build's output.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

SUITE=${MUSL_SUITE:-bookworm}
SRC=build/musl-src

die() {
    echo "musl: $*" >&2
    exit 1
}

# build_key TRIPLET
build_key() {
    {
        cat "$ROOT/tools/musl.sh"
        echo "$1"
        "$1-gcc" --version 2>/dev/null | head -n 1
    } | sha256sum | cut -c1-16
}

# build DSC TRIPLET PREFIX KEY
build() {
    local dsc=$1 triplet=$2 prefix=$3 key=$4 version tree=$3.tree log=$3.log abs
    version=$(awk '/^Version:/ {print $2; exit}' "$dsc")
    echo "musl: building musl $version with $triplet-gcc" >&2
    rm -rf "$tree" "$prefix.new"
    dpkg-source -q --no-copy -x "$dsc" "$tree" >"$log" 2>&1 ||
        die "dpkg-source -x failed: $(tail -n 3 "$log")"
    # The wrapper and its specs name the prefix by its absolute path.
    abs=$ROOT/$prefix.new
    # musl's own optimisation defaults (-Os, -O2 for malloc, string functions and its internals),
    # as Debian builds musl-tools; static only.
    if ! (cd "$tree" && ./configure --target="$triplet" CROSS_COMPILE="$triplet-" \
        --prefix="$abs" --disable-shared --enable-wrapper=gcc &&
        make -j"$(nproc)" && make install) >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "the build failed (log: $log)"
    fi
    [[ ${V:-0} == 1 ]] && cat "$log" >&2
    # Moved into place, the wrapper must name its final home.
    sed -i "s|$abs|$ROOT/$prefix|g" "$abs/bin/musl-gcc" "$abs/lib/musl-gcc.specs"
    echo "$version" >"$abs/VERSION"
    echo "$key" >"$abs/BUILD_KEY"
    rm -rf "$prefix" "$tree" "$log"
    mv "$abs" "$prefix"
    echo "musl: $version installed in $prefix" >&2
}

main() {
    (($# == 2)) || die "usage: tools/musl.sh TRIPLET PREFIX"
    local triplet=$1 prefix=$2 key dsc
    command -v "$triplet-gcc" >/dev/null || die "no $triplet-gcc (make deps-cross)"
    key=$(build_key "$triplet")
    if [[ -f $prefix/BUILD_KEY && $(cat "$prefix/BUILD_KEY") == "$key" &&
        -x $prefix/bin/musl-gcc ]]; then
        return 0
    fi
    mkdir -p "$SRC" "$(dirname "$prefix")"
    dsc=$(echo "$SRC"/dl/musl_*.dsc)
    if [[ -f $dsc ]]; then
        tools/debsrc.sh verify "$dsc" # a kept download is checked again before each build
    else
        dsc=$(tools/debsrc.sh fetch "$SUITE" musl "$SRC") || exit 1
    fi
    build "$dsc" "$triplet" "$prefix" "$key"
}

main "$@"
