#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass and assert_no_files default to the current case
# shellcheck disable=SC2016 # until_bg's conditions are expanded when evaluated
# Every saved byte is the origin's and every manifest line is true: hostile framing (bytes no
# request asked for, folded headers), origins sharing a host name, several runs sharing one -o,
# crashes mid-run, torn and unwritable manifests, hostile URLs and lists.
# The fault servers are started by faults.sh (on 127.0.0.1, stopped by pid when the file ends).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

# assert_excess N: the --json summary counts N connections dropped for unrequested bytes.
assert_excess() {
    json_check "n = get('conns', 'discarded_excess')
assert n == $1, 'discarded_excess %r, want $1' % n"
}

# --- framing: bytes no request asked for -------------------------------------------------------
# --- shared folders, crashes, links ----------------------------------------------------------

t_shared_dir() {
    begin integrity_two_shards_one_dir
    # Two processes write into one -o at once (the sharding recipe): no temporary name is shared,
    # so every file of both halves holds its own bytes.
    local a=$CASE_DIR/a b=$CASE_DIR/b pa pb ra rb t
    mkdir -p "$a" "$b"
    t=$(date +%s%N)
    timeout -k 5 "$VOLLEY_BUDGET" "$VOLLEY" -t 1 -k 8 --shard 0/2 "${WORLD_ARGS[@]}" \
        -i "$URLS_FILE" -o "$OUT" >"$a/stdout" 2>"$a/stderr" </dev/null &
    pa=$!
    timeout -k 5 "$VOLLEY_BUDGET" "$VOLLEY" -t 1 -k 8 --shard 1/2 "${WORLD_ARGS[@]}" \
        -i "$URLS_FILE" -o "$OUT" >"$b/stdout" 2>"$b/stderr" </dev/null &
    pb=$!
    wait "$pa"
    ra=$?
    wait "$pb"
    rb=$?
    RC=$((ra | rb))
    RUN_MS=$((($(date +%s%N) - t) / 1000000))
    watched "$ra" "$RUN_MS" && watched "$rb" "$RUN_MS" && assert_exit 0 &&
        assert_saved "$FIXTURE/600" "$IMG_DIR/600" && pass

    begin integrity_kill9_leaves_nothing
    # A run killed with SIGKILL mid-body leaves no temporary file behind (O_TMPFILE: the bodies
    # in flight have no name until they are whole).
    urls "$H/endless" "$H/endless?b" "$H/ok/5000"
    start_bg -t 1 -k 3 --timeout 30 -o "$OUT" --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls"
    until_bg '(($(manifest_lines) >= 1 && $(bodies_open) >= 2))' || return
    kill -KILL "$(pgrep -P "$VOLLEY_PID" | head -n 1)"
    wait_bg
    assert_exit 137 && assert_bodies && assert_file_count "$OUT" 1 && pass

    begin integrity_resume_sweeps_leftovers
    # Hidden .part files that no process holds (a killed run where O_TMPFILE was missing, or an
    # older volley) are removed by --resume; one that a live process holds is left alone.
    local dir holder
    dir=$OUT/$(origin_dir "$H")/ok
    mkdir -p "$dir"
    echo stale >"$dir/.volley-4242-00000000deadbeef.part"
    echo stale >"$dir/.volley-1a2b.part"
    echo live >"$dir/.volley-4343-00000000cafef00d.part"
    timeout 30 flock -x "$dir/.volley-4343-00000000cafef00d.part" sleep 20 &
    holder=$!
    sleep 0.2
    urls "$H/ok/10"
    fetch -t 1 -k 1 --resume -o "$OUT"
    stop_pid "$holder"
    assert_exit 0 && assert_stderr_has "removed 2 partial files of earlier runs" &&
        assert_file_count "$dir" 2 && [[ -f $dir/.volley-4343-00000000cafef00d.part ]] &&
        pass || fail "$CASE" "the held file is gone"

    begin integrity_symlink_not_followed
    # A symbolic link below -o is never written through: the body would land outside -o.
    local away=$CASE_DIR/away
    mkdir -p "$away" "$OUT/$(origin_dir "$H")"
    ln -s "$away" "$OUT/$(origin_dir "$H")/ok"
    ln -s "$away" "$OUT/$(origin_dir "$S")"
    urls "$H/ok/10" "$S/ok/11" "$H/status/200"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 1 && assert_manifest "$H/ok/10" unsafe_symlink 1 "$S/ok/11" unsafe_symlink 1 \
        "$H/status/200" ok 1 && assert_no_files "$away" &&
        assert_failed_url "$H/ok/10" "symbolic link" && pass
}

