#!/usr/bin/env python3
"""faultdns.py -- a misbehaving DNS server (UDP and TCP) for volley's resolver tests.

Usage:
    tools/faultdns.py --port P [--stats FILE] [--pidfile F] [-v]

Listens on 127.0.0.1:P over UDP and TCP (RFC 1035 section 4.2; TCP messages carry a
two-byte length prefix and several queries may share a connection).  The pidfile is
written once both sockets are bound, so its appearance means "ready".  SIGTERM or
SIGINT: close the sockets, remove the pidfile, exit 0.  With -v, one line per query goes
to stderr.

The answer depends on the first label of the query name (case-insensitive):

  ok-*        A -> 127.0.0.1, AAAA -> ::1, other types: NOERROR with no answers.
  ok4-*       A -> 127.0.0.1, AAAA and other types: NOERROR with no answers.
  nx-*        NXDOMAIN.
  servfail-*  SERVFAIL.
  silent-*    no response at all.
  trunc-*     over UDP: TC=1 and no answers; over TCP: the full ok-* answer, so a
              resolver has to retry over TCP to get it.
  badid-*     the ok-* answer but with a wrong transaction id (id ^ 0x5555), over UDP
              and TCP alike; a right one never comes.
  slow-*      the ok-* answer after 2 s.
  anything else: REFUSED.

Answers carry AA=1, RA=1, TTL 60 and echo the question as received.  A UDP answer that
would not fit in 512 bytes (or in the EDNS payload size the query advertises) is sent
truncated (TC=1, no answers).  An OPT record in the query is otherwise ignored and the
answer carries none (RFC 6891 section 7).  A query with QDCOUNT != 1 or an unreadable
question gets FORMERR; an opcode other than QUERY gets NOTIMP; responses (QR=1) and
messages shorter than a header are dropped.

Statistics: every query except the two below is counted per (name, type, transport):
    {"ok-a.test": {"A": {"udp": 1, "tcp": 0...}, "AAAA": {...}}, ...}
Names are lowercased with no trailing dot; types are mnemonics ("A", "AAAA", "TXT") or
"TYPEnnn" (RFC 3597); transports are "udp" and "tcp" (absent keys mean 0).
  --stats FILE     the JSON above is rewritten (atomically) after every counted query.
  TXT stats.       answers the same JSON, split into 255-byte TXT strings.
  TXT reset.stats. clears the counts and answers the TXT string "reset".

Python 3 standard library only.
"""

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading

LOOPBACK = "127.0.0.1"
TTL = 60
SLOW_S = 2.0
TCP_IDLE_S = 30.0
UDP_LIMIT = 512
MAX_POINTER_HOPS = 32

QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
OPCODE_MASK = 0x7800
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
T_A, T_TXT, T_AAAA, T_OPT = 1, 16, 28, 41
TYPE_NAMES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
              28: "AAAA", 33: "SRV", 41: "OPT", 64: "SVCB", 65: "HTTPS", 255: "ANY"}


class Malformed(Exception):
    pass


class Query:
    def __init__(self, qid, flags, labels, qtype, qclass, udp_limit):
        self.qid = qid
        self.flags = flags
        self.labels = labels  # list of bytes, as received
        self.qtype = qtype
        self.qclass = qclass
        self.udp_limit = udp_limit

    @property
    def name(self):
        return ".".join(l.decode("latin-1") for l in self.labels).lower()

    @property
    def type_name(self):
        return TYPE_NAMES.get(self.qtype, "TYPE%d" % self.qtype)


class Reply:
    """What to send back: a message (None: stay silent) and a delay in seconds."""

    def __init__(self, data, delay=0.0):
        self.data = data
        self.delay = delay


# ---------------------------------------------------------------- parsing


def read_name(msg, off):
    """Labels of the name at off and the offset just past it in the message.  Follows
    compression pointers (RFC 1035 section 4.1.4) only backwards, at most
    MAX_POINTER_HOPS times, so a crafted message cannot loop; names stay <= 255 bytes."""
    labels, end, hops, total = [], None, 0, 1
    while True:
        if off >= len(msg):
            raise Malformed()
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise Malformed()
            ptr = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if ptr >= off or hops > MAX_POINTER_HOPS:
                raise Malformed()
            if end is None:
                end = off + 2
            off = ptr
            continue
        if n & 0xC0:  # 0x40 and 0x80 label types are not defined for queries
            raise Malformed()
        off += 1
        if n == 0:
            return labels, (off if end is None else end)
        if off + n > len(msg):
            raise Malformed()
        total += n + 1
        if total > 255:
            raise Malformed()
        labels.append(msg[off : off + n])
        off += n


