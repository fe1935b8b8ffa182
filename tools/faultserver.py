#!/usr/bin/env python3
"""faultserver.py -- a misbehaving HTTP/1.1 (+TLS) server for volley's reliability tests.

Usage:
    tools/faultserver.py [--http-port P] [--https-port P2 --cert CERT --key KEY]
                         [--tls-stall-port P3] [--tls-alert-port P4] [--ipv6]
                         [--pidfile F] [-v]

Every listener binds 127.0.0.1 only; with --ipv6, also [::1] at the same port.  Each
accepted connection gets its own daemon thread.  The pidfile is written once all
listeners are bound, so its appearance means "ready".  SIGTERM or SIGINT: close the
listeners, remove the pidfile, exit 0.
With -v, one line per request (and per failed TLS handshake) goes to stderr.

HTTP and HTTPS ports serve the same behaviours.  Connections are persistent (keep-alive)
unless the client sends "Connection: close" or speaks HTTP/1.0; an idle connection is
closed after 60 s.  Request bodies (Content-Length or chunked) are read and discarded.
The behaviour is chosen by the request path (N, S, K, MS, CODE are decimal integers):

  /ok/N               200, Content-Length N, body byte i = i % 251.
  /chunked/N          200, Transfer-Encoding: chunked, same N-byte body in chunks of
                      varying size, each size line carrying ";ext=1", then a trailer
                      "X-Trailer: done" (announced by "Trailer: X-Trailer").
  /reset/N            Content-Length 2N, N body bytes, then a TCP RST (SO_LINGER 0 +
                      close, after the client has ACKed the N bytes).
  /short/N            Content-Length N+100, N body bytes, then a clean close (TLS
                      close_notify, then FIN).
  /badchunk           chunked body whose size line is not hex ("zz"), then close.
  /hugechunk          chunked body whose size line is "ffffffffffffffffff", then close.
  /bighead            200 with a ~70,000-byte header block (X-Pad-NNNN headers), body "ok".
  /garbage            "HTTZ/9 abc\\r\\n\\r\\n", then close.
  /nohead             never answers; holds the connection until the client closes it
                      (at most 120 s).
  /slow[/MS]          status line and headers one byte per MS ms (default 1000), then the
                      body "slow" at once.
  /endless            chunked body that never ends: a 1 KiB chunk every 10 ms until the
                      client goes away or 120 s pass (then close with no last chunk).
  /status/CODE        that status with a short body ("status CODE\\n"); 204/304 have no
                      body.  A 1xx CODE is sent as an interim response followed by a 200.
                      "?retry=S" adds "Retry-After: S" (meant for 503 and 429).
  /flaky/KEY/N/CODE   the first N requests for KEY answer CODE with "Retry-After: 0";
                      later ones 200 with body "ok KEY".
  /flakyreset/KEY/N   the first N requests for KEY get a RST before any response byte;
                      later ones 200 with body "ok KEY".
  /limit/N/MS/ID      a resource that serves N requests at once: a request that arrives
                      while N others (of any ID, on any connection) are being served gets
                      429 at once (with "?retry=S": and "Retry-After: S"); else it is
                      served MS ms later, 200 with the body "ok ID".  /stats "limit" says
                      "peak" (most served at once), "served", "rejected", and "events":
                      [[ms since the first /limit request, status], ...] in arrival order
                      (the first 5,000).
  /redirect-loop/N    302, Location: /redirect-loop/N+1 (forever).
  /redirect/K         K hops of 302 then 200 "done"; Location is path-absolute
                      ("/redirect/K-1").
  /redirect-rel/K     as /redirect but Location is a relative-path reference ("K-1").
  /redirect-abs/K     as /redirect but Location is an absolute URL built from Host.
  /redirect-slow/K/MS as /redirect, but every answer (each hop and the last 200) comes MS ms
                      after the request.
  /extra/CODE         CODE (200, 204 or 304; 200 has the body "AAA", Content-Length 3),
                      with the bytes of a second, unrequested response right behind it in
                      the same write: "HTTP/1.1 200 OK", Content-Length 4, body "EVIL".
                      The connection stays open for the client's next request.
  /late/MS            200 "late", then, MS ms later and unasked, the bytes of the same
                      "EVIL" response (if no new request arrived meanwhile).
  /fold[/len]         200 with a header folded over two lines (obs-fold, RFC 9112
                      section 5.2): "X-Folded: a" then " b"; with /len the folded header
                      is Content-Length itself ("Content-Length:" then " 6"). Body "folded".
  /echo[/...]         200 whose body is the request head exactly as received: request line,
                      header fields and the blank line that ends them (Content-Length).
  /eof/N              200 framed by the close (RFC 9112 section 6.3 item 8): "Connection:
                      close", no Content-Length, N pattern bytes, then a clean close.
  /eof10/N            the same as an HTTP/1.0 response ("HTTP/1.0 200 OK", no Connection
                      header, no length).
  /eofreset/N         as /eof/N, but a TCP RST after the N bytes instead of a clean close.
  /eofcut/N           as /eof/N, but over TLS the close has no close_notify: a bare FIN,
                      which cannot tell a whole body from a cut one (RFC 8446 section 6.1).
  /chunknocrlf        chunked body whose chunk data is followed directly by the next size
                      line, with no CRLF between: "5\\r\\nhello3\\r\\nabc\\r\\n0\\r\\n\\r\\n";
                      then close.
  /chunksize/HEX      chunked body whose one chunk-size line is HEX exactly as given; if it
                      names 16 bytes or fewer they follow, then CRLF and the last chunk;
                      else 16 pattern bytes, then a clean close.
  /tecl               200 with both "Content-Length: 100" and "Transfer-Encoding: chunked",
                      the chunked body "xyz" (13 bytes); the connection stays open.
  /stats              JSON: {"requests": {TARGET: COUNT, ...},
                             "connections": {"http": n, "https": n,
                                             "tls-stall": n, "tls-alert": n},
                             "conns": [{"kind": "http", "requests": n, "max_in_flight": n,
                                        "after_close": n, "client_closed": b,
                                        "sni": NAME, "targets": [TARGET, ...]}, ...]}
                      TARGET is the request target exactly as sent (path and query);
                      connections are counted when accepted, per listener, so the one
                      carrying this request is included.  Counts (and flaky counters)
                      are shared by all ports; a key appears once its count is nonzero.
                      "conns" has one record per HTTP(S) connection that carried a request
                      other than /stats, in the order of their first such request:
                      "requests" is how many request heads arrived on it (those after
                      "after_close" included), "targets" the first 100 of them in order,
                      "max_in_flight" the most requests received and not yet answered at
                      one time (above 1 only if the client pipelines; counted when a
                      request is taken up, and for /redirect-slow again just before its
                      delayed answer goes out), "after_close" how
                      many request heads arrived after a response that said "Connection:
                      close" (never answered), "client_closed" whether the client then
                      closed the connection within 1 s, as RFC 9112 section 9.6 asks
                      (null if no response on it said close), "sni" the server name the
                      client sent in the TLS handshake (null for none, and over HTTP).
                      /stats and /stats/reset themselves are not counted.
  /stats/reset        clears the request and connection counts, the connection records
                      and every flaky/flakyreset counter; answers {"reset": true}.
  anything else       404.

Connection-level prefixes, which may be stacked and are followed by one of the paths
above (e.g. /closeafter/2/ok/10; an empty remainder answers 200 "ok"):
  /closeafter/N/...   once N requests have been served on this connection, close it
                      right after the response, with no "Connection: close" header.
  /idleclose/MS/...   after this response, close the connection if no new request
                      arrives within MS ms.
  /sayclose/...       this response says "Connection: close" (the paths answered with the
                      common headers: /ok, /chunked, /echo, /status, /flaky, redirects);
                      the connection then closes.
The first two settings stay on the connection until a later request overrides them.
Locations sent by the redirect paths keep these prefixes.

After a response that says "Connection: close" and has a length (a /sayclose response,
or the answer to a request that asked for close), the server reads on for up to 1 s
before its FIN: a client that sends another request there is seen ("after_close" in
/stats), and so is one that closes first ("client_closed").

Extra TLS listeners:
  --tls-stall-port    accepts TCP, reads and discards, never answers the handshake;
                      holds the connection until the client closes it (at most 120 s).
  --tls-alert-port    reads the ClientHello record, answers with the fatal alert
                      handshake_failure (15 03 03 00 02 02 28), then closes.

Malformed requests get 400 and a close; a request head over 64 KiB gets 431 and a close.
Python 3 standard library only.
"""

