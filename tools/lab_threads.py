#!/usr/bin/env python3
"""The threading lab's thread_version, ported to the local world, for tools/bench.sh.

    lab_threads.py [--threads N] [--limit N] [--json] [--connect-addr A] --cacert CA INDEX_URL

The lab (see the course notebook "Lab: threading") fetches the photo index with requests, then
every photo through a queue served by N threads, one requests.get() per photo. This port keeps
that shape on purpose, including its costs: requests.get() builds a fresh Session per call, so
every photo pays a new TCP connection and a full TLS handshake, as the lab did. The only changes
are the ones the local world needs: certificates are verified against the world's CA
(verify=CA, never disabled), and *.volley.test resolves to 127.0.0.1 (the lab used public DNS;
the world's names exist only in its own DNS server), or to --connect-addr: the latency world's
delay proxies listen on 127.0.0.2 (tools/latency.sh).

Prints the lab's line "Fetched N with E errors", then the wall time of the whole job (index and
photos) and of thread_version alone (what the lab's %%time cell measured). Exit status 0 if
every photo was fetched, 1 if any failed, 2 on bad usage or a failed index fetch.
"""

import argparse
import json
import queue
import socket
import sys
import threading
import time

import requests

OVERRIDE_SUFFIX = ".volley.test"


def install_resolver_override(addr):
    """Answer *.volley.test with addr; every other name goes to the system resolver.

    urllib3 (under requests) resolves through socket.getaddrinfo, so patching that one function
    changes only where the connection goes: the URL, the Host header, SNI and the certificate
    name check still use the real host name.
    """
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name and name.rstrip(".").lower().endswith(OVERRIDE_SUFFIX):
            host = addr
            if family == socket.AF_INET6:
                family = socket.AF_UNSPEC
        return real_getaddrinfo(host, port, family, type, proto, flags)

    socket.getaddrinfo = getaddrinfo


# --- the lab, as written, with verify=CA added -----------------------------------------------

CA = None


def get_photos(index_url):
    return [obj["url"] for obj in requests.get(index_url, verify=CA).json()]


def fetch_photo(url):
    resp = requests.get(url, verify=CA)
    resp.raise_for_status()
    return resp


def worker(qjob, qresult):
    while True:
        job = qjob.get()
        if job is None:
            break
        try:
            r = fetch_photo(job)
        except Exception as err:
            qresult.put((None, err))
        else:
            qresult.put((r, None))


def thread_version(photos, nthread):
    qjob = queue.Queue()
    qresult = queue.Queue()
    threads = [threading.Thread(target=worker, args=(qjob, qresult)) for i in range(nthread)]
    for t in threads:
        t.start()
    for url in photos:
        qjob.put(url)
    num_err = 0
    first_err = None
    for i in range(len(photos)):
        resp, err = qresult.get()
        if err:
            num_err += 1
            first_err = first_err or err
    for t in threads:
        qjob.put(None)
    for t in threads:
        t.join()
    print(f"Fetched {len(photos)} with {num_err} errors")
    return num_err, first_err


# --- harness ---------------------------------------------------------------------------------


def main():
    global CA
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", "-t", type=int, default=10)
    ap.add_argument("--limit", "-n", type=int, default=0, help="only the first N photos")
    ap.add_argument("--cacert", required=True, help="CA bundle for verify=")
    ap.add_argument("--json", action="store_true", help="also print one JSON line of figures")
    ap.add_argument("--connect-addr", default="127.0.0.1", help="where *.volley.test resolves")
    ap.add_argument("index_url")
    args = ap.parse_args()
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    CA = args.cacert
    install_resolver_override(args.connect_addr)

    t0 = time.perf_counter()
    try:
        photos = get_photos(args.index_url)
    except Exception as err:
        print(f"lab_threads: index {args.index_url}: {err}", file=sys.stderr)
        return 2
    if args.limit:
        photos = photos[: args.limit]
    t1 = time.perf_counter()
    num_err, first_err = thread_version(photos, args.threads)
    t2 = time.perf_counter()

    if first_err is not None:
        print(f"lab_threads: first error: {first_err}", file=sys.stderr)
    print(f"Wall time: {t2 - t0:.3f} s (index {t1 - t0:.3f} s, thread_version {t2 - t1:.3f} s)")
    if args.json:
        figures = {
            "urls": len(photos),
            "ok": len(photos) - num_err,
            "failed": num_err,
            "threads": args.threads,
            "wall_s": round(t2 - t0, 6),
            "index_s": round(t1 - t0, 6),
            "thread_version_s": round(t2 - t1, 6),
        }
        print(json.dumps(figures))
    return 0 if num_err == 0 and photos else 1


if __name__ == "__main__":
    sys.exit(main())
