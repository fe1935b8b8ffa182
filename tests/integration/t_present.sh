#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# What a person sees: the progress line on a terminal (under tmux), --sweep's table, JSON lines and
# SVG chart, the --json summary and --manifest schemas, -w/--write-out, --shard, --version, and
# error messages that say what to do.
. "$(dirname "$0")/lib.sh"

# --- the progress line on a terminal (tmux) ----------------------------------------------------

# Each terminal run gets a detached session on a tmux server of our own (-L), killed by name.
TMUX_SOCK=volley-present-$$
TMUX_DIR=$WORK/cases/present_tty_sessions
TMUX_SESSIONS=()
tmx() {
    timeout -k 2 10 tmux -L "$TMUX_SOCK" "$@"
}
tty_cleanup() {
    local s
    for s in "${TMUX_SESSIONS[@]}"; do
        tmx kill-session -t "$s" 2>/dev/null
    done
    TMUX_SESSIONS=()
    # The server exits with its last session; its socket file stays behind.
    tmx has-session 2>/dev/null || rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCK"
}
trap 'tty_cleanup; verdict_missing' EXIT

# tty_start NAME ARGS...: run volley ARGS in a 160x40 terminal; its exit code goes to
# $TMUX_DIR/NAME.rc, and the pane stays open (sleep) so the last screen can be read.
tty_start() {
    local name=$1 script
    shift
    script=$TMUX_DIR/$name.sh
    {
        printf 'timeout -k 5 60 '
        printf '%q ' "$VOLLEY" "$@"
        printf '\necho $? >%q.tmp && mv %q.tmp %q\nsleep 120\n' \
            "$TMUX_DIR/$name.rc" "$TMUX_DIR/$name.rc" "$TMUX_DIR/$name.rc"
    } >"$script"
    TMUX_SESSIONS+=("$name-$$")
    tmx new-session -d -s "$name-$$" -x 160 -y 40 "bash $script"
}

# tty_screen NAME FILE: the session's screen, without its blank lines.
tty_screen() {
    tmx capture-pane -p -t "$1-$$" 2>&1 | grep -v '^[[:space:]]*$' >"$2"
}