import argparse
import fcntl
import json
import os
import select
import selectors
import signal
import socket
import ssl
import struct
import sys
import termios
import threading
import time
import traceback
from http import HTTPStatus
from urllib.parse import parse_qs

LOOPBACK = "127.0.0.1"
LOOPBACK6 = "::1"
MAX_HEAD = 64 * 1024
IDLE_S = 60.0  # keep-alive idle limit and limit on a stalled request
HOLD_S = 120.0  # /nohead, /endless, tls-stall
SEND_TIMEOUT_S = 60.0
LINGER_S = 2.0  # how long a graceful close drains the client's leftovers
HANDSHAKE_S = 10.0
AFTER_CLOSE_S = 1.0  # how long a "Connection: close" response waits to see more requests
MAX_TARGETS = 100  # targets kept per connection record
MAX_LIMIT_EVENTS = 5000  # /limit arrivals kept

# Actions a handler returns to the connection loop.
KEEP = "keep"  # response complete, connection reusable
CLOSE = "close"  # close gracefully (close_notify, FIN, drain)
GONE = "gone"  # the handler already closed or reset the socket

# The block holds 256 whole periods of 251 bytes, so a slice of it that starts at
# (offset % 251) continues the i % 251 pattern for up to PATTERN_STEP bytes.
PATTERN = bytes(range(251)) * 256
PATTERN_STEP = len(PATTERN) - 251
CHUNK_SIZES = (1, 10, 255, 256, 4096, 16384, 3)
ALERT_HANDSHAKE_FAILURE = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])