# unprivileged CMD...: CMD as a user that file permissions apply to (root ignores them).
unprivileged() {
    if (($(id -u) == 0)); then
        setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
    else
        "$@"
    fi
}

t_unwritable() {
    begin integrity_unwritable_outdir
    # An -o that cannot be written is said at once (exit 2, the reason), before any request.
    local ro=$CASE_DIR/ro
    mkdir -p "$ro"
    chmod 555 "$ro"
    urls "$H/ok/10" "$H/ok/11"
    fs /stats/reset >/dev/null
    RUN_CWD=$CASE_DIR run_volley -i "$CASE_DIR/urls" -o "$CASE_DIR/urls"
    assert_exit 2 && assert_stderr_has "-o $CASE_DIR/urls: cannot write in $CASE_DIR/urls: Not a directory" &&
        assert_requests /ok/10 0 || return
    unprivileged "$VOLLEY" -i "$CASE_DIR/urls" -o "$ro/sub" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
    RC=$?
    assert_exit 2 && assert_stderr_has "cannot write in $ro/sub: Permission denied" &&
        assert_requests /ok/10 0 /ok/11 0 && pass
}
# --- lists of any size --------------------------------------------------------------------------

# rss_kb: the resident memory of the volley started by start_bg, in KiB.
rss_kb() {
    local pid
    pid=$(pgrep -P "$VOLLEY_PID" | head -n 1)
    awk '/^VmRSS:/ {print $2}' "/proc/${pid:-0}/status" 2>/dev/null || echo 0
}

# served TARGET: how many times the fault server has seen TARGET since its counters were reset.
served() {
    fs /stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"].get(sys.argv[1], 0))' "$1"
}

