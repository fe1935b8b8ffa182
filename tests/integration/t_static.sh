#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass defaults to the current case
# make static (tools/static.sh): ./volley-static is statically linked, stripped, under 1.5 MB,
# never needs glibc's NSS modules at run time, and does the main job as the dynamic build does.
# Its gmtime_r shim (which mbedTLS checks certificate dates with) agrees with glibc's, and an
# expired certificate is refused.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STATIC=$ROOT/volley-static
SHIM=$ROOT/build/static/static_shim.c
# "Under 1.5 MB" read the strict way: 1.5 million bytes (1.5 MiB would be 1572864).
MAX_BYTES=1500000
BUILD_LOG=$WORK/static-build

t_build() {
    begin static_build
    rm -f "$STATIC"
    # A make that runs these tests passes its flags on (SANITIZE=... among them); the static build
    # has no variants, so start a clean one.
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE make --no-print-directory -C "$ROOT" \
        static >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
    local rc=$?
    cat "$CASE_DIR/stdout" "$CASE_DIR/stderr" >"$BUILD_LOG"
    ((rc == 0)) || {
        fail "$CASE" "make static exited with status $rc"
        return
    }
    [[ -f $STATIC && -x $STATIC ]] || {
        fail "$CASE" "make static made no executable $STATIC"
        return
    }
    if grep -q "^static: ./volley-static is [0-9]* bytes" "$CASE_DIR/stdout"; then
        pass
    else
        fail "$CASE" "make static did not print the size"
    fi
}

t_linked() {
    begin static_not_dynamic
    [[ -x $STATIC ]] || {
        fail "$CASE" "no $STATIC (static_build failed)"
        return
    }
    ldd "$STATIC" >"$CASE_DIR/stdout" 2>&1
    grep -Eq 'not a dynamic executable|statically linked' "$CASE_DIR/stdout" || {
        fail "$CASE" "ldd: $(head -n 2 "$CASE_DIR/stdout" | tr '\n' ' ')"
        return
    }
    # No program interpreter and no dynamic section: nothing for ld.so to do.
    readelf -l -d "$STATIC" >"$CASE_DIR/readelf" 2>&1
    if grep -Eq 'INTERP|DYNAMIC' "$CASE_DIR/readelf"; then
        fail "$CASE" "readelf shows an INTERP or DYNAMIC header"
        return
    fi
    pass
}

# glibc's linker warning ("Using 'getservbyname' in statically linked applications requires at
# runtime the shared libraries...") means the binary may dlopen() NSS modules of this very glibc
# on another machine; the shims in tools/static.sh exist so that it never does.
t_no_nss() {
    begin static_no_nss
    [[ -f $BUILD_LOG ]] || {
        fail "$CASE" "no build log (static_build failed)"
        return
    }
    if grep -q 'in statically linked applications requires at runtime' "$BUILD_LOG"; then
        fail "$CASE" "the link warns: $(grep -o "Using '[a-z_]*'" "$BUILD_LOG" | tr '\n' ' ')"
        return
    fi
    if grep -aq 'libnss_' "$STATIC"; then
        fail "$CASE" "$STATIC still names libnss_ modules"
        return
    fi
    pass
}

t_size() {
    begin static_stripped_size
    [[ -f $STATIC ]] || {
        fail "$CASE" "no $STATIC (static_build failed)"
        return
    }
    readelf -S -W "$STATIC" >"$CASE_DIR/sections" 2>&1
    if grep -Eq '\.symtab|\.debug_' "$CASE_DIR/sections"; then
        fail "$CASE" "$STATIC is not stripped (has .symtab or .debug_*)"
        return
    fi
    local bytes
    bytes=$(stat -c %s "$STATIC")
    if ((bytes < MAX_BYTES)); then
        pass
    else
        fail "$CASE" "$bytes bytes, want under $MAX_BYTES"
    fi
}

# The demo job, exactly as tools/demo.sh runs it.
t_demo() {
    begin static_demo_job
    [[ -x $STATIC ]] || {
        fail "$CASE" "no $STATIC (static_build failed)"
        return
    }
    VOLLEY=$STATIC run_volley -t 2 -k 16 "${WORLD_ARGS[@]}" "$INDEX_URL"
    assert_exit 0 && assert_summary 5000 0 && assert_failure_lines 0 && pass
}