class BadRequest(Exception):
    """The request cannot be parsed; answer 400 (or the given status) and close."""

    def __init__(self, status=400):
        super().__init__(status)
        self.status = status


class State:
    """Everything shared between connection threads; guarded by one lock."""

    def __init__(self, verbose):
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.verbose = verbose
        self.requests = {}
        self.connections = {}
        self.conns = []
        self.flaky = {}
        self.limit = self.new_limit()

    @staticmethod
    def new_limit():
        return {"now": 0, "peak": 0, "served": 0, "rejected": 0, "events": [], "t0": None}

    def limit_enter(self, n):
        """Take one of n places of /limit; False (counted as rejected) when all are taken."""
        with self.lock:
            lim = self.limit
            now = time.monotonic()
            if lim["t0"] is None:
                lim["t0"] = now
            ok = lim["now"] < n
            if len(lim["events"]) < MAX_LIMIT_EVENTS:
                lim["events"].append([round((now - lim["t0"]) * 1000, 1), 200 if ok else 429])
            if not ok:
                lim["rejected"] += 1
                return False
            lim["now"] += 1
            lim["peak"] = max(lim["peak"], lim["now"])
            return True

    def limit_leave(self):
        with self.lock:
            self.limit["now"] -= 1
            self.limit["served"] += 1

    def count_request(self, target):
        with self.lock:
            self.requests[target] = self.requests.get(target, 0) + 1

    def count_connection(self, kind):
        with self.lock:
            self.connections[kind] = self.connections.get(kind, 0) + 1

    def conn_record(self, conn):
        """The connection's record in /stats "conns", made on its first counted request.
        A reset drops it from the list; the connection then starts a new one."""
        with self.lock:
            if conn.rec is None or not any(r is conn.rec for r in self.conns):
                conn.rec = {"kind": conn.kind, "requests": 0, "max_in_flight": 0,
                            "after_close": 0, "client_closed": None, "sni": conn.sni,
                            "targets": []}
                self.conns.append(conn.rec)
            return conn.rec

    def note_request(self, conn, target, in_flight):
        """One more request head on conn, with in_flight requests (it included) unanswered."""
        rec = self.conn_record(conn)
        with self.lock:
            rec["requests"] += 1
            rec["max_in_flight"] = max(rec["max_in_flight"], in_flight)
            if len(rec["targets"]) < MAX_TARGETS:
                rec["targets"].append(target)

    def note_in_flight(self, conn, in_flight):
        rec = self.conn_record(conn)
        with self.lock:
            rec["max_in_flight"] = max(rec["max_in_flight"], in_flight)

    def note_after_close(self, conn, heads, late, closed):
        """heads request heads were left unanswered when conn closed, late of them sent
        after a response that said "Connection: close"; closed: the client closed it."""
        rec = self.conn_record(conn)
        with self.lock:
            rec["requests"] += heads
            rec["after_close"] += late
            rec["client_closed"] = closed

    def bump_flaky(self, key):
        """Return how many earlier requests KEY has seen, and count this one."""
        with self.lock:
            seen = self.flaky.get(key, 0)
            self.flaky[key] = seen + 1
            return seen

    def snapshot(self):
        with self.lock:
            lim = {k: v for k, v in self.limit.items() if k not in ("now", "t0")}
            lim["events"] = list(lim["events"])
            return {"requests": dict(self.requests), "connections": dict(self.connections),
                    "conns": [dict(r, targets=list(r["targets"])) for r in self.conns],
                    "limit": lim}

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.connections.clear()
            del self.conns[:]
            self.flaky.clear()
            self.limit = self.new_limit()

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("faultserver: %s\n" % msg)
            sys.stderr.flush()


class Conn:
    """One client connection: socket, read buffer and per-connection settings."""

    def __init__(self, sock, kind, state, peer):
        self.sock = sock
        self.kind = kind
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.state = state
        self.peer = "%s:%d" % peer[:2]
        self.buf = b""
        self.served = 0
        self.close_after = None
        self.idle_s = IDLE_S
        self.rec = None  # the /stats "conns" record, once a request is counted
        self.said_close = False  # the last response said "Connection: close"
        self.sni = None  # the server name the client sent in its TLS handshake, if any

    def fill(self, timeout):
        """Read more into buf; False on EOF, timeout or error."""
        try:
            self.sock.settimeout(timeout)
            data = self.sock.recv(65536)
        except (OSError, ssl.SSLError):
            return False
        self.buf += data
        return bool(data)

    def pull_ready(self):
        """Add to buf what has already arrived, without waiting (pipelined requests)."""
        while True:
            if not (self.tls and self.sock.pending()):
                ready, _, _ = select.select([self.sock], [], [], 0)
                if not ready:
                    return
            try:
                self.sock.settimeout(0)
                data = self.sock.recv(65536)
            except (OSError, ssl.SSLError):  # nothing whole yet, or gone: reads see it
                return
            if not data:
                return
            self.buf += data

    def take(self, n):
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_until(self, sep, limit, idle=IDLE_S):
        """Bytes up to and including sep, or None on EOF/timeout; BadRequest(431) past limit.
        idle bounds the wait for the first byte, IDLE_S the rest."""
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise BadRequest(431)
            if not self.fill(idle if not self.buf else IDLE_S):
                return None
        end = self.buf.index(sep) + len(sep)
        if end > limit:
            raise BadRequest(431)
        return self.take(end)

    def read_exact(self, n):
        while len(self.buf) < n:
            if not self.fill(IDLE_S):
                return None
        return self.take(n)

    def send(self, data):
        self.sock.settimeout(SEND_TIMEOUT_S)
        self.sock.sendall(data)


