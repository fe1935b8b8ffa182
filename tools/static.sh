#!/usr/bin/env bash
# Build a statically linked, stripped volley with musl: one executable that runs on any Linux of
# its architecture, with nothing to load at run time. `make static [ARCH=...]` calls this.
#
#   tools/static.sh [ARCH]   x86_64 (the default) -> ./volley-static
#                            aarch64              -> ./volley-static-aarch64
#                            armhf                -> ./volley-static-armhf (ARMv7, hard float)
#
# Everything it links is built under build/static/ARCH/ from Debian's packages, each step only
# when its inputs changed (every one keeps a BUILD_KEY: version, configuration, script, compiler):
#   musl     x86_64: musl-tools's musl-gcc; others: tools/musl.sh builds bookworm's musl
#            source package (the same 1.2.3) with Debian's cross gcc, into ARCH/musl
#   mbedTLS  tools/mbedtls.sh again, with that musl-gcc, into ARCH/mbedtls (the same source
#            package and third_party/mbedtls_config.h as ./volley)
#   c-ares   tools/cares.sh: bookworm's source package, the library alone, into ARCH/cares
#   jsmn     header-only, from libjsmn-dev
# volley's objects go to ARCH/obj (-Os, one section per function and object so --gc-sections
# drops what nothing calls, no asynchronous unwind tables: volley never unwinds); the unstripped
# link is kept as ARCH/volley.full for `nm --size-sort`, with the linker's map (ARCH/volley.map:
# which archive member was pulled in by whom). Prints the stripped size.
#
# No libc function is replaced at link time and nothing is generated: musl answers
# getservbyname from /etc/services alone (no NSS, no dlopen), and its gmtime_r needs no time
# zone files, which is what the glibc build's shims were for.
#
# Environment: V=1 shows full commands.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF=$ROOT/tools/static.sh
cd "$ROOT"

ARCH=${1:-x86_64}
# `make static ARCH=armhf` hands its command line to every make below it through MAKEFLAGS, where
# ARCH=armhf would override musl's own ARCH (arm): the builds below start clean.
unset MAKEFLAGS MFLAGS MAKELEVEL
case $ARCH in
amd64) ARCH=x86_64 ;;
arm64) ARCH=aarch64 ;;
esac
case $ARCH in
x86_64) TRIPLET=x86_64-linux-gnu OUT=volley-static ;;
aarch64) TRIPLET=aarch64-linux-gnu OUT=volley-static-aarch64 ;;
armhf) TRIPLET=arm-linux-gnueabihf OUT=volley-static-armhf ;;
*)
    echo "static: unknown ARCH '$ARCH' (x86_64, aarch64 or armhf)" >&2
    exit 2
    ;;
esac
DIR=build/static/$ARCH
BUILD=$DIR/obj
CFLAGS=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -Iinclude -I"$DIR/mbedtls/include"
    -I"$DIR/cares/include" -Ibuild/static/jsmn -pthread -Os -ffunction-sections -fdata-sections
    -fno-asynchronous-unwind-tables)

die() {
    echo "static: $*" >&2
    exit 1
}

# run LABEL FILE CMD...: run CMD, printing "LABEL FILE" (or CMD itself with V=1).
run() {
    local label=$1 file=$2
    shift 2
    if [[ ${V:-0} == 1 ]]; then
        echo "$*"
    else
        printf '%-4s %s\n' "$label" "$file"
    fi
    "$@"
}

# The C compiler for ARCH, with musl: sets CC, AR, RANLIB, STRIP.
toolchain() {
    if [[ $ARCH == "$(uname -m)" ]]; then
        command -v musl-gcc >/dev/null || die "no musl-gcc (install musl-tools: make deps)"
        CC=musl-gcc AR=ar RANLIB=ranlib STRIP=strip
        return
    fi
    command -v "$TRIPLET-gcc" >/dev/null ||
        die "no $TRIPLET-gcc (install the cross compilers: make deps-cross)"
    tools/musl.sh "$TRIPLET" "$DIR/musl"
    CC=$ROOT/$DIR/musl/bin/musl-gcc AR=$TRIPLET-ar RANLIB=$TRIPLET-ranlib STRIP=$TRIPLET-strip
}