# And every byte of it saved.
t_saved() {
    begin static_saves_all
    [[ -x $STATIC ]] || {
        fail "$CASE" "no $STATIC (static_build failed)"
        return
    }
    VOLLEY=$STATIC run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -o "$OUT" "$INDEX_URL"
    assert_exit 0 && assert_saved "$FIXTURE/600" "$IMG_DIR/600" && assert_summary 5000 0 &&
        pass
}

t_untrusted() {
    begin static_refuses_untrusted
    [[ -x $STATIC ]] || {
        fail "$CASE" "no $STATIC (static_build failed)"
        return
    }
    url_list "https://untrusted.volley.test:$UNTRUSTED_PORT" 2 >"$CASE_DIR/urls"
    VOLLEY=$STATIC run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls"
    assert_exit 1 && assert_summary 0 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "not trusted" && pass
}

# The gmtime_r shim against glibc's own, second by second around the edges of days, months,
# leap days and centuries from 1600 to 2500, and at the extremes of time_t.
t_gmtime() {
    begin static_gmtime_shim
    [[ -f $SHIM ]] || {
        fail "$CASE" "no $SHIM (static_build failed, or STATIC_SHIMS=0)"
        return
    }
    cat >"$CASE_DIR/check.c" <<'EOF'
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct tm *__wrap_gmtime_r(const time_t *t, struct tm *tm);

static int same(time_t t)
{
    struct tm a, b;
    struct tm *ra = gmtime_r(&t, &a), *rb = __wrap_gmtime_r(&t, &b);
    if (!ra || !rb) {
        if (!ra != !rb)
            printf("at %lld: glibc %s, shim %s\n", (long long)t, ra ? "ok" : "NULL",
                   rb ? "ok" : "NULL");
        return !ra == !rb;
    }
    if (a.tm_year == b.tm_year && a.tm_mon == b.tm_mon && a.tm_mday == b.tm_mday &&
        a.tm_hour == b.tm_hour && a.tm_min == b.tm_min && a.tm_sec == b.tm_sec &&
        a.tm_wday == b.tm_wday && a.tm_yday == b.tm_yday && a.tm_isdst == b.tm_isdst &&
        a.tm_gmtoff == b.tm_gmtoff && strcmp(a.tm_zone, b.tm_zone) == 0)
        return 1;
    printf("at %lld: glibc %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d, shim %04d-%02d-%02d "
           "%02d:%02d:%02d wday %d yday %d\n",
           (long long)t, a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour, a.tm_min, a.tm_sec,
           a.tm_wday, a.tm_yday, b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, b.tm_hour, b.tm_min,
           b.tm_sec, b.tm_wday, b.tm_yday);
    return 0;
}

int main(void)
{
    static const long long edges[] = {
        0,                    /* the epoch */
        951782400,            /* 2000-02-29: a century year with a leap day */
        951868799,            /* its last second */
        4107542399LL,         /* 2100-02-28 23:59:59: a century year without one */
        253402300799LL,       /* 9999-12-31 23:59:59 */
        67768036191676799LL,  /* the last second a 32-bit tm_year holds */
        67768036191676800LL,  /* and the next: EOVERFLOW */
        -67768040609740800LL, /* the first second a 32-bit tm_year holds */
        -67768040609740801LL, /* and the one before */
        LLONG_MAX,
        LLONG_MIN,
    };
    long long n = 0;
    /* Each day from 1600-01-01 to 2500-01-01, and the seconds on either side of its midnight. */
    for (long long day = -135140; day < 193581; day++, n += 3)
        if (!same((time_t)(day * 86400 - 1)) || !same((time_t)(day * 86400)) ||
            !same((time_t)(day * 86400 + day % 86400)))
            return 1;
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++, n++)
        if (!same((time_t)edges[i]))
            return 1;
    printf("%lld times agree\n", n);
    return 0;
}
EOF
    "${CC:-cc}" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -o "$CASE_DIR/check" \
        "$CASE_DIR/check.c" "$SHIM" 2>"$CASE_DIR/stderr" || {
        fail "$CASE" "the check does not compile"
        return
    }
    if "$CASE_DIR/check" >"$CASE_DIR/stdout" 2>>"$CASE_DIR/stderr"; then
        pass
    else
        fail "$CASE" "shim differs from glibc: $(head -n 1 "$CASE_DIR/stdout")"
    fi
}