def skip_rr(msg, off):
    """Offset past one resource record, and its type and class."""
    _, off = read_name(msg, off)
    if off + 10 > len(msg):
        raise Malformed()
    rtype, rclass, _, rdlen = struct.unpack_from("!HHIH", msg, off)
    off += 10 + rdlen
    if off > len(msg):
        raise Malformed()
    return off, rtype, rclass


def edns_udp_limit(msg, off, counts):
    """UDP payload size from an OPT record in the additional section (RFC 6891 section
    6.1.2), else 512.  Anything unreadable after the question is ignored."""
    try:
        for _ in range(counts[0] + counts[1]):
            off, _, _ = skip_rr(msg, off)
        for _ in range(counts[2]):
            off, rtype, rclass = skip_rr(msg, off)
            if rtype == T_OPT:
                return max(UDP_LIMIT, rclass)
    except Malformed:
        pass
    return UDP_LIMIT


def parse_query(msg):
    """Query from a message; Malformed if it cannot be answered even with FORMERR."""
    if len(msg) < 12:
        raise Malformed()
    qid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", msg, 0)
    if flags & QR:
        raise Malformed()
    if qd != 1:
        return Query(qid, flags, None, 0, 0, UDP_LIMIT)
    try:
        labels, off = read_name(msg, 12)
        if off + 4 > len(msg):
            raise Malformed()
    except Malformed:
        return Query(qid, flags, None, 0, 0, UDP_LIMIT)
    qtype, qclass = struct.unpack_from("!HH", msg, off)
    return Query(qid, flags, labels, qtype, qclass, edns_udp_limit(msg, off + 4, (an, ns, ar)))


# ---------------------------------------------------------------- building


def encode_name(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\x00"


def rr(rtype, rdata):
    """Answer record whose owner is the question name (pointer to offset 12)."""
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, TTL, len(rdata)) + rdata


def txt_rdata(data):
    pieces = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
    return b"".join(bytes([len(p)]) + p for p in pieces)


def build(q, rcode, answers=(), tc=False, qid=None):
    flags = QR | (q.flags & OPCODE_MASK) | AA | (q.flags & RD) | RA | rcode
    if tc:
        flags |= TC
    qid = q.qid if qid is None else qid
    if q.labels is None:  # FORMERR for a question we could not read: header only
        return struct.pack("!HHHHHH", qid, flags, 0, 0, 0, 0)
    header = struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0, 0)
    question = encode_name(q.labels) + struct.pack("!HH", q.qtype, q.qclass)
    return header + question + b"".join(answers)


def address_answers(q, with_aaaa=True):
    if q.qtype == T_A:
        return [rr(T_A, socket.inet_pton(socket.AF_INET, "127.0.0.1"))]
    if q.qtype == T_AAAA and with_aaaa:
        return [rr(T_AAAA, socket.inet_pton(socket.AF_INET6, "::1"))]
    return []


# ---------------------------------------------------------------- behaviours


def b_ok(q, transport, stats):
    return Reply(build(q, NOERROR, address_answers(q)))


def b_ok4(q, transport, stats):
    return Reply(build(q, NOERROR, address_answers(q, with_aaaa=False)))


def b_nx(q, transport, stats):
    return Reply(build(q, NXDOMAIN))


def b_servfail(q, transport, stats):
    return Reply(build(q, SERVFAIL))


def b_silent(q, transport, stats):
    return Reply(None)


def b_trunc(q, transport, stats):
    if transport == "udp":
        return Reply(build(q, NOERROR, tc=True))
    return b_ok(q, transport, stats)


def b_badid(q, transport, stats):
    return Reply(build(q, NOERROR, address_answers(q), qid=q.qid ^ 0x5555))


def b_slow(q, transport, stats):
    return Reply(build(q, NOERROR, address_answers(q)), SLOW_S)


BEHAVIOURS = {
    "ok": b_ok,
    "ok4": b_ok4,
    "nx": b_nx,
    "servfail": b_servfail,
    "silent": b_silent,
    "trunc": b_trunc,
    "badid": b_badid,
    "slow": b_slow,
}


def b_stats(q, transport, stats):
    if q.qtype != T_TXT:
        return Reply(build(q, NOERROR))
    return Reply(build(q, NOERROR, [rr(T_TXT, txt_rdata(stats.dump()))]))


def b_stats_reset(q, transport, stats):
    if q.qtype != T_TXT:
        return Reply(build(q, NOERROR))
    stats.reset()
    return Reply(build(q, NOERROR, [rr(T_TXT, txt_rdata(b"reset"))]))


def b_refused(q, transport, stats):
    return Reply(build(q, REFUSED))


SPECIAL_NAMES = {"stats": b_stats, "reset.stats": b_stats_reset}


