#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# The world itself, checked with curl and python3 before volley meets it: a volley case can only
# prove something if the server really chunks, really closes, really presents a bad certificate.
. "$(dirname "$0")/lib.sh"

RES=(--resolve "api.volley.test:$HTTPS_PORT:127.0.0.1" --resolve "img.volley.test:$HTTPS_PORT:127.0.0.1")

# Print "rcode answers" for a query of TYPE (1=A, 28=AAAA) for NAME to the world's dnsmasq.
dns_ask() {
    python3 - "$DNS_PORT" "$1" "$2" <<'EOF'
import socket, struct, sys
port, name, qtype = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
q += struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(512)
print(r[3] & 15, struct.unpack(">H", r[6:8])[0])
EOF
}

t_fixture() {
    begin world_fixture
    local msg
    msg=$(python3 - "$FIXTURE" "$HTTPS_PORT" "$HTTP_PORT" <<'EOF'
import json, os, sys
fx, https, http = sys.argv[1], sys.argv[2], sys.argv[3]
idx = json.load(open(os.path.join(fx, "photos")))
assert len(idx) == 5000, "index has %d entries" % len(idx)
urls = [e["url"] for e in idx]
assert len(set(urls)) == 5000, "photo URLs are not unique"
assert all(set(e) == {"albumId", "id", "title", "url", "thumbnailUrl"} for e in idx), "fields"
for e in idx:
    name = e["url"].rsplit("/", 1)[1]
    assert e["url"] == "https://img.volley.test:%s/600/%s" % (https, name), e["url"]
    assert e["thumbnailUrl"] == "https://img.volley.test:%s/150/%s" % (https, name)
    for d, lo, hi in (("600", 1700, 2200), ("150", 400, 1100)):
        p = os.path.join(fx, d, name)
        data = open(p, "rb").read(8)
        assert data == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % p
        assert lo <= os.path.getsize(p) <= hi, "%s is %d bytes" % (p, os.path.getsize(p))
assert len(os.listdir(os.path.join(fx, "600"))) == 5000
assert len(os.listdir(os.path.join(fx, "150"))) == 5000
h = json.load(open(os.path.join(fx, "photos-http")))
assert [e["url"] for e in h] == [u.replace("https://", "http://").replace(":" + https + "/", ":" + http + "/") for u in urls]
lines = open(os.path.join(fx, "urls.txt")).read().split("\n")
assert lines[:-1] == urls and lines[-1] == "", "urls.txt differs from the index"
EOF
    ) || {
        fail "$CASE" "$(echo "$msg" | tail -n 1)"
        return
    }
    pass
}

t_chunked() {
    begin world_chunked_index
    curl -sS --raw -D "$CASE_DIR/headers" -o "$CASE_DIR/raw" --max-time 10 --cacert "$CA" \
        "${RES[@]}" "$INDEX_URL_CHUNKED" 2>"$CASE_DIR/stderr" || {
        fail "$CASE" "curl failed"
        return
    }
    grep -qi '^transfer-encoding: chunked' "$CASE_DIR/headers" || {
        fail "$CASE" "no Transfer-Encoding: chunked"
        return
    }
    grep -qi '^content-length' "$CASE_DIR/headers" && {
        fail "$CASE" "chunked response also has Content-Length"
        return
    }
    # More than one chunk, so a reader must really reassemble.
    curl -sS --max-time 10 --cacert "$CA" "${RES[@]}" -o "$CASE_DIR/body" "$INDEX_URL_CHUNKED"
    if cmp -s "$CASE_DIR/raw" "$CASE_DIR/body" || ! cmp -s "$CASE_DIR/body" "$FIXTURE/photos"; then
        fail "$CASE" "raw body is not chunk-framed or decoded body differs from the index"
        return
    fi
    pass
}

