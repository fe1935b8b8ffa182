#!/usr/bin/env bash
# Build c-ares from Debian bookworm's `c-ares` source package for a static volley: the library
# alone (no tools, no tests, no shared library), compiled for size with one section per function
# so that the link drops what volley never calls. tools/static.sh calls it once per target.
#
#   tools/cares.sh PREFIX     build into PREFIX (include/ and lib/libcares.a, VERSION,
#                             BUILD_KEY) unless it already holds this build
#
# Why bookworm's 1.18.1 and not trixie's 1.34: it is the version the dynamic ./volley links (the
# machine's libc-ares-dev), so every build of volley runs the c-ares that src/dns.c is written and
# tested against, with the fixes Debian backports to it; 1.34 is a rewrite (an event thread of
# its own, a new configuration reader) with about twice the code, none of which volley needs.
#
# The source comes through tools/debsrc.sh (apt's own tools, a private apt state under
# build/apt/bookworm, every file checked against the .dsc) and is kept in build/cares-src/.
#
# Environment: CARES_CC (default cc), CARES_AR (default ar), CARES_RANLIB (default ranlib),
# CARES_HOST (a GNU triplet when cross-compiling, e.g. aarch64-linux-gnu), CARES_SUITE (default
# bookworm), V=1 shows the build's output.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

CC=${CARES_CC:-cc}
AR=${CARES_AR:-ar}
RANLIB=${CARES_RANLIB:-ranlib}
HOST=${CARES_HOST:-}
SUITE=${CARES_SUITE:-bookworm}
SRC=build/cares-src
CFLAGS="-Os -ffunction-sections -fdata-sections"
# Headers of the library's API, and what configure generates for it (ares_build.h).
HEADERS=(ares.h ares_build.h ares_dns.h ares_nameser.h ares_rules.h ares_version.h)

die() {
    echo "cares: $*" >&2
    exit 1
}

build_key() {
    {
        cat "$ROOT/tools/cares.sh"
        echo "$CC $AR $RANLIB $HOST $CFLAGS"
        "$CC" --version 2>/dev/null | head -n 1
    } | sha256sum | cut -c1-16
}

# build DSC PREFIX KEY
build() {
    local dsc=$1 prefix=$2 key=$3 version tree=$2.tree log=$2.log
    version=$(awk '/^Version:/ {print $2; exit}' "$dsc")
    echo "cares: building c-ares $version ($CC${HOST:+, for $HOST})" >&2
    rm -rf "$tree"
    dpkg-source -q --no-copy -x "$dsc" "$tree" >"$log" 2>&1 ||
        die "dpkg-source -x failed: $(tail -n 3 "$log")"
    # configure keeps the -Os it finds in CFLAGS. Its test programs link statically, as volley
    # does: a dynamic link with a cross musl has no libc.so, and on ARM, libgcc's division by
    # zero calls raise() from libc, which only -static's --start-group ... --end-group resolves.
    local args=(--disable-shared --enable-static --disable-tests --disable-debug
        --disable-warnings --disable-werror)
    [[ -n $HOST ]] && args+=(--host="$HOST" --build="$("$tree/config.guess")")
    if ! (cd "$tree" && ./configure "${args[@]}" CC="$CC" AR="$AR" RANLIB="$RANLIB" \
        CFLAGS="$CFLAGS" LDFLAGS=-static) >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "configure failed (log: $log)"
    fi
    # src/lib alone: the library, not src/tools (adig, ahost) nor the tests.
    if ! make -C "$tree/src/lib" -j"$(nproc)" V=1 >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "the build failed (log: $log)"
    fi
    [[ ${V:-0} == 1 ]] && cat "$log" >&2
    local out=$prefix.new h
    rm -rf "$out"
    mkdir -p "$out/include" "$out/lib"
    for h in "${HEADERS[@]}"; do
        cp "$tree/include/$h" "$out/include/"
    done
    cp "$tree/src/lib/.libs/libcares.a" "$out/lib/"
    echo "$version" >"$out/VERSION"
    echo "$key" >"$out/BUILD_KEY"
    rm -rf "$prefix" "$tree" "$log"
    mv "$out" "$prefix"
    echo "cares: $version installed in $prefix" >&2
}

main() {
    (($# == 1)) || die "usage: tools/cares.sh PREFIX"
    local prefix=$1 key dsc
    key=$(build_key)
    if [[ -f $prefix/BUILD_KEY && $(cat "$prefix/BUILD_KEY") == "$key" &&
        -f $prefix/lib/libcares.a ]]; then
        return 0
    fi
    mkdir -p "$SRC" "$(dirname "$prefix")"
    dsc=$(echo "$SRC"/dl/c-ares_*.dsc)
    if [[ -f $dsc ]]; then
        tools/debsrc.sh verify "$dsc" # a kept download is checked again before each build
    else
        dsc=$(tools/debsrc.sh fetch "$SUITE" c-ares "$SRC") || exit 1
    fi
    build "$dsc" "$prefix" "$key"
}

main "$@"