t_streams() {
    begin integrity_stream_starts_at_once
    # A list on a pipe is fetched while it is read: the first URL is requested while the writer
    # still holds the pipe open (before, volley read to the end first).
    local fifo=$CASE_DIR/fifo
    mkfifo "$fifo"
    fs /stats/reset >/dev/null
    start_bg -t 1 -k 2 -o "$OUT" --manifest "$CASE_DIR/manifest" -i "$fifo"
    exec 7>"$fifo"
    echo "$H/ok/10" >&7
    until_bg '(($(served /ok/10) == 1))' || { exec 7>&-; return; }
    echo "$H/ok/11" >&7
    exec 7>&-
    wait_bg
    assert_exit 0 && assert_manifest "$H/ok/10" ok 1 "$H/ok/11" ok 1 && assert_bodies && pass

    begin integrity_stream_bounded_memory
    # An endless list (yes URL | volley -i -) starts at once and runs in bounded memory.
    fs /stats/reset >/dev/null
    printf '%q ' "$VOLLEY" -t 1 -k 4 -i - >"$CASE_DIR/cmd"
    yes "$H/ok/10" | timeout --foreground -k 5 "$VOLLEY_BUDGET" "$VOLLEY" -q -t 1 -k 4 -i - \
        >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr" &
    VOLLEY_PID=$!
    BG_T0=$(date +%s%N)
    until_bg '(($(served /ok/10) >= 200))' || return
    local r1 r2
    r1=$(rss_kb)
    sleep 2
    r2=$(rss_kb)
    kill -INT "$(pgrep -P "$VOLLEY_PID" | head -n 1)"
    wait_bg
    assert_exit 130 && ((r2 < 60000 && r2 - r1 < 8000)) && pass ||
        fail "$CASE" "resident memory $r1 KiB, then $r2 KiB 2 s later: want bounded"

    begin integrity_dev_zero_bounded
    # One endless line of NUL bytes: bounded memory, and a signal still stops it.
    printf '%q ' "$VOLLEY" -i /dev/zero >"$CASE_DIR/cmd"
    start_bg -t 1 -k 1 -i /dev/zero
    sleep 1.5
    r1=$(rss_kb)
    kill -INT "$(pgrep -P "$VOLLEY_PID" | head -n 1)"
    wait_bg
    assert_exit 130 && ((r1 > 0 && r1 < 60000)) && pass ||
        fail "$CASE" "resident memory $r1 KiB after 1.5 s of /dev/zero"

    begin integrity_nul_in_line
    # A NUL inside a line makes that URL bad_url (before, the shorter URL was fetched).
    fs /stats/reset >/dev/null
    printf '%s\0%s\n%s\n' "$H/ok/10" "/evil" "$H/ok/11" >"$CASE_DIR/list"
    run_volley -t 1 -k 1 --json --manifest "$CASE_DIR/manifest" -o "$OUT" -i - \
        < <(cat "$CASE_DIR/list") # a pipe: the streamed reader
    assert_exit 1 && assert_requests /ok/10 0 /ok/11 1 &&
        manifest_has "l['error'] == 'bad_url' and l['url'] == '$H/ok/10\\x00/evil'" &&
        assert_failures bad_url=1 || return
    # The same from a file (read whole, not streamed).
    rm -f "$CASE_DIR/manifest"
    fs /stats/reset >/dev/null
    run_volley -t 1 -k 1 --json --manifest "$CASE_DIR/manifest" -o "$OUT" -i "$CASE_DIR/list"
    assert_exit 1 && assert_requests /ok/10 0 /ok/11 1 &&
        manifest_has "l['error'] == 'bad_url' and l['url'] == '$H/ok/10\\x00/evil'" && pass

    begin integrity_line_over_limit
    # A line over 64 KiB is cut there and fails as url_too_long, with a manifest line.
    { printf '%s/' "$H/ok/10"; head -c 70000 /dev/zero | tr '\0' a; echo; echo "$H/ok/11"; } \
        >"$CASE_DIR/list"
    run_volley -t 1 -k 1 --manifest "$CASE_DIR/manifest" -o "$OUT" -i - < <(cat "$CASE_DIR/list")
    assert_exit 1 && manifest_has "l['error'] == 'url_too_long' and len(l['url']) == 65536" &&
        manifest_has "l['ok'] and l['url'] == '$H/ok/11'" && pass
}
# --- digests -----------------------------------------------------------------------------------

t_checksum() {
    begin integrity_checksum_sha256
    # Each saved body's SHA-256 in its manifest line, as the file on disk has it.
    urls "$H/ok/100" "$H/chunked/70000" "$H/ok/0"
    fetch -t 1 -k 2 --checksum sha256 -o "$OUT"
    assert_exit 0 && manifest_has "all(True for _ in [0])" &&
        python3 - "$CASE_DIR/manifest" <<'EOF2' && pass || fail "$CASE" "a digest does not match its file"
import hashlib, json, sys
lines = [json.loads(x) for x in open(sys.argv[1])]
assert len(lines) == 3
for l in lines:
    assert l["sha256"] == hashlib.sha256(open(l["path"], "rb").read()).hexdigest(), l
EOF2

    begin integrity_resume_verify
    # A saved file changed behind volley's back (same size): --resume trusts its size and skips
    # it; --resume --verify sees the digest differ and fetches it again.
    local first=$CASE_DIR/manifest.first f
    urls "$H/ok/100" "$H/ok/200"
    fetch -t 1 -k 1 --checksum sha256 -o "$OUT"
    cp "$CASE_DIR/manifest" "$first"
    f=$OUT/$(origin_dir "$H")/ok/100
    printf 'X' | dd of="$f" bs=1 seek=10 conv=notrunc status=none
    fetch -t 1 -k 1 --resume -o "$OUT"
    assert_exit 0 && assert_json skipped=2 && assert_requests /ok/100 0 || return
    cp "$first" "$CASE_DIR/manifest"
    fetch -t 1 -k 1 --resume --verify --checksum sha256 -o "$OUT"
    assert_exit 0 && assert_json skipped=1 ok=1 && assert_requests /ok/100 1 /ok/200 0 &&
        assert_bodies && pass
}

