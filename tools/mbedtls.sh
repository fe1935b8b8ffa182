#!/usr/bin/env bash
# Build mbedTLS 3.6 LTS from Debian trixie's `mbedtls` source package with volley's configuration
# (third_party/mbedtls_config.h), into build/mbedtls/: include/ and lib/lib{mbedtls,mbedx509,
# mbedcrypto}.a, and VERSION (the exact Debian version built). `make deps` and the Makefile call it;
# tools/static.sh calls it again for each static build, with another compiler and prefix.
#
#   tools/mbedtls.sh            build unless the prefix holds a build of this configuration
#   tools/mbedtls.sh --update   ask the archive for the newest trixie mbedtls, rebuild if newer
#
# The source comes through apt's own tools with a private apt configuration (tools/debsrc.sh:
# build/apt/trixie/, its own sources list with one deb-src line, its own lists and cache), so the
# machine's apt sources and state are never touched. apt checks the archive's signed InRelease
# against Debian's archive keyring and each downloaded file against the Sources index;
# tools/debsrc.sh then checks every file against the .dsc's Checksums-Sha256 itself, and
# dpkg-source -x checks them once more as it unpacks and applies Debian's patches. The download
# is kept in build/mbedtls-src/, so a change to the configuration rebuilds without the network.
#
# Environment: V=1 prints the compiler lines; MBEDTLS_SUITE (default trixie); DEBSRC_MIRROR
# (default: the Debian archive the machine's apt sources name). For the static builds:
# MBEDTLS_CC (default cc), MBEDTLS_AR (default ar), MBEDTLS_PREFIX (default build/mbedtls),
# MBEDTLS_OPT (default "-O2 -g"), MBEDTLS_EXTRA_CONFIG (a header appended to the configuration,
# e.g. third_party/mbedtls_config_static.h; default none).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

CC=${MBEDTLS_CC:-cc}
AR=${MBEDTLS_AR:-ar}
SUITE=${MBEDTLS_SUITE:-trixie}
PREFIX=${MBEDTLS_PREFIX:-build/mbedtls}
EXTRA_CONFIG=${MBEDTLS_EXTRA_CONFIG:-}
SRC=build/mbedtls-src
CONFIG=third_party/mbedtls_config.h
SERIES=3.6 # volley is written against this LTS branch: another one is refused
# One section per function and per object so that `make static` can drop what volley never
# calls; -g for profilers (the static build strips).
MBEDTLS_CFLAGS="${MBEDTLS_OPT:--O2 -g} -ffunction-sections -fdata-sections"

die() {
    echo "mbedtls: $*" >&2
    exit 1
}

# What a build depends on besides the source: the configuration, this script, the compiler.
build_key() {
    {
        cat "$CONFIG" "$ROOT/tools/mbedtls.sh" ${EXTRA_CONFIG:+"$EXTRA_CONFIG"}
        echo "$CC $AR $MBEDTLS_CFLAGS"
        "$CC" --version 2>/dev/null | head -n 1
    } | sha256sum | cut -c1-16
}

dsc_version() {
    awk '/^Version:/ {print $2; exit}' "$1"
}

# build DSC KEY: unpack, configure, compile, install into $PREFIX (replaced whole at the end).
build() {
    local dsc=$1 key=$2 version tree=$PREFIX.tree log=$PREFIX.log
    version=$(dsc_version "$dsc")
    [[ $version == "$SERIES".* ]] || die "$SUITE has mbedtls $version, not $SERIES.x"
    echo "mbedtls: building $version with $CONFIG${EXTRA_CONFIG:+ and $EXTRA_CONFIG} ($CC)" >&2
    rm -rf "$tree"
    dpkg-source -q --no-copy -x "$dsc" "$tree" >"$log" 2>&1 ||
        die "dpkg-source -x failed: $(tail -n 3 "$log")"
    # A second configuration header, when given, follows the first: it can only #undef options
    # of the first or add its own, and check_config.h judges the result.
    cat "$CONFIG" ${EXTRA_CONFIG:+"$EXTRA_CONFIG"} >"$tree/include/mbedtls/mbedtls_config.h"
    local quiet=-s
    [[ ${V:-0} == 1 ]] && quiet=
    if ! make $quiet -C "$tree/library" -j"$(nproc)" CC="$CC" AR="$AR" CFLAGS="$MBEDTLS_CFLAGS" \
        static >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "the build failed (log: $log)"
    fi
    local out=$PREFIX.new
    rm -rf "$out"
    mkdir -p "$out/include" "$out/lib"
    cp -R "$tree/include/mbedtls" "$tree/include/psa" "$out/include/"
    cp "$tree"/library/libmbed{tls,x509,crypto}.a "$out/lib/"
    echo "$version" >"$out/VERSION"
    echo "$key" >"$out/BUILD_KEY"
    rm -rf "$PREFIX" "$tree" "$log"
    mv "$out" "$PREFIX"
    echo "mbedtls: $version installed in $PREFIX" >&2
}

main() {
    local update=0 key dsc
    case ${1:-} in
    "") ;;
    --update) update=1 ;;
    *) die "usage: tools/mbedtls.sh [--update]" ;;
    esac
    key=$(build_key)
    mkdir -p "$SRC" "$(dirname "$PREFIX")"
    dsc=$(echo "$SRC"/dl/mbedtls_*.dsc)
    if ((update == 0)) && [[ -f $PREFIX/BUILD_KEY && $(cat "$PREFIX/BUILD_KEY") == "$key" ]] &&
        [[ -f $PREFIX/lib/libmbedcrypto.a ]]; then
        return 0
    fi
    if ((update == 1)) || [[ ! -f $dsc ]]; then
        local old=${dsc##*/}
        dsc=$(tools/debsrc.sh fetch "$SUITE" mbedtls "$SRC") || exit 1
        if ((update == 1)) && [[ ${dsc##*/} == "$old" && -f $PREFIX/BUILD_KEY &&
            $(cat "$PREFIX/BUILD_KEY") == "$key" ]]; then
            echo "mbedtls: $(cat "$PREFIX/VERSION") is the newest in $SUITE" >&2
            return 0
        fi
    else
        tools/debsrc.sh verify "$dsc" # a kept download is checked again before each build
    fi
    build "$dsc" "$key"
}

main "$@"
