#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the Windows tests under Wine: the cross-built unit tests (pure logic, one prefix), then
# every scenario script (each with its own prefix). usage: tests/windows/run.sh [BUILD_WIN]
set -uo pipefail
export TK_BUILD_WIN=${1:-build-win}
here=$(cd "$(dirname "$0")" && pwd)
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
status=0

echo "== Windows unit tests under Wine"
prefix=$(mktemp -d /tmp/tk-wine.XXXXXX)
trap '"$WINESERVER" -k 2>/dev/null; rm -rf "$prefix"' EXIT
shopt -s nullglob
units=("$TK_BUILD_WIN"/tests/test_win_*.exe)
((${#units[@]})) || { echo "no unit test executables in $TK_BUILD_WIN/tests"; status=1; }
for t in "${units[@]}"; do
	if WINEPREFIX=$prefix WINEDEBUG=-all timeout 120 wine "$t" >"$prefix.log" 2>&1; then
		echo "  ok   $(basename "$t") ($(grep -c '^\[       OK' "$prefix.log") tests)"
	else
		echo "  FAIL $(basename "$t")"
		cat "$prefix.log"
		status=1
	fi
done
rm -f "$prefix.log"
WINEPREFIX=$prefix "$WINESERVER" -k 2>/dev/null
rm -rf "$prefix"

# Progress: "[5/7] Windows under Wine: scenario 5 of 8: test_manage.sh" (TK_PHASE: scripts/check.sh).
scenarios=("$here"/test_*.sh)
k=0
for s in "${scenarios[@]}"; do
	k=$((k + 1))
	echo "${TK_PHASE:-windows}: scenario $k of ${#scenarios[@]}: $(basename "$s")"
	echo "== $(basename "$s")"
	bash "$s" || status=1
done
exit $status