t_excess() {
    begin integrity_excess_after_200
    # A second response glued behind the first on a kept-alive connection with nothing else in
    # flight: never taken as the next URL's body. One connection (-k 1), so before the fix
    # every later URL was saved with the previous one's bytes ("EVIL" first).
    urls "$H/extra/200" "$H/ok/10" "$H/ok/20" "$H/ok/30"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 0 && assert_manifest "$H/extra/200" ok 1 "$H/ok/10" ok 1 "$H/ok/20" ok 1 \
        "$H/ok/30" ok 1 && assert_bodies && assert_file_count "$OUT" 4 && assert_excess 1 &&
        assert_requests /extra/200 1 /ok/10 1 /ok/20 1 /ok/30 1 && pass

    begin integrity_excess_after_204_304
    # The same behind responses that never have a body (RFC 9110 sections 15.3.5, 15.4.5).
    urls "$H/extra/204" "$H/ok/10" "$H/extra/304" "$H/ok/20"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_manifest "$H/extra/204" ok 1 "$H/ok/10" ok 1 \
        "$H/extra/304" http_status 1 "$H/ok/20" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 3 && assert_excess 2 && pass

    begin integrity_excess_over_tls
    urls "$S/extra/200" "$S/ok/1000" "$S/ok/2000"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$S/extra/200" ok 1 "$S/ok/1000" ok 1 "$S/ok/2000" ok 1 &&
        assert_bodies && assert_file_count "$OUT" 3 && assert_excess 1 && pass

    begin integrity_excess_while_idle
    # Bytes that arrive on an idle connection (no request outstanding): the connection is
    # dropped, and the next URL (due 500 ms later with --rate 2) gets a fresh one.
    urls "$H/late/200" "$H/ok/10"
    fetch -t 1 -k 1 --rate 2 -o "$OUT"
    assert_exit 0 && assert_manifest "$H/late/200" ok 1 "$H/ok/10" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 2 && assert_excess 1 && pass

    begin integrity_pipeline_unharmed
    # Pipelined responses are accounted for by the requests in flight: nothing is dropped.
    local list=() i
    for ((i = 1; i <= 40; i++)); do
        list+=("$H/ok/$((i * 97))")
    done
    urls "${list[@]}"
    fetch -t 1 -k 1 --pipeline 8 -o "$OUT"
    assert_exit 0 && assert_bodies && assert_file_count "$OUT" 40 && assert_excess 0 &&
        json_check "assert get('conns', 'opened') == 1, get('conns', 'opened')" && pass
}

t_fold() {
    begin integrity_obs_fold
    # A header folded over lines (obs-fold) is unfolded, not refused (RFC 9112 section 5.2),
    # also when the folded field is the Content-Length that frames the body.
    urls "$H/fold/a" "$H/fold/len" "$S/fold/len?tls"
    fetch -t 1 -k 1 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$H/fold/a" ok 1 "$H/fold/len" ok 1 "$S/fold/len?tls" ok 1 &&
        assert_bodies && assert_file_count "$OUT" 3 && pass
}

