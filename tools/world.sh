#!/usr/bin/env bash
# The local test world for volley, on loopback only: a test CA and certificates, the photo fixture,
# nginx (HTTPS, plain HTTP, an untrusted-CA port, a wrong-name port, a port that closes every
# keep-alive connection after 3 requests) and dnsmasq answering *.volley.test with 127.0.0.1.
#
#   tools/world.sh start DIR    build what is missing in DIR, start the servers, write DIR/world.env
#   tools/world.sh stop DIR     stop the servers started in DIR (by the pids in DIR's pid files),
#                               and tools/latency.sh's delay proxies if any run there
#   tools/world.sh status DIR   exit 0 if both servers of DIR are running
#
# Environment: WORLD_PORT_BASE (default 18400): HTTPS=base+43 HTTP=base+80 UNTRUSTED=base+44
# WRONGNAME=base+45 CLOSE=base+46 DNS=base+53. WORLD_ACCESS_LOG=1 turns nginx's access log on
# (DIR/access.log). Certificates and the fixture are cached in DIR; every wait is bounded.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DNSMASQ=${DNSMASQ:-$(command -v dnsmasq || echo /usr/sbin/dnsmasq)}
FIXTURE_VERSION=1

die() {
    echo "world: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
}

set_ports() {
    local base=${WORLD_PORT_BASE:-18400}
    if ! [[ $base =~ ^[0-9]+$ ]] || ((base < 1024 || base > 65400)); then
        die "WORLD_PORT_BASE must be a number in 1024..65400, not '$base'"
    fi
    HTTPS_PORT=$((base + 43))
    HTTP_PORT=$((base + 80))
    UNTRUSTED_PORT=$((base + 44))
    WRONGNAME_PORT=$((base + 45))
    CLOSE_PORT=$((base + 46))
    DNS_PORT=$((base + 53))
}

# --- processes -------------------------------------------------------------------------------

# Is PID alive (a zombie counts as gone: a container's init may not reap daemons)?
alive() {
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z && $state != X ]]
}

# The pid in PIDFILE if that process is alive and its command line names PROG and DIR; a pid file
# left by a crash may hold a pid the kernel has since given to an unrelated process.
our_pid() {
    local pidfile=$1 prog=$2 pid cmd
    [[ -f $pidfile ]] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [[ -n $pid ]] && alive "$pid" || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *"$prog"* && $cmd == *"$DIR"* ]] || return 1
    echo "$pid"
}

children_of() {
    local p
    for p in /proc/[0-9]*; do
        [[ $(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null) == "$1" ]] && echo "${p#/proc/}"
    done
    return 0
}

