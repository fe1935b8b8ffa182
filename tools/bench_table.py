#!/usr/bin/env python3
"""Turn tools/bench.sh's raw runs into the benchmark table, the target checks, CSV and JSON.

    bench_table.py --runs RUNS.tsv --urls N --out PREFIX [--repeat R] [--quick 0|1] [--meta JSON]
                   [--latency-runs LAT.tsv --latency-repeat R]

RUNS.tsv has one line per run (id, tool, setting, round, status, wall_s, user_s, sys_s, rss_kb,
requests, conns, extra). Each setting's row holds the medians of its verified runs; a setting
with a failed run is marked FAIL and every check that uses it fails too, so a broken run can
never make a target look met. Writes PREFIX.csv and PREFIX.json; prints the table and one
PASS/FAIL line per target. Exit status 0 if every target passed, 1 if not.

LAT.tsv holds the latency world's runs (ids lat.<rtt ms>.<setting>): printed as one more table,
a row per setting and a column per RTT (median wall of the verified runs, and the most URLs any
run failed), with issue 14's targets at RTT 50 ms; also written to PREFIX-latency.csv.
"""

import argparse
import csv
import json
import statistics
import sys
from datetime import datetime, timezone

TOOL_ORDER = {"volley": 0, "curl": 1, "h2load": 2, "python-lab": 3}