t_status_range() {
    begin integrity_status_out_of_range
    # 600 and 999 are no HTTP statuses: failed at once, never retried like a 5xx.
    urls "$H/status/600" "$H/status/999" "$H/status/599"
    fetch -t 1 -k 1 --retries 2
    assert_exit 1 && assert_manifest "$H/status/600" http_status 1 "$H/status/999" http_status 1 \
        "$H/status/599" http_status 3 && assert_requests /status/600 1 /status/999 1 \
        /status/599 3 && pass
}

# --- one file per URL ----------------------------------------------------------------------------

# origin_dir URL-BASE: the folder an origin's files go to ("127.0.0.1:18600").
origin_dir() {
    echo "${1#*://}"
}

t_origins() {
    begin integrity_two_origins
    # The same host and path on two ports: two files, both whole (before: one body was lost).
    urls "$H/ok/300" "$S/ok/300"
    fetch -t 1 -k 2 --cacert "$CA" -o "$OUT"
    assert_exit 0 && assert_manifest "$H/ok/300" ok 1 "$S/ok/300" ok 1 && assert_bodies &&
        assert_file_count "$OUT" 2 && assert_file_count "$OUT/$(origin_dir "$H")" 1 &&
        assert_file_count "$OUT/$(origin_dir "$S")" 1 && pass

    begin integrity_path_conflict
    # Two URLs that still map to one file ("%31%30" decodes to "10"): the second fails with
    # path_conflict before any request; the same URL listed twice is no conflict.
    urls "$H/ok/10" "$H/ok/%31%30" "$H/ok/10"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && assert_requests /ok/10 2 /ok/%31%30 0 && assert_bodies &&
        assert_file_count "$OUT" 1 && assert_failed_url "$H/ok/%31%30" "same file" &&
        assert_failures path_conflict=1 && pass

    begin integrity_path_conflict_resume
    # --resume: a URL skipped as done still owns its file.
    local first=$CASE_DIR/first
    urls "$H/ok/10"
    run_volley --manifest "$CASE_DIR/manifest" -i "$CASE_DIR/urls" -o "$OUT"
    cp "$CASE_DIR/manifest" "$first"
    urls "$H/ok/10" "$H/ok/%31%30"
    fetch -t 1 -k 1 --resume -o "$OUT"
    assert_exit 1 && assert_requests /ok/10 0 /ok/%31%30 0 && assert_bodies &&
        assert_json skipped=1 failed=1 && assert_failures path_conflict=1 && pass

    begin integrity_redirect_manifest
    # A redirected body is saved under the final URL's path; the manifest names both URLs.
    urls "$H/redirect/2"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 0 && assert_file_count "$OUT" 1 &&
        manifest_has "(l['url'] == '$H/redirect/2' and l['final_url'] == '$H/redirect/0' and
l['path'] == '$OUT/$(origin_dir "$H")/redirect/0' and open(l['path']).read() == 'done')" && pass
}

# --- the manifest ------------------------------------------------------------------------------

# manifest_has PYTHON: the manifest is valid UTF-8 throughout (a strict reader), every line is
# one JSON object, and PYTHON (an expression over one line l) holds for at least one of them.
manifest_has() {
    local msg
    msg=$(python3 - "$CASE_DIR/manifest" "$1" 2>&1 <<'EOF2'
import json, os, sys
raw = open(sys.argv[1], "rb").read()
try:
    text = raw.decode("utf-8", "strict")
except UnicodeDecodeError as e:
    sys.exit("manifest is not UTF-8: %s" % e)
if not text.endswith("\n"):
    sys.exit("manifest does not end with a newline")
lines = [json.loads(x) for x in text.splitlines()]
if not any(eval(sys.argv[2], {"os": os}, {"l": l}) for l in lines):
    sys.exit(("no manifest line with %s in %r" % (sys.argv[2], lines))[:300])
EOF2
    ) && return 0
    fail "$CASE" "$(echo "$msg" | tail -n 1)"
}