# tty_wait NAME...: wait (at most 45 s in all) until every named run has written its exit code.
tty_wait() {
    local i n name
    for ((i = 0; i < 450; i++)); do
        n=0
        for name in "$@"; do
            [[ -f $TMUX_DIR/$name.rc ]] && n=$((n + 1))
        done
        ((n == $#)) && return 0
        sleep 0.1
    done
    return 1
}

PROGRESS_RE='^[0-9]+/5000  [0-9]+ ok  0 failed  [0-9]+ req/s .* ETA'

# No progress: the screen at 1.5 s has no progress line (the run is still going then), and the
# final screen has the summary.
t_tty_silent() {
    begin "$1"
    cp "$TMUX_DIR/$2".* "$CASE_DIR/" 2>/dev/null
    if [[ $(cat "$TMUX_DIR/$2.rc" 2>/dev/null) != 0 ]]; then
        fail "$CASE" "exit status '$(cat "$TMUX_DIR/$2.rc" 2>/dev/null)', want 0 (cmd: $TMUX_DIR/$2.sh)"
    elif [[ -n $(cat "$TMUX_DIR/$2.early_rc") ]]; then
        fail "$CASE" "the run had ended by 1.5 s: too fast to show that no progress line appears"
    elif grep -Eq '/5000 |req/s|ETA' "$TMUX_DIR/$2.early"; then
        fail "$CASE" "progress on the terminal at 1.5 s: $(grep -E '/5000 |req/s|ETA' "$TMUX_DIR/$2.early" | head -n 1)"
    elif ! grep -Eq '(^|[^0-9])5000 ok, 0 failed' "$TMUX_DIR/$2.final"; then
        fail "$CASE" "final screen lacks '5000 ok, 0 failed': $(head -n 2 "$TMUX_DIR/$2.final" | tr '\n' ' ')"
    else
        pass
    fi
}

t_tty() {
    local all=(progress quiet noprog) name d1 d2 s
    rm -rf "$TMUX_DIR"
    mkdir -p "$TMUX_DIR"
    if ! command -v tmux >/dev/null; then
        for name in present_progress_tty present_quiet_tty present_no_progress_tty; do
            begin "$name"
            fail "$CASE" "tmux is not installed (apt-get install tmux): no terminal to test on"
        done
        return
    fi
    # 5,000 URLs at 400/s: about 12.5 s on the screen; the silent ones at 1,000/s, about 5 s.
    tty_start progress -t 2 -k 8 "${WORLD_ARGS[@]}" --rate 400 -i "$URLS_FILE"
    tty_start quiet -q -t 2 -k 8 "${WORLD_ARGS[@]}" --rate 1000 -i "$URLS_FILE"
    tty_start noprog --no-progress -t 2 -k 8 "${WORLD_ARGS[@]}" --rate 1000 -i "$URLS_FILE"
    sleep 1.5
    for name in "${all[@]}"; do
        tty_screen "$name" "$TMUX_DIR/$name.early"
        cat "$TMUX_DIR/$name.rc" >"$TMUX_DIR/$name.early_rc" 2>/dev/null
    done
    sleep 1.5
    tty_screen progress "$TMUX_DIR/progress.later"
    tty_wait "${all[@]}"
    for name in "${all[@]}"; do
        tty_screen "$name" "$TMUX_DIR/$name.final"
    done
    tty_cleanup

    begin present_progress_tty
    cp "$TMUX_DIR"/progress.* "$CASE_DIR/"
    s=$CASE_DIR
    # One line, redrawn in place: at 1.5 s and at 3 s exactly one progress line, further along.
    d1=$(grep -E "$PROGRESS_RE" "$s/progress.early" | sed 's|/.*||')
    d2=$(grep -E "$PROGRESS_RE" "$s/progress.later" | sed 's|/.*||')
    if [[ $(cat "$s/progress.rc" 2>/dev/null) != 0 ]]; then
        fail "$CASE" "exit status '$(cat "$s/progress.rc" 2>/dev/null)', want 0 (cmd: $s/progress.sh)"
    elif [[ $(grep -Ec "$PROGRESS_RE" "$s/progress.early") != 1 ]]; then
        fail "$CASE" "screen at 1.5 s has no single progress line: $(head -n 3 "$s/progress.early" | tr '\n' '|')"
    elif [[ $(grep -Ec "$PROGRESS_RE" "$s/progress.later") != 1 ]]; then
        fail "$CASE" "screen at 3 s has no single progress line (not redrawn in place?): $(head -n 3 "$s/progress.later" | tr '\n' '|')"
    elif ! ((d2 > d1)); then
        fail "$CASE" "progress did not advance: $d1 done at 1.5 s, $d2 at 3 s"
    elif grep -Eq '/5000 |ETA' "$s/progress.final"; then
        fail "$CASE" "progress line left on the final screen: $(grep -E '/5000 |ETA' "$s/progress.final" | head -n 1)"
    elif ! grep -Eq '^volley: 5000 ok, 0 failed' "$s/progress.final"; then
        fail "$CASE" "final screen lacks 'volley: 5000 ok, 0 failed': $(head -n 2 "$s/progress.final" | tr '\n' '|')"
    else
        pass
    fi
    t_tty_silent present_quiet_tty quiet
    t_tty_silent present_no_progress_tty noprog
}

# --- the progress line off a terminal ----------------------------------------------------------

t_progress_not_tty() {
    begin present_progress_off_when_not_tty
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" --rate 2000 -n 2000 -i "$URLS_FILE"
    assert_exit 0 && assert_summary 2000 0 && {
        ! grep -q $'\r' "$CASE_DIR/stderr" ||
            fail "$CASE" "stderr holds \\r (a progress line) though it is a file"
    } && {
        ! grep -q $'\r' "$CASE_DIR/stdout" || fail "$CASE" "stdout holds \\r though it is a file"
    } && pass
}

# progress_frames_check PYTHON: stderr, split into progress frames; PYTHON asserts on frames (a
# list of (done, total, ok, failed, rps, bytes, elapsed)), rest (stderr without frames and
# without the final clear), cleared (the last thing drawn is "\r ESC[K") and wall (run seconds).
progress_frames_check() {
    local msg
    msg=$(python3 - "$CASE_DIR/stderr" "$RUN_MS" "$1" 2>&1 <<'EOF'
import re, sys
path, run_ms, code = sys.argv[1], int(sys.argv[2]), sys.argv[3]
err = open(path, "rb").read().decode("utf-8", "replace")
frame = re.compile(r"\r(\d+)/(\d+)  (\d+) ok  (\d+) failed  (\d+) req/s  ([0-9.]+) (B|KB|MB|GB)"
                   r"  ([0-9.]+) s(?:  ETA [0-9.]+ s)?\x1b\[K")
unit = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
frames = [(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), float(m[6]) * unit[m[7]],
           float(m[8])) for m in frame.finditer(err)]
last = list(frame.finditer(err))
cleared = bool(last) and err[last[-1].end():].startswith("\r\x1b[K")
rest = frame.sub("", err).replace("\r\x1b[K", "", 1)
try:
    exec(code, {"frames": frames, "rest": rest, "cleared": cleared, "wall": run_ms / 1000.0})
except AssertionError as e:
    sys.exit("progress check failed: %s" % (e or "assert"))
EOF
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

t_progress_forced() {
    begin present_progress_forced_format
    # --progress draws on stderr even into a file: the exact frames, at most 10 a second.
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" --progress --rate 1000 -n 2000 -i "$URLS_FILE"
    assert_exit 0 && assert_summary 2000 0 && progress_frames_check '
assert len(frames) >= 5, "%d progress frames in a %.1f s run" % (len(frames), wall)
assert len(frames) <= 10 * wall + 2, "%d frames in %.2f s: more than 10 a second" % (len(frames), wall)
assert rest == "", "stderr holds more than progress frames and the clear: %r" % rest[:120]
assert cleared, "the line is not cleared (\\r ESC[K) after the last frame"
for f in frames:
    assert f[1] == 2000, "total %d, want 2000" % f[1]
    assert f[0] == f[2] + f[3] and f[3] == 0, "done/ok/failed %r" % (f[:4],)
' && pass
}

t_progress_monotonic() {
    begin present_progress_counts_photos_only
    # From an index: the frames count photos only, never the index fetch, so they only grow.
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" --progress --rate 1000 -n 1000 "$INDEX_URL"
    assert_exit 0 && assert_summary 1000 0 && progress_frames_check '
assert len(frames) >= 3, "%d progress frames" % len(frames)
for a, b in zip(frames, frames[1:]):
    assert a[0] <= b[0], "done went from %d to %d" % (a[0], b[0])
    assert a[5] <= b[5] * 1.01, "bytes went from %.0f to %.0f" % (a[5], b[5])
first = frames[0]
assert first[0] == 0 or first[5] < 4096 * first[0], \
    "first frame: %d done with %.0f bytes (the 1 MB index counted as a photo?)" % (first[0], first[5])
' && pass
}

# --- --sweep: table, JSON lines, SVG chart -----------------------------------------------------

t_sweep_table() {
    begin present_sweep_table
    run_volley "${WORLD_ARGS[@]}" -n 500 --sweep 1,10,100 "$INDEX_URL"
    assert_exit 0 && {
        python3 - "$CASE_DIR/stdout" <<'EOF' >"$CASE_DIR/check" 2>&1 || fail "$CASE" "$(tail -n 1 "$CASE_DIR/check")"
import os, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
want = "level threads conns wall s user s sys s req/s errors rss MB".split()
assert lines and lines[0] == want, "header %r" % (lines[0] if lines else None)
rows = lines[1:]
assert [r[0] for r in rows] == ["1", "10", "100"], "levels %r" % [r[0] for r in rows]
ncpu = os.sysconf("SC_NPROCESSORS_ONLN")
for r in rows:
    assert len(r) == 9, "row %r" % r
    total = int(r[0])
    threads = min(total, ncpu)
    conns = -(-total // threads)
    assert (int(r[1]), int(r[2])) == (threads, conns), \
        "level %s: %sx%s, want %dx%d on %d CPUs" % (r[0], r[1], r[2], threads, conns, ncpu)
    wall, user, sys_, rps, errors, rss = map(float, r[3:9])
    assert errors == 0, "level %s: %s errors" % (r[0], r[7])
    assert wall > 0 and user >= 0 and sys_ >= 0 and rss > 0, "level %s: %r" % (r[0], r)
    assert abs(rps * wall - 500) <= 60, "level %s: %s req/s x %s s is not about 500" % (r[0], r[6], r[3])
EOF
    } && pass
}

t_sweep_json() {
    begin present_sweep_json
    run_volley "${WORLD_ARGS[@]}" -n 500 --sweep 1x1,2x4,10 --json "$INDEX_URL"
    assert_exit 0 && {
        python3 - "$CASE_DIR/stdout" <<'EOF' >"$CASE_DIR/check" 2>&1 || fail "$CASE" "$(tail -n 1 "$CASE_DIR/check")"
import json, os, sys
ncpu = os.sysconf("SC_NPROCESSORS_ONLN")
t10 = min(10, ncpu)
want = [("1x1", 1, 1), ("2x4", 2, 4), ("10", t10, -(-10 // t10))]
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 3, "%d lines, want one JSON object per level (3)" % len(lines)
keys = {"level", "threads", "conns", "wall_s", "cpu_user_s", "cpu_sys_s", "rps", "ok", "errors",
        "peak_rss_kb"}
num = (int, float)
for line, (level, threads, conns) in zip(lines, want):
    o = json.loads(line)
    assert isinstance(o, dict) and keys <= set(o), "level %s: keys %r" % (level, sorted(o))
    assert (o["level"], o["threads"], o["conns"]) == (level, threads, conns), \
        "got %r, want %r" % ((o["level"], o["threads"], o["conns"]), (level, threads, conns))
    for k in ("wall_s", "cpu_user_s", "cpu_sys_s", "rps"):
        assert type(o[k]) in num and o[k] >= 0, "level %s: %s = %r" % (level, k, o[k])
    for k in ("ok", "errors", "peak_rss_kb"):
        assert type(o[k]) is int, "level %s: %s = %r, not an integer" % (level, k, o[k])
    assert o["ok"] == 500 and o["errors"] == 0, "level %s: ok %r errors %r" % (level, o["ok"], o["errors"])
    assert o["wall_s"] > 0 and abs(o["rps"] * o["wall_s"] - 500) <= 10, "level %s: rps %r wall %r" % (level, o["rps"], o["wall_s"])
    assert o["peak_rss_kb"] > 0, "level %s: peak_rss_kb %r" % (level, o["peak_rss_kb"])
EOF
    } && pass
}

t_sweep_plot() {
    begin present_sweep_plot
    run_volley "${WORLD_ARGS[@]}" -n 500 --sweep 1,10,100 --plot "$OUT/sweep.svg" "$INDEX_URL"
    assert_exit 0 && assert_file_count "$OUT" 1 && {
        python3 - "$OUT/sweep.svg" "$CASE_DIR/stdout" <<'EOF' >"$CASE_DIR/check" 2>&1 || fail "$CASE" "$(tail -n 1 "$CASE_DIR/check")"
import sys
from xml.dom import minidom
try:
    doc = minidom.parse(sys.argv[1])
except Exception as e:
    sys.exit("not well-formed XML: %s" % e)
svg = doc.documentElement
assert svg.tagName == "svg", "root <%s>" % svg.tagName
assert len(svg.getAttribute("viewBox").split()) == 4, "viewBox %r" % svg.getAttribute("viewBox")
def text(n):
    return "".join(c.data if c.nodeType == c.TEXT_NODE else text(c) for c in n.childNodes)
texts = [text(t).strip() for t in doc.getElementsByTagName("text")]
for label in ("1", "10", "100"):
    assert label in texts, "no x-axis label %r" % label
for title in ("total connections", "wall time (s)", "requests/s"):
    assert any(title in t for t in texts), "no text with %r" % title
legend = [g for g in doc.getElementsByTagName("g") if "legend" in g.getAttribute("class").split()]
assert legend, "no legend group"
lt = text(legend[0])
assert "wall time" in lt and "requests/s" in lt, "legend says %r" % lt
lines = doc.getElementsByTagName("polyline")
assert len(lines) == 2, "%d polylines, want 2" % len(lines)
series = {}
for pl in lines:
    pts = [tuple(map(float, p.split(","))) for p in pl.getAttribute("points").split()]
    assert len(pts) == 3, "polyline %r has %d points, want 3" % (pl.getAttribute("class"), len(pts))
    xs = [p[0] for p in pts]
    # Log scale: 1, 10, 100 equally spaced, left to right.
    assert xs[0] < xs[1] < xs[2] and abs((xs[1] - xs[0]) - (xs[2] - xs[1])) <= 1, "x %r" % xs
    series[pl.getAttribute("class")] = [p[1] for p in pts]
# The wall-time line follows the table: a clearly longer wall is drawn higher (smaller y).
rows = [l.split() for l in open(sys.argv[2]) if l.split() and l.split()[0] in ("1", "10", "100")]
walls = [float(r[3]) for r in rows]
if "wall" in series and len(walls) == 3:
    y = series["wall"]
    for i in range(3):
        for k in range(3):
            if walls[i] > walls[k] * 1.2 + 0.002:
                assert y[i] < y[k], "wall %r drawn at y %r" % (walls, y)
EOF
    } && pass
}

# --- --json summary and --manifest schemas -----------------------------------------------------

t_json_schema() {
    begin present_json_schema
    url_list "$IMG_BASE" 200 >"$CASE_DIR/urls"
    echo "$IMG_BASE/600/no-such-photo" >>"$CASE_DIR/urls"
    run_volley -t 2 -k 4 "${WORLD_ARGS[@]}" --json -i "$CASE_DIR/urls" -o "$OUT" \
        --manifest "$CASE_DIR/manifest.jsonl"
    assert_exit 1 && json_check '
I, N, O = "int", "num", "obj"
schema = {
    "version": I, "urls": I, "ok": I, "failed": I, "skipped": I, "not_started": I, "retries": I,
    "resent": I, "failures": O, "bytes": I, "wall_s": N, "rps": N, "threads": I,
    "conns_per_thread": I, "rss_kb": I, "rss_per_conn_kb": N, "peak_rss_kb": I,
    "latency_ms": {k: N for k in ("p50", "p90", "p99", "p99.9", "max")},
    "conns": {"opened": I, "reused_requests": I, "attempted": I, "established": I, "failed": I,
              "peak": I, "server_closed_during_hold": I, "establish_s": N,
              "failed_by_reason": O},
    "client_limits": {k: I for k in ("open_files", "ephemeral_ports", "kernel_buffers", "requeues")},
    "rate": {"target": N, "achieved": N},
    "pings": {"ok": I, "failed": I},
    "tls": {"full": I, "resumed": I},
    "dns": {"lookups": I, "failed": I, "queries": I, "answered": I, "timeouts": I, "retries": I,
            "qps": N, "rcodes": O, "cpu_us_per_lookup": N,
            "latency_ms": {k: N for k in ("p50", "p90", "p99", "p99.9", "max")}},
    "cpu_s": {"user": N, "sys": N},
}
def check(obj, sch, where):
    for k, t in sch.items():
        name = where + k
        assert k in obj, "no key %s" % name
        v = obj[k]
        if isinstance(t, dict):
            assert isinstance(v, dict), "%s is %r, not an object" % (name, v)
            check(v, t, name + ".")
        elif t == I:
            assert type(v) is int and v >= 0, "%s is %r, not a count" % (name, v)
        elif t == N:
            assert type(v) in (int, float) and v >= 0, "%s is %r, not a number" % (name, v)
        else:
            assert isinstance(v, dict), "%s is %r, not an object" % (name, v)
            assert all(type(x) is int for x in v.values()), "%s values %r" % (name, v)
check(j, schema, "")
assert get("version") == 1, "version %r" % get("version")
assert (get("urls"), get("ok"), get("failed")) == (201, 200, 1), \
    "urls/ok/failed %r" % ((get("urls"), get("ok"), get("failed")),)
assert failures() == {"http_status": 1}, "failures %r" % failures()
assert (get("threads"), get("conns_per_thread")) == (2, 4), "threads %r x %r" % (get("threads"), get("conns_per_thread"))
lat = [get("latency_ms", k) for k in ("p50", "p90", "p99", "p99.9", "max")]
assert lat == sorted(lat), "latency_ms not ordered: %r" % lat
assert get("peak_rss_kb") > 0 and get("cpu_s", "user") + get("cpu_s", "sys") > 0, "rss/cpu zero"
' && {
        python3 - "$CASE_DIR/manifest.jsonl" "$OUT" <<'EOF' >"$CASE_DIR/check" 2>&1 || fail "$CASE" "$(tail -n 1 "$CASE_DIR/check")"
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 201, "%d manifest lines, want 201" % len(lines)
keys = {"url", "status", "bytes", "attempts", "ms", "ok", "error", "path"}
bad = 0
for m in lines:
    assert set(m) >= keys, "manifest keys %r" % sorted(m)
    assert isinstance(m["url"], str) and type(m["status"]) is int, "url/status %r" % m
    assert type(m["bytes"]) is int and type(m["attempts"]) is int and m["attempts"] >= 1, "%r" % m
    assert type(m["ms"]) in (int, float) and m["ms"] >= 0, "ms %r" % m
    assert type(m["ok"]) is bool, "ok %r" % m
    if m["ok"]:
        assert m["status"] == 200 and m["error"] is None, "ok line %r" % m
        assert isinstance(m["path"], str) and os.path.isfile(m["path"]), "path %r" % m
        assert os.path.getsize(m["path"]) == m["bytes"], "bytes %r vs the saved file" % m
        assert m["path"].startswith(sys.argv[2]), "path %r outside -o" % m["path"]
    else:
        bad += 1
        assert m["url"].endswith("/no-such-photo"), "failed line %r" % m
        assert m["status"] == 404 and m["error"] == "http_status", "failed line %r" % m
        assert m["path"] is None, "failed line has a path: %r" % m
assert bad == 1, "%d failed lines, want 1" % bad
assert len({m["url"] for m in lines}) == 201, "a URL appears twice in the manifest"
EOF
    } && pass
}

# --- -w/--write-out ----------------------------------------------------------------------------

# writeout_check PYTHON: the -w lines of stdout (summary lines dropped) as lists of fields in
# rows; PYTHON asserts on them, with urls (the list file) and size(url) (its fixture file's size).
writeout_check() {
    python3 - "$CASE_DIR/stdout" "$URLS_FILE" "$FIXTURE" "$1" <<'EOF' >"$CASE_DIR/check" 2>&1 ||
import os, sys
out, urls_file, fixture, code = sys.argv[1:5]
rows = [l.rstrip("\n").split(" ") for l in open(out)
        if not (l.startswith("volley:") or l.startswith("  "))]
urls = [l.strip() for l in open(urls_file) if l.strip()]
def size(url):
    return os.path.getsize(os.path.join(fixture, *url.split("/")[-2:]))
try:
    exec(code, {"rows": rows, "urls": urls, "size": size})
except AssertionError as e:
    sys.exit("write-out check failed: %s" % (e or "assert"))
EOF
        fail "$CASE" "$(tail -n 1 "$CASE_DIR/check")"
}

t_writeout() {
    begin present_writeout_url_code_size
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -i "$URLS_FILE" -w '%{url} %{http_code} %{size}\n'
    assert_exit 0 && assert_summary 5000 0 && writeout_check '
assert len(rows) == 5000, "%d write-out lines, want 5000" % len(rows)
assert sorted(r[0] for r in rows) == sorted(urls), "the URLs written out are not the list, once each"
for r in rows:
    assert len(r) == 3 and r[1] == "200", "line %r" % " ".join(r)
    assert r[2] == str(size(r[0])), "size %s for %s, fixture has %d" % (r[2], r[0], size(r[0]))
' && pass
}

t_writeout_phases() {
    begin present_writeout_phases
    run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -i "$URLS_FILE" \
        -w '%{url} %{time_dns} %{time_connect} %{time_tls} %{time_ttfb} %{time_total}\n'
    assert_exit 0 && assert_summary 5000 0 && writeout_check '
assert len(rows) == 5000, "%d write-out lines, want 5000" % len(rows)
for r in rows:
    assert len(r) == 6, "line %r" % " ".join(r)
    try:
        t = [float(x) for x in r[1:]]
    except ValueError:
        raise AssertionError("not numbers: %r" % " ".join(r))
    assert 0 <= t[0] <= t[1] <= t[2] <= t[3] <= t[4] < 120, \
        "want dns <= connect <= tls <= ttfb <= total: %r" % " ".join(r)
assert max(float(r[5]) for r in rows) > 0, "every time_total is 0"
' && pass
}

# --- --shard -----------------------------------------------------------------------------------

t_shard() {
    begin present_shard_split
    local k n
    for k in 0 1 2; do
        run_volley -t 2 -k 8 "${WORLD_ARGS[@]}" -i "$URLS_FILE" --shard "$k/3" -w '%{url}\n'
        cp "$CASE_DIR/stdout" "$CASE_DIR/shard$k.stdout"
        cp "$CASE_DIR/stderr" "$CASE_DIR/shard$k.stderr"
        assert_exit 0 || return
        grep -v -e '^volley:' -e '^  ' "$CASE_DIR/stdout" >"$CASE_DIR/shard$k"
        # Position i of the list goes to shard i mod 3.
        sed -n "$((k + 1))~3p" "$URLS_FILE" | sort >"$CASE_DIR/want$k"
        n=$(wc -l <"$CASE_DIR/want$k")
        assert_summary "$n" 0 || return
        sort "$CASE_DIR/shard$k" | cmp -s - "$CASE_DIR/want$k" ||
            fail "$CASE" "shard $k/3 did not fetch exactly the URLs at positions $k mod 3" || return
    done
    local sizes
    sizes=$(wc -l "$CASE_DIR"/shard[012] | awk '$2 != "total" {print $1}' | sort -n | tr '\n' ' ')
    cat "$CASE_DIR"/shard[012] | sort >"$CASE_DIR/union"
    if [[ $(sort -u "$CASE_DIR/union" | wc -l) != $(wc -l <"$CASE_DIR/union") ]]; then
        fail "$CASE" "a URL was fetched by two shards"
    elif ! sort "$URLS_FILE" | cmp -s - "$CASE_DIR/union"; then
        fail "$CASE" "the shards together are not the whole list"
    elif (($(echo "$sizes" | awk '{print $3 - $1}') > 1)); then
        fail "$CASE" "shard sizes $sizes differ by more than 1"
    else
        pass
    fi
}

# usage_msg NAME WANT... -- ARGS...: volley ARGS exits 2, fetches nothing, and stderr has every
# WANT (a fixed string).
usage_msg() {
    local name=$1 want=()
    shift
    while [[ $1 != -- ]]; do
        want+=("$1")
        shift
    done
    shift
    begin "$name"
    run_volley "$@" -o "$OUT"
    assert_exit 2 && assert_no_files || return
    local w
    for w in "${want[@]}"; do
        assert_stderr_has "$w" || return
    done
    pass
}

# --- --version ---------------------------------------------------------------------------------

t_version() {
    begin present_version
    run_volley --version
    assert_exit 0 && {
        local p
        for p in 'volley [0-9]' 'mbedTLS 3\.6' 'c-ares 1\.18' 'jsmn 1\.1'; do
            grep -Eq "^$p" "$CASE_DIR/stdout" || {
                fail "$CASE" "no line starting '$p': $(tr '\n' '|' <"$CASE_DIR/stdout")"
                return
            }
        done
    } && pass
}

# --- error messages that say what to do -------------------------------------------------------

t_cacert_msg() {
    begin present_error_cacert
    run_volley --cacert /nonexistent/volley-ca.pem --dns-server "$DNS_SERVER" -o "$OUT" "$INDEX_URL"
    assert_exit 2 && assert_no_files && assert_stderr_has /nonexistent/volley-ca.pem && {
        grep -Eqi 'check .*path' "$CASE_DIR/stderr" || fail "$CASE" "stderr does not say to check the path"
    } && pass
}

t_conns_msg() {
    begin present_error_conns_range
    run_volley "${WORLD_ARGS[@]}" -k 100000 -o "$OUT" "$INDEX_URL"
    assert_exit 2 && assert_no_files && assert_stderr_has "-k/--conns" && {
        grep -Eq '1 (to|-|\.\.) ?50000' "$CASE_DIR/stderr" ||
            fail "$CASE" "stderr does not give the allowed range (1 to 50000)"
    } && pass
}

t_tty
t_progress_not_tty
t_progress_forced
t_progress_monotonic
t_sweep_table
t_sweep_json
t_sweep_plot
t_json_schema
t_writeout
t_writeout_phases
t_shard
usage_msg present_shard_k_too_big "--shard" "K/N" -- "${WORLD_ARGS[@]}" --shard 3/3 "$INDEX_URL"
usage_msg present_shard_no_slash "--shard" "K/N" -- "${WORLD_ARGS[@]}" --shard 1 "$INDEX_URL"
usage_msg present_shard_not_numbers "--shard" "K/N" -- "${WORLD_ARGS[@]}" --shard a/b "$INDEX_URL"
t_version
t_cacert_msg
t_conns_msg
usage_msg present_error_resume_needs_manifest "--resume" "--manifest" -- \
    "${WORLD_ARGS[@]}" --resume "$INDEX_URL"
usage_msg present_error_unknown_option "--no-such-flag" "--help" -- \
    "${WORLD_ARGS[@]}" --no-such-flag "$INDEX_URL"
