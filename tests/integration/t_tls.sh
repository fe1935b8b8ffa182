#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# Certificate checks: an untrusted CA and a wrong host name are refused, per URL, with a reason;
# verification is on by default; --insecure turns it off; an IP literal must match an iPAddress
# SAN. TLS versions: a second nginx of this file's own speaks TLS 1.3 only on one port and TLS 1.2
# only on another, and presents a certificate of about 16.6 KB (a handshake message over two
# records, which mbedTLS reassembles) and one of about 20 KB (more than its buffer holds: a clear
# error) on two more; its access log says which version each request came over and whether its
# session was resumed.
. "$(dirname "$0")/lib.sh"

UNTRUSTED_BASE=https://untrusted.volley.test:$UNTRUSTED_PORT
WRONGNAME_BASE=https://img.volley.test:$WRONGNAME_PORT

# refused NAME BASE REASON: 5 photos from BASE all fail with REASON; nothing is saved.
refused() {
    begin "$1"
    url_list "$2" 5 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_failure_lines 5 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "$3" &&
        assert_failed_url "$(tail -n 1 "$CASE_DIR/urls")" "$3" && assert_summary 0 5 && pass
}

refused tls_untrusted_ca "$UNTRUSTED_BASE" "certificate not trusted"
refused tls_wrong_host_name "$WRONGNAME_BASE" "does not match the host name"

t_mixed() {
    begin tls_mixed_good_and_bad
    fixture_subset "$CASE_DIR/want" 3
    url_list "$IMG_BASE" 3 >"$CASE_DIR/urls"
    url_list "$UNTRUSTED_BASE" 2 3 >>"$CASE_DIR/urls"
    run_volley -t 1 -k 2 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_saved "$CASE_DIR/want" "$IMG_DIR/600" &&
        assert_failure_lines 2 && assert_failed_url "$(tail -n 1 "$CASE_DIR/urls")" "not trusted" &&
        assert_summary 3 2 && pass
}

t_default_verifies() {
    begin tls_verify_by_default
    # No --cacert: the system's CAs do not include the test CA, so nothing may be fetched.
    url_list "$IMG_BASE" 5 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 --dns-server "$DNS_SERVER" -i "$CASE_DIR/urls" -o "$OUT"
    if [[ $RC != 1 && $RC != 2 ]]; then
        fail "$CASE" "exit status $RC, want 1 (or 2 if no system CA store)"
        return
    fi
    assert_no_files && pass
}

t_insecure() {
    begin tls_insecure
    fixture_subset "$CASE_DIR/want" 20
    url_list "$UNTRUSTED_BASE" 20 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 --insecure --dns-server "$DNS_SERVER" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "untrusted.volley.test:$UNTRUSTED_PORT/600" &&
        assert_summary 20 0 && pass
}

t_ip_literal() {
    begin tls_ip_literal_san
    fixture_subset "$CASE_DIR/want" 5
    url_list "https://127.0.0.1:$HTTPS_PORT" 5 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 --cacert "$CA" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_saved "$CASE_DIR/want" "127.0.0.1:$HTTPS_PORT/600" && assert_summary 5 0 && pass
}

# The wrong-name server's certificate has no iPAddress entry at all.
t_ip_literal_mismatch() {
    begin tls_ip_literal_mismatch
    url_list "https://127.0.0.1:$WRONGNAME_PORT" 2 >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 --cacert "$CA" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_summary 0 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "does not match the host name" && pass
}