t_close_after_3() {
    begin world_close_after_3
    local u
    u="https://img.volley.test:$CLOSE_PORT/600/$(photo_names 1)"
    curl -sv --max-time 10 --cacert "$CA" --resolve "img.volley.test:$CLOSE_PORT:127.0.0.1" \
        "$u" "$u" "$u" "$u" -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
        2>"$CASE_DIR/stderr"
    local got
    got=$(grep -i '^< connection:' "$CASE_DIR/stderr" | tr -d '\r' | awk '{print tolower($3)}' | tr '\n' ' ')
    [[ $got == "keep-alive keep-alive close keep-alive " ]] || {
        fail "$CASE" "Connection headers of 4 requests: '$got'"
        return
    }
    pass
}

t_close_location() {
    begin world_close_location
    curl -sS -D "$CASE_DIR/headers" -o "$CASE_DIR/body" --max-time 10 --cacert "$CA" "${RES[@]}" \
        "$IMG_BASE/close/600/$(photo_names 1)" 2>"$CASE_DIR/stderr"
    grep -qi '^connection: close' "$CASE_DIR/headers" || {
        fail "$CASE" "no Connection: close"
        return
    }
    cmp -s "$CASE_DIR/body" "$FIXTURE/600/$(photo_names 1)" || {
        fail "$CASE" "body differs"
        return
    }
    pass
}

t_redirects() {
    begin world_redirects
    local url code loc got
    while read -r url code loc; do
        got=$(curl -s -o /dev/null -w '%{http_code} %header{location}' --max-time 5 \
            --cacert "$CA" "${RES[@]}" "$url")
        [[ $got == "$code $loc" ]] || {
            fail "$CASE" "$url answered '$got', want '$code $loc'"
            return
        }
    done <<EOF
$INDEX_URL_REDIRECT 301 https://api.volley.test:$HTTPS_PORT/photos
$INDEX_URL_REDIRECT_REL 302 /photos
$INDEX_URL_REDIRECT_2HOP 307 /old/photos
EOF
    pass
}

t_tls_refusals() {
    begin world_tls_refusals
    local u="https://untrusted.volley.test:$UNTRUSTED_PORT/urls.txt" r
    r=(--resolve "untrusted.volley.test:$UNTRUSTED_PORT:127.0.0.1")
    curl -s -o /dev/null --max-time 5 --cacert "$CA" "${r[@]}" "$u"
    [[ $? == 60 ]] || {
        fail "$CASE" "curl trusted the untrusted CA's certificate"
        return
    }
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        --cacert "$WORLD_DIR/certs/untrusted-ca.pem" "${r[@]}" "$u") == 200 ]] || {
        fail "$CASE" "untrusted port does not serve with its own CA"
        return
    }
    u="https://img.volley.test:$WRONGNAME_PORT/urls.txt"
    curl -s -o /dev/null --max-time 5 --cacert "$CA" \
        --resolve "img.volley.test:$WRONGNAME_PORT:127.0.0.1" "$u"
    [[ $? == 60 ]] || {
        fail "$CASE" "curl accepted the other.example certificate for img.volley.test"
        return
    }
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA" \
        --resolve "other.example:$WRONGNAME_PORT:127.0.0.1" \
        "https://other.example:$WRONGNAME_PORT/urls.txt") == 200 ]] || {
        fail "$CASE" "wrong-name port does not serve other.example"
        return
    }
    pass
}

t_dns() {
    begin world_dns
    local name qtype want got
    # name, query type (1 A, 28 AAAA), then the wanted rcode and answer count.
    while read -r name qtype want; do
        got=$(dns_ask "$name" "$qtype" 2>&1)
        [[ $got == "$want" ]] || {
            fail "$CASE" "$name type $qtype: rcode/answers '$got', want '$want'"
            return
        }
    done <<EOF
img.volley.test 1 0 1
api.volley.test 1 0 1
untrusted.volley.test 1 0 1
img.volley.test 28 0 0
nope.invalid 1 3 0
EOF
    pass
}

t_fixture
t_chunked
t_close_after_3
t_close_location
t_redirects
t_tls_refusals
t_dns