t_manifest() {
    begin integrity_manifest_non_utf8
    # The path decodes %e9 to the byte 0xE9, which is no UTF-8: the line stays valid UTF-8 with
    # the byte escaped as \udce9 (surrogateescape), and os.fsencode gives the real path back.
    urls "$H/ok/10/caf%e9"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 0 && grep -q 'caf\\udce9"' "$CASE_DIR/manifest" &&
        manifest_has "l['ok'] and os.path.getsize(os.fsencode(l['path'])) == 10" ||
        fail "$CASE" "no \\udce9 escape in the manifest"
    [[ $CASE_DONE == 0 ]] && pass

    begin integrity_manifest_long_urls
    # Every URL that ends gets exactly one line, however long: 9,000 bytes, 2,000 controls.
    local long ctl
    long="$H/ok/10/$(printf 'a%.0s' {1..9000})"
    ctl="$H/ok/10/$(printf '\001%.0s' {1..2000})"
    printf '%s\n%s\n%s\n' "$long" "$ctl" "$H/ok/11" >"$CASE_DIR/urls"
    fetch -t 1 -k 1 -o "$OUT"
    assert_exit 1 && [[ $(wc -l <"$CASE_DIR/manifest") == 3 ]] &&
        manifest_has "l['error'] == 'url_too_long' and len(l['url']) == len('$long')" &&
        manifest_has "l['error'] == 'bad_url' and l['url'].endswith('\\x01' * 2000)" &&
        manifest_has "l['ok'] and l['url'] == '$H/ok/11'" || fail "$CASE" "want 3 lines"
    [[ $CASE_DONE == 0 ]] && pass

    begin integrity_manifest_torn_line
    # A crash left a last line without its newline. --resume does not trust it (the file it
    # names is there at its size, yet it is fetched again), and the new lines start afresh.
    urls "$H/ok/10"
    run_volley -o "$OUT" -i "$CASE_DIR/urls"
    local saved
    saved=$(find "$OUT" -type f)
    printf '{"url":"%s","status":200,"bytes":10,"attempts":1,"ms":1,"ok":true,"error":null,"path":"%s"' \
        "$H/ok/10" "$saved" >"$CASE_DIR/manifest"
    fetch -t 1 -k 1 --resume -o "$OUT"
    assert_exit 0 && assert_requests /ok/10 1 && assert_json skipped=0 ok=1 &&
        [[ $(wc -l <"$CASE_DIR/manifest") == 2 ]] &&
        python3 -c 'import json, sys; json.loads(open(sys.argv[1]).read().splitlines()[1])' \
            "$CASE_DIR/manifest" || fail "$CASE" "the new line is not a line of its own"
    [[ $CASE_DONE == 0 ]] && pass

    begin integrity_manifest_full_disk
    # A manifest that cannot be written is an error the user sees: named, counted, exit 1.
    urls "$H/ok/10" "$H/ok/11"
    fs /stats/reset >/dev/null
    run_volley --json --manifest /dev/full -i "$CASE_DIR/urls" -o "$OUT"
    assert_exit 1 && assert_stderr_has "--manifest /dev/full: 2 lines could not be written" &&
        assert_stderr_has "No space left on device" && assert_json manifest_errors=2 ok=2 && pass
}

# --- what people read --------------------------------------------------------------------------

# assert_no_raw_controls FILE...: no ESC, BEL or C1 byte (raw 0x80-0x9f or UTF-8 C2 80-9F).
assert_no_raw_controls() {
    local f
    for f in "$@"; do
        if LC_ALL=C grep -qP '[\x07\x1b\x80-\x9f]' "$f"; then
            fail "$CASE" "raw control bytes in $(basename "$f"): $(LC_ALL=C grep -oP '.{0,20}[\x07\x1b\x80-\x9f]' "$f" | head -n 1 | od -c | head -n 2 | tr -s ' ')"
            return 1
        fi
    done
}

