#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# What volley does on the wire, checked where it happens: the exact request bytes the server
# receives (request line, Host with port and IPv6 brackets, Connection: close on the last request
# of --requests-per-conn, nothing else), IP-literal URLs over TLS (an iPAddress SAN or nothing),
# chunked and close-delimited framing from a real server, no request after a response that said
# "Connection: close", one DNS lookup per host name, and --pipeline really pipelining. Every
# negative case has its positive twin, so neither can pass by the test seeing nothing.
#
# The fault servers are started by faults.sh (on 127.0.0.1 and [::1], stopped by pid when the
# file ends); the per-connection counts come from the fault server's /stats "conns".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

IP_PID=""
trap 'stop_pid "$IP_PID"; stop_servers; verdict_missing' EXIT

UA="volley/$("$VOLLEY" --version | head -n 1 | cut -d' ' -f2)"

# --- what volley sends -------------------------------------------------------------------------

# assert_echo URL TARGET HOST [EXTRA]: the file saved for URL (a fault server /echo path) holds
# exactly the request volley sent: "GET TARGET HTTP/1.1", "Host: HOST", the User-Agent, Accept,
# then the header line EXTRA if given, and nothing else.
assert_echo() {
    local url=$1 want got path
    want="GET $2 HTTP/1.1"$'\r\n'"Host: $3"$'\r\n'"User-Agent: $UA"$'\r\n'"Accept: */*"$'\r\n'
    [[ -n ${4:-} ]] && want+="$4"$'\r\n'
    want+=$'\r\n'
    path=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["url"] == sys.argv[2] and m["ok"]:
        print(m["path"])
' "$CASE_DIR/manifest" "$url")
    [[ -n $path && -f $path ]] || {
        fail "$CASE" "no saved body for $url"
        return 1
    }
    got=$(cat "$path"; echo .)
    [[ ${got%.} == "$want" ]] && return 0
    fail "$CASE" "$url: the server got $(printf '%q' "${got%.}"), want $(printf '%q' "$want")"
}

t_request_bytes() {
    begin behaviour_request_bytes
    # The request line carries the path and query exactly as in the URL (no fragment), Host
    # names the port (not the scheme's default), and no other header is sent: over HTTP and TLS
    # (where the handshake names no server: SNI never carries an IP literal, RFC 6066 section 3).
    urls "$H/echo/a?x=1&y=%41b" "$H/echo/b#frag" "$S/echo/c?tls"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_echo "$H/echo/a?x=1&y=%41b" "/echo/a?x=1&y=%41b" "127.0.0.1:$F_HTTP" &&
        assert_echo "$H/echo/b#frag" /echo/b "127.0.0.1:$F_HTTP" &&
        assert_echo "$S/echo/c?tls" "/echo/c?tls" "127.0.0.1:$F_HTTPS" &&
        assert_conns '[r["sni"] for r in c] == [None, None]' && pass

    begin behaviour_request_ipv6_host
    # An IPv6 literal: connected to [::1], Host "[::1]:PORT" (brackets and port), and over TLS
    # the certificate's iPAddress SAN ::1 is what makes it trusted.
    if [[ -z $H6 ]]; then
        fail "$CASE" "this machine has no IPv6 loopback (::1): cannot check [::1] URLs"
        return
    fi
    urls "$H6/echo/v6" "$S6/echo/v6s"
    fetch -t 1 -k 2 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_echo "$H6/echo/v6" /echo/v6 "[::1]:$F_HTTP" &&
        assert_echo "$S6/echo/v6s" /echo/v6s "[::1]:$F_HTTPS" && pass
}

t_requests_per_conn() {
    local i list=()
    for ((i = 1; i <= 7; i++)); do
        list+=("$H/echo/$i")
    done
    begin behaviour_requests_per_conn_close
    # --requests-per-conn 3 with one connection: requests 1-3, 4-6 and 7 on three connections;
    # the 3rd and 6th (the last each connection may carry) say "Connection: close", no other
    # does, and the server sees nothing after them.
    urls "${list[@]}"
    fetch -t 1 -k 1 --requests-per-conn 3 -o "$OUT"
    assert_exit 0 &&
        assert_conns '[r["requests"] for r in c] == [3, 3, 1] and not any(r["after_close"] for r in c)' ||
        return
    for ((i = 1; i <= 7; i++)); do
        if ((i % 3 == 0)); then
            assert_echo "$H/echo/$i" "/echo/$i" "127.0.0.1:$F_HTTP" "Connection: close" || return
        else
            assert_echo "$H/echo/$i" "/echo/$i" "127.0.0.1:$F_HTTP" || return
        fi
    done
    pass

    begin behaviour_keep_alive_no_close
    # The twin: without the option all seven go on one connection, none says close.
    urls "${list[@]}"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 0 && assert_conns '[r["requests"] for r in c] == [7]' || return
    for ((i = 1; i <= 7; i++)); do
        assert_echo "$H/echo/$i" "/echo/$i" "127.0.0.1:$F_HTTP" || return
    done
    pass
}

