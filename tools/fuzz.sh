#!/bin/sh
# fuzz.sh [SECONDS] [TARGET...]: build the libFuzzer targets in tests/fuzz/ into build/fuzz/ and
# run each for SECONDS (default $FUZZ_SECONDS, else 30; 0 only replays the seeds) on a scratch
# copy of its seed corpus tests/fuzz/corpus/<target>/, so the repository's corpus never grows.
# Each target stops at its first crash, leak, timeout or invariant failure; the input is kept
# under build/fuzz/artifacts/<target>/.
# Prints one line per target and "fuzz: N passed, M failed"; exits non-zero if any failed.
# Reproduce a crash: build/fuzz/<target> <crash file>
set -u

cd "$(dirname "$0")/.." || exit 2

secs=${1:-${FUZZ_SECONDS:-30}}
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*)
    echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac

CC_FUZZ=${CC_FUZZ:-clang}
CFLAGS_FUZZ="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -Iinclude"
out=build/fuzz
all_targets="fuzz_url fuzz_http_parse fuzz_redirect fuzz_index fuzz_outpath"
targets=${*:-$all_targets}

# The pure modules each target links, and nothing else.
sources() {
    case $1 in
    fuzz_url | fuzz_redirect) echo "src/url.c src/buf.c" ;;
    fuzz_http_parse) echo "src/http_parse.c" ;;
    fuzz_index) echo "src/index.c src/json.c src/err.c" ;;
    fuzz_outpath) echo "src/outpath.c src/url.c src/buf.c" ;;
    *) return 1 ;;
    esac
}

# -max_total_time=0 would mean no limit: 0 seconds runs just the seed corpus once instead.
if [ "$secs" -eq 0 ]; then
    budget=-runs=0
else
    budget=-max_total_time=$secs
fi

count() {
    find "$1" -type f | wc -l
}

mkdir -p "$out" || exit 2
for t in $targets; do
    srcs=$(sources "$t") || {
        echo "fuzz: unknown target $t (have: $all_targets)" >&2
        exit 2
    }
    # shellcheck disable=SC2086 # word splitting of the flag and source lists is intended
    if ! $CC_FUZZ $CFLAGS_FUZZ -o "$out/$t" "tests/fuzz/$t.c" $srcs 2>"$out/$t.build.log"; then
        cat "$out/$t.build.log" >&2
        echo "fuzz: building $t failed" >&2
        exit 2
    fi
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/volley-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

# Stop at the first UBSan report too, with a stack; leaks count as failures.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

passed=0
failed=0
for t in $targets; do
    corpus="$scratch/$t"
    arts="$out/artifacts/$t"
    log="$out/$t.log"
    mkdir -p "$corpus" "$arts"
    if [ -d "tests/fuzz/corpus/$t" ]; then
        cp -R "tests/fuzz/corpus/$t/." "$corpus/"
    fi
    touch "$scratch/$t.start"
    "$out/$t" "$budget" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$arts/" "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $t: ${runs:-?} runs in ${secs}s, cov ${cov:-?}, corpus $(count "$corpus")"
        continue
    fi
    failed=$((failed + 1))
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ -z "$crash" ]; then
        crash=$(find "$arts" -type f -newer "$scratch/$t.start" | head -n 1)
    fi
    echo "FAIL $t: exit $rc, input ${crash:-(none written)}, log $log"
    grep -m 1 -E 'invariant failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' \
        "$log" | sed 's/^/    /'
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
