#!/usr/bin/env bash
# Build mbedTLS 3.6 LTS from Debian trixie's `mbedtls` source package with volley's configuration
# (third_party/mbedtls_config.h), into build/mbedtls/: include/ and lib/lib{mbedtls,mbedx509,
# mbedcrypto}.a, and VERSION (the exact Debian version built). `make deps` and the Makefile call it.
#
#   tools/mbedtls.sh            build unless build/mbedtls holds a build of this configuration
#   tools/mbedtls.sh --update   ask the archive for the newest trixie mbedtls, rebuild if newer
#
# The source comes through apt's own tools with a private apt configuration (build/apt/apt.conf:
# its own sources list with one deb-src line, its own lists and cache), so the machine's apt
# sources and state are never touched. apt checks the archive's signed InRelease against
# Debian's archive keyring and each downloaded file against the Sources index; this script then
# checks every file against the .dsc's Checksums-Sha256 itself, and dpkg-source -x checks them
# once more as it unpacks and applies Debian's patches. The download is kept in
# build/mbedtls-src/, so a change to the configuration rebuilds without the network.
#
# Environment: MBEDTLS_CC (default cc), V=1 prints the compiler lines, MBEDTLS_SUITE (default
# trixie), MBEDTLS_MIRROR (default: the Debian archive the machine's apt sources name).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

CC=${MBEDTLS_CC:-cc}
SUITE=${MBEDTLS_SUITE:-trixie}
PREFIX=build/mbedtls
SRC=build/mbedtls-src
APTDIR=$ROOT/build/apt
CONFIG=third_party/mbedtls_config.h
SERIES=3.6 # volley is written against this LTS branch: another one is refused
# One section per function and per object so that `make static` can drop what volley never
# calls; -g for profilers (the static build strips).
MBEDTLS_CFLAGS="-O2 -g -ffunction-sections -fdata-sections"

die() {
    echo "mbedtls: $*" >&2
    exit 1
}

# What a build depends on besides the source: the configuration, this script, the compiler.
build_key() {
    {
        cat "$CONFIG" "$ROOT/tools/mbedtls.sh"
        echo "$CC $MBEDTLS_CFLAGS"
        "$CC" --version 2>/dev/null | head -n 1
    } | sha256sum | cut -c1-16
}

# The Debian archive this machine's apt already uses (a local mirror, say), else Debian's own.
mirror() {
    local uri
    # shellcheck disable=SC2016 # $(REPO_URI) is apt's format, not the shell's
    uri=$(apt-get indextargets --format '$(REPO_URI)' "Origin: Debian" "Label: Debian" 2>/dev/null |
        head -n 1)
    echo "${MBEDTLS_MIRROR:-${uri:-http://deb.debian.org/debian/}}"
}

write_apt_conf() {
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
        "$(mirror) $SUITE main" >"$APTDIR/sources.list"
    cat >"$APTDIR/apt.conf" <<EOF
// Written by tools/mbedtls.sh: apt-get -c this file sees only volley's deb-src line and keeps
// its lists and cache here; the machine's own sources, lists and cache stay as they are.
Dir::Etc::sourcelist "$APTDIR/sources.list";
Dir::Etc::sourceparts "-";
Dir::State "$APTDIR";
Dir::State::Lists "$APTDIR/lists";
Dir::Cache "$APTDIR/cache";
// The machine's update hooks are about its own lists, not these.
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
EOF
}

# The .dsc's Checksums-Sha256 lines: "sha256 size name".
dsc_sums() {
    awk '/^Checksums-Sha256:/ {on = 1; next} /^[^ ]/ {on = 0} on && NF == 3' "$1"
}

# verify DIR DSC: every file the .dsc names is in DIR with its size and SHA-256.
verify() {
    local dir=$1 dsc=$2 sum size name n=0
    while read -r sum size name; do
        [[ -f $dir/$name ]] || die "$name (listed in $dsc) was not downloaded"
        [[ $(stat -c %s "$dir/$name") == "$size" ]] || die "$name: size differs from the .dsc"
        echo "$sum  $dir/$name" | sha256sum --quiet -c - || die "$name: SHA-256 differs from the .dsc"
        n=$((n + 1))
    done < <(dsc_sums "$dsc")
    ((n >= 2)) || die "$dsc lists no Checksums-Sha256 files"
}

