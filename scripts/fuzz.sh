#!/usr/bin/env bash
# Fuzzing: builds the cargo-fuzz targets of fuzz/ (nightly, libFuzzer, debug assertions
# and so overflow checks on), seeds their corpora from real files, runs each target and
# prints a table of executions, coverage and findings.
#
#   bash scripts/fuzz.sh [--runs N | --seconds S] [--max-len BYTES] [--sanitizer none|address] [TARGET...]
#
# Default: every target for 60 seconds, inputs of at most 16 KiB (real frames are cut
# there: small images decode thousands of times a second), without a sanitizer (the crates are safe Rust;
# `--sanitizer address` also checks OpenJPEG's C code, several times slower). A finding
# is left in fuzz/artifacts/TARGET/; replay it with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/FILE`, then copy it to
# fuzz/regressions/TARGET/ so that the test suite replays it for good
# (tests/fuzz_regressions.rs). Exits non-zero when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=60)
sanitizer=none
max_len=16384
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) limit=(-runs="$2"); shift 2 ;;
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        --sanitizer) sanitizer="$2"; shift 2 ;;
        --max-len) max_len="$2"; shift 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

bash scripts/setup-test-env.sh >/dev/null
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)

# Seeds: real files, frames and headers (regenerated each run; the corpus grows on top).
mkdir -p fuzz/corpus
target/venv/bin/python fuzz/seed.py fuzz/corpus target/testdata ../shared/data | sed 's/^/  /'
for t in "${targets[@]}"; do
    if [ -d "fuzz/regressions/$t" ]; then cp -n fuzz/regressions/"$t"/* "fuzz/corpus/$t/" 2>/dev/null || true; fi
done

# With AddressSanitizer, OpenJPEG's C code (built by the cc crate) is instrumented too.
if [ "$sanitizer" = address ]; then
    export CFLAGS_x86_64_unknown_linux_gnu="-fsanitize=address -fno-omit-frame-pointer"
fi

rows=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    before=$(ls "fuzz/artifacts/$t" | wc -l)
    log="fuzz/artifacts/$t.log"
    echo "fuzz: $t (${limit[*]}, sanitizer $sanitizer)"
    set +e
    cargo +nightly fuzz run --fuzz-dir fuzz -s "$sanitizer" --debug-assertions "$t" "fuzz/corpus/$t" -- \
        "${limit[@]}" -max_len="$max_len" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(ls "fuzz/corpus/$t" | wc -l)
    found=$(( $(ls "fuzz/artifacts/$t" | wc -l) - before ))
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        failed=1
        grep -m3 -E 'panicked|ERROR|SUMMARY' "$log" | sed "s/^/  $t: /" || true
    fi
    rows+=("$(printf '| %-18s | %12s | %8s | %6s | %7s | %6s | %8s | %s |' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "${secs:-?}" "$found")")
done
echo
echo "| target             |   executions |  exec/s |  edges | features | corpus | slowest s | findings |"
echo "| ---                |          ---: |    ---: |   ---: |    ---: |   ---: |     ---: |     ---: |"
printf '%s\n' "${rows[@]}"
exit $failed
