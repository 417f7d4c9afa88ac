#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Checks the man pages `make` rendered from docs/man/*.scd:
#   1. `man --warnings -l` (groff's warnings) prints nothing for any page;
#   2. every verb `tapkit --help` lists has its section in tapkit(8).
# Usage: scripts/check-man.sh [BUILD_DIR]   (default: build). Exit 77 (skip) without scdoc.
set -euo pipefail
export LC_ALL=C.UTF-8 MANWIDTH=80

cd "$(dirname "$0")/.."
BUILD=${1:-${TK_BUILD_DIR:-build}}

if ! command -v scdoc >/dev/null; then
	echo "SKIP: scdoc missing (apt-get install scdoc): the man pages are not built"
	exit 77
fi
command -v man >/dev/null || {
	echo "FAIL: man missing (apt-get install man-db)" >&2
	exit 1
}

failed=0
mapfile -t sources < <(ls docs/man/*.scd)
[[ ${#sources[@]} -gt 0 ]] || {
	echo "FAIL: no docs/man/*.scd" >&2
	exit 1
}
for src in "${sources[@]}"; do
	page=$BUILD/man/$(basename "$src" .scd)
	if [[ ! -f $page ]]; then
		echo "FAIL: $page not built (run make)"
		failed=1
		continue
	fi
	if [[ $page -ot $src ]]; then
		echo "FAIL: $page is older than $src (run make)"
		failed=1
		continue
	fi
	# man's own output goes nowhere; its warnings (stderr) are the result.
	warnings=$(man --warnings -l "$page" 2>&1 >/dev/null || echo "man exited $?")
	if [[ -n $warnings ]]; then
		echo "FAIL: $page:"
		printf '%s\n' "$warnings"
		failed=1
	else
		echo "ok: $page (no warnings)"
	fi
done

# Every verb of `tapkit --help` is documented in tapkit(8) as a "tapkit VERB" synopsis line.
if [[ -x $BUILD/tapkit && -f $BUILD/man/tapkit.8 ]]; then
	text=$(man -l "$BUILD/man/tapkit.8" 2>/dev/null)
	mapfile -t verbs < <("$BUILD/tapkit" --help | sed -n '/^Verbs:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
	[[ ${#verbs[@]} -gt 5 ]] || {
		echo "FAIL: could not read the verbs from tapkit --help"
		failed=1
	}
	for v in "${verbs[@]}"; do
		if ! grep -qE "(^|[[:space:]])tapkit $v( |\$)" <<<"$text"; then
			echo "FAIL: tapkit(8) does not document the verb $v"
			failed=1
		fi
	done
	echo "checked: ${#verbs[@]} verbs of tapkit --help against tapkit(8)"
fi
exit "$failed"
