#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every fuzzer built in BUILD/fuzz for SECONDS each, on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target>/ is never written here), at most JOBS at a time. Fails if any
# fuzzer finds a crash, a leak, a timeout or a broken property; the input that did it is kept
# in BUILD/fuzz-artifacts/ and its log is printed.
#
#   tests/fuzz/run.sh BUILD [SECONDS] [JOBS]
set -euo pipefail

build=${1:?usage: run.sh BUILD [SECONDS] [JOBS]}
seconds=${2:-20}
jobs=${3:-$(nproc 2>/dev/null || echo 2)}
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
# every fuzzer the build made (tests/fuzz/fuzz.cmake lists them), so a new one cannot be left out
targets=()
for f in "$build"/fuzz/fuzz_*; do
	[[ -x $f ]] && targets+=("${f##*/fuzz_}")
done
((${#targets[@]} > 0)) || { echo "fuzz: no fuzzer in $build/fuzz (make fuzz builds them)" >&2; exit 1; }

work=$(mktemp -d /tmp/tk-fuzz-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts"

run_one()
{
	local t=$1 dict=() dir="$work/$1"
	mkdir -p "$dir/corpus"
	cp -R "$src/corpus/$t/." "$dir/corpus/"
	case $t in
	tunnel_config | watch_config) dict=(-dict="$src/config.dict") ;;
	esac
	# in its own directory (a PrivateKeyFile in a config is opened for real), stdin closed
	(cd "$dir" && exec "$build/fuzz/fuzz_$t" "${dict[@]}" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-artifacts/$t-" corpus </dev/null >"$dir/log" 2>&1)
}

pids=()
k=0
for t in "${targets[@]}"; do
	[[ -x $build/fuzz/fuzz_$t ]] || { echo "fuzz: $build/fuzz/fuzz_$t not built" >&2; exit 1; }
	while (($(jobs -rp | wc -l) >= jobs)); do
		sleep 0.2
	done
	k=$((k + 1))
	# progress: "[6/7] fuzzers, 10 s each: 3 of 8 started (seal)" (TK_PHASE: scripts/check.sh)
	echo "${TK_PHASE:-fuzz}: $k of ${#targets[@]} started ($t, ${seconds} s, $jobs at a time)"
	run_one "$t" &
	pids+=($!)
done

fail=0
for i in "${!targets[@]}"; do
	t=${targets[$i]}
	if wait "${pids[$i]}"; then
		# "#N DONE cov: C ft: F corp: ... exec/s: E"
		line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t/log" | tail -n 1 || true)
		printf 'fuzz %-14s ok   %s\n' "$t" "${line:-(no DONE line)}"
	else
		fail=1
		printf 'fuzz %-14s FAIL (input kept in %s/fuzz-artifacts/%s-*)\n' "$t" "$build" "$t"
		tail -n 40 "$work/$t/log" | sed 's/^/    /'
	fi
done
exit "$fail"
