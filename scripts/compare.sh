#!/usr/bin/env bash
# Throughput comparison: loganon vs. cat, GNU sed and perl on a synthetic corpus.
#
# Usage: scripts/compare.sh [SIZE]        (SIZE default 1G; K/M/G suffixes, binary units)
#
# Environment:
#   COMPARE_KIND=access|mixed   corpus kind passed to gencorpus.py (default access)
#   COMPARE_SEED=N              corpus seed (default 1)
#   COMPARE_RUNS=N              timed runs per tool; the best is reported (default 3)
#   COMPARE_PGO=1               also time the profile-guided build of scripts/pgo-build.sh
#                               (built first: about four minutes on two cores)
#   TMPDIR                      where the temporary corpus is written (mktemp -d)
#
# Beside the default rules, loganon is timed on one thread with a rule file that
# holds no rules: it still splits every line into its format's fields, reads its
# event time and appends its tag, which the contract asks of every line whatever
# the rules. That row is this engine's floor, the part of its cost no rule adds.
#
# Every tool is timed as `cat CORPUS | TOOL | cat > /dev/null` with a warm page
# cache. Runs are interleaved (round 1 of every tool, then round 2, ...) so
# that load changes on a shared machine hit all tools alike; the best run per
# tool is reported. Beside the wall time, the CPU time (user + system) of the
# tool itself is reported, best of the runs too: other jobs on a shared machine
# stretch the wall time far more than they stretch the CPU time a tool needs. sed and perl run under LC_ALL=C (the corpus is ASCII), which
# is their fastest mode. They apply only the nearest equivalent substitutions
# (IPv4 /24 truncation, plain emails, bare 13-19 digit runs): no IPv6, no
# URL-encoded emails, no grouped card numbers, no Luhn check -- less work
# than loganon does.
set -euo pipefail

die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
cd "$root"

size_arg=${1:-1G}
kind=${COMPARE_KIND:-access}
seed=${COMPARE_SEED:-1}
runs=${COMPARE_RUNS:-3}
now=2026-11-22T12:00:00Z

case $kind in access|mixed) ;; *) die "COMPARE_KIND must be 'access' or 'mixed' (got '$kind')" ;; esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "COMPARE_RUNS must be a positive integer (got '$runs')"
[[ $seed =~ ^[0-9]+$ ]] || die "COMPARE_SEED must be a non-negative integer (got '$seed')"

# ---------------------------------------------------------------- prerequisites
for tool in python3 sed perl cargo awk; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found in PATH"
done
sed --version 2>/dev/null | head -n1 | grep -q 'GNU sed' \
    || die "GNU sed is required (sed -E with \\b); found: $(sed --version 2>&1 | head -n1)"

if [[ -n ${EPOCHREALTIME:-} ]]; then
    now_s() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
else
    [[ $(date +%N) =~ ^[0-9]+$ ]] || die "need bash >= 5 (EPOCHREALTIME) or GNU date (+%N) for timing"
    now_s() { date +%s.%N; }
fi