# --- TLS for IP-literal URLs -------------------------------------------------------------------

# make_ip_cert DIR: DIR/ip.pem and DIR/ip.key, signed by the world's CA, for the DNS name
# localhost and the addresses 127.0.0.2 and ::2 only (not the loopback addresses volley uses).
make_ip_cert() {
    local d=$1 c=$WORLD_DIR/certs
    mkdir -p "$d"
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/ip.key" 2>>"$d/log" &&
        openssl req -new -key "$d/ip.key" -subj "/CN=127.0.0.1" -out "$d/ip.csr" 2>>"$d/log" &&
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.2,IP:::2" \
            >"$d/ip.ext" &&
        openssl x509 -req -in "$d/ip.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" \
            -set_serial "0x$(openssl rand -hex 12)" -sha256 -days 2 -extfile "$d/ip.ext" \
            -out "$d/ip.pem" 2>>"$d/log"
}

t_tls_ip_literal() {
    # (t_tls.sh's tls_ip_literal_san and tls_ip_literal_mismatch check 127.0.0.1 against the
    # world's certificates: one with the iPAddress SAN, one with no iPAddress SAN at all.)
    begin behaviour_tls_ip_san_other_address
    # A certificate with iPAddress SANs, but for other addresses (127.0.0.2, ::2), and the
    # subject CN "127.0.0.1" (which names no IP address): 127.0.0.1 and ::1 must both fail
    # tls_hostname; its DNS name (localhost) is accepted, and is the only server name volley
    # sends (SNI never carries an IP literal: RFC 6066 section 3).
    local d=$CASE_DIR/cert port
    make_ip_cert "$d" || {
        fail "$CASE" "openssl could not make the certificate (see $d/log)"
        return
    }
    port=$(free_port)
    python3 "$TOOLS/faultserver.py" --https-port "$port" --cert "$d/ip.pem" --key "$d/ip.key" \
        "${F_IPV6[@]}" --pidfile "$d/fs.pid" </dev/null 2>>"$d/fs.log" &
    IP_PID=$!
    wait_pidfile "$d/fs.pid" "$IP_PID" || {
        fail "$CASE" "the fault server with the IP certificate did not start: $(tail -n 1 "$d/fs.log")"
        return
    }
    local want=("https://127.0.0.1:$port/ok/10" tls_hostname 1 "https://localhost:$port/ok/11" ok 1)
    [[ -n $H6 ]] && want+=("https://[::1]:$port/ok/12" tls_hostname 1)
    printf '%s %s %s\n' "${want[@]}" | cut -d' ' -f1 >"$CASE_DIR/urls"
    run_volley -t 1 -k 1 --json --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls" \
        --cacert "$CA" --resolve "localhost:$port:127.0.0.1" -o "$OUT"
    curl -sk --noproxy "*" --max-time 5 "https://127.0.0.1:$port/stats" >"$CASE_DIR/ipstats"
    stop_pid "$IP_PID"
    IP_PID=""
    assert_exit 1 && assert_manifest "${want[@]}" && assert_bodies && assert_file_count "$OUT" 1 &&
        assert_conns '[r["sni"] for r in c] == ["localhost"]' "$CASE_DIR/ipstats" && pass
}

# --- framing from a real server ----------------------------------------------------------------
# (A 204 or 304 followed by bytes is integrity_excess_after_204_304 in t_integrity.sh.)

