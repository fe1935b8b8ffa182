#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass defaults to the current case
# make static (tools/static.sh): each static binary is statically linked against musl (not
# glibc), stripped, under 800 KB, and does the main job as the dynamic build does: the demo job,
# every photo saved byte for byte, an untrusted server refused, certificate dates checked (with
# musl's gmtime_r, through mbedTLS).
#
# STATIC_ARCHES (default x86_64) lists the builds to test: `make test` tests ./volley-static;
# `make test-cross` runs this file with STATIC_ARCHES="aarch64 armhf", building each with
# Debian's cross compilers and running it under qemu-user (qemu-aarch64, qemu-arm).
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# "Under 800 KB" read the strict way: 800,000 bytes.
MAX_BYTES=800000

# use_arch ARCH: set what the cases below test. STATIC: the binary; RUNNER and RUNNER_ARGS: how to
# run it (itself, or qemu-user with it as the first argument); MACHINE: readelf -h's "Machine:",
# ABI: what its "Flags:" must say.
use_arch() {
    ARCH=$1
    P=static_$ARCH
    BUILD_LOG=$WORK/static-build-$ARCH
    case $ARCH in
    x86_64) STATIC=$ROOT/volley-static QEMU="" MACHINE="Advanced Micro Devices X86-64" ABI="" ;;
    aarch64) STATIC=$ROOT/volley-static-aarch64 QEMU=qemu-aarch64 MACHINE=AArch64 ABI="" ;;
    armhf) STATIC=$ROOT/volley-static-armhf QEMU=qemu-arm MACHINE=ARM ABI="hard-float ABI" ;;
    *) STATIC="" QEMU="" MACHINE="" ABI="" ;;
    esac
    if [[ -z $QEMU ]]; then
        RUNNER=$STATIC RUNNER_ARGS=()
    else
        RUNNER=$QEMU RUNNER_ARGS=("$STATIC")
    fi
}

# run_static ARGS...: run_volley with the binary under test.
run_static() {
    VOLLEY=$RUNNER run_volley "${RUNNER_ARGS[@]}" "$@"
}

# have_static: the binary exists (else the case fails: the build did).
have_static() {
    [[ -x $STATIC ]] && return 0
    fail "$CASE" "no $STATIC (${P}_build failed)"
}

t_build() {
    begin "${P}_build"
    [[ -n $STATIC ]] || {
        fail "$CASE" "unknown ARCH $ARCH in STATIC_ARCHES"
        return
    }
    if [[ -n $QEMU ]] && ! command -v "$QEMU" >/dev/null; then
        fail "$CASE" "no $QEMU (make deps-cross installs qemu-user)"
        return
    fi
    rm -f "$STATIC"
    # A make that runs these tests passes its flags on (SANITIZE=... among them); the static build
    # has no variants, so start a clean one.
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE make --no-print-directory -C "$ROOT" \
        static ARCH="$ARCH" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
    local rc=$?
    cat "$CASE_DIR/stdout" "$CASE_DIR/stderr" >"$BUILD_LOG"
    ((rc == 0)) || {
        fail "$CASE" "make static ARCH=$ARCH exited with status $rc"
        return
    }
    [[ -f $STATIC && -x $STATIC ]] || {
        fail "$CASE" "make static made no executable $STATIC"
        return
    }
    if grep -q "^static: ./${STATIC##*/} is [0-9]* bytes" "$CASE_DIR/stdout"; then
        pass
    else
        fail "$CASE" "make static did not print the size"
    fi
}