# ------------------------------------------------------------------------ build
echo "building loganon (cargo build --release) ..." >&2
cargo build --release >&2 || die "cargo build --release failed"
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir = /* ]] || target_dir="$root/$target_dir"
loganon="$target_dir/release/loganon"
[[ -x $loganon ]] || die "loganon binary not found at $loganon after the build"
pgo=${COMPARE_PGO:-0}
case $pgo in 0|1) ;; *) die "COMPARE_PGO must be 0 or 1 (got '$pgo')" ;; esac
if [[ $pgo = 1 ]]; then
    echo "building the profile-guided loganon (scripts/pgo-build.sh) ..." >&2
    loganon_pgo=$(bash "$script_dir/pgo-build.sh" | tail -n 1) || die "scripts/pgo-build.sh failed"
    [[ -x $loganon_pgo ]] || die "scripts/pgo-build.sh gave no binary ('$loganon_pgo')"
fi

# ----------------------------------------------------------------------- corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loganon-compare.XXXXXX")
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

corpus="$tmp/corpus.log"
key="$tmp/key"
echo "generating $size_arg $kind corpus (seed $seed) ..." >&2
t0=$(now_s)
python3 "$script_dir/gencorpus.py" --size "$size_arg" --seed "$seed" --kind "$kind" > "$corpus" \
    || die "gencorpus.py failed"
t1=$(now_s)
cat "$corpus" > /dev/null   # warm the page cache
(umask 077 && head -c 32 /dev/urandom > "$key")   # private, as loganon expects
no_rules="$tmp/no-rules.toml"
printf '[retention]\ndefault = "30d"\n' > "$no_rules"
bytes=$(wc -c < "$corpus")
lines=$(wc -l < "$corpus")
(( bytes > 0 )) || die "empty corpus (size '$size_arg')"

# ------------------------------------------------------------------------ tools
# Nearest sed/perl equivalents of loganon's default rules.
sed_script='s/\b([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.[0-9]{1,3}\b/\1.0/g
s/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/[EMAIL]/g
s/\b[0-9]{13,19}\b/[CARD]/g'
perl_script='s/\b([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.[0-9]{1,3}\b/$1.0/g;
s/[A-Za-z0-9._%+-]+\@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/[EMAIL]/g;
s/\b[0-9]{13,19}\b/[CARD]/g;'

# Each PGO run right after its plain counterpart, so that both meet the same moment's load.
if [[ $pgo = 1 ]]; then
    ids=(cat sed perl lg_t1 lg_pgo_t1 lg_all lg_pgo_all lg_hash_t1 lg_hash_all lg_floor_t1)
else
    ids=(cat sed perl lg_t1 lg_all lg_hash_t1 lg_hash_all lg_floor_t1)
fi
declare -A label=(
    [cat]="cat | cat (baseline)"
    [sed]="sed -E (3 substitutions)"
    [perl]="perl -pe (3 substitutions)"
    [lg_t1]="loganon --threads 1 (truncate)"
    [lg_all]="loganon all threads (truncate)"
    [lg_hash_t1]="loganon --threads 1 --ip-mode hash"
    [lg_hash_all]="loganon all threads --ip-mode hash"
    [lg_pgo_t1]="loganon PGO --threads 1 (truncate)"
    [lg_pgo_all]="loganon PGO all threads (truncate)"
    [lg_floor_t1]="loganon --threads 1, no rules (floor)"
)

# Each tool reads stdin and writes stdout; the pipeline around it is the same.
tool_cat()         { cat; }
tool_sed()         { LC_ALL=C sed -E "$sed_script"; }
tool_perl()        { LC_ALL=C perl -pe "$perl_script"; }
tool_lg_t1()       { "$loganon" --now "$now" --threads 1; }
tool_lg_all()      { "$loganon" --now "$now"; }
tool_lg_hash_t1()  { "$loganon" --now "$now" --threads 1 --ip-mode hash --key-file "$key"; }
tool_lg_hash_all() { "$loganon" --now "$now" --ip-mode hash --key-file "$key"; }
tool_lg_pgo_t1()   { "$loganon_pgo" --now "$now" --threads 1; }
tool_lg_pgo_all()  { "$loganon_pgo" --now "$now"; }
tool_lg_floor_t1() { "$loganon" --now "$now" --threads 1 --rules "$no_rules"; }

# The tool runs in a subshell whose `times` (second line: its children, i.e.
# the tool) gives the tool's CPU time, written to file $2.
pipeline() { cat "$corpus" | { "tool_$1"; times > "$2"; } | cat > /dev/null; }

# Seconds of user + system time from the children's line of `times`
# ("0m1.234s 0m0.056s").
cpu_seconds() {
    awk 'NR == 2 {
        t = 0
        for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
        printf "%.3f", t
    }' "$1"
}

# Sanity check before timing: every tool runs, and keeps one output line per
# input line (on the first 20000 lines).
head -n 20000 "$corpus" > "$tmp/sample"
want=$(wc -l < "$tmp/sample")
for id in "${ids[@]}"; do
    if ! got=$("tool_$id" < "$tmp/sample" 2> "$tmp/err" | wc -l); then
        cat "$tmp/err" >&2
        die "'${label[$id]}' failed on a sample of the corpus"
    fi
    [[ $got -eq $want ]] || {
        cat "$tmp/err" >&2
        die "'${label[$id]}' wrote $got lines for $want input lines"
    }
done

# ----------------------------------------------------------------------- timing
declare -A best=() best_cpu=()
is_less() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
for ((round = 1; round <= runs; round++)); do
    echo "timing round $round/$runs ..." >&2
    for id in "${ids[@]}"; do
        s=$(now_s)
        pipeline "$id" "$tmp/times" 2> "$tmp/err" || { cat "$tmp/err" >&2; die "'${label[$id]}' failed"; }
        e=$(now_s)
        dt=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')
        cpu=$(cpu_seconds "$tmp/times")
        if [[ -z ${best[$id]:-} ]] || is_less "$dt" "${best[$id]}"; then
            best[$id]=$dt
        fi
        if [[ -z ${best_cpu[$id]:-} ]] || is_less "$cpu" "${best_cpu[$id]}"; then
            best_cpu[$id]=$cpu
        fi
    done
done

# ----------------------------------------------------------------------- report
rate() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", (t > 0 ? b / t / 1e6 : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
declare -A mbs=() cpu_mbs=()
for id in "${ids[@]}"; do
    mbs[$id]=$(rate "${best[$id]}")
    cpu_mbs[$id]=$(rate "${best_cpu[$id]}")
done

cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
gen_s=$(awk -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", e - s }')

echo
echo "loganon throughput comparison"
echo "  corpus : $kind, $bytes bytes ($mib MiB), $lines lines, seed $seed (generated in ${gen_s}s)"
echo "  machine: $cores cores${cpu:+ ($cpu)}, load average $load"
echo "  method : cat CORPUS | TOOL | cat > /dev/null, warm page cache, best of $runs interleaved runs"
echo "  loganon: --now $now; MB/s = 10^6 bytes of input per second"
echo "  CPU    : the tool's own user + system seconds; MB/CPU-s = MB per second of it"
echo
printf '%-38s %9s %9s %10s %9s %9s\n' "tool" "seconds" "MB/s" "vs cat" "CPU s" "MB/CPU-s"
printf '%-38s %9s %9s %10s %9s %9s\n' "--------------------------------------" "-------" "-------" "--------" \
    "-------" "-------"
for id in "${ids[@]}"; do
    printf '%-38s %9.3f %9s %9sx %9.3f %9s\n' "${label[$id]}" "${best[$id]}" "${mbs[$id]}" \
        "$(ratio "${mbs[$id]}" "${mbs[cat]}")" "${best_cpu[$id]}" "${cpu_mbs[$id]}"
done
echo
echo "ratios (MB/s over MB/s)"
lg_ids=(lg_t1 lg_all lg_hash_t1 lg_hash_all)
[[ $pgo = 1 ]] && lg_ids+=(lg_pgo_t1 lg_pgo_all)
for id in "${lg_ids[@]}"; do
    printf '  %-38s is %7sx sed, %7sx perl\n' "${label[$id]}" \
        "$(ratio "${mbs[$id]}" "${mbs[sed]}")" "$(ratio "${mbs[$id]}" "${mbs[perl]}")"
done
printf '  %-38s    %7sx (1 thread), %sx (all threads)\n' "hash / truncate" \
    "$(ratio "${mbs[lg_hash_t1]}" "${mbs[lg_t1]}")" "$(ratio "${mbs[lg_hash_all]}" "${mbs[lg_all]}")"
printf '  %-38s    %7sx (truncate), %sx (hash)\n' "all threads / 1 thread" \
    "$(ratio "${mbs[lg_all]}" "${mbs[lg_t1]}")" "$(ratio "${mbs[lg_hash_all]}" "${mbs[lg_hash_t1]}")"
printf '  %-38s    %7sx (1 thread)\n' "no rules (floor) / default rules" \
    "$(ratio "${mbs[lg_floor_t1]}" "${mbs[lg_t1]}")"
if [[ $pgo = 1 ]]; then
    printf '  %-38s    %7sx (1 thread), %sx (all threads)\n' "PGO / plain build (truncate)" \
        "$(ratio "${mbs[lg_pgo_t1]}" "${mbs[lg_t1]}")" "$(ratio "${mbs[lg_pgo_all]}" "${mbs[lg_all]}")"
fi
echo
echo "ratios of CPU time (MB/CPU-s over MB/CPU-s: work per byte, less sensitive to load)"
printf '  %-38s is %7sx sed, %7sx perl\n' "${label[lg_t1]}" \
    "$(ratio "${cpu_mbs[lg_t1]}" "${cpu_mbs[sed]}")" "$(ratio "${cpu_mbs[lg_t1]}" "${cpu_mbs[perl]}")"
printf '  %-38s    %7sx (1 thread), %sx (all threads)\n' "hash / truncate" \
    "$(ratio "${cpu_mbs[lg_hash_t1]}" "${cpu_mbs[lg_t1]}")" "$(ratio "${cpu_mbs[lg_hash_all]}" "${cpu_mbs[lg_all]}")"
printf '  %-38s    %7sx (1 thread)\n' "no rules (floor) / default rules" \
    "$(ratio "${cpu_mbs[lg_floor_t1]}" "${cpu_mbs[lg_t1]}")"
if [[ $pgo = 1 ]]; then
    printf '  %-38s is %7sx sed, %7sx perl\n' "${label[lg_pgo_t1]}" \
        "$(ratio "${cpu_mbs[lg_pgo_t1]}" "${cpu_mbs[sed]}")" "$(ratio "${cpu_mbs[lg_pgo_t1]}" "${cpu_mbs[perl]}")"
    printf '  %-38s    %7sx (1 thread), %sx (all threads)\n' "PGO / plain build (truncate)" \
        "$(ratio "${cpu_mbs[lg_pgo_t1]}" "${cpu_mbs[lg_t1]}")" "$(ratio "${cpu_mbs[lg_pgo_all]}" "${cpu_mbs[lg_all]}")"
fi
echo
echo "note: sed/perl do less work (IPv4 + plain emails + bare 13-19 digit runs only;"
echo "      no IPv6, URL-encoded emails, grouped card numbers or Luhn check)."