def read_runs(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def median_of(runs, fn):
    vals = [v for v in (fn(r) for r in runs) if v is not None]
    return statistics.median(vals) if vals else None


def row_key(row):
    """Tools in a fixed order; within each: full jobs or discarding runs, the list, saving."""
    rid = row["id"]
    sub = 0
    if rid.startswith("volley.list"):
        sub = 1
    elif rid.startswith("volley.save") or rid.startswith("curl.save"):
        sub = 2
    return (TOOL_ORDER.get(row["tool"], 9), sub, row["order"])


def sort_order(rid):
    """Numbers in an id compare as numbers: t1k4 before t1k16, p10 before p100."""
    out, digits = [], ""
    for ch in rid + " ":
        if ch.isdigit():
            digits += ch
            continue
        if digits:
            out.append((1, int(digits), ""))
            digits = ""
        out.append((0, 0, ch))
    return out


def summarise(runs, n_urls):
    by_id = {}
    for r in runs:
        by_id.setdefault(r["id"], []).append(r)
    rows = []
    for rid, rs in by_id.items():
        good = [r for r in rs if r["status"] == "ok"]
        bad = [r["status"] for r in rs if r["status"] != "ok"]
        wall = median_of(good, lambda r: num(r["wall_s"]))
        walls = [w for w in (num(r["wall_s"]) for r in good) if w is not None]
        spread = (max(walls) - min(walls)) / wall * 100 if wall and len(walls) > 1 else None
        cpu = median_of(
            good,
            lambda r: None
            if num(r["user_s"]) is None or num(r["sys_s"]) is None
            else num(r["user_s"]) + num(r["sys_s"]),
        )
        rss = median_of(good, lambda r: num(r["rss_kb"]))
        conns = median_of(good, lambda r: num(r["conns"]))
        extra = {}
        for r in good:
            for item in r["extra"].split(","):
                k, sep, v = item.partition("=")
                if sep and num(v) is not None:
                    extra.setdefault(k, []).append(num(v))
        rows.append(
            {
                "id": rid,
                "tool": rs[0]["tool"],
                "setting": rs[0]["setting"],
                "order": sort_order(rid),
                "runs": len(rs),
                "runs_ok": len(good),
                "failures": bad,
                "status": "ok" if not bad else f"FAIL {len(bad)}/{len(rs)}",
                "wall_s": wall,
                "wall_spread_pct": spread,
                "wall_min_s": min(walls) if walls else None,
                "rps": n_urls / wall if wall else None,
                "cpu_s": cpu,
                "cpu_us_per_req": cpu * 1e6 / n_urls if cpu is not None else None,
                "peak_rss_mb": rss / 1024 if rss is not None else None,
                "conns": int(conns) if conns is not None else None,
                "extra": {k: statistics.median(v) for k, v in extra.items()},
            }
        )
    rows.sort(key=row_key)
    full = [r for r in rows if r["id"].startswith("volley.full") and r["wall_s"]]
    best = min(full, key=lambda r: r["wall_s"]) if full else None
    for r in rows:
        r["ratio_to_volley_best"] = (
            r["wall_s"] / best["wall_s"] if best and r["wall_s"] is not None else None
        )
        del r["order"]
    return rows, best


# --- the targets -----------------------------------------------------------------------------


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


class Checks:
    def __init__(self, rows, best):
        self.rows = {r["id"]: r for r in rows}
        self.all_rows = rows
        self.best = best
        self.out = []

    def get(self, rid):
        return self.rows.get(rid)

    def best_of(self, prefix):
        cands = [r for r in self.all_rows if r["id"].startswith(prefix) and r["wall_s"]]
        return min(cands, key=lambda r: r["wall_s"]) if cands else None

    def add(self, name, rows, measure, ok_fn, detail):
        """measure(rows) -> (value, text); ok_fn(value) -> bool."""
        missing = [rid for rid, r in rows if r is None or r["runs_ok"] == 0]
        failed = [r["id"] for _, r in rows if r is not None and r["status"] != "ok"]
        if missing:
            verdict, text = False, "no data for " + ", ".join(missing)
            value = None
        else:
            value, text = measure([r for _, r in rows])
            verdict = bool(value is not None and ok_fn(value))
            if failed:
                verdict = False
                text += " (failed runs in " + ", ".join(failed) + ")"
        self.out.append(
            {
                "check": name,
                "pass": verdict,
                "value": value,
                "measured": text,
                "rows": [rid for rid, _ in rows],
                "detail": detail,
            }
        )


def run_checks(rows, best):
    c = Checks(rows, best)

    def wall_ratio(rs):
        ratio = rs[0]["wall_s"] / rs[1]["wall_s"]
        return ratio, (
            f"{rs[0]['wall_s']:.3f} s / {rs[1]['wall_s']:.3f} s = {ratio:.2f} x"
            f" ({rs[0]['setting']}; curl {rs[1]['setting']})"
        )

    c.add(
        "volley best full job wall <= 0.4 x curl -Z best wall",
        [("volley.full (best)", best), ("curl.null (best)", c.best_of("curl.null."))],
        wall_ratio,
        lambda v: v <= 0.4,
        "volley: index + photos; curl: the URL list only",
    )

    def lab_measure(rs):
        v, lab = rs
        ratio = lab["wall_s"] / v["wall_s"]
        text = f"lab {lab['wall_s']:.2f} s / volley {v['wall_s']:.3f} s = {ratio:.1f}x faster"
        tv = lab["extra"].get("thread_version_s")
        if tv:
            text += f" (thread_version alone, as the lab timed it: {tv / v['wall_s']:.1f}x)"
        return ratio, text

    c.add(
        "volley best full job >= 50x faster than the Python lab (10 threads)",
        [("volley.full (best)", best), ("lab.t10", c.get("lab.t10"))],
        lab_measure,
        lambda v: v >= 50,
        "both: index + 5,000 photos, certificates verified, process wall time",
    )

    def rps_ratio(rs):
        ratio = rs[0]["rps"] / rs[1]["rps"]
        return ratio, f"{rs[0]['rps']:.0f} / {rs[1]['rps']:.0f} req/s = {ratio:.2f}"

    c.add(
        "volley -i urls -t 2 -k 5 req/s >= h2load --h1 -c 10 req/s",
        [("volley.list.t2k5", c.get("volley.list.t2k5")), ("h2load.c10", c.get("h2load.c10"))],
        rps_ratio,
        lambda v: v >= 1.0,
        "10 connections each; volley verifies certificates, h2load does not",
    )
    c.add(
        "volley --pipeline 8 req/s >= h2load -m 8 req/s",
        [
            ("volley.list.t2k5p8", c.get("volley.list.t2k5p8")),
            ("h2load.c10m8", c.get("h2load.c10m8")),
        ],
        rps_ratio,
        lambda v: v >= 1.0,
        "10 connections, 8 requests in flight on each",
    )

    def cpu_ratio(rs):
        ratio = rs[0]["cpu_us_per_req"] / rs[1]["cpu_us_per_req"]
        return ratio, (
            f"{rs[0]['cpu_us_per_req']:.1f} / {rs[1]['cpu_us_per_req']:.1f} us CPU per request"
            f" = {ratio:.2f}"
        )

    for v_id, h_id in (("volley.list.t2k5", "h2load.c10"), ("volley.list.t2k5p8", "h2load.c10m8")):
        c.add(
            f"CPU per request: {v_id} <= {h_id}",
            [(v_id, c.get(v_id)), (h_id, c.get(h_id))],
            cpu_ratio,
            lambda v: v <= 1.0,
            "client user+sys CPU / URLs",
        )

    def rss_measure(rs):
        v, cu = rs
        ratio = v["peak_rss_mb"] / cu["peak_rss_mb"]
        text = f"{v['peak_rss_mb']:.1f} MB / {cu['peak_rss_mb']:.1f} MB = {ratio:.2f}"
        text += f" (volley {v['conns']} conns, curl {cu['conns']} conns"
        if cu["conns"] is not None and cu["conns"] < 1000:
            text += ": this curl caps --parallel-max"
        return ratio, text + ")"

    c.add(
        "peak RSS volley -t 2 -k 500 <= curl -Z --parallel-max 1000",
        [
            ("volley.list.t2k500", c.get("volley.list.t2k500")),
            ("curl.null.p1000", c.get("curl.null.p1000")),
        ],
        rss_measure,
        lambda v: v <= 1.0,
        "both on the URL list",
    )

    c.add(
        "volley -o best wall <= 0.5 x curl --create-dirs -o best wall",
        [
            ("volley.save (best)", c.best_of("volley.save.")),
            ("curl.save (best)", c.best_of("curl.save.")),
        ],
        wall_ratio,
        lambda v: v <= 0.5,
        "volley: index + photos to DIR/<host>/<path>; curl: the URL list to the same layout",
    )

    def sum_cost(rs):
        ratio = rs[1]["cpu_us_per_req"] / rs[0]["cpu_us_per_req"]
        return ratio, (
            f"{rs[1]['cpu_us_per_req']:.1f} / {rs[0]['cpu_us_per_req']:.1f} us CPU per URL"
            f" = {ratio:.2f} x"
        )

    c.add(
        "--checksum sha256 CPU <= 2 x saving without it (-t 2 -k 16)",
        [
            ("volley.save.t2k16", c.get("volley.save.t2k16")),
            ("volley.savesum.t2k16", c.get("volley.savesum.t2k16")),
        ],
        sum_cost,
        lambda v: v <= 2.0,
        "SHA-256 of every body as it is written (mbedTLS), and the manifest",
    )

    def cpu_scale(rs):
        ratio = rs[1]["cpu_us_per_req"] / rs[0]["cpu_us_per_req"]
        return ratio, (
            f"{rs[1]['cpu_us_per_req']:.1f} / {rs[0]['cpu_us_per_req']:.1f} us CPU per request"
            f" = {ratio:.2f} x"
        )

    for t in (1, 2):
        lo, hi = f"volley.full.t{t}k4", f"volley.full.t{t}k256"
        if t == 1 and lo not in c.rows and hi not in c.rows:
            continue  # the quick mode sweeps -t 2 only
        c.add(
            f"CPU/request at -t {t} -k 256 <= 1.3 x at -t {t} -k 4",
            [(lo, c.get(lo)), (hi, c.get(hi))],
            cpu_scale,
            lambda v: v <= 1.3,
            "full job",
        )
    return c.out


# --- the latency world -----------------------------------------------------------------------


def most_failed(runs):
    """The most URLs any of the runs failed, or None if a run did not say."""
    counts = []
    for r in runs:
        item = [v for k, _, v in (i.partition("=") for i in r["extra"].split(",")) if k == "failed"]
        counts.append(num(item[0]) if item else None)
    return None if not counts or None in counts else int(max(counts))


def latency_summary(runs, n_urls):
    """Rows as summarise() makes them, one per (RTT, setting), each with its RTT and failures."""
    rows, _ = summarise(runs, n_urls)
    for row in rows:
        _, rtt, key = row["id"].split(".", 2)
        row["rtt_ms"], row["key"] = int(rtt), key
        row["failed"] = most_failed([r for r in runs if r["id"] == row["id"]])
    return rows


def latency_cell(row):
    if row is None:
        return "-"
    failed = "?" if row["failed"] is None else str(row["failed"])
    wall = fmt(row["wall_s"], ".2f") if row["runs_ok"] else "FAIL"
    return f"{wall} ({failed})" + ("" if row["status"] == "ok" else " !")


def print_latency(rows, repeat, n_urls, env):
    rtts = sorted({r["rtt_ms"] for r in rows})
    keys = []
    for r in rows:
        if r["key"] not in keys:
            keys.append(r["key"])
    by = {(r["rtt_ms"], r["key"]): r for r in rows}
    print(
        f"latency world: the full job (index + {n_urls} photos, TLS verified) through"
        f" tools/delayproxy.c; wall s (most URLs failed in a run), median of {repeat} round(s);"
        " '!' = a run failed"
    )
    if env:
        print(
            f"{env.get('cpus', '?')} CPUs shared with the server and the proxies; load average"
            f" at start {' '.join(env.get('loadavg_start', ['?']))},"
            f" at end {' '.join(env.get('loadavg_end', ['?']))}"
        )
    head = f"{'tool':<10}  {'setting':<46}" + "".join(f"  {f'RTT {t} ms':>14}" for t in rtts)
    print(head)
    print("-" * len(head))
    for key in keys:
        first = next(r for r in rows if r["key"] == key)
        cells = "".join(f"  {latency_cell(by.get((t, key))):>14}" for t in rtts)
        print(f"{first['tool']:<10}  {first['setting']:<46}{cells}")
    print()


def latency_checks(rows):
    """Issue 14's targets for volley with no tuning flags, at RTT 50 ms."""
    c = Checks(rows, None)
    if not any(r["rtt_ms"] == 50 for r in rows):
        return []

    def ratio(rs):
        v = rs[0]["wall_s"] / rs[1]["wall_s"]
        return v, (
            f"{rs[0]['wall_s']:.2f} s / {rs[1]['wall_s']:.2f} s = {v:.2f} x"
            f" (curl {rs[1]['setting']})"
        )

    vol = ("lat.50.volley.default", c.get("lat.50.volley.default"))
    c.add(
        "RTT 50 ms: volley with no flags <= 0.5 x curl -Z at its default",
        [vol, ("lat.50.curl.default", c.get("lat.50.curl.default"))],
        ratio,
        lambda v: v <= 0.5,
        "full job; curl: the index, then the list",
    )
    # Every curl setting joins the check, so that a failed one cannot make the best look slower.
    curls = [(r["id"], r) for r in rows if r["id"].startswith("lat.50.curl.")]
    c.add(
        "RTT 50 ms: volley with no flags <= 1.0 x curl -Z at its best P",
        [vol, ("lat.50.curl (best)", c.best_of("lat.50.curl."))] + curls,
        ratio,
        lambda v: v <= 1.0,
        "full job; curl: the index, then the list",
    )

    def vs_fixed(rs):
        v = rs[0]["wall_s"] / rs[1]["wall_s"]
        return v, f"{rs[0]['wall_s']:.2f} s / {rs[1]['wall_s']:.2f} s = {v:.2f} x ({rs[1]['setting']})"

    for rtt in sorted({r["rtt_ms"] for r in rows}):
        fixed = [(r["id"], r) for r in rows if r["id"].startswith(f"lat.{rtt}.volley.fixed.")]
        c.add(
            f"RTT {rtt} ms: volley with no flags <= 1.2 x its best fixed -t/-k/--pipeline",
            [
                (f"lat.{rtt}.volley.default", c.get(f"lat.{rtt}.volley.default")),
                (f"lat.{rtt}.volley.fixed (best)", c.best_of(f"lat.{rtt}.volley.fixed.")),
            ]
            + fixed,
            vs_fixed,
            lambda v: v <= 1.2,
            "full job, the same round",
        )
    return c.out


def write_latency_csv(path, rows):
    keys = ["tool", "setting", "rtt_ms", "id", "runs_ok", "runs", "wall_s", "failed", "status"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for r in rows:
            w.writerow(["" if r[k] is None else r[k] for k in keys])


# --- output ----------------------------------------------------------------------------------

COLUMNS = [
    ("tool", "tool", "<10", "s"),
    ("setting", "setting", "<50", "s"),
    ("runs", "ok/runs", ">7", "s"),
    ("wall_s", "wall s", ">8", ".3f"),
    ("wall_spread_pct", "+-%", ">4", ".0f"),
    ("rps", "req/s", ">8", ".0f"),
    ("cpu_s", "CPU s", ">7", ".3f"),
    ("cpu_us_per_req", "CPU us/req", ">10", ".1f"),
    ("peak_rss_mb", "RSS MB", ">7", ".1f"),
    ("conns", "conns", ">6", "d"),
    ("ratio_to_volley_best", "x best", ">7", ".2f"),
    ("status", "status", "<8", "s"),
]


def cell(row, key, spec):
    if key == "runs":
        return f"{row['runs_ok']}/{row['runs']}"
    v = row.get(key)
    if v is None:
        return "-"
    return v if spec == "s" else format(v, spec)


def print_table(rows, best, n_urls, repeat, env):
    print()
    print(
        f"volley benchmark: {n_urls} URLs, medians of {repeat} round(s); "
        f"'+-%' = (max - min) / median wall; 'x best' = wall / volley's best full-job wall"
        + (f" ({best['setting']}, {best['wall_s']:.3f} s)" if best else " (none)")
    )
    if env:
        print(
            f"{env.get('cpus', '?')} CPUs shared with the server (nginx, 1 worker); "
            f"saving runs write to {env.get('save_fs', '?')}; {env.get('volley', 'volley ?')}, "
            f"{env.get('curl', 'curl ?').split(' (')[0]}, {env.get('h2load', 'h2load ?')}, "
            f"Python {env.get('python', '?')} requests {env.get('requests', '?')}"
        )
        print(
            f"load average at start {' '.join(env.get('loadavg_start', ['?']))}, "
            f"at end {' '.join(env.get('loadavg_end', ['?']))}"
        )
    head = "  ".join(format(title, align) for _, title, align, _ in COLUMNS).rstrip()
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            "  ".join(
                format(cell(r, key, spec), align) for key, _, align, spec in COLUMNS
            ).rstrip()
        )
    print()


def write_csv(path, rows):
    keys = [
        "tool",
        "setting",
        "id",
        "runs_ok",
        "runs",
        "wall_s",
        "wall_spread_pct",
        "wall_min_s",
        "rps",
        "cpu_s",
        "cpu_us_per_req",
        "peak_rss_mb",
        "conns",
        "ratio_to_volley_best",
        "status",
    ]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for r in rows:
            w.writerow(
                [
                    "" if r[k] is None else (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k])
                    for k in keys
                ]
            )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--urls", type=int, required=True)
    ap.add_argument("--out", required=True, help="path prefix for .csv and .json")
    ap.add_argument("--repeat", type=int, default=0)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--meta", default="{}", help="JSON object of versions and host facts")
    ap.add_argument("--latency-runs", help="the latency world's runs (TSV)")
    ap.add_argument("--latency-repeat", type=int, default=1)
    args = ap.parse_args()

    runs = read_runs(args.runs)
    lat_runs = read_runs(args.latency_runs) if args.latency_runs else []
    if not runs and not lat_runs:
        print("bench_table: no runs recorded", file=sys.stderr)
        return 1
    rows, best = summarise(runs, args.urls) if runs else ([], None)
    checks = run_checks(rows, best) if runs else []
    lat_rows = latency_summary(lat_runs, args.urls) if lat_runs else []
    lat_checks = latency_checks(lat_rows)

    env = json.loads(args.meta or "{}")
    if rows:
        print_table(rows, best, args.urls, args.repeat, env)
    if lat_rows:
        print_latency(lat_rows, args.latency_repeat, args.urls, env)
    for ck in checks + lat_checks:
        print(f"{'PASS' if ck['pass'] else 'FAIL'}  {ck['check']}: {ck['measured']}")

    write_csv(args.out + ".csv", rows)
    if lat_rows:
        write_latency_csv(args.out + "-latency.csv", lat_rows)
    doc = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "urls": args.urls,
        "repeat": args.repeat,
        "quick": args.quick == "1",
        "environment": env,
        "volley_best_full_job": best["id"] if best else None,
        "rows": rows,
        "checks": checks,
        "runs": runs,
        "latency": {"rows": lat_rows, "checks": lat_checks, "runs": lat_runs},
    }
    with open(args.out + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"\nresults: {args.out}.csv {args.out}.json")
    return 0 if all(ck["pass"] for ck in checks + lat_checks) else 1


if __name__ == "__main__":
    sys.exit(main())