# The system CA bundle is read when the first https connection starts: never by a plain-http run.
t_lazy_bundle() {
    begin tls_system_bundle_read_lazily
    local bundle=/etc/ssl/certs/ca-certificates.crt
    [[ -r $bundle ]] || {
        pass "$CASE" # nothing to read on this machine; tls_verify_by_default covers the failure
        return
    }
    url_list "http://img.volley.test:$HTTP_PORT" 3 >"$CASE_DIR/urls"
    url_list "$IMG_BASE" 1 >"$CASE_DIR/urls-https"
    RUN_TRACE=$CASE_DIR/trace-http run_traced -t 1 -k 1 --dns-server "$DNS_SERVER" \
        -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 0 && assert_summary 3 0 || return
    if grep -q "$bundle" "$CASE_DIR/trace-http"; then
        fail "$CASE" "a plain-http run opened $bundle"
        return
    fi
    RUN_TRACE=$CASE_DIR/trace-https run_traced -t 1 -k 1 --dns-server "$DNS_SERVER" \
        -i "$CASE_DIR/urls-https"
    assert_exit 1 && assert_summary 0 1 || return
    if grep -q "$bundle" "$CASE_DIR/trace-https"; then
        pass
    else
        fail "$CASE" "an https run did not open $bundle"
    fi
}

# run_traced ARGS...: run_volley under strace, its openat calls logged to $RUN_TRACE. (An ASan
# build's leak check cannot run under ptrace: it is turned off for this run.)
run_traced() {
    cat >"$CASE_DIR/traced" <<EOF
#!/bin/sh
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -qq -e trace=openat \\
    -o '$RUN_TRACE' '$VOLLEY' "\$@"
EOF
    chmod +x "$CASE_DIR/traced"
    VOLLEY=$CASE_DIR/traced run_volley "$@"
}

# --- TLS versions and long certificates --------------------------------------------------------

TLS_DIR=$WORK/tls-servers
TLS_NGINX_PID=""
P13="" P12="" PMID="" PBIG=""

stop_tls_nginx() {
    stop_pid "$TLS_NGINX_PID"
    TLS_NGINX_PID=""
}
trap 'stop_tls_nginx; verdict_missing' EXIT

# big_leaf NAME N: $TLS_DIR/NAME.pem/.key, a certificate for img.volley.test signed by the world's
# CA and made long by N more 46-byte DNS names (kept between runs).
big_leaf() {
    local name=$1 n=$2 i c=$WORLD_DIR/certs
    [[ -s $TLS_DIR/$name.pem && $(cat "$TLS_DIR/$name.n" 2>/dev/null) == "$n" ]] && return 0
    openssl ecparam -name prime256v1 -genkey -noout -out "$TLS_DIR/$name.key" 2>/dev/null &&
        openssl req -new -key "$TLS_DIR/$name.key" -subj "/CN=img.volley.test" \
            -out "$TLS_DIR/$name.csr" 2>/dev/null || return 1
    {
        printf 'subjectAltName=DNS:img.volley.test'
        for ((i = 0; i < n; i++)); do
            printf ',DNS:name-%04d-padding-padding-padding.volley.test' "$i"
        done
        printf '\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
        printf 'extendedKeyUsage=serverAuth\n'
    } >"$TLS_DIR/$name.ext"
    openssl x509 -req -in "$TLS_DIR/$name.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -sha256 -days 30 -extfile "$TLS_DIR/$name.ext" \
        -out "$TLS_DIR/$name.pem" 2>/dev/null && echo "$n" >"$TLS_DIR/$name.n"
}

der_size() {
    openssl x509 -in "$1" -outform der | wc -c
}