libraries() {
    # mbedTLS at -O2, not -Os: its ciphers and hashes are where a fetch spends its CPU, and at
    # -Os the 5,000 photos at -t 1 -k 4 took a third more of it (0.16 s against 0.12 s user,
    # x86-64), for 53 KB.
    MBEDTLS_CC=$CC MBEDTLS_AR=$AR MBEDTLS_PREFIX=$DIR/mbedtls MBEDTLS_OPT=-O2 tools/mbedtls.sh
    local host=
    [[ $ARCH != "$(uname -m)" ]] && host=$TRIPLET
    CARES_CC=$CC CARES_AR=$AR CARES_RANLIB=$RANLIB CARES_HOST=$host tools/cares.sh "$DIR/cares"
    # jsmn.h alone: musl-gcc searches no /usr/include, where glibc's headers are too.
    [[ -f /usr/include/jsmn.h ]] || die "no /usr/include/jsmn.h (install libjsmn-dev: make deps)"
    mkdir -p build/static/jsmn
    ln -sf /usr/include/jsmn.h build/static/jsmn/jsmn.h
}

# Objects built with another compiler, other flags or against other library headers are stale:
# forget them all.
check_flags() {
    local want
    want="$CC ${CFLAGS[*]} $("$CC" --version 2>/dev/null | head -n 1)"
    want="$want mbedtls $(cat "$DIR/mbedtls/BUILD_KEY") cares $(cat "$DIR/cares/BUILD_KEY")"
    if [[ ! -f $BUILD/flags || $(cat "$BUILD/flags") != "$want" ]]; then
        rm -f "$BUILD"/*.o
        echo "$want" >"$BUILD/flags"
    fi
}

# compile SRC: SRC -> $BUILD/<name>.o, unless the object is newer than SRC, every header and
# this script.
compile() {
    local src=$1 obj
    obj=$BUILD/$(basename "${src%.c}").o
    if [[ -f $obj && $obj -nt $src && $obj -nt $HEADERS_STAMP && $obj -nt $SELF ]]; then
        return 0
    fi
    run CC "$src" "$CC" "${CFLAGS[@]}" -c -o "$obj" "$src"
}

main() {
    toolchain
    libraries
    mkdir -p "$BUILD"
    check_flags
    # The newest header stands for all of them: touching any one rebuilds every object.
    local h
    HEADERS_STAMP=$SELF
    for h in include/*.h; do
        [[ $h -nt $HEADERS_STAMP ]] && HEADERS_STAMP=$h
    done
    # As many compilers at once as there are CPUs; any failure stops the build after the others.
    local objs=() pids=() src failed=0 jobs
    jobs=$(nproc)
    for src in src/*.c; do
        compile "$src" &
        pids+=($!)
        objs+=("$BUILD/$(basename "${src%.c}").o")
        if ((${#pids[@]} >= jobs)); then
            wait "${pids[0]}" || failed=1
            pids=("${pids[@]:1}")
        fi
    done
    for src in "${pids[@]}"; do
        wait "$src" || failed=1
    done
    ((failed == 0)) || die "a compilation failed"
    run LINK "$DIR/volley.full" "$CC" -static -pthread -Wl,--gc-sections -Wl,-Map="$DIR/volley.map" \
        -o "$DIR/volley.full" "${objs[@]}" "$DIR/mbedtls/lib/libmbedtls.a" \
        "$DIR/mbedtls/lib/libmbedx509.a" "$DIR/mbedtls/lib/libmbedcrypto.a" \
        "$DIR/cares/lib/libcares.a"
    run STRIP "$OUT" "$STRIP" --strip-all -o "$OUT.new" "$DIR/volley.full"
    mv "$OUT.new" "$OUT"
    local bytes
    bytes=$(stat -c %s "$OUT")
    printf 'static: ./%s is %d bytes (%d KB) stripped, %s\n' "$OUT" "$bytes" $((bytes / 1024)) \
        "$ARCH"
}

main