t_linked() {
    begin "${P}_not_dynamic"
    have_static || return
    # No program interpreter and no dynamic section: nothing for a dynamic loader to do.
    readelf -h -l -d "$STATIC" >"$CASE_DIR/readelf" 2>&1
    if grep -Eq 'INTERP|DYNAMIC' "$CASE_DIR/readelf"; then
        fail "$CASE" "readelf shows an INTERP or DYNAMIC header"
        return
    fi
    grep -Eq "^ *Machine: *$MACHINE\$" "$CASE_DIR/readelf" || {
        fail "$CASE" "readelf: $(grep Machine: "$CASE_DIR/readelf"), want $MACHINE"
        return
    }
    [[ -z $ABI ]] || grep -Eq "^ *Flags:.*$ABI" "$CASE_DIR/readelf" || {
        fail "$CASE" "readelf: $(grep Flags: "$CASE_DIR/readelf"), want $ABI"
        return
    }
    if [[ -z $QEMU ]]; then # ldd runs the machine's own loader: native binaries only
        ldd "$STATIC" >"$CASE_DIR/stdout" 2>&1
        grep -q 'not a dynamic executable' "$CASE_DIR/stdout" || {
            fail "$CASE" "ldd: $(head -n 2 "$CASE_DIR/stdout" | tr '\n' ' ')"
            return
        }
    fi
    pass
}

# Linked with musl's libc.a, and nothing of glibc's inside (its NSS modules above all, which a
# static glibc program would dlopen at run time).
t_musl() {
    begin "${P}_musl"
    have_static || return
    local map=$ROOT/build/static/$ARCH/volley.map
    grep -Eq '^LOAD .*(x86_64-linux-musl|static/'"$ARCH"'/musl/lib)/libc\.a$' "$map" || {
        fail "$CASE" "$map loads no musl libc.a"
        return
    }
    if grep -aEq 'GLIBC_|libnss_|GNU C Library' "$STATIC"; then
        fail "$CASE" "$STATIC holds glibc: $(grep -aoE 'GLIBC_[0-9.]*|libnss_[a-z]*' "$STATIC" |
            head -n 2 | tr '\n' ' ')"
        return
    fi
    pass
}

t_size() {
    begin "${P}_stripped_size"
    have_static || return
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
    begin "${P}_demo_job"
    have_static || return
    run_static -t 2 -k 16 "${WORLD_ARGS[@]}" "$INDEX_URL"
    assert_exit 0 && assert_summary 5000 0 && assert_failure_lines 0 && pass
}

# And every byte of it saved.
t_saved() {
    begin "${P}_saves_all"
    have_static || return
    run_static -t 2 -k 8 "${WORLD_ARGS[@]}" -o "$OUT" "$INDEX_URL"
    assert_exit 0 && assert_saved "$FIXTURE/600" "$IMG_DIR/600" && assert_summary 5000 0 &&
        pass
}

t_untrusted() {
    begin "${P}_refuses_untrusted"
    have_static || return
    url_list "https://untrusted.volley.test:$UNTRUSTED_PORT" 2 >"$CASE_DIR/urls"
    run_static -t 1 -k 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls"
    assert_exit 1 && assert_summary 0 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "not trusted" && pass
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
    begin "${P}_$name"
    have_static || return
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
    run_static -t 1 -k 1 --retries 0 --cacert "$d/ca.pem" \
        --resolve "expiry.volley.test:$port:127.0.0.1" -i "$CASE_DIR/urls"
    stop_s_server
    if ((want_rc == 0)); then
        assert_exit 0 && assert_summary 1 0 && pass
    else
        assert_exit "$want_rc" && assert_summary 0 1 && assert_failed_url "$url" "$want" && pass
    fi
}

trap 'stop_s_server; verdict_missing' EXIT

for arch in ${STATIC_ARCHES:-x86_64}; do
    use_arch "$arch"
    t_build
    t_linked
    t_musl
    t_size
    t_demo
    t_saved
    t_untrusted
    # The control first: the same CA and server accept a certificate valid from 2020 to 2099, so
    # the next case fails for the dates alone.
    cert_case cert_in_date in-date 20200101000000Z 20991231235959Z 0 ""
    cert_case cert_expired expired 20200101000000Z 20210101000000Z 1 "not trusted"
    cert_case cert_not_yet_valid future 20900101000000Z 20991231235959Z 1 "not trusted"
done