def behaviour_for(q):
    """Handler for the query's name, and whether the query is counted."""
    special = SPECIAL_NAMES.get(q.name)
    if special is not None:
        return special, False
    first = q.labels[0].decode("latin-1").lower() if q.labels else ""
    kind, dash, _ = first.partition("-")
    handler = BEHAVIOURS.get(kind) if dash else None
    return (handler or b_refused), True


def answer(msg, transport, stats, log):
    """Reply for one received message (None data: send nothing)."""
    try:
        q = parse_query(msg)
    except Malformed:
        return Reply(None)
    if q.labels is None:
        return Reply(build(q, FORMERR))
    if q.flags & OPCODE_MASK:
        return Reply(build(q, NOTIMP))
    handler, counted = behaviour_for(q)
    if counted:
        stats.count(q.name, q.type_name, transport)
    log("%s %s %s id=%d" % (transport, q.name, q.type_name, q.qid))
    reply = handler(q, transport, stats)
    if transport == "udp" and reply.data is not None and len(reply.data) > q.udp_limit:
        reply.data = build(q, NOERROR, tc=True)  # RFC 1035 section 4.2.1
    return reply


# ---------------------------------------------------------------- statistics


class Stats:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.counts = {}

    def count(self, name, qtype, transport):
        with self.lock:
            per_type = self.counts.setdefault(name, {}).setdefault(qtype, {})
            per_type[transport] = per_type.get(transport, 0) + 1
            if self.path:
                self.write()

    def write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(json.dumps(self.counts, sort_keys=True).encode())
        os.replace(tmp, self.path)

    def dump(self):
        with self.lock:
            return json.dumps(self.counts, sort_keys=True).encode()

    def reset(self):
        with self.lock:
            self.counts.clear()
            if self.path:
                self.write()


# ---------------------------------------------------------------- transports


def later(delay, fn, *args):
    """Run fn now, or from a daemon timer thread after delay; returns the timer or None."""
    if delay <= 0:
        fn(*args)
        return None
    t = threading.Timer(delay, fn, args)
    t.daemon = True
    t.start()
    return t


def udp_sendto(sock, data, addr):
    try:
        sock.sendto(data, addr)
    except OSError:
        pass


def serve_udp(sock, stats, stop, log):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            msg, addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        except OSError:
            if stop.is_set():
                return
            continue
        reply = answer(msg, "udp", stats, log)
        if reply.data is not None:
            later(reply.delay, udp_sendto, sock, reply.data, addr)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def tcp_send(sock, lock, data):
    with lock:
        try:
            sock.sendall(struct.pack("!H", len(data)) + data)
        except OSError:
            pass


def serve_tcp_conn(sock, stats, stop, log):
    """Several queries per connection (RFC 7766 section 6.2.1); a slow answer must not
    hold up the ones behind it, so delayed replies go out from timer threads, which are
    waited for before closing (a client may half-close after sending its queries)."""
    send_lock = threading.Lock()
    timers = []
    sock.settimeout(TCP_IDLE_S)
    try:
        while not stop.is_set():
            prefix = recv_exact(sock, 2)
            if prefix is None:
                break
            msg = recv_exact(sock, struct.unpack("!H", prefix)[0])
            if msg is None:
                break
            reply = answer(msg, "tcp", stats, log)
            if reply.data is not None:
                timers.append(later(reply.delay, tcp_send, sock, send_lock, reply.data))
    except OSError:
        pass
    for t in timers:
        if t is not None:
            t.join(SLOW_S + 1.0)
    sock.close()


def serve_tcp(lsock, stats, stop, log):
    lsock.settimeout(0.2)
    while not stop.is_set():
        try:
            sock, _ = lsock.accept()
        except socket.timeout:
            continue
        except OSError:
            if stop.is_set():
                return
            continue
        sock.setblocking(True)
        args = (sock, stats, stop, log)
        threading.Thread(target=serve_tcp_conn, args=args, daemon=True).start()


# ---------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description="fault-injecting DNS server (loopback)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--stats")
    p.add_argument("--pidfile")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def open_sockets(port):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((LOOPBACK, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((LOOPBACK, port))
    tcp.listen(64)
    return udp, tcp


def main(argv):
    args = parse_args(argv)
    try:
        udp, tcp = open_sockets(args.port)
    except OSError as e:
        sys.stderr.write("faultdns: %s\n" % e)
        return 1
    stop = threading.Event()
    stats = Stats(args.stats)

    def log(msg):
        if args.verbose:
            sys.stderr.write("faultdns: %s\n" % msg)
            sys.stderr.flush()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    for target, sock in ((serve_udp, udp), (serve_tcp, tcp)):
        threading.Thread(target=target, args=(sock, stats, stop, log), daemon=True).start()
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(tmp, args.pidfile)
    while not stop.wait(0.2):
        pass
    udp.close()
    tcp.close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # daemon threads may be mid-reply; do not wait for them