t_chunked() {
    begin behaviour_chunk_data_without_crlf
    # "5\r\nhello3\r\nabc...": the byte after the chunk data must be CR (or LF), not the next
    # size line's hex digit: bad_response, never retried, nothing saved. The well-formed twin
    # beside it on the same server is saved.
    urls "$H/chunknocrlf" "$H/chunked/300"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/chunknocrlf" bad_response 1 "$H/chunked/300" ok 1 &&
        assert_requests /chunknocrlf 1 && assert_bodies && assert_file_count "$OUT" 1 &&
        assert_failures bad_response=1 && pass

    begin behaviour_chunk_size_limit
    # The largest chunk size accepted is 2^62 (16 hex digits, 4000000000000000): that one is
    # taken, so the body is merely cut short (conn_closed); one more is bad_response, as is
    # 2^64 (17 digits); leading zeros do not count (a 26-digit size of 16 bytes is fine).
    urls "$H/chunksize/4000000000000000" "$H/chunksize/4000000000000001" \
        "$H/chunksize/10000000000000000" "$H/chunksize/00000000000000000000000010"
    fetch -t 1 -k 1 --retries 0 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/chunksize/4000000000000000" conn_closed 1 \
        "$H/chunksize/4000000000000001" bad_response 1 "$H/chunksize/10000000000000000" bad_response 1 \
        "$H/chunksize/00000000000000000000000010" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 1 && assert_failures conn_closed=1 bad_response=2 && pass

    begin behaviour_te_overrides_content_length
    # Transfer-Encoding: chunked and Content-Length: 100 together: the chunked framing wins
    # (RFC 9112 section 6.3 item 3), the body is the 3 bytes "xyz" (not a 100-byte wait, which
    # --timeout 3 would cut), and the connection is not reused after such a message.
    urls "$H/tecl" "$H/ok/10" "$S/tecl?tls" "$S/ok/20"
    fetch -t 1 -k 1 --timeout 3 --retries 0 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$H/tecl" ok 1 "$H/ok/10" ok 1 "$S/tecl?tls" ok 1 \
        "$S/ok/20" ok 1 && assert_bodies && assert_file_count "$OUT" 4 &&
        assert_conns '[r["requests"] for r in c] == [1, 1, 1, 1]' && assert_faster_than 3 && pass
}

t_close_delimited() {
    begin behaviour_close_delimited_whole
    # No Content-Length, no chunking: the body runs to the server's close (RFC 9112 section 6.3
    # item 8), as HTTP/1.1 with "Connection: close" or as HTTP/1.0; over TLS the close comes
    # with close_notify. Every body is saved whole, each asked for once.
    urls "$H/eof/100000" "$H/eof10/5000" "$S/eof/70000" "$S/eof10/3000" "$H/eof/0"
    fetch -t 1 -k 2 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$H/eof/100000" ok 1 "$H/eof10/5000" ok 1 "$S/eof/70000" ok 1 \
        "$S/eof10/3000" ok 1 "$H/eof/0" ok 1 && assert_bodies && assert_file_count "$OUT" 5 &&
        assert_requests /eof/100000 1 /eof10/5000 1 /eof/70000 1 /eof10/3000 1 && pass

    begin behaviour_close_delimited_cut
    # The same bodies cut short: a RST after 50,000 bytes is conn_reset, and over TLS a bare
    # FIN without close_notify cannot vouch for the end (a truncation attack): conn_closed.
    # Nothing is saved; a plain-HTTP FIN is the one way such a body may end.
    urls "$H/eofreset/50000" "$S/eofreset/50000" "$S/eofcut/40000" "$H/eofcut/3000"
    fetch -t 1 -k 2 --cacert "$CA" --retries 0 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/eofreset/50000" conn_reset 1 "$S/eofreset/50000" conn_reset 1 \
        "$S/eofcut/40000" conn_closed 1 "$H/eofcut/3000" ok 1 && assert_no_part && assert_bodies &&
        assert_file_count "$OUT" 1 && assert_failures conn_reset=2 conn_closed=1 && pass
}

# --- Connection: close -------------------------------------------------------------------------

# close_list PREFIX: five plain and five TLS URLs, PREFIX before each path; sets list and spec
# (for assert_manifest: each ok at the first attempt).
close_list() {
    local i u
    list=() spec=()
    for ((i = 1; i <= 5; i++)); do
        list+=("$H$1/ok/$((100 + i))")
    done
    for ((i = 1; i <= 5; i++)); do
        list+=("$S$1/chunked/$((200 + i))")
    done
    for u in "${list[@]}"; do
        spec+=("$u" ok 1)
    done
}

t_conn_close() {
    local list spec
    begin behaviour_connection_close_honoured
    # Every response says "Connection: close" (the server then reads on for 1 s before its
    # FIN): each connection carries exactly one request, none comes after the close, and volley
    # closes each itself at once (RFC 9112 section 9.6), though it has slots to spare and runs
    # on for 1.5 s (a slow URL beside them). Plain and TLS.
    close_list /sayclose
    urls "${list[@]}" "$H/redirect-slow/0/1500"
    fetch -t 1 -k 16 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "${spec[@]}" "$H/redirect-slow/0/1500" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 11 && assert_conns 'len(c) == 11 and
all(r["requests"] == 1 and r["after_close"] == 0 for r in c) and
[r["client_closed"] for r in c].count(True) == 10' && assert_json resent=0 && pass

    begin behaviour_connection_close_one_slot
    # The same through one connection slot: ten URLs, ten connections, one request each.
    close_list /sayclose
    urls "${list[@]}"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "${spec[@]}" && assert_bodies &&
        assert_conns 'len(c) == 10 and all(r["requests"] == 1 and r["after_close"] == 0 for r in c)' &&
        assert_json resent=0 && assert_faster_than 4 && pass

    begin behaviour_connection_kept_alive
    # The twin: the same responses without "Connection: close" share one connection each way.
    close_list ""
    urls "${list[@]}"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "${spec[@]}" && assert_bodies &&
        assert_conns 'sorted(r["requests"] for r in c) == [5, 5]' && pass
}

