#!/usr/bin/env bash
# Build ./volley-static: one statically linked, stripped executable (glibc, mbedTLS, c-ares) that
# runs on any x86_64 Linux without the -dev packages. `make static` calls this, after building
# mbedTLS into build/mbedtls (tools/mbedtls.sh), whose archives it links.
#
#   tools/static.sh
#
# Objects go to build/static/ (compiled with -Os, one section per function and object so
# --gc-sections can drop what nothing calls, and no asynchronous unwind tables); the unstripped link
# is kept there as volley-static.full for `nm --size-sort`, with the linker's map
# (volley-static.map: which archive member was pulled in by whom). Prints the stripped size.
#
# Environment: CC (default cc), STRIP (default strip), V=1 shows full commands, LIBDIR (where
# c-ares's and libc's .a files are; default /usr/lib/<multiarch>), MBEDTLS (default build/mbedtls),
# STATIC_SHIMS=0 links without the shims below (glibc's own gmtime_r, getservbyname,
# getservbyport_r and __fxprintf, and the c-ares archive member the stub keeps out: bigger, and
# the linker warns).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF=$ROOT/tools/static.sh
cd "$ROOT"

CC=${CC:-cc}
STRIP=${STRIP:-strip}
BUILD=build/static
OUT=volley-static
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || true)
LIBDIR=${LIBDIR:-/usr/lib/${MULTIARCH:-x86_64-linux-gnu}}
MBEDTLS=${MBEDTLS:-build/mbedtls}
# -fno-asynchronous-unwind-tables: the .eh_frame entries of our own functions (8 KB) are read only
# by an unwinder walking through them: backtrace(), or glibc's thread cancellation and
# pthread_exit(), which volley does not use (and which still run pthread_cleanup_push handlers
# without them: glibc stops unwinding at the first frame it has no entry for).
CFLAGS=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -Iinclude -I"$MBEDTLS/include"
    -pthread -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables)
# The shims replace these for every caller (volley, mbedTLS, c-ares and glibc itself) at link time.
# shellcheck disable=SC2054 # the commas belong to -Wl, they do not separate elements
WRAPS=(-Wl,--wrap=gmtime_r -Wl,--wrap=getservbyname -Wl,--wrap=getservbyport_r
    -Wl,--wrap=__fxprintf -Wl,--wrap=__fxprintf_nocancel)

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

check_libs() {
    local a
    for a in libmbedtls.a libmbedx509.a libmbedcrypto.a; do
        [[ -f $MBEDTLS/lib/$a ]] || die "no $MBEDTLS/lib/$a (run tools/mbedtls.sh, or make deps)"
    done
    for a in libcares.a libc.a; do
        [[ -f $LIBDIR/$a ]] && continue
        die "no $LIBDIR/$a (install libc-ares-dev and libc6-dev, or set LIBDIR)"
    done
}

# The shims, written out here because they exist only for this build. Why each one:
# getservbyname/getservbyport_r are answered by glibc through NSS, which a static binary can only
# do by dlopen()ing the libnss_*.so of the very glibc it was linked with (hence the linker's
# warnings); volley never gives c-ares a service name nor asks it for the name of an address, so
# "no such service" is the true answer, and the NSS and dlopen code (about 90 KB) stays out.
# gmtime_r is what mbedTLS checks certificate validity periods with; glibc's pulls in the time
# zone loader and through it sscanf and the strtof/strtold/strtof128 family (about 94 KB), while
# UTC needs no zone data at all.
# __fxprintf and __fxprintf_nocancel are glibc's internal "print to stderr" (for getopt's,
# assert's and res_hconf's messages); they look at the stream's orientation and so drag in the
# whole wide-character printf (25 KB). Nothing in volley makes stderr wide, so plain vfprintf is
# what they would do anyway.
# The last is an archive member that an unused function of a member we need refers to; a
# definition of our own satisfies the reference and the member is never pulled in (libcares.a has
# no per-function sections, so --gc-sections cannot drop it afterwards). Defining the symbol while
# also linking its member would fail the link loudly, never silently. (mbedTLS needs no such stub:
# build/mbedtls is compiled with one section per function and configured without a server, debug
# output or test certificates, which were the stubs here for Debian's 2.28 archives.)
#   ares__is_onion_domain (libcares_la-ares_getnameinfo.o, and with it ares_gethostbyaddr, the
#     PTR parser and glibc's if_indextoname and netlink code: 8 KB): the only thing
#     ares_getaddrinfo, ares_search and ares_create_query want from that member, the RFC 7686
#     section 2 rule that names in .onion are never looked up in the DNS. Ours gives the same
#     answer: case-insensitively, does the name end in ".onion" or ".onion."?
#
# write_shims: write $BUILD/static_shim.c.
write_shims() {
    cat >"$BUILD/static_shim.c.new" <<'EOF'
/* static_shim.c: generated by tools/static.sh for ./volley-static only (see the comment there).
 * Linked with --wrap, so every call to gmtime_r, getservbyname, getservbyport_r, __fxprintf and
 * __fxprintf_nocancel lands here instead of in glibc; ares__is_onion_domain keeps an unused
 * c-ares archive member out of the link. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SECS_PER_DAY 86400LL
#define DAYS_PER_400Y 146097LL /* 400 * 365 + 97 leap days */
#define DAYS_1970_TO_2000 10957LL

struct servent *__wrap_getservbyname(const char *name, const char *proto);
int __wrap_getservbyport_r(int port, const char *proto, struct servent *ent, char *buf, size_t len,
                           struct servent **result);
struct tm *__wrap_gmtime_r(const time_t *t, struct tm *tm);

/* No service database: callers fall back to numeric ports. */
struct servent *__wrap_getservbyname(const char *name, const char *proto)
{
    (void)name;
    (void)proto;
    return NULL;
}

/* "Not found" is 0 with *result NULL, as glibc reports it. */
int __wrap_getservbyport_r(int port, const char *proto, struct servent *ent, char *buf, size_t len,
                           struct servent **result)
{
    (void)port;
    (void)proto;
    (void)ent;
    (void)buf;
    (void)len;
    *result = NULL;
    return 0;
}

static int leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Proleptic Gregorian UTC, as POSIX defines seconds since the epoch (no leap seconds). Whole
 * 400-year cycles (each exactly DAYS_PER_400Y long) are counted from 2000-01-01, then years and
 * months are stepped through, so neither loop runs more than 400 times. */
struct tm *__wrap_gmtime_r(const time_t *t, struct tm *tm)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long long days = *t / SECS_PER_DAY, secs = *t % SECS_PER_DAY;
    if (secs < 0) {
        secs += SECS_PER_DAY;
        days--;
    }
    long long d = days - DAYS_1970_TO_2000;
    long long cycles = d / DAYS_PER_400Y - (d % DAYS_PER_400Y < 0);
    d -= cycles * DAYS_PER_400Y;
    long long year = 2000 + 400 * cycles;
    while (d >= 365 + leap(year))
        d -= 365 + leap(year++);
    if (year - 1900 > INT_MAX || year - 1900 < INT_MIN) {
        errno = EOVERFLOW;
        return NULL;
    }
    *tm = (struct tm){0};
    tm->tm_year = (int)(year - 1900);
    tm->tm_yday = (int)d;
    int mon = 0;
    while (d >= mdays[mon] + (mon == 1 && leap(year))) {
        d -= mdays[mon] + (mon == 1 && leap(year));
        mon++;
    }
    tm->tm_mon = mon;
    tm->tm_mday = (int)d + 1;
    tm->tm_hour = (int)(secs / 3600);
    tm->tm_min = (int)(secs / 60 % 60);
    tm->tm_sec = (int)(secs % 60);
    tm->tm_wday = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    tm->tm_zone = "GMT";
    return tm;
}
EOF
    cat >>"$BUILD/static_shim.c.new" <<'EOF'