class Request:
    def __init__(self, method, target, version, headers, raw=b""):
        self.raw = raw
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.path, _, query = target.partition("?")
        self.query = parse_qs(query)
        conn_tokens = [t.strip().lower() for t in headers.get("connection", "").split(",")]
        if version == "HTTP/1.0":
            self.keep_alive = "keep-alive" in conn_tokens
        else:
            self.keep_alive = "close" not in conn_tokens


# ---------------------------------------------------------------- request reading


def parse_head(head):
    """Request line and header fields (RFC 9112 sections 3 and 5) -> Request."""
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1.") or not parts[1]:
        raise BadRequest()
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise BadRequest()
        key = name.decode("latin-1").lower()
        value = value.strip().decode("latin-1")
        headers[key] = headers[key] + ", " + value if key in headers else value
    method, target, version = (p.decode("latin-1") for p in parts)
    return Request(method, target, version, headers, head)


def skip_chunked_body(conn):
    """Consume a chunked request body (RFC 9112 section 7.1); False on EOF."""
    while True:
        line = conn.read_until(b"\r\n", MAX_HEAD)
        if line is None:
            return False
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise BadRequest()
        if size == 0:
            break
        if conn.read_exact(size + 2) is None:
            return False
    while True:  # trailer section ends with an empty line
        line = conn.read_until(b"\r\n", MAX_HEAD)
        if line is None:
            return False
        if line == b"\r\n":
            return True


def read_request(conn):
    """Next request on the connection with its body consumed, or None when the client
    closed or stayed idle too long."""
    while conn.buf.startswith(b"\r\n"):  # RFC 9112 section 2.2: ignore leading CRLF
        conn.take(2)
    head = conn.read_until(b"\r\n\r\n", MAX_HEAD, conn.idle_s)
    if head is None:
        return None
    req = parse_head(head)
    if "chunked" in req.headers.get("transfer-encoding", "").lower():
        if not skip_chunked_body(conn):
            return None
    elif "content-length" in req.headers:
        try:
            length = int(req.headers["content-length"])
        except ValueError:
            raise BadRequest()
        if length < 0 or conn.read_exact(length) is None:
            raise BadRequest()
    return req


# ---------------------------------------------------------------- low-level output


def reason(code):
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Status %d" % code


def head_bytes(code, headers):
    lines = ["HTTP/1.1 %d %s" % (code, reason(code))]
    lines += ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(conn, req, code, body=b"", extra=(), ctype="text/plain"):
    """Send a complete Content-Length response; honours HEAD and bodiless statuses."""
    bodiless = code in (204, 304) or 100 <= code < 200
    headers = [("Server", "faultserver")] + list(extra)
    if not bodiless:
        headers += [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    if not req.keep_alive:
        headers.append(("Connection", "close"))
    data = head_bytes(code, headers)
    if req.method != "HEAD" and not bodiless:
        data += body
    conn.send(data)
    return KEEP


def pattern(offset, n):
    """n bytes of the body pattern starting at body offset; n <= PATTERN_STEP."""
    assert n <= PATTERN_STEP
    start = offset % 251
    return PATTERN[start : start + n]


def send_pattern(conn, total):
    sent = 0
    while sent < total:
        piece = pattern(sent, min(PATTERN_STEP, total - sent))
        conn.send(piece)
        sent += len(piece)


def wait_acked(sock, limit):
    """Wait until the kernel send queue is empty (all data ACKed), so a RST that follows
    does not discard bytes the test expects the client to have received."""
    deadline = time.monotonic() + limit
    buf = bytearray(4)
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)  # SIOCOUTQ
        except OSError:
            return
        if struct.unpack("i", buf)[0] == 0:
            return
        time.sleep(0.005)


def reset(conn):
    """Abort the connection with a TCP RST: SO_LINGER {on, 0} then close."""
    try:
        wait_acked(conn.sock, LINGER_S)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.sock.close()
    return GONE


def send_close_notify(sock):
    """Best-effort TLS close_notify without waiting for the peer's."""
    try:
        sock.settimeout(0)
        sock.unwrap()
    except (OSError, ssl.SSLError, ValueError):
        pass


def drain(sock, limit):
    deadline = time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            sock.settimeout(left)
            if not sock.recv(65536):
                return
        except (OSError, ssl.SSLError):
            return


