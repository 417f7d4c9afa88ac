#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make check` (and so `./setup.sh test` and CI): every test tier, one phase after the other,
# each announced as "[i/N] what: the command", each timed; a failed phase does not stop the next
# (one run reports everything), and the end prints one table of the phases with their results and
# durations. Exit 0 when no phase failed.
#
#   scripts/check.sh [PHASE...]     default: every phase, in this order
#
#   test     make test: the plain build, unit, netns, man, units, Go binding tests (build/)
#   slow     make test-slow: the Debian packages (scripts/check-deb.sh), the benchmark's smoke test
#   lint     make lint: clang-format, clang-tidy, cppcheck, shellcheck (scripts/lint.sh)
#   asan     make test-asan: the unit and netns tests under ASan + UBSan (build-asan/)
#   windows  make test-windows: the mingw-w64 build and its tests under Wine (build-win/)
#   fuzz     make fuzz: every fuzzer for FUZZ_SECONDS (build-fuzz/)
#   soak     make soak: the hub and three peers for SOAK_SECONDS (tests/soak/README.md)
#
# Environment: FUZZ_SECONDS, SOAK_SECONDS (the Makefile gives check 10 and 60, CI 60 and 600),
# JOBS, MAKE. Each phase exports TK_PHASE ("[5/7] Windows under Wine"), which the long runs
# (tests/windows/run.sh, tests/fuzz/run.sh, tests/soak/soak.sh) put in front of their progress
# lines ("[5/7] Windows under Wine: scenario 5 of 8: test_manage.sh").
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
MAKE=${MAKE:-make}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
SOAK_SECONDS=${SOAK_SECONDS:-60}
mk=("$MAKE" --no-print-directory)
[[ -n ${JOBS:-} ]] && mk+=("JOBS=$JOBS")

# One line a phase: name, title, make arguments.
declare -A TITLE=() CMD=()
while IFS='|' read -r name title cmd; do
	TITLE[$name]=$title
	CMD[$name]=$cmd
done <<EOF
test|unit + netns tests (build/)|test
slow|Debian packages + bench smoke (build/)|test-slow
lint|lint|lint
asan|ASan + UBSan tests (build-asan/)|test-asan
windows|Windows under Wine|test-windows
fuzz|fuzzers, $FUZZ_SECONDS s each|fuzz FUZZ_SECONDS=$FUZZ_SECONDS
soak|soak, $SOAK_SECONDS s|soak SOAK_SECONDS=$SOAK_SECONDS
EOF
phases=("$@")
((${#phases[@]})) || phases=(test slow lint asan windows fuzz soak)
for p in "${phases[@]}"; do
	[[ -n ${CMD[$p]:-} ]] || {
		echo "check: unknown phase '$p' (test slow lint asan windows fuzz soak)" >&2
		exit 2
	}
done

logdir=$(mktemp -d /tmp/tk-check.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# detail PHASE LOG: one line on what the phase did, from its own output.
detail()
{
	local p=$1 log=$2 line
	case $p in
	test | slow | asan)
		# ctest: "95% tests passed, 2 tests failed out of 48"; skips are "***Skipped" lines
		line=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1)
		[[ -n $line ]] && printf '%s, %d skipped' "${line#*tests passed, }" "$(grep -c '\*\*\*Skipped' "$log")"
		;;
	lint) sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -m1 -E '^lint: (FAILED|all)' | sed 's/^lint: //' ;;
	windows)
		grep -m1 '^SKIP test-windows' "$log" ||
			printf '%d checks ok, %d failed' "$(grep -cE '^  ok ' "$log")" "$(grep -cE '^  FAIL ' "$log")"
		;;
	fuzz) printf '%d ok, %d failed' "$(grep -cE '^fuzz [a-z_]+ +ok' "$log")" "$(grep -cE '^fuzz [a-z_]+ +FAIL' "$log")" ;;
	soak) grep -m1 '^SKIP soak' "$log" || grep -m1 -E '^  duration: ' "$log" | sed 's/^  duration: *//' ;;
	esac
}

fmt_time()
{
	printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

n=${#phases[@]}
i=0
rc=0
rows=()
t_all=$SECONDS
for p in "${phases[@]}"; do
	i=$((i + 1))
	export TK_PHASE="[$i/$n] ${TITLE[$p]}"
	read -ra args <<<"${CMD[$p]}"
	printf '\n\e[1m%s: %s %s\e[0m\n' "$TK_PHASE" "$MAKE" "${CMD[$p]}"
	t0=$SECONDS
	prc=0
	"${mk[@]}" "${args[@]}" 2>&1 | tee "$logdir/$p.log" || prc=$?
	secs=$((SECONDS - t0))
	if ((prc != 0)); then
		result="FAIL (exit $prc)"
		rc=1
	elif grep -qE "^SKIP (test-windows|soak)" "$logdir/$p.log"; then
		result=SKIP
	else
		result=PASS
	fi
	printf '%s: %s in %s\n' "$TK_PHASE" "$result" "$(fmt_time "$secs")"
	rows+=("$(printf '%-46s %-14s %7s  %s' "$TK_PHASE" "$result" "$(fmt_time "$secs")" "$(detail "$p" "$logdir/$p.log")")")
done

# The table: .ci/run prints the lines between the two markers.
echo
echo "---- tapkit check: summary ----"
printf '%-46s %-14s %7s  %s\n' phase result time detail
printf '%s\n' "${rows[@]}"
printf '%-46s %-14s %7s\n' total "$( ((rc == 0)) && echo PASS || echo FAIL)" "$(fmt_time $((SECONDS - t_all)))"
echo "---- end of summary ----"
exit "$rc"