int __wrap___fxprintf(FILE *fp, const char *fmt, ...);
int __wrap___fxprintf_nocancel(FILE *fp, const char *fmt, ...);

/* glibc's own: a NULL stream means stderr. */
int __wrap___fxprintf(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(fp ? fp : stderr, fmt, ap);
    va_end(ap);
    return n;
}

/* The same, but glibc's keeps the write from being a cancellation point; volley cancels no
 * thread. */
int __wrap___fxprintf_nocancel(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(fp ? fp : stderr, fmt, ap);
    va_end(ap);
    return n;
}

int ares__is_onion_domain(const char *name);

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strcasecmp(s + len - n, suffix) == 0;
}

/* RFC 7686 section 2: ".onion" names are not DNS names; c-ares refuses them with ARES_ENOTFOUND
 * when this says 1. */
int ares__is_onion_domain(const char *name)
{
    size_t len = strlen(name);
    return ends_with(name, len, ".onion") || ends_with(name, len, ".onion.");
}
EOF
    # Rewrite only on change, so an unchanged shim keeps its object's time stamp.
    if cmp -s "$BUILD/static_shim.c.new" "$BUILD/static_shim.c"; then
        rm -f "$BUILD/static_shim.c.new"
    else
        mv "$BUILD/static_shim.c.new" "$BUILD/static_shim.c"
    fi
}

# Objects built with another compiler or other flags are stale: forget them all.
check_flags() {
    local want
    want="$CC ${CFLAGS[*]} $("$CC" --version 2>/dev/null | head -n 1)"
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
    check_libs
    mkdir -p "$BUILD"
    check_flags
    # The newest header stands for all of them: touching any one rebuilds every object.
    local h
    HEADERS_STAMP=$SELF
    for h in include/*.h; do
        [[ $h -nt $HEADERS_STAMP ]] && HEADERS_STAMP=$h
    done
    local objs=() src
    for src in src/*.c; do
        compile "$src"
        objs+=("$BUILD/$(basename "${src%.c}").o")
    done
    local wraps=()
    if [[ ${STATIC_SHIMS:-1} != 0 ]]; then
        write_shims
        compile "$BUILD/static_shim.c"
        objs+=("$BUILD/static_shim.o")
        wraps=("${WRAPS[@]}")
    fi
    # --no-eh-frame-hdr: clang asks for the .eh_frame_hdr lookup table (15 KB) even when linking
    # statically, gcc does not; a static program's unwinder finds .eh_frame without it, through
    # the __register_frame_info call in crtbeginT.o.
    run LINK "$BUILD/$OUT.full" "$CC" -static -pthread -Wl,--gc-sections -Wl,--no-eh-frame-hdr \
        "${wraps[@]}" -Wl,-Map="$BUILD/$OUT.map" \
        -o "$BUILD/$OUT.full" "${objs[@]}" "$MBEDTLS/lib/libmbedtls.a" "$MBEDTLS/lib/libmbedx509.a" \
        "$MBEDTLS/lib/libmbedcrypto.a" "$LIBDIR/libcares.a" -lm -lpthread
    run STRIP "$OUT" "$STRIP" --strip-all -o "$OUT.new" "$BUILD/$OUT.full"
    mv "$OUT.new" "$OUT"
    local bytes
    bytes=$(stat -c %s "$OUT")
    printf 'static: ./%s is %d bytes (%d.%02d MiB) stripped\n' "$OUT" "$bytes" \
        $((bytes / 1048576)) $((bytes % 1048576 * 100 / 1048576))
}

main "$@"