def graceful_close(sock, tls):
    """close_notify (TLS), FIN, then read the client's leftovers so the final close does
    not turn into a RST (the "lingering close" of RFC 9112 section 9.6)."""
    try:
        if tls:
            send_close_notify(sock)
        sock.shutdown(socket.SHUT_WR)
        drain(sock, LINGER_S)
    except (OSError, ssl.SSLError):
        pass
    sock.close()


def hold_until_gone(sock, state, limit):
    """Read and discard until the client closes, an error, stop or limit seconds."""
    deadline = time.monotonic() + limit
    while not state.stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            sock.settimeout(min(1.0, left))
            if not sock.recv(65536):
                return
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            return


# ---------------------------------------------------------------- behaviours


def intarg(args, i, lo=0, hi=1 << 50):
    try:
        value = int(args[i])
    except (IndexError, ValueError):
        raise BadRequest()
    if not lo <= value <= hi:
        raise BadRequest()
    return value


def h_ok(conn, req, args, prefix):
    n = intarg(args, 0)
    head = [("Server", "faultserver"), ("Content-Type", "application/octet-stream")]
    head.append(("Content-Length", str(n)))
    if not req.keep_alive:
        head.append(("Connection", "close"))
    conn.send(head_bytes(200, head))
    if req.method != "HEAD":
        send_pattern(conn, n)
    return KEEP


def h_chunked(conn, req, args, prefix):
    n = intarg(args, 0)
    head = [("Server", "faultserver"), ("Transfer-Encoding", "chunked")]
    head.append(("Trailer", "X-Trailer"))
    if not req.keep_alive:
        head.append(("Connection", "close"))
    conn.send(head_bytes(200, head))
    if req.method == "HEAD":
        return KEEP
    sent, i = 0, 0
    while sent < n:
        size = min(CHUNK_SIZES[i % len(CHUNK_SIZES)], n - sent)
        conn.send(b"%x;ext=1\r\n" % size + pattern(sent, size) + b"\r\n")
        sent, i = sent + size, i + 1
    conn.send(b"0;ext=1\r\nX-Trailer: done\r\n\r\n")
    return KEEP


def h_reset(conn, req, args, prefix):
    n = intarg(args, 0)
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Content-Length", str(2 * n))]))
    send_pattern(conn, n)
    return reset(conn)


def h_short(conn, req, args, prefix):
    n = intarg(args, 0)
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Content-Length", str(n + 100))]))
    send_pattern(conn, n)
    return CLOSE


def h_badchunk(conn, req, args, prefix):
    conn.send(head_bytes(200, [("Transfer-Encoding", "chunked")]))
    conn.send(b"zz\r\nhello\r\n0\r\n\r\n")
    return CLOSE


def h_hugechunk(conn, req, args, prefix):
    conn.send(head_bytes(200, [("Transfer-Encoding", "chunked")]))
    conn.send(b"ffffffffffffffffff\r\n" + b"x" * 64)
    return CLOSE


def h_bighead(conn, req, args, prefix):
    headers, size, i = [("Server", "faultserver")], 0, 0
    while size < 70000:
        headers.append(("X-Pad-%04d" % i, "p" * 100))
        size += len("X-Pad-%04d: " % i) + 100 + 2
        i += 1
    return respond(conn, req, 200, b"ok", headers[1:])


def h_garbage(conn, req, args, prefix):
    conn.send(b"HTTZ/9 abc\r\n\r\n")
    return CLOSE


def h_nohead(conn, req, args, prefix):
    hold_until_gone(conn.sock, conn.state, HOLD_S)
    conn.sock.close()
    return GONE


def h_slow(conn, req, args, prefix):
    delay = intarg(args, 0, 0, 60000) / 1000.0 if args else 1.0
    head = head_bytes(200, [("Content-Length", "4")])
    for i in range(len(head)):
        if conn.state.stop.is_set():
            return CLOSE
        conn.send(head[i : i + 1])
        time.sleep(delay)
    conn.send(b"slow")
    return KEEP


def h_endless(conn, req, args, prefix):
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Transfer-Encoding", "chunked")]))
    chunk = b"400\r\n" + pattern(0, 1024) + b"\r\n"
    deadline = time.monotonic() + HOLD_S
    while time.monotonic() < deadline and not conn.state.stop.is_set():
        conn.send(chunk)  # raises once the client has gone away
        time.sleep(0.01)
    return CLOSE


def h_status(conn, req, args, prefix):
    code = intarg(args, 0, 100, 999)
    extra = []
    if "retry" in req.query:
        extra.append(("Retry-After", req.query["retry"][0]))
    if code < 200:  # interim response (RFC 9110 section 15.2), then a final one
        conn.send(head_bytes(code, extra))
        return respond(conn, req, 200, b"after %d\n" % code)
    return respond(conn, req, code, b"status %d\n" % code, extra)


EVIL = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"


def h_extra(conn, req, args, prefix):
    code = intarg(args, 0, 200, 304)
    if code not in (200, 204, 304):
        raise BadRequest()
    body = b"AAA" if code == 200 else b""
    head = [("Server", "faultserver")]
    if code == 200:
        head.append(("Content-Length", "3"))
    conn.send(head_bytes(code, head) + body + EVIL)
    return KEEP