# --- an expired certificate ----------------------------------------------------------------------

# make_ca_and_leaf DIR NAME START END: DIR/ca.pem, and DIR/NAME.pem/.key for expiry.volley.test
# valid from START to END (YYYYMMDDHHMMSSZ), signed by it with `openssl ca`, which alone among
# openssl's commands takes explicit dates.
make_leaf() {
    local d=$1 name=$2
    if [[ ! -f $d/ca.pem ]]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$d/ca.key" -out "$d/ca.pem" -days 3650 -subj "/CN=volley expiry test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>>"$d/log" || return 1
        : >"$d/index.txt"
        openssl rand -hex 8 >"$d/serial"
        cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
dir = $d
database = $d/index.txt
serial = $d/serial
new_certs_dir = $d
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:expiry.volley.test
EOF
    fi
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/$name.key" \
        -out "$d/$name.csr" -subj "/CN=expiry.volley.test" 2>>"$d/log" || return 1
    openssl ca -batch -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
        -startdate "$3" -enddate "$4" -in "$d/$name.csr" -out "$d/$name.pem" \
        -notext >>"$d/log" 2>&1
}

S_SERVER_PID=""
stop_s_server() {
    [[ -n $S_SERVER_PID ]] && kill "$S_SERVER_PID" 2>/dev/null && wait "$S_SERVER_PID" 2>/dev/null
    S_SERVER_PID=""
    return 0
}

# serve_cert DIR NAME PORT: openssl s_server with DIR/NAME.pem on 127.0.0.1:PORT, answering
# HTTP (-www) until stop_s_server; waits up to 5 s for it to listen.
serve_cert() {
    local i
    openssl s_server -quiet -www -accept "127.0.0.1:$3" -cert "$1/$2.pem" -key "$1/$2.key" \
        </dev/null >>"$1/s_server.log" 2>&1 &
    S_SERVER_PID=$!
    for ((i = 0; i < 50; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# cert_case NAME CERT START END WANT_RC WANT: fetch https://expiry.volley.test:PORT/ from a server
# presenting a certificate valid START..END; expect exit WANT_RC and, for a failure, reason WANT.
cert_case() {
    local name=$1 cert=$2 want_rc=$5 want=$6 d=$WORK/expiry port url
    begin "$name"
    [[ -x $STATIC ]] || {
        fail "$CASE" "no $STATIC (static_build failed)"
        return
    }
    mkdir -p "$d"
    make_leaf "$d" "$cert" "$3" "$4" || {
        fail "$CASE" "openssl could not make the certificate (see $d/log)"
        return
    }
    port=$(free_port)
    url="https://expiry.volley.test:$port/"
    serve_cert "$d" "$cert" "$port" || {
        stop_s_server
        fail "$CASE" "openssl s_server did not listen on $port"
        return
    }
    echo "$url" >"$CASE_DIR/urls"
    VOLLEY=$STATIC run_volley -t 1 -k 1 --retries 0 --cacert "$d/ca.pem" \
        --resolve "expiry.volley.test:$port:127.0.0.1" -i "$CASE_DIR/urls"
    stop_s_server
    if ((want_rc == 0)); then
        assert_exit 0 && assert_summary 1 0 && pass
    else
        assert_exit "$want_rc" && assert_summary 0 1 && assert_failed_url "$url" "$want" && pass
    fi
}

trap 'stop_s_server; verdict_missing' EXIT

t_build
t_linked
t_no_nss
t_size
t_demo
t_saved
t_untrusted
t_gmtime
# The control first: the same CA and server accept a certificate valid from 2020 to 2099, so the
# next case fails for the dates alone.
cert_case static_cert_in_date in-date 20200101000000Z 20991231235959Z 0 ""
cert_case static_cert_expired expired 20200101000000Z 20210101000000Z 1 "not trusted"
cert_case static_cert_not_yet_valid future 20900101000000Z 20991231235959Z 1 "not trusted"