# Wait up to $2 tenths of a second for PID to exit.
wait_gone() {
    local i
    for ((i = 0; i < $2; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    ! alive "$1"
}

# Stop the process recorded in PIDFILE if it is ours: TERM, then KILL (and its children, which
# for nginx are the workers) after 5 s. A stale pid file is just removed.
stop_one() {
    local pidfile=$1 prog=$2 pid kids
    if pid=$(our_pid "$pidfile" "$prog"); then
        kids=$(children_of "$pid")
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" 50; then
            echo "world: $prog ($pid) ignored TERM; killing it" >&2
            # shellcheck disable=SC2086
            kill -KILL "$pid" $kids 2>/dev/null || true
            wait_gone "$pid" 20 || echo "world: $prog ($pid) still alive" >&2
        fi
    fi
    rm -f "$pidfile"
}

stop_world() {
    # The latency world's delay proxies (tools/latency.sh) go first: they front nginx.
    stop_one "$DIR/delayproxy-https.pid" delayproxy
    stop_one "$DIR/delayproxy-http.pid" delayproxy
    stop_one "$DIR/nginx.pid" nginx
    stop_one "$DIR/dnsmasq.pid" dnsmasq
}

# --- certificates ----------------------------------------------------------------------------

ec_key() {
    openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null
}

# new_ca NAME CN: self-signed CA certificate NAME.pem with key NAME.key in $C.
new_ca() {
    ec_key "$C/$1.key"
    openssl req -x509 -new -key "$C/$1.key" -sha256 -days 3650 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" -out "$C/$1.pem" 2>/dev/null
}

# new_leaf NAME CA CN SAN: server certificate NAME.pem signed by CA, for the names in SAN.
new_leaf() {
    local name=$1 ca=$2 cn=$3 san=$4
    ec_key "$C/$name.key"
    openssl req -new -key "$C/$name.key" -subj "/CN=$cn" -out "$C/$name.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectKeyIdentifier=hash" \
        "authorityKeyIdentifier=keyid,issuer" "subjectAltName=$san" >"$C/$name.ext"
    openssl x509 -req -in "$C/$name.csr" -CA "$C/$ca.pem" -CAkey "$C/$ca.key" \
        -set_serial "0x$(openssl rand -hex 12)" -sha256 -days 3650 -extfile "$C/$name.ext" \
        -out "$C/$name.pem" 2>/dev/null
    rm -f "$C/$name.csr"
}

certs_ok() {
    local f
    for f in ca untrusted-ca server untrusted wrongname; do
        [[ -s $C/$f.pem && -s $C/$f.key ]] || return 1
        openssl x509 -in "$C/$f.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
    done
    cmp -s "$C/ca.pem" "$DIR/ca.pem"
}

make_certs() {
    C=$DIR/certs
    certs_ok && return 0
    echo "world: making certificates in $C" >&2
    rm -rf "$C"
    mkdir -p "$C"
    new_ca ca "volley test CA"
    new_ca untrusted-ca "volley untrusted test CA"
    new_leaf server ca api.volley.test \
        "DNS:api.volley.test,DNS:img.volley.test,DNS:localhost,IP:127.0.0.1,IP:::1"
    new_leaf untrusted untrusted-ca untrusted.volley.test "DNS:untrusted.volley.test"
    new_leaf wrongname ca other.example "DNS:other.example"
    cp "$C/ca.pem" "$DIR/ca.pem"
    certs_ok || die "certificates in $C failed their own check"
}

# --- fixture ---------------------------------------------------------------------------------

make_fixture() {
    local stamp want
    stamp=$DIR/fixture.stamp
    want="v$FIXTURE_VERSION img.volley.test:$HTTPS_PORT img.volley.test:$HTTP_PORT"
    want+=" $(cksum <"$HERE/gen_fixture.py")"
    if [[ -d $DIR/fixture && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return 0
    fi
    echo "world: generating the fixture in $DIR/fixture" >&2
    rm -rf "$DIR/fixture" "$DIR/fixture.new" "$stamp"
    python3 "$HERE/gen_fixture.py" "$DIR/fixture.new" "img.volley.test:$HTTPS_PORT" \
        "img.volley.test:$HTTP_PORT" || die "gen_fixture.py failed"
    mv "$DIR/fixture.new" "$DIR/fixture"
    echo "$want" >"$stamp"
}

# --- nginx -----------------------------------------------------------------------------------

# The locations every port serves; FIXTURE is the root.
write_site_conf() {
    local fx=$DIR/fixture
    cat >"$DIR/site.conf" <<EOF
root $fx;
location /600/ { default_type image/png; }
location /150/ { default_type image/png; }
location = /photos { default_type application/json; }
location = /photos-http { default_type application/json; }
location = /urls.txt { default_type text/plain; }
# The index again, but framed with Transfer-Encoding: chunked: the SSI filter cannot know the
# length of its output, so it drops Content-Length (RFC 9112 section 7.1).
location = /chunked/photos {
    alias $fx/photos;
    default_type application/json;
    ssi on;
    ssi_types application/json;
}
# Redirects to the index: absolute Location, path-only Location, and a chain of two.
location = /old/photos { return 301 /photos; }
location = /rel/photos { absolute_redirect off; return 302 /photos; }
location = /hop/photos { absolute_redirect off; return 307 /old/photos; }
location = /loop { absolute_redirect off; return 302 /loop; }
# The same files, answered with Connection: close.
location /close/ { alias $fx/; default_type image/png; keepalive_timeout 0; }
# The same files at 50 bytes a second, for timeouts.
location /slow/ { alias $fx/; default_type image/png; limit_rate 50; }
EOF
}

write_nginx_conf() {
    local c=$DIR/certs hard nofile conns user="" access="off"
    hard=$(ulimit -Hn)
    [[ $hard == unlimited ]] && hard=1048576
    nofile=$((hard < 40000 ? hard : 40000))
    conns=$((nofile - 100 < 20000 ? nofile - 100 : 20000))
    # As root, nginx would run its worker as nobody, which may not read a 0700 DIR.
    [[ $(id -u) == 0 ]] && user="user root root;"
    [[ ${WORLD_ACCESS_LOG:-0} == 1 ]] && access="$DIR/access.log"
    mkdir -p "$DIR/tmp"
    cat >"$DIR/nginx.conf" <<EOF
# Generated by tools/world.sh: edits are lost on the next start.
$user
daemon on;
worker_processes 1;
worker_rlimit_nofile $nofile;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections $conns; multi_accept on; }
http {
    access_log $access;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    types { }
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 60s;
    keepalive_requests 100000;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:volley:10m;
    ssl_session_timeout 1h;
    ssl_certificate $c/server.pem;
    ssl_certificate_key $c/server.key;

    server {
        listen 127.0.0.1:$HTTPS_PORT ssl;
        server_name api.volley.test img.volley.test localhost;
        include $DIR/site.conf;
    }
    server {
        listen 127.0.0.1:$HTTP_PORT;
        server_name api.volley.test img.volley.test localhost;
        include $DIR/site.conf;
    }
    server {
        listen 127.0.0.1:$UNTRUSTED_PORT ssl;
        server_name untrusted.volley.test;
        ssl_certificate $c/untrusted.pem;
        ssl_certificate_key $c/untrusted.key;
        include $DIR/site.conf;
    }
    server {
        listen 127.0.0.1:$WRONGNAME_PORT ssl;
        server_name other.example;
        ssl_certificate $c/wrongname.pem;
        ssl_certificate_key $c/wrongname.key;
        include $DIR/site.conf;
    }
    # A server that ends every keep-alive connection after its third response.
    server {
        listen 127.0.0.1:$CLOSE_PORT ssl;
        server_name api.volley.test img.volley.test;
        keepalive_requests 3;
        include $DIR/site.conf;
    }
}
EOF
}

start_nginx() {
    write_site_conf
    write_nginx_conf
    local log=$DIR/nginx-error.log out=$DIR/nginx-start.log
    : >"$log"
    if ! "$NGINX" -q -t -p "$DIR/" -c "$DIR/nginx.conf" -e "$log" >"$out" 2>&1 ||
        ! "$NGINX" -p "$DIR/" -c "$DIR/nginx.conf" -e "$log" >>"$out" 2>&1; then
        tail -n 5 "$out" >&2
        return 1
    fi
}

# --- dnsmasq ---------------------------------------------------------------------------------

start_dnsmasq() {
    : >"$DIR/dnsmasq.log"
    # Daemon mode: the parent exits once the child has bound its socket and written the pid file,
    # and reports a failure to bind on stderr. --local=/volley.test/ answers AAAA for those names
    # with NOERROR and no records (without it dnsmasq would forward AAAA, and with no upstream
    # answer REFUSED); --local=/invalid/ makes *.invalid NXDOMAIN; with --no-resolv any other
    # name gets REFUSED.
    "$DNSMASQ" --conf-file=/dev/null --port="$DNS_PORT" --listen-address=127.0.0.1 \
        --bind-interfaces --no-resolv --no-hosts --user=root --group=root \
        --address=/volley.test/127.0.0.1 --local=/volley.test/ --local=/invalid/ \
        --log-queries --log-facility="$DIR/dnsmasq.log" --pid-file="$DIR/dnsmasq.pid" \
        2>>"$DIR/dnsmasq.log" || {
        tail -n 5 "$DIR/dnsmasq.log" >&2
        return 1
    }
}

# Ask 127.0.0.1:DNS_PORT for NAME's A record; print "rcode addr,addr".
dns_query() {
    python3 - "$DNS_PORT" "$1" <<'EOF'
import socket, struct, sys
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack(">HHHHHH", 0x7601, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(512)
rcode, an = r[3] & 15, struct.unpack(">H", r[6:8])[0]
i = len(q)  # the question is echoed; answers follow
addrs = []
for _ in range(an):
    if r[i] & 0xC0 == 0xC0:
        i += 2
    else:
        while r[i]:
            i += r[i] + 1
        i += 1
    typ, _, _, rdlen = struct.unpack(">HHIH", r[i:i + 10])
    if typ == 1:
        addrs.append(socket.inet_ntoa(r[i + 10:i + 14]))
    i += 10 + rdlen
print(rcode, ",".join(addrs))
EOF
}

# --- readiness -------------------------------------------------------------------------------

ready() {
    local code
    [[ $(dns_query img.volley.test 2>/dev/null) == "0 127.0.0.1" ]] || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$DIR/ca.pem" \
        --resolve "api.volley.test:$HTTPS_PORT:127.0.0.1" \
        "https://api.volley.test:$HTTPS_PORT/photos") || return 1
    [[ $code == 200 ]] || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
        "http://127.0.0.1:$HTTP_PORT/urls.txt") || return 1
    [[ $code == 200 ]]
}

# Poll until both servers answer, for 10 s at most (each probe has its own 1-2 s limit).
wait_ready() {
    local end=$((SECONDS + 10))
    while ((SECONDS < end)); do
        ready && return 0
        sleep 0.1
    done
    return 1
}

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_env() {
    local h=https://api.volley.test:$HTTPS_PORT
    {
        echo "# Written by tools/world.sh start; source it."
        printf '%s=%q\n' WORLD_DIR "$DIR" CA "$DIR/ca.pem" FIXTURE "$DIR/fixture" \
            HTTPS_PORT "$HTTPS_PORT" HTTP_PORT "$HTTP_PORT" UNTRUSTED_PORT "$UNTRUSTED_PORT" \
            WRONGNAME_PORT "$WRONGNAME_PORT" CLOSE_PORT "$CLOSE_PORT" DNS_PORT "$DNS_PORT" \
            DNS_SERVER "127.0.0.1:$DNS_PORT" DNS_LOG "$DIR/dnsmasq.log" \
            NGINX_ERROR_LOG "$DIR/nginx-error.log" \
            INDEX_URL "$h/photos" \
            INDEX_URL_HTTP "http://api.volley.test:$HTTP_PORT/photos-http" \
            INDEX_URL_CHUNKED "$h/chunked/photos" \
            INDEX_URL_REDIRECT "$h/old/photos" \
            INDEX_URL_REDIRECT_REL "$h/rel/photos" \
            INDEX_URL_REDIRECT_2HOP "$h/hop/photos" \
            URLS_FILE "$DIR/fixture/urls.txt" \
            IMG_BASE "https://img.volley.test:$HTTPS_PORT"
    } >"$DIR/world.env.new"
    mv "$DIR/world.env.new" "$DIR/world.env"
}

start_world() {
    local p pid
    for p in nginx dnsmasq; do
        if pid=$(our_pid "$DIR/$p.pid" "$p"); then
            echo "world: stopping the $p ($pid) of an earlier world in $DIR" >&2
        fi
    done
    stop_world
    rm -f "$DIR/world.env"
    for p in $HTTPS_PORT $HTTP_PORT $UNTRUSTED_PORT $WRONGNAME_PORT $CLOSE_PORT; do
        port_busy "$p" && die "127.0.0.1:$p is in use (another world? set WORLD_PORT_BASE)"
    done
    make_certs
    make_fixture
    start_dnsmasq || {
        stop_world
        die "dnsmasq did not start (log: $DIR/dnsmasq.log)"
    }
    start_nginx || {
        stop_world
        die "nginx did not start (log: $DIR/nginx-error.log)"
    }
    wait_ready || {
        stop_world
        die "servers did not answer within 10 s (logs in $DIR)"
    }
    write_env
    echo "world: up in $DIR (https $HTTPS_PORT, http $HTTP_PORT, dns $DNS_PORT)" >&2
}

main() {
    [[ $# == 2 ]] || usage
    local cmd=$1
    if [[ $cmd == start ]]; then
        mkdir -p "$2"
    elif [[ ! -d $2 ]]; then
        [[ $cmd == stop ]] && return 0
        return 1
    fi
    DIR=$(cd "$2" && pwd)
    set_ports
    case $cmd in
    start) start_world ;;
    stop)
        stop_world
        rm -f "$DIR/world.env"
        ;;
    status)
        our_pid "$DIR/nginx.pid" nginx >/dev/null && our_pid "$DIR/dnsmasq.pid" dnsmasq >/dev/null
        ;;
    *) usage ;;
    esac
}

main "$@"