def h_late(conn, req, args, prefix):
    delay = intarg(args, 0, 0, 60000) / 1000.0
    respond(conn, req, 200, b"late")
    # Wait for the delay unless the client asks for something first: only an idle connection
    # gets the unrequested bytes.
    if not conn.buf and not conn.fill(delay):
        try:
            conn.send(EVIL)
        except OSError:
            return GONE
    return KEEP


def h_fold(conn, req, args, prefix):
    if args and args[0] == "len":
        head = b"HTTP/1.1 200 OK\r\nServer: faultserver\r\nContent-Length:\r\n 6\r\n\r\n"
    else:
        head = (b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\tc\r\nContent-Length: 6\r\n"
                b"X-After: 1\r\n\r\n")
    conn.send(head + b"folded")
    return KEEP


def h_echo(conn, req, args, prefix):
    return respond(conn, req, 200, req.raw)


def h_eof(conn, req, args, prefix):
    n = intarg(args, 0)
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Connection", "close")]))
    send_pattern(conn, n)
    return CLOSE  # at once: the close is what ends the body


def h_eof10(conn, req, args, prefix):
    n = intarg(args, 0)
    conn.send(b"HTTP/1.0 200 OK\r\nServer: faultserver\r\n\r\n")
    send_pattern(conn, n)
    return CLOSE  # at once: the close is what ends the body


def h_eofreset(conn, req, args, prefix):
    n = intarg(args, 0)
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Connection", "close")]))
    send_pattern(conn, n)
    return reset(conn)


def h_eofcut(conn, req, args, prefix):
    n = intarg(args, 0)
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Connection", "close")]))
    send_pattern(conn, n)
    try:
        conn.sock.shutdown(socket.SHUT_WR)  # under TLS: no close_notify first
        drain(conn.sock, LINGER_S)
    except (OSError, ssl.SSLError):
        pass
    conn.sock.close()
    return GONE


def h_chunknocrlf(conn, req, args, prefix):
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Transfer-Encoding", "chunked")]))
    conn.send(b"5\r\nhello3\r\nabc\r\n0\r\n\r\n")
    return CLOSE


def h_chunksize(conn, req, args, prefix):
    line = args[0] if args else ""
    if not line or any(c not in "0123456789abcdefABCDEF" for c in line):
        raise BadRequest()
    size = int(line, 16)
    conn.send(head_bytes(200, [("Server", "faultserver"), ("Transfer-Encoding", "chunked")]))
    if size == 0:
        conn.send(line.encode() + b"\r\n\r\n")
        return KEEP
    if size <= 16:
        conn.send(line.encode() + b"\r\n" + pattern(0, size) + b"\r\n0\r\n\r\n")
        return KEEP
    conn.send(line.encode() + b"\r\n" + pattern(0, 16))
    return CLOSE


def h_tecl(conn, req, args, prefix):
    head = head_bytes(200, [("Server", "faultserver"), ("Content-Length", "100"),
                            ("Transfer-Encoding", "chunked")])
    conn.send(head + b"3\r\nxyz\r\n0\r\n\r\n")
    return KEEP


def h_flaky(conn, req, args, prefix):
    if len(args) < 3:
        raise BadRequest()
    key, n, code = args[0], intarg(args, 1), intarg(args, 2, 200, 999)
    seen = conn.state.bump_flaky(("flaky", key))
    if seen < n:
        body = ("flaky %s %d/%d\n" % (key, seen + 1, n)).encode()
        return respond(conn, req, code, body, [("Retry-After", "0")])
    return respond(conn, req, 200, ("ok %s" % key).encode())


def h_flakyreset(conn, req, args, prefix):
    if len(args) < 2:
        raise BadRequest()
    key, n = args[0], intarg(args, 1)
    if conn.state.bump_flaky(("flakyreset", key)) < n:
        return reset(conn)
    return respond(conn, req, 200, ("ok %s" % key).encode())


def h_limit(conn, req, args, prefix):
    if len(args) < 3:
        raise BadRequest()
    n, delay, key = intarg(args, 0, 1), intarg(args, 1, 0, 60000) / 1000.0, args[2]
    if not conn.state.limit_enter(n):
        extra = [("Retry-After", req.query["retry"][0])] if "retry" in req.query else []
        return respond(conn, req, 429, b"too many\n", extra)
    try:
        time.sleep(delay)
    finally:
        conn.state.limit_leave()
    return respond(conn, req, 200, ("ok %s" % key).encode())


def redirect(conn, req, location):
    return respond(conn, req, 302, b"redirect\n", [("Location", location)])


def h_redirect_loop(conn, req, args, prefix):
    n = intarg(args, 0)
    return redirect(conn, req, "%s/redirect-loop/%d" % (prefix, n + 1))


def h_redirect(conn, req, args, prefix):
    k = intarg(args, 0)
    if k == 0:
        return respond(conn, req, 200, b"done")
    return redirect(conn, req, "%s/redirect/%d" % (prefix, k - 1))


