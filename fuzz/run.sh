#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on the stable toolchain; fails if any target crashes.
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET]      (default 60)
#
# Installs cargo-fuzz if it is missing, builds all targets once (with AddressSanitizer), then
# runs each target in turn over its corpus (fuzz/corpus/<target>, git-ignored, grows between runs)
# and its committed seeds and past crashes (fuzz/regressions/<target>), and prints executions and
# executions per second per target. A crash's input is copied into fuzz/regressions/<target>/ so
# that `cargo test --test fuzz_regressions` replays it from then on: commit it with the fix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

secs=${1:-60}
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: fuzz/run.sh [SECONDS_PER_TARGET]   (a positive whole number; got '$secs')" >&2
    exit 2
fi
targets=(framing formats redact_line rules)
declare -A dict=([formats]=dict/lines.dict [redact_line]=dict/lines.dict [rules]=dict/rules.dict)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "=== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept them. Harmless on nightly.
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

echo "=== building ${#targets[@]} targets"
build_start=$SECONDS
cargo fuzz build
echo "built in $((SECONDS - build_start)) s"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
rows=()
for t in "${targets[@]}"; do
    echo "=== fuzzing $t for $secs s"
    mkdir -p "corpus/$t" "artifacts/$t"
    args=(-max_total_time="$secs" -print_final_stats=1 -timeout=30)
    if [[ -n ${dict[$t]:-} ]]; then
        args+=(-dict="${dict[$t]}")
    fi
    log="$logs/$t.log"
    status=0
    start=$SECONDS
    cargo fuzz run "$t" "corpus/$t" "regressions/$t" -- "${args[@]}" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    result=ok
    [[ $status == 0 ]] || result=CRASH
    rows+=("$(printf '%-12s %8s %12s %10s   %s' "$t" "$((SECONDS - start))" "${execs:-?}" "${rate:-?}" "$result")")
    if [[ $status != 0 ]]; then
        failed+=("$t")
        echo "--- $t failed (exit $status); the end of its log:"
        tail -n 60 "$log"
        for a in "artifacts/$t"/*; do
            [[ -f $a ]] || continue
            # Already saved (under any name)? Then it is an old crash that still crashes.
            for r in "regressions/$t"/*; do
                cmp -s "$a" "$r" && continue 2
            done
            cp "$a" "regressions/$t/"
            echo "--- saved $a as fuzz/regressions/$t/$(basename "$a"): commit it with the fix"
        done
    fi
done

echo
printf '%-12s %8s %12s %10s   %s\n' target seconds executions exec/s result
printf '%s\n' "${rows[@]}"
if ((${#failed[@]} > 0)); then
    echo "FAILED: ${failed[*]} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/regressions/TARGET/FILE)" >&2
    exit 1
fi