# --- the DNS cache -----------------------------------------------------------------------------

# a_queries NAME: how many A queries for NAME the world's dnsmasq has logged (one lookup asks
# for A and AAAA; dns_count counts both).
a_queries() {
    grep -c "query\[A\] $1 from" "$DNS_LOG" || true
}

# dns_delta NAME BEFORE: a_queries NAME now, less BEFORE (after letting dnsmasq write its log).
dns_delta() {
    sleep 0.2
    echo $(($(a_queries "$1") - $2))
}

t_dns_cache() {
    local img api n_img n_api
    begin behaviour_dns_one_lookup_per_name
    # 200 URLs on one host name over 2 threads x 16 connections: one lookup of the name, in
    # the summary and at the DNS server.
    url_list "$IMG_BASE" 200 >"$CASE_DIR/urls"
    img=$(a_queries img.volley.test)
    run_volley -t 2 -k 16 --json "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls"
    n_img=$(dns_delta img.volley.test "$img")
    assert_exit 0 && assert_json ok=200 && json_check "assert get('dns', 'lookups') == 1, \
'dns.lookups %r, want 1' % get('dns', 'lookups')" && {
        ((n_img == 1)) || fail "$CASE" "dnsmasq saw $n_img A queries for img.volley.test, want 1"
    } && pass

    begin behaviour_dns_two_names_two_lookups
    # The twin: the same photos, half through the second name: two lookups, one per name.
    {
        url_list "$IMG_BASE" 100
        url_list "https://api.volley.test:$HTTPS_PORT" 100 100
    } >"$CASE_DIR/urls"
    img=$(a_queries img.volley.test)
    api=$(a_queries api.volley.test)
    run_volley -t 2 -k 16 --json "${WORLD_ARGS[@]}" -i "$CASE_DIR/urls"
    n_img=$(dns_delta img.volley.test "$img")
    n_api=$(dns_delta api.volley.test "$api")
    assert_exit 0 && assert_json ok=200 && json_check "assert get('dns', 'lookups') == 2, \
'dns.lookups %r, want 2' % get('dns', 'lookups')" && {
        ((n_img == 1 && n_api == 1)) ||
            fail "$CASE" "dnsmasq saw $n_img A queries for img.volley.test and $n_api for api, want 1 each"
    } && pass
}

# --- --pipeline --------------------------------------------------------------------------------

t_pipeline() {
    local i list=() spec=()
    begin behaviour_pipeline_in_flight
    # --pipeline 8: the server answers each request 25 ms after it comes, and by then holds the
    # 7 sent behind it: it sees 8 received and not yet answered, never more, though two slots
    # could carry 16 (the other one is busy with a slow TLS URL for 1 s).
    for ((i = 1; i <= 24; i++)); do
        list+=("$H/redirect-slow/0/25?n=$i")
        spec+=("${list[-1]}" ok 1)
    done
    urls "$S/redirect-slow/0/1000" "${list[@]}"
    fetch -t 1 -k 2 --pipeline 8 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$S/redirect-slow/0/1000" ok 1 "${spec[@]}" && assert_bodies &&
        assert_conns '[(r["requests"], r["max_in_flight"]) for r in c if r["kind"] == "http"] ==
[(24, 8)]' && pass

    begin behaviour_no_pipeline_by_default
    # The twin: without --pipeline a request leaves only once the one before it is answered.
    list=() spec=()
    for ((i = 1; i <= 40; i++)); do
        list+=("$H/ok/$((i * 97))")
        spec+=("${list[-1]}" ok 1)
    done
    urls "${list[@]}"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 0 && assert_manifest "${spec[@]}" &&
        assert_conns 'len(c) == 1 and c[0]["requests"] == 40 and c[0]["max_in_flight"] == 1' && pass
}

t_request_bytes
t_requests_per_conn
t_tls_ip_literal
t_chunked
t_close_delimited
t_conn_close
t_dns_cache
t_pipeline

exit 0