def h_redirect_rel(conn, req, args, prefix):
    k = intarg(args, 0)
    if k == 0:
        return respond(conn, req, 200, b"done")
    return redirect(conn, req, "%d" % (k - 1))


def h_redirect_abs(conn, req, args, prefix):
    k = intarg(args, 0)
    if k == 0:
        return respond(conn, req, 200, b"done")
    scheme = "https" if conn.tls else "http"
    host = req.headers.get("host", LOOPBACK)
    return redirect(conn, req, "%s://%s%s/redirect-abs/%d" % (scheme, host, prefix, k - 1))


def h_redirect_slow(conn, req, args, prefix):
    k, ms = intarg(args, 0), intarg(args, 1, 0, 60000)
    time.sleep(ms / 1000.0)
    conn.pull_ready()  # what a pipelining client sent meanwhile is in flight too
    conn.state.note_in_flight(conn, 1 + heads_in(conn.buf))
    if k == 0:
        return respond(conn, req, 200, b"done")
    return redirect(conn, req, "%s/redirect-slow/%d/%d" % (prefix, k - 1, ms))


def h_stats(conn, req, args, prefix):
    if args and args[0] == "reset":
        conn.state.reset()
        body = {"reset": True}
    else:
        body = conn.state.snapshot()
    data = json.dumps(body, sort_keys=True).encode()
    return respond(conn, req, 200, data, ctype="application/json")


def h_empty(conn, req, args, prefix):
    return respond(conn, req, 200, b"ok")


BEHAVIOURS = {
    "ok": h_ok,
    "chunked": h_chunked,
    "reset": h_reset,
    "short": h_short,
    "badchunk": h_badchunk,
    "hugechunk": h_hugechunk,
    "bighead": h_bighead,
    "garbage": h_garbage,
    "nohead": h_nohead,
    "slow": h_slow,
    "endless": h_endless,
    "status": h_status,
    "extra": h_extra,
    "late": h_late,
    "fold": h_fold,
    "echo": h_echo,
    "eof": h_eof,
    "eof10": h_eof10,
    "eofreset": h_eofreset,
    "eofcut": h_eofcut,
    "chunknocrlf": h_chunknocrlf,
    "chunksize": h_chunksize,
    "tecl": h_tecl,
    "flaky": h_flaky,
    "flakyreset": h_flakyreset,
    "limit": h_limit,
    "redirect-loop": h_redirect_loop,
    "redirect": h_redirect,
    "redirect-rel": h_redirect_rel,
    "redirect-abs": h_redirect_abs,
    "redirect-slow": h_redirect_slow,
    "stats": h_stats,
}


def apply_prefixes(conn, req, segs):
    """Strip /closeafter/N and /idleclose/MS, set them on the connection, and /sayclose,
    which marks this request's answer as the last; returns the remaining segments and the
    consumed prefix (for redirect Locations)."""
    prefix = ""
    while segs and segs[0] in ("closeafter", "idleclose", "sayclose"):
        if segs[0] == "sayclose":
            req.keep_alive = False
            prefix += "/sayclose"
            segs = segs[1:]
            continue
        if len(segs) < 2:
            break
        value = intarg(segs, 1, 0, 1 << 31)
        if segs[0] == "closeafter":
            conn.close_after = value
        else:
            conn.idle_s = value / 1000.0
        prefix += "/%s/%s" % (segs[0], segs[1])
        segs = segs[2:]
    return segs, prefix


def heads_in(buf):
    """Complete request heads in buf (requests without a body, as volley sends)."""
    return buf.count(b"\r\n\r\n")


def dispatch(conn, req):
    segs = [s for s in req.path.split("/") if s]
    if segs and segs[0] == "stats":
        return h_stats(conn, req, segs[1:], "")
    conn.state.count_request(req.target)
    conn.pull_ready()  # requests already behind this one are in flight too
    conn.state.note_request(conn, req.target, 1 + heads_in(conn.buf))
    segs, prefix = apply_prefixes(conn, req, segs)
    if not segs:
        return h_empty(conn, req, [], prefix) if prefix else respond(conn, req, 404, b"no\n")
    handler = BEHAVIOURS.get(segs[0])
    if handler is None:
        return respond(conn, req, 404, b"not found\n")
    return handler(conn, req, segs[1:], prefix)


# ---------------------------------------------------------------- connections


def serve_requests(conn):
    """Keep-alive loop; returns the action for the connection's end."""
    while not conn.state.stop.is_set():
        req = read_request(conn)
        if req is None:
            return CLOSE
        conn.served += 1
        conn.state.log("%s %s %s %s %s #%d" % (conn.kind, conn.peer, req.method, req.target,
                                               req.version, conn.served))
        action = dispatch(conn, req)
        if action != KEEP or not req.keep_alive:
            conn.said_close = conn.said_close or (action == KEEP and not req.keep_alive)
            return CLOSE if action == KEEP else action
        if conn.close_after is not None and conn.served >= conn.close_after:
            return CLOSE
    return CLOSE