# fetch: download the newest mbedtls source package of $SUITE into $SRC/dl; print its .dsc.
fetch() {
    command -v apt-get >/dev/null || die "no apt-get: this script needs Debian's apt"
    command -v dpkg-source >/dev/null || die "no dpkg-source: install dpkg-dev (make deps)"
    write_apt_conf
    echo "mbedtls: fetching the $SUITE source package (private apt state in $APTDIR)" >&2
    apt-get -c "$APTDIR/apt.conf" -qq update >"$SRC/apt.log" 2>&1 ||
        die "apt-get update failed: $(tail -n 3 "$SRC/apt.log")"
    rm -rf "$SRC/dl.new"
    mkdir -p "$SRC/dl.new"
    # apt downloads as the unprivileged _apt user when it exists; let it write here.
    if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then
        chown _apt "$SRC/dl.new"
    fi
    (cd "$SRC/dl.new" && apt-get -c "$APTDIR/apt.conf" -qq source --download-only mbedtls) \
        >>"$SRC/apt.log" 2>&1 || die "apt-get source failed: $(tail -n 3 "$SRC/apt.log")"
    local dsc
    dsc=$(echo "$SRC"/dl.new/mbedtls_*.dsc)
    [[ -f $dsc ]] || die "apt-get source left no .dsc in $SRC/dl.new"
    if [[ $(id -u) == 0 ]]; then
        chown -R root "$SRC/dl.new"
    fi
    verify "$SRC/dl.new" "$dsc"
    rm -rf "$SRC/dl"
    mv "$SRC/dl.new" "$SRC/dl"
    echo "$SRC/dl/${dsc##*/}"
}

dsc_version() {
    awk '/^Version:/ {print $2; exit}' "$1"
}

# build DSC KEY: unpack, configure, compile, install into $PREFIX (replaced whole at the end).
build() {
    local dsc=$1 key=$2 version tree=$SRC/tree
    version=$(dsc_version "$dsc")
    [[ $version == "$SERIES".* ]] || die "$SUITE has mbedtls $version, not $SERIES.x"
    echo "mbedtls: building $version with $CONFIG" >&2
    rm -rf "$tree"
    dpkg-source -q --no-copy -x "$dsc" "$tree" >"$SRC/unpack.log" 2>&1 ||
        die "dpkg-source -x failed: $(tail -n 3 "$SRC/unpack.log")"
    cp "$CONFIG" "$tree/include/mbedtls/mbedtls_config.h"
    local quiet=-s
    [[ ${V:-0} == 1 ]] && quiet=
    if ! make $quiet -C "$tree/library" -j"$(nproc)" CC="$CC" CFLAGS="$MBEDTLS_CFLAGS" \
        static >"$SRC/build.log" 2>&1; then
        tail -n 20 "$SRC/build.log" >&2
        die "the build failed (log: $SRC/build.log)"
    fi
    local out=$PREFIX.new
    rm -rf "$out"
    mkdir -p "$out/include" "$out/lib"
    cp -R "$tree/include/mbedtls" "$tree/include/psa" "$out/include/"
    cp "$tree"/library/libmbed{tls,x509,crypto}.a "$out/lib/"
    echo "$version" >"$out/VERSION"
    echo "$key" >"$out/BUILD_KEY"
    rm -rf "$PREFIX" "$tree"
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
    mkdir -p "$SRC"
    dsc=$(echo "$SRC"/dl/mbedtls_*.dsc)
    if ((update == 0)) && [[ -f $PREFIX/BUILD_KEY && $(cat "$PREFIX/BUILD_KEY") == "$key" ]] &&
        [[ -f $PREFIX/lib/libmbedcrypto.a ]]; then
        return 0
    fi
    if ((update == 1)) || [[ ! -f $dsc ]]; then
        local old=${dsc##*/}
        dsc=$(fetch)
        if ((update == 1)) && [[ ${dsc##*/} == "$old" && -f $PREFIX/BUILD_KEY &&
            $(cat "$PREFIX/BUILD_KEY") == "$key" ]]; then
            echo "mbedtls: $(cat "$PREFIX/VERSION") is the newest in $SUITE" >&2
            return 0
        fi
    else
        verify "$SRC/dl" "$dsc" # a kept download is checked again before each build
    fi
    build "$dsc" "$key"
}

main "$@"