# start_tls_nginx: nginx in the foreground (our child, stopped by pid) on four free ports, with
# the world's certificate (TLS 1.3 only, TLS 1.2 only) and the two long ones.
start_tls_nginx() {
    local c=$WORLD_DIR/certs i user=""
    mkdir -p "$TLS_DIR/tmp"
    big_leaf mid 340 && big_leaf big 430 || return 1
    P13=$(free_port) P12=$(free_port) PMID=$(free_port) PBIG=$(free_port)
    PNR13=$(free_port) PNR12=$(free_port)
    [[ $(id -u) == 0 ]] && user="user root root;"
    cat >"$TLS_DIR/nginx.conf" <<EOF
daemon off;
master_process off;
$user
pid $TLS_DIR/nginx.pid;
error_log $TLS_DIR/error.log warn;
events { worker_connections 128; }
http {
    log_format v '\$server_port \$ssl_protocol \$ssl_session_reused \$status \$request_uri';
    access_log $TLS_DIR/access.log v;
    client_body_temp_path $TLS_DIR/tmp/body;
    proxy_temp_path $TLS_DIR/tmp/proxy;
    fastcgi_temp_path $TLS_DIR/tmp/fastcgi;
    uwsgi_temp_path $TLS_DIR/tmp/uwsgi;
    scgi_temp_path $TLS_DIR/tmp/scgi;
    types { }
    default_type application/octet-stream;
    root $FIXTURE;
    ssl_certificate $c/server.pem;
    ssl_certificate_key $c/server.key;
    ssl_session_cache shared:tls:1m;
    ssl_protocols TLSv1.2 TLSv1.3;
    server { listen 127.0.0.1:$P13 ssl; ssl_protocols TLSv1.3; }
    server { listen 127.0.0.1:$P12 ssl; ssl_protocols TLSv1.2; }
    server {
        listen 127.0.0.1:$PNR13 ssl;
        ssl_protocols TLSv1.3;
        ssl_session_tickets off;
        ssl_session_cache off;
    }
    server {
        listen 127.0.0.1:$PNR12 ssl;
        ssl_protocols TLSv1.2;
        ssl_session_tickets off;
        ssl_session_cache off;
    }
    server {
        listen 127.0.0.1:$PMID ssl;
        ssl_certificate $TLS_DIR/mid.pem;
        ssl_certificate_key $TLS_DIR/mid.key;
    }
    server {
        listen 127.0.0.1:$PBIG ssl;
        ssl_certificate $TLS_DIR/big.pem;
        ssl_certificate_key $TLS_DIR/big.key;
    }
}
EOF
    : >"$TLS_DIR/access.log"
    nginx -p "$TLS_DIR/" -c "$TLS_DIR/nginx.conf" -e "$TLS_DIR/error.log" \
        </dev/null >"$TLS_DIR/nginx.out" 2>&1 &
    TLS_NGINX_PID=$!
    for ((i = 0; i < 50; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PBIG") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# tls_begin NAME: begin a case with an empty access log.
tls_begin() {
    begin "$1"
    : >"$TLS_DIR/access.log"
}

# log_count PORT PATTERN: access log lines of requests to PORT matching the extended regex.
log_count() {
    grep -Ec "^$1 $2" "$TLS_DIR/access.log" || true
}

# fetch_version NAME PORT VERSION: 20 photos over -k 4 from a server speaking only VERSION: all
# saved, each request logged as VERSION, one full handshake and three resumed ones.
fetch_version() {
    tls_begin "$1"
    fixture_subset "$CASE_DIR/want" 20
    url_list "https://img.volley.test:$2" 20 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    local n
    n=$(log_count "$2" "$3 ")
    assert_exit 0 && assert_saved "$CASE_DIR/want" "img.volley.test:$2/600" &&
        assert_summary 20 0 && assert_output_has "tls handshakes: 1 full, 3 resumed" && {
        [[ $n == 20 ]] || fail "$CASE" "$n of 20 requests logged as $3"
    } && pass
}

# A new connection per request: each resumes with the TLS 1.3 ticket of the first, and the
# server says so too.
t_tls13_churn() {
    tls_begin tls13_ticket_resumption
    fixture_subset "$CASE_DIR/want" 12
    url_list "https://img.volley.test:$P13" 12 >"$CASE_DIR/urls"
    run_volley -t 1 -k 2 --requests-per-conn 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    local n
    n=$(log_count "$P13" "TLSv1.3 r ")
    assert_exit 0 && assert_saved "$CASE_DIR/want" "img.volley.test:$P13/600" &&
        assert_output_has "tls handshakes: 1 full, 11 resumed" && {
        [[ $n == 11 ]] || fail "$CASE" "the server saw $n resumed TLS 1.3 sessions, want 11"
    } && pass
}

# never_resumes NAME PORT VERSION: a server that keeps no sessions, a new connection per request
# over 4 slots. Every handshake is counted full, as the server logged it; once the first answer
# came with no session, new connections stop waiting for one (at most the first 3 URLs waited,
# twice each: for the handshake, then for a ticket that did not come).
never_resumes() {
    tls_begin "$1"
    fixture_subset "$CASE_DIR/want" 16
    url_list "https://img.volley.test:$2" 16 >"$CASE_DIR/urls"
    run_volley -t 1 -k 4 --requests-per-conn 1 --json "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" \
        -o "$OUT"
    local n
    n=$(log_count "$2" "$3 \\. ")
    assert_exit 0 && assert_saved "$CASE_DIR/want" "img.volley.test:$2/600" && json_check '
t = get("tls")
assert t["full"] == 16 and t["resumed"] == 0, "tls %r" % t
assert t["waits"] <= 6, "%d waits for a session that never comes" % t["waits"]' && {
        [[ $n == 16 ]] || fail "$CASE" "the server logged $n of 16 requests on new sessions"
    } && pass
}

# The certificate checks over TLS 1.2: another CA, another name.
t_tls12_refused() {
    begin tls12_untrusted_ca
    url_list "https://img.volley.test:$P12" 2 >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 --cacert "$WORLD_DIR/certs/untrusted-ca.pem" \
        --dns-server "$DNS_SERVER" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_summary 0 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "certificate not trusted" && pass
    begin tls12_wrong_host_name
    url_list "https://untrusted.volley.test:$P12" 2 >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_summary 0 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "does not match the host name" && pass
}

# Over 16 KB, the TLS 1.3 Certificate message spans two records; mbedTLS 3.6 puts it together.
t_cert_two_records() {
    tls_begin tls_cert_over_one_record
    local size
    size=$(der_size "$TLS_DIR/mid.pem")
    fixture_subset "$CASE_DIR/want" 3
    url_list "https://img.volley.test:$PMID" 3 >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    local n
    n=$(log_count "$PMID" "TLSv1.3 ")
    assert_exit 0 && assert_saved "$CASE_DIR/want" "img.volley.test:$PMID/600" && {
        ((size > 16384 && size < 17500)) || fail "$CASE" "the certificate is $size bytes"
    } && {
        [[ $n == 3 ]] || fail "$CASE" "$n of 3 requests logged as TLSv1.3"
    } && pass
}

# About 20 KB is more than its input buffer holds (16 KB of record content and some slack).
t_cert_too_big() {
    begin tls_cert_too_big
    local size
    size=$(der_size "$TLS_DIR/big.pem")
    url_list "https://img.volley.test:$PBIG" 2 >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_no_files && assert_summary 0 2 &&
        assert_failed_url "$(head -n 1 "$CASE_DIR/urls")" "handshake message over 16 KB" && {
        ((size > 19500)) || fail "$CASE" "the certificate is $size bytes, want about 20 KB"
    } && pass
}

t_mixed
t_default_verifies
t_insecure
t_ip_literal
t_ip_literal_mismatch
t_lazy_bundle

mkdir -p "$TLS_DIR"
if start_tls_nginx; then
    fetch_version tls13_only_server "$P13" TLSv1.3
    fetch_version tls12_only_server "$P12" TLSv1.2
    t_tls13_churn
    never_resumes tls13_server_never_resumes "$PNR13" TLSv1.3
    never_resumes tls12_server_never_resumes "$PNR12" TLSv1.2
    t_tls12_refused
    t_cert_two_records
    t_cert_too_big
else
    begin tls_version_servers
    fail "$CASE" "nginx did not start (see $TLS_DIR/error.log, $TLS_DIR/nginx.out)"
fi
stop_tls_nginx