def watch_after_close(conn):
    """After a response that said "Connection: close": read on until the client closes, or
    AFTER_CLOSE_S, and record the request heads left unanswered on the connection and
    whether the client closed it."""
    conn.pull_ready()
    before = heads_in(conn.buf)
    deadline = time.monotonic() + AFTER_CLOSE_S
    closed = False
    while not conn.state.stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            conn.sock.settimeout(left)
            data = conn.sock.recv(65536)
        except socket.timeout:
            break
        except (OSError, ssl.SSLError):  # a RST (or a TLS close without close_notify)
            data = b""
        if not data:
            closed = True
            break
        conn.buf += data
    heads = heads_in(conn.buf)
    conn.state.note_after_close(conn, heads, heads - before, closed)


def serve_http(conn):
    try:
        action = serve_requests(conn)
    except BadRequest as e:
        try:
            conn.send(head_bytes(e.status, [("Content-Length", "0"), ("Connection", "close")]))
        except (OSError, ssl.SSLError):
            pass
        action = CLOSE
    except (OSError, ssl.SSLError):
        action = GONE
    except Exception:  # a bug here: show it, but keep serving other connections
        traceback.print_exc()
        action = GONE
    if action == CLOSE and conn.said_close and conn.rec is not None:
        watch_after_close(conn)
    if action == CLOSE:
        graceful_close(conn.sock, conn.tls)
    else:
        conn.sock.close()


def on_http(sock, peer, state, ctx):
    serve_http(Conn(sock, "http", state, peer))


def on_https(sock, peer, state, ctx):
    try:
        tls = ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        tls.settimeout(HANDSHAKE_S)
        tls.do_handshake()
    except (OSError, ssl.SSLError) as e:
        state.log("https %s:%d handshake failed: %s" % (peer[0], peer[1], e))
        sock.close()
        return
    conn = Conn(tls, "https", state, peer)
    conn.sni = getattr(tls, "sni", None)
    serve_http(conn)


def on_tls_stall(sock, peer, state, ctx):
    hold_until_gone(sock, state, HOLD_S)
    sock.close()


def on_tls_alert(sock, peer, state, ctx):
    """Read one whole TLS record (the ClientHello) so that closing does not RST it away,
    then send a fatal handshake_failure alert (RFC 8446 section 6)."""
    conn = Conn(sock, "tls-alert", state, peer)
    header = conn.read_exact(5)
    if header is not None:
        conn.read_exact(struct.unpack("!H", header[3:5])[0])
        try:
            conn.send(ALERT_HANDSHAKE_FAILURE)
        except OSError:
            pass
    graceful_close(sock, False)


LISTENERS = (
    ("http_port", "http", on_http),
    ("https_port", "https", on_https),
    ("tls_stall_port", "tls-stall", on_tls_stall),
    ("tls_alert_port", "tls-alert", on_tls_alert),
)


# ---------------------------------------------------------------- main


def listen(port, family=socket.AF_INET):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((LOOPBACK6 if family == socket.AF_INET6 else LOOPBACK, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def accept(lsock, kind, handler, state, ctx):
    try:
        sock, peer = lsock.accept()
    except OSError:
        return
    sock.setblocking(True)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    state.count_connection(kind)
    t = threading.Thread(target=handler, args=(sock, peer, state, ctx), daemon=True)
    t.start()


def note_sni(tls, name, ctx):
    """Keep the server name the client sent (SNI, RFC 6066 section 3) on its socket."""
    tls.sni = name


def make_tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.sni_callback = note_sni
    return ctx


def write_pidfile(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="fault-injecting HTTP/1.1 server (loopback)")
    p.add_argument("--http-port", type=int)
    p.add_argument("--https-port", type=int)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls-stall-port", type=int)
    p.add_argument("--tls-alert-port", type=int)
    p.add_argument("--ipv6", action="store_true", help="also listen on [::1]")
    p.add_argument("--pidfile")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.https_port is not None and not (args.cert and args.key):
        p.error("--https-port needs --cert and --key")
    if all(getattr(args, attr) is None for attr, _, _ in LISTENERS):
        p.error("no port given")
    return args


def main(argv):
    args = parse_args(argv)
    state = State(args.verbose)
    try:
        ctx = make_tls_context(args.cert, args.key) if args.https_port is not None else None
        sel = selectors.DefaultSelector()
        for attr, kind, handler in LISTENERS:
            port = getattr(args, attr)
            if port is not None:
                sel.register(listen(port), selectors.EVENT_READ, (kind, handler))
                if args.ipv6:
                    sel.register(listen(port, socket.AF_INET6), selectors.EVENT_READ,
                                 (kind, handler))
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write("faultserver: %s\n" % e)
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: state.stop.set())
    if args.pidfile:
        write_pidfile(args.pidfile)
    while not state.stop.is_set():
        for key, _ in sel.select(timeout=0.2):
            kind, handler = key.data
            accept(key.fileobj, kind, handler, state, ctx)
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # daemon threads may be mid-send; do not wait for them
