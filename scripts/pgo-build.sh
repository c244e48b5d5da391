#!/usr/bin/env bash
# A profile-guided (PGO) release build of loganon: faster on every input, same output.
#
# Usage: scripts/pgo-build.sh
#
# Writes target/pgo/release/loganon (under CARGO_TARGET_DIR if set) and prints its path last.
#
# Why: the per-line work is branchy code (format detection, field splitting, the detectors'
# confirmations) whose layout the compiler guesses. A profile of real runs tells it which
# branches are taken and which functions are hot: 4 to 8% fewer instructions on the access and
# mixed samples and on the shared real logs (which are not in the training set), 11% on short
# lines, 2% in hash mode; the README's performance section has the measured throughput.
#
# How: an instrumented build (-Cprofile-generate) anonymizes a training set: the generated
# access corpus in both IP modes, on one thread and on all, from a file and from a pipe; the
# generated mixed corpus (JSON lines, syslog, logfmt) in both IP modes; and every log in
# tests/data (error logs, plain text, the formats' golden inputs). Its counts, merged by
# llvm-profdata, drive the final build (-Cprofile-use). The two builds use their own target
# directories, so the ordinary `target/release` build is left as it is.
#
# Check: the final binary must write, byte for byte, what the instrumented one wrote on every
# training input (same source, same arguments, same clock and key); the script fails otherwise.
#
# Needs: llvm-profdata of the LLVM that rustc uses (`rustup component add llvm-tools`, which the
# script runs itself when rustup is there), python3 for the generated corpora.
set -euo pipefail

die() { printf 'pgo-build.sh: %s\n' "$*" >&2; exit 1; }
step() { printf 'pgo-build.sh: %s\n' "$*" >&2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
cd "$root"

for tool in cargo rustc python3 cmp; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found in PATH"
done

# ------------------------------------------------------------------ llvm-profdata
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [[ ! -x $profdata ]]; then
    command -v rustup >/dev/null 2>&1 \
        || die "llvm-profdata not found at $profdata, and no rustup to install llvm-tools with"
    step "installing llvm-profdata (rustup component add llvm-tools) ..."
    rustup component add llvm-tools >&2 || die "rustup component add llvm-tools failed"
    [[ -x $profdata ]] || die "llvm-profdata still not found at $profdata after installing llvm-tools"
fi

target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir = /* ]] || target_dir="$root/$target_dir"
profiles="$target_dir/pgo-profiles"
train_dir="$target_dir/pgo-train"
final_dir="$target_dir/pgo"
# The profile paths go into RUSTFLAGS, which cargo splits at spaces.
[[ $profiles != *[[:space:]]* ]] || die "the target directory's path holds a space: $target_dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/loganon-pgo.XXXXXX")
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -------------------------------------------------------------------- training set
step "generating the training corpora ..."
python3 "$script_dir/gencorpus.py" --size 24M --seed 7 --kind access > "$tmp/access.log" \
    || die "gencorpus.py failed"
python3 "$script_dir/gencorpus.py" --size 16M --seed 7 --kind mixed > "$tmp/mixed.log" \
    || die "gencorpus.py failed"
# A fixed key, so that the training, like the corpora, is the same on every run.
(umask 077 && python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(1, 33)))' > "$tmp/key")
mapfile -t logs < <(find tests/data -name '*.log' -size +0 | sort)
(( ${#logs[@]} > 0 )) || die "no logs under tests/data"

now=2026-11-22T12:00:00Z
# Each run: a name for its output, and loganon's arguments (input last), kept as one string with
# the words joined by the unit separator, so that paths may hold spaces.
names=() argvs=()
add_run() {
    local name=$1 IFS=$'\x1f'
    shift
    names+=("$name")
    argvs+=("$*")
}
add_run access --threads 1 "$tmp/access.log"
add_run access-all "$tmp/access.log"
add_run pipe-access "$tmp/access.log"
add_run access-hash --threads 1 --ip-mode hash --key-file "$tmp/key" "$tmp/access.log"
add_run mixed --threads 1 "$tmp/mixed.log"
add_run mixed-hash --threads 1 --ip-mode hash --key-file "$tmp/key" "$tmp/mixed.log"
for log in "${logs[@]}"; do
    add_run "data-${#names[@]}-$(basename "$log" .log)" --threads 1 "$log"
done

# Runs every training input through binary $1, writing each output to directory $2. A run named
# `pipe-...` reads its input from a pipe, as `cat FILE | loganon` does (the reader polls a pipe,
# where it reads a file straight).
train() {
    local bin=$1 out=$2 i argv input
    mkdir -p "$out"
    for i in "${!names[@]}"; do
        IFS=$'\x1f' read -r -a argv <<< "${argvs[$i]}"
        if [[ ${names[$i]} = pipe-* ]]; then
            input=${argv[-1]}
            unset 'argv[-1]'
            cat -- "$input" | "$bin" --now "$now" "${argv[@]}" > "$out/${names[$i]}" 2> "$out/${names[$i]}.err"
        else
            "$bin" --now "$now" "${argv[@]}" > "$out/${names[$i]}" 2> "$out/${names[$i]}.err"
        fi || { cat "$out/${names[$i]}.err" >&2; die "training run '${names[$i]}' failed"; }
    done
}

# ---------------------------------------------------------------- instrumented run
rm -rf -- "$profiles"
mkdir -p "$profiles"
step "building the instrumented binary (target: $train_dir) ..."
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$profiles" \
    cargo build --release --locked --target-dir "$train_dir" >&2 || die "instrumented build failed"
step "running the training set (${#names[@]} runs) ..."
train "$train_dir/release/loganon" "$tmp/trained"
"$profdata" merge -o "$profiles/merged.profdata" "$profiles"/*.profraw \
    || die "llvm-profdata merge failed"

# ---------------------------------------------------------------------- final build
step "building the optimized binary (target: $final_dir) ..."
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$profiles/merged.profdata" \
    cargo build --release --locked --target-dir "$final_dir" >&2 || die "optimized build failed"
bin="$final_dir/release/loganon"

step "checking its output against the instrumented build's ..."
train "$bin" "$tmp/final"
for name in "${names[@]}"; do
    cmp -s "$tmp/trained/$name" "$tmp/final/$name" || die "outputs differ on training run '$name'"
done
step "done: ${#names[@]} training runs, identical output"
echo "$bin"