t_human() {
    begin integrity_controls_escaped
    # A hostile list cannot drive the terminal: -w, the failure lines and -v show controls
    # (C0, DEL, C1 raw or in UTF-8) as \xNN.
    printf '%s\n' "$H/ok/10?$(printf '\033')]0;pwned$(printf '\007')" \
        "$H/ok/11?a$(printf '\302\233')31m" "$H/x/$(printf '\233')2J" >"$CASE_DIR/urls"
    fs /stats/reset >/dev/null
    run_volley -v -w '%{url} %{http_code}\n' -i "$CASE_DIR/urls"
    assert_exit 1 && assert_no_raw_controls "$CASE_DIR/stdout" "$CASE_DIR/stderr" &&
        assert_output_has '\x1b]0;pwned\x07 000' && assert_output_has 'a\xc2\x9b31m 000' &&
        assert_stderr_has '/x/\x9b2J: invalid URL' && pass

    begin integrity_password_redacted
    # user:password@ URLs are refused, and the password never shows: stderr, -w, manifest.
    urls "http://user:hunter2@127.0.0.1:$F_HTTP/ok/10"
    fetch -w '%{url}\n' -o "$OUT"
    assert_exit 1 && assert_failed_url "http://user:***@127.0.0.1:$F_HTTP/ok/10" "invalid URL" &&
        assert_manifest "http://user:***@127.0.0.1:$F_HTTP/ok/10" bad_url 1 &&
        ! grep -q hunter2 "$CASE_DIR/stdout" "$CASE_DIR/stderr" "$CASE_DIR/manifest" &&
        pass || fail "$CASE" "the password shows"
}

# --- the index ---------------------------------------------------------------------------------

t_index() {
    begin integrity_index_skipped_counted
    # Elements whose URL is no string (or absent) are counted and reported, not dropped without
    # a word; a UTF-8 byte order mark before the array is accepted.
    printf '\357\273\277[{"url": 5}, {"url": null}, {"id": 3}, "%s", {"url": "%s"}, [1]]' \
        "$H/ok/10" "$H/ok/20" >"$FDIR/www/skips.json"
    fs /stats/reset >/dev/null
    run_volley --json -o "$OUT" "http://127.0.0.1:$F_INDEX/skips.json"
    assert_exit 0 && assert_json ok=2 && assert_bodies &&
        json_check "assert get('index') == {'skipped_no_field': 1, 'skipped_not_string': 3}, get('index')" &&
        assert_stderr_has 'skipped 1 elements without "url" and 3 whose "url" is no string' && pass
}

t_timeout_redirects() {
    begin integrity_timeout_spans_redirects
    # --timeout bounds the whole try, redirects included: three hops of 700 ms each do not fit
    # in 1.5 s (before, each hop had 1.5 s of its own and the URL took 2.8 s, "ok").
    urls "$H/redirect-slow/3/700"
    fetch -t 1 -k 1 --timeout 1.5 --retries 0
    assert_exit 1 && assert_manifest "$H/redirect-slow/3/700" timeout_ttfb 1 &&
        assert_slower_than_ms 1400 && assert_faster_than 3 &&
        assert_requests /redirect-slow/3/700 1 /redirect-slow/2/700 1 /redirect-slow/0/700 0 &&
        pass
    begin integrity_timeout_fits_redirects
    urls "$H/redirect-slow/2/200"
    fetch -t 1 -k 1 --timeout 1.5 --retries 0
    assert_exit 0 && assert_manifest "$H/redirect-slow/2/200" ok 1 && pass
}

t_excess
t_timeout_redirects
t_fold
t_status_range
t_origins
t_manifest
t_human
t_index
t_shared_dir
t_unwritable
t_streams
t_checksum

exit 0
